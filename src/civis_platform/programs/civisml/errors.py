"""The error a CivisML program reports as its run's clear ``error``."""

from __future__ import annotations


class ModelError(Exception):
    """A problem with the user's model or data, said in one sentence for the user.

    The program writes it into ``model_info.json`` (``error``, with the stack trace) and
    as the last line on stderr, so it becomes the failed run's ``error`` too.
    """
