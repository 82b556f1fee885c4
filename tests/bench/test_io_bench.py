"""Smoke test for `bench/io.py`: its quick mode runs every contender end to end.

Only that it runs and reports is checked here; the timing goals live in the benchmark
(DESIGN.md: never timing assertions in tests).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.official
def test_io_bench_quick_mode_reports_every_contender() -> None:
    doc = REPO / "docs" / "PERFORMANCE.md"
    before = doc.read_text() if doc.exists() else None
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "io.py"), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| write |" in proc.stdout and "| read |" in proc.stdout
    assert "failed" not in proc.stdout
    # Quick runs never touch the checked-in figures.
    assert (doc.read_text() if doc.exists() else None) == before
