"""The generated CLI: names and parameters as the official CLI, and real invocations
against a loopback server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner
from scripted_server import Reply, ScriptedServer

import support
from civis._spec.loader import load_spec_file
from civis.cli import cli

# Commands the official CLI adds by hand (they arrive with the data-plane issue).
OFFICIAL_EXTRAS = {
    "files": {"upload", "download"},
    "jobs": {"follow-log", "follow-run-log"},
    "notebooks": {"download", "new", "up", "down", "open"},
}


@pytest.fixture(scope="module")
def official_cli(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    try:
        python = support.official_python()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    home = tmp_path_factory.mktemp("home")
    shutil.copy(support.reference_spec_path(), home / ".civis_api_spec.json")
    out = subprocess.run(
        [str(python), str(Path(__file__).parents[1] / "official_dump.py"), "--cli"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(home), "CIVIS_API_KEY": "none", "PATH": "/usr/bin:/bin"},
    )
    dump: dict[str, Any] = json.loads(out.stdout)
    return dump


@pytest.mark.official
def test_same_groups_commands_and_parameters(official_cli: dict[str, Any]) -> None:
    ctx = click.Context(cli)
    ctx.meta["civis.model"] = load_spec_file(support.reference_spec_path())
    ours: dict[str, Any] = {}
    for group_name in cli.list_commands(ctx):
        group = cli.get_command(ctx, group_name)
        assert isinstance(group, click.Group)
        ours[group_name] = {}
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            ours[group_name][name] = [
                (p.name, type(p).__name__, list(p.opts)) for p in command.params
            ]
    assert set(ours) == set(official_cli)
    for group_name, commands in official_cli.items():
        expected = set(commands) - OFFICIAL_EXTRAS.get(group_name, set())
        assert set(ours[group_name]) == expected, group_name
        for name in expected:

            def shape(params: list[Any]) -> tuple[list[Any], set[Any]]:
                args = [p[0] for p in params if p[1] == "Argument"]
                opts = {tuple(p[2]) for p in params if p[1] == "Option"}
                return args, opts

            assert shape(ours[group_name][name]) == shape(commands[name]), (group_name, name)


@pytest.fixture
def env(server: ScriptedServer, monkeypatch: Any) -> dict[str, str]:
    return {"CIVIS_API_ENDPOINT": server.url, "CIVIS_API_KEY": "cli-key"}


def test_get_prints_yaml(server: ScriptedServer, env: dict[str, str]) -> None:
    server.script("GET", "/files/5", Reply(body={"id": 5, "fileUrl": "http://x"}))
    result = CliRunner().invoke(cli, ["files", "get", "5"], env=env)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output) == {"id": 5, "fileUrl": "http://x"}


def test_post_sends_camel_case_body_and_json_output(
    server: ScriptedServer, env: dict[str, str]
) -> None:
    server.script("POST", "/files", Reply(body={"id": 9}))
    result = CliRunner().invoke(
        cli, ["files", "post", "a.csv", "--expires-at", "2030-01-01", "--json-output"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"id": 9}
    (seen,) = server.requests_to("POST", "/files")
    assert seen.json() == {"name": "a.csv", "expiresAt": "2030-01-01"}


def test_query_options_and_legacy_names(server: ScriptedServer, env: dict[str, str]) -> None:
    server.script("GET", "/users/me", Reply(body={"id": 1}))
    server.script("GET", "/credentials", Reply(body=[]))
    runner = CliRunner()
    assert runner.invoke(cli, ["users", "list-me"], env=env).exit_code == 0
    result = runner.invoke(
        cli, ["credentials", "list", "--type", "Database", "--remote-host-id", "3"], env=env
    )
    assert result.exit_code == 0, result.output
    (seen,) = server.requests_to("GET", "/credentials")
    assert dict(seen.query) == {"type": "Database", "remoteHostId": "3"}


def test_error_goes_to_stderr_with_exit_1(server: ScriptedServer, env: dict[str, str]) -> None:
    server.script("GET", "/files/5", Reply(status=404, body={"errorDescription": "nope"}))
    result = CliRunner().invoke(cli, ["files", "get", "5"], env=env)
    assert result.exit_code == 1
    assert "(404) nope" in result.output


def test_version_needs_no_spec() -> None:
    result = CliRunner().invoke(cli, ["--version"], env={"CIVIS_API_KEY": ""})
    assert result.exit_code == 0 and "civis" in result.output


def test_missing_key_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["files", "get", "1"], env={"CIVIS_API_KEY": ""})
    assert result.exit_code != 0 and "CIVIS_API_KEY" in result.output
