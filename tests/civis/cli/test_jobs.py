"""``civis jobs follow-log|follow-run-log`` following real sandboxed runs."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

import civis
from civis.cli import cli

IMAGE = "civisanalytics/datascience-python"


def _start(command: str) -> tuple[int, int]:
    client = civis.APIClient()
    job = client.scripts.post_containers(
        required_resources={"cpu": 250, "memory": 512},
        docker_command=command,
        docker_image_name=IMAGE,
        name="follow me",
    )
    return job.id, client.jobs.post_runs(job.id).id


def _messages(output: str) -> list[str]:
    # Each line is "<created_at> <message>".
    return [line.split(" ", 1)[1] for line in output.splitlines() if line]


def test_follow_log_prints_every_line_of_a_running_job_once(live_user: Any) -> None:
    job, _ = _start("for i in $(seq 1 40); do echo line $i; sleep 0.02; done")
    result = CliRunner().invoke(cli, ["jobs", "follow-log", str(job)])
    assert result.exit_code == 0, result.output
    lines = [m for m in _messages(result.output) if m.startswith("line ")]
    assert lines == [f"line {i}" for i in range(1, 41)]
    assert result.output.split(" ", 1)[0].startswith("20")  # an ISO timestamp first


def test_follow_run_log_of_a_finished_failed_run(live_user: Any) -> None:
    job, run = _start("echo before; echo oops >&2; exit 4")
    civis.futures.CivisFuture(civis.APIClient().jobs.get_runs, (job, run)).exception()
    result = CliRunner().invoke(cli, ["jobs", "follow-run-log", str(job), str(run)])
    assert result.exit_code == 0, result.output
    assert {"before", "oops"} <= set(_messages(result.output))


def test_another_users_job_is_a_clear_error(live_platform: Any, live_user: Any) -> None:
    job, run = _start("echo mine")
    other = live_platform.create_user(f"snoop-{live_user.username}")
    result = CliRunner().invoke(
        cli, ["jobs", "follow-run-log", str(job), str(run)], env={"CIVIS_API_KEY": other.api_key}
    )
    assert result.exit_code == 1 and "404" in result.output
