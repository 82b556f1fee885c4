"""The compute scenario (templates, custom scripts, Python scripts, run outputs) under
the official client and ours, and the official ``civis`` command line against us."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path
from typing import Any

import requests
from contract_support import assert_all_ok, run_scenario

import support

_runs = itertools.count(1)


def test_compute_scenario(platform: Any, client_python: str) -> None:
    run = next(_runs)
    user = platform.create_user(f"compute-{run}-{abs(hash(client_python)) % 10_000}")
    report = run_scenario(
        client_python,
        "compute",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={"COMPUTE_TABLE": f"contract_compute.people_{run}"},
        timeout=300,
    )
    assert_all_ok(report)


def _official_cli(
    platform: Any, key: str, home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    cli = support.official_python().parent / "civis"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "HOME": str(home),
        "CIVIS_API_KEY": key,
        "CIVIS_API_ENDPOINT": platform.base_url,
    }
    return subprocess.run(
        [str(cli), *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_the_official_cli_starts_and_lists_scripts_and_notebooks(
    platform: Any, tmp_path: Path
) -> None:
    user = platform.create_user("compute-cli")
    made = requests.post(
        platform.base_url + "scripts/containers",
        json={"name": "listed by the cli", "requiredResources": {}, "dockerCommand": "true"},
        auth=(user.api_key, ""),
        timeout=30,
    )
    assert made.status_code == 201, made.text
    listed = _official_cli(platform, user.api_key, tmp_path, "scripts", "list")
    assert listed.returncode == 0, listed.stderr
    assert "listed by the cli" in listed.stdout
    created = _official_cli(
        platform,
        user.api_key,
        tmp_path,
        "notebooks",
        "post",
        "--name",
        "nb",
        "--language",
        "python3",
    )
    assert created.returncode == 0, created.stderr
    notebooks = _official_cli(platform, user.api_key, tmp_path, "notebooks", "list")
    assert notebooks.returncode == 0 and "nb" in notebooks.stdout, notebooks.stderr
    # Deployments are refused with a clear message and a failing exit status.
    [notebook] = requests.get(
        platform.base_url + "notebooks", auth=(user.api_key, ""), timeout=30
    ).json()
    deployed = _official_cli(
        platform, user.api_key, tmp_path, "notebooks", "post-deployments", str(notebook["id"])
    )
    assert deployed.returncode != 0 and "not supported" in deployed.stderr + deployed.stdout
