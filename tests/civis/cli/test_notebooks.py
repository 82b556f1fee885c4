"""``civis notebooks`` commands: the ones that need no API, and a clear error where the
server has no notebooks resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import civis
from civis.cli import cli


def test_open_prints_the_notebooks_url() -> None:
    result = CliRunner().invoke(cli, ["notebooks", "open", "12"])
    assert result.exit_code == 0
    assert result.output.strip().endswith("/notebooks/12")


def test_commands_where_the_server_has_no_notebooks(live_user: Any, tmp_path: Path) -> None:
    if hasattr(civis.APIClient(), "notebooks"):
        pytest.skip("this server has a notebooks resource")
    for args in (["download", "1", str(tmp_path / "n.ipynb")], ["new"], ["up", "1"], ["down", "1"]):
        result = CliRunner().invoke(cli, ["notebooks", *args])
        assert result.exit_code == 1, (args, result.output)
        assert "no notebooks" in result.output
