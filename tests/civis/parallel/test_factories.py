"""The factories and the backend's own rules, without a server: n_jobs, pickling, what
each factory configures, and infer_backend_factory outside a job."""

from __future__ import annotations

from typing import Any

import cloudpickle
import pytest

from civis.futures import CustomScriptExecutor, _ContainerShellExecutor
from civis.parallel import (
    infer_backend_factory,
    make_backend_factory,
    make_backend_template_factory,
)
from civis.parallel._backend import _CivisBackend, _worker_command
from civis.parallel._worker import worker_main


@pytest.mark.parametrize("n_jobs, expected", [(None, 1), (1, 1), (8, 8), (-1, 50)])
def test_effective_n_jobs(n_jobs: int | None, expected: int) -> None:
    assert make_backend_factory()().effective_n_jobs(n_jobs) == expected


@pytest.mark.parametrize("n_jobs", [0, -2, -50])
def test_bad_n_jobs(n_jobs: int) -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        make_backend_factory()().effective_n_jobs(n_jobs)


def test_container_factory_configures_the_executor() -> None:
    backend = make_backend_factory(
        "team/image",
        required_resources={"cpu": 1},
        docker_image_tag="2.0",
        max_job_retries=3,
        hidden=False,
    )()
    executor = backend.executor
    assert isinstance(executor, _ContainerShellExecutor)
    assert (executor.docker_image_name, executor.required_resources) == ("team/image", {"cpu": 1})
    assert executor.max_n_retries == 3 and executor.hidden is False
    assert executor.container_kwargs == {"docker_image_tag": "2.0"}
    assert backend.setup_cmd == ":"
    assert make_backend_factory(repo_http_uri="github.com/x/y")().setup_cmd.startswith("cd /app")


def test_template_factory_configures_a_custom_script_executor() -> None:
    backend = make_backend_template_factory(17, {"DB": "x"}, max_job_retries=1)()
    assert isinstance(backend.executor, CustomScriptExecutor)
    assert backend.executor.from_template_id == 17
    assert backend.executor.arguments == {"DB": "x"}


def test_the_worker_command_never_installs_anything() -> None:
    assert _worker_command(":", 12) == ": && exec civis_joblib_worker 12"


def test_the_backend_pickles_without_its_client() -> None:
    class NoPickle:
        def __getstate__(self) -> Any:
            raise RuntimeError("The APIClient object can't be pickled.")

    backend = make_backend_factory("img", client=NoPickle(), remote_backend="civis")()
    copy = cloudpickle.loads(cloudpickle.dumps(backend))
    assert isinstance(copy, _CivisBackend)
    assert copy._client is None and copy.executor.docker_image_name == "img"
    assert copy.remote_backend == "civis"


def test_infer_outside_a_job_is_a_clear_error(monkeypatch: Any) -> None:
    monkeypatch.delenv("CIVIS_JOB_ID", raising=False)
    with pytest.raises(RuntimeError, match="CIVIS_JOB_ID"):
        infer_backend_factory()


def test_the_worker_needs_a_file_id_and_a_job(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.delenv("JOBLIB_FUNC_FILE_ID", raising=False)
    assert worker_main([]) == 2
    assert "file id" in capsys.readouterr().err
    monkeypatch.delenv("CIVIS_JOB_ID", raising=False)
    with pytest.raises(RuntimeError, match="CIVIS_JOB_ID"):
        worker_main(["5"])
