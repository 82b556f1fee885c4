"""``civis files upload|download`` against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

import civis
from civis.cli import cli


def test_upload_then_download_round_trip(live_user: Any, tmp_path: Path) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(bytes(range(256)) * 1000)
    uploaded = CliRunner().invoke(
        cli, ["files", "upload", str(source), "--name", "d.bin", "--description", "cli test"]
    )
    assert uploaded.exit_code == 0, uploaded.output
    file_id = int(uploaded.output.strip())
    record = civis.APIClient().files.get(file_id)
    assert (record.name, record.description) == ("d.bin", "cli test")

    target = tmp_path / "copy.bin"
    downloaded = CliRunner().invoke(cli, ["files", "download", str(file_id), str(target)])
    assert downloaded.exit_code == 0, downloaded.output
    assert target.read_bytes() == source.read_bytes()


def test_upload_never_expires_and_defaults_the_name(live_user: Any, tmp_path: Path) -> None:
    source = tmp_path / "named.txt"
    source.write_text("x")
    result = CliRunner().invoke(cli, ["files", "upload", str(source), "--expires-at", "never"])
    assert result.exit_code == 0, result.output
    record = civis.APIClient().files.get(int(result.output))
    assert record.name == "named.txt" and record.expires_at is None


def test_another_users_file_is_a_clear_error(
    live_platform: Any, live_user: Any, tmp_path: Path
) -> None:
    other = live_platform.create_user(f"other-{live_user.username}")
    source = tmp_path / "secret.txt"
    source.write_text("secret")
    uploaded = CliRunner().invoke(
        cli, ["files", "upload", str(source)], env={"CIVIS_API_KEY": other.api_key}
    )
    assert uploaded.exit_code == 0, uploaded.output
    target = tmp_path / "stolen.txt"
    result = CliRunner().invoke(cli, ["files", "download", uploaded.output.strip(), str(target)])
    assert result.exit_code == 1
    assert "404" in result.output and not target.exists()


def test_missing_local_file_is_a_clear_error(live_user: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["files", "upload", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "nope.csv" in result.output
