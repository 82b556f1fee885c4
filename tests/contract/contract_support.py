"""Running scenario scripts under a chosen client interpreter (see conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parent / "scenarios"


def run_scenario(
    python: str,
    name: str,
    *,
    endpoint: str,
    api_key: str,
    extra_env: dict[str, str] | None = None,
    timeout: float = 240,
) -> dict[str, Any]:
    """Run scenarios/<name>.py under `python`; return the JSON report it prints last.

    The scenario script reports every check as "ok" or a failure message; a crash
    surfaces with its traceback.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIVIS_", "PYTHON"))}
    env.update(
        CIVIS_API_ENDPOINT=endpoint,
        CIVIS_API_KEY=api_key,
        # A private spec cache per run, so no scenario sees another's cached spec.
        HOME=str(Path(env.get("TMPDIR", "/tmp")) / f"civis-contract-home-{os.getpid()}"),
        **(extra_env or {}),
    )
    proc = subprocess.run(
        [python, str(SCENARIOS / f"{name}.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"scenario {name} crashed under {python} (exit {proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_all_ok(report: dict[str, Any]) -> None:
    failures = {check: outcome for check, outcome in report.items() if outcome != "ok"}
    assert not failures, json.dumps(failures, indent=2)


def upload_as(platform: Any, api_key: str, name: str, data: bytes) -> int:
    """A file uploaded by the user of ``api_key`` (the official two-step form POST); its id."""
    import io

    import requests

    created = requests.post(
        platform.base_url + "files", json={"name": name}, auth=(api_key, ""), timeout=30
    ).json()
    fields = dict(created["uploadFields"])
    form = {"key": fields.pop("key"), **fields, "file": io.BytesIO(data)}
    assert requests.post(created["uploadUrl"], files=form, timeout=30).status_code == 204
    return int(created["id"])
