"""Spec handling: load and cache (`loader`), read-only views (`model`), naming rules
(`naming`), method signatures (`signature`) and resource classes (`build`)."""
