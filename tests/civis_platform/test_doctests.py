"""Run the Examples sections of every server module's docstrings.

Modules are discovered, not listed, so a new module's examples run without anyone
remembering to add it here.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import civis_platform

# Alembic revision scripts import `alembic.op`, which only works inside a migration.
_SKIP = ("civis_platform.store.migrations",)
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(civis_platform.__path__, "civis_platform.")
    if not info.name.startswith(_SKIP)
)


def test_modules_were_discovered() -> None:
    assert "civis_platform.services.context" in MODULES and len(MODULES) > 40


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
