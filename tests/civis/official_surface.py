"""Helpers for the conformance tests: the official client's generated surface, and the
spec files to compare on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import support

TESTS = Path(__file__).resolve().parents[1]

_OFFICIAL_SURFACES: dict[str, dict[str, Any]] = {}


def official_surface_for(spec_path: Path) -> dict[str, Any]:
    """What the official client generates from ``spec_path`` (cached per test session)."""
    key = str(spec_path)
    if key not in _OFFICIAL_SURFACES:
        try:
            python = support.official_python()
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
        out = subprocess.run(
            [str(python), str(Path(__file__).parent / "official_dump.py"), key],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        _OFFICIAL_SURFACES[key] = json.loads(out.stdout)
    return _OFFICIAL_SURFACES[key]


def candidate_spec_paths() -> list[Path]:
    """The reference spec, plus the shared copy when it differs (two API versions)."""
    paths = [support.reference_spec_path()]
    shared = TESTS.parent.parent / "shared" / "reference" / "civis_api_spec.json"
    if shared.exists() and shared.read_bytes() != paths[0].read_bytes():
        paths.append(shared)
    return paths
