"""Run the Examples sections of the server's docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "civis_platform.config",
    "civis_platform.app",
    "civis_platform.spec",
    "civis_platform.api._generic",
    "civis_platform.api._models",
    "civis_platform.api.middleware",
    "civis_platform.services._generic",
    "civis_platform.services.auth",
    "civis_platform.services.context",
    "civis_platform.services.groups",
    "civis_platform.services.users",
    "civis_platform.store.db",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples to run"
