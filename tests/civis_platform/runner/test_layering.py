"""The run engine is one layer: nothing in ``runner/`` imports what sits above it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import civis_platform.runner

RUNNER = Path(civis_platform.runner.__file__).parent
ABOVE = (
    "civis_platform.services",
    "civis_platform.api",
    "civis_platform.programs",
    "civis_platform.app",
    "civis_platform.engine",
    "civis_platform.cli",
    "civis_platform.testing",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(p.name for p in RUNNER.glob("*.py")))
def test_no_runner_module_imports_from_above(module: str) -> None:
    above = {name for name in _imports(RUNNER / module) if name.startswith(ABOVE)}
    assert not above, f"runner/{module} imports {sorted(above)}"


def test_importing_the_engine_loads_nothing_above_it() -> None:
    code = (
        "import sys, civis_platform.runner.worker, civis_platform.runner.sandbox, "
        "civis_platform.runner.dask, civis_platform.runner.remote, civis_platform.runner.images; "
        f"print(sorted(m for m in sys.modules if m.startswith({ABOVE!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_remote_host_needs_no_server_dependencies() -> None:
    # On a Dask worker or in a runtime image there is no SQLAlchemy or FastAPI.
    code = (
        "import sys, civis_platform.runner.remote, civis_platform.runner.sandbox; "
        "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'starlette', 'duckdb') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
