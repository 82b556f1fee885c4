"""The Examples sections of pure modules run as written (network examples are skipped)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "civis.base",
    "civis.response",
    "civis.loggers",
    "civis._http",
    "civis._spec.naming",
    "civis._spec.model",
    "civis._spec.signature",
    "civis._spec.build",
    "civis._spec.loader",
    "civis._executors",
    "civis.parallel",
    "civis.parallel._worker",
]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
