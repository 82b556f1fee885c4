"""The ``civis`` joblib backend: each batch of tasks runs as a Civis job.

``submit`` cloudpickles the batch (with the backend to use inside the job) into a Civis
file, then starts a container script running ``civis_joblib_worker FILE_ID`` (or a
custom script from a template, given ``JOBLIB_FUNC_FILE_ID``).  When the run is done its
File output holds the pickled result, or the exception, which joblib re-raises in the
caller.  ``abort_everything`` (joblib calls it when a task fails) cancels the runs
still going.
"""

from __future__ import annotations

import threading
from typing import Any

from joblib import register_parallel_backend
from joblib._parallel_backends import ParallelBackendBase

from civis.base import CivisJobFailure
from civis.parallel._files import download_pickle, upload_pickle

__all__ = ["JobSubmissionError", "_CivisBackend", "register_civis_backend"]

MAX_N_JOBS = 50  # what n_jobs=-1 means
FUNC_FILE_NAME = "civis_joblib_backend_func"


class JobSubmissionError(Exception):
    """A task could not be submitted (the upload or the job creation failed)."""


def _worker_command(setup_cmd: str, file_id: int) -> str:
    # Our platform (and the official image) has civis_joblib_worker: nothing to install.
    return f"{setup_cmd} && exec civis_joblib_worker {file_id}"


class _CivisBackend(ParallelBackendBase):
    """A joblib backend whose workers are Civis jobs (see the module docstring).

    Made by the factories of `civis.parallel`; picklable (the client is rebuilt from the
    environment in the job), so ``remote_backend="civis"`` nests.
    """

    supports_retrieve_callback = True
    uses_threads = False
    supports_sharedmem = False

    def __init__(
        self,
        setup_cmd: str = ":",
        from_template_id: int | None = None,
        max_submit_retries: int = 0,
        client: Any = None,
        remote_backend: Any = "sequential",
        nesting_level: int | None = None,
        **executor_kwargs: Any,
    ) -> None:
        super().__init__(nesting_level=nesting_level)
        self.setup_cmd = setup_cmd
        self.from_template_id = from_template_id
        self.max_submit_retries = max_submit_retries
        self.remote_backend = remote_backend
        self.executor_kwargs = executor_kwargs
        self._client = client
        self._lock = threading.Lock()
        self.executor = self._new_executor()

    # -- pickling: what the job needs to rebuild the backend, never the client ----------
    def __getstate__(self) -> dict[str, Any]:
        return {
            "setup_cmd": self.setup_cmd,
            "from_template_id": self.from_template_id,
            "max_submit_retries": self.max_submit_retries,
            "remote_backend": self.remote_backend,
            "executor_kwargs": {k: v for k, v in self.executor_kwargs.items() if k != "client"},
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        _CivisBackend.__init__(
            self,
            state["setup_cmd"],
            state["from_template_id"],
            state["max_submit_retries"],
            None,
            state["remote_backend"],
            **state["executor_kwargs"],
        )

    @property
    def client(self) -> Any:
        """The API client (from the environment unless one was given)."""
        if self._client is None:
            from civis.client import client_or_default

            self._client = client_or_default(None)
        return self._client

    def _new_executor(self) -> Any:
        from civis.futures import CustomScriptExecutor, _ContainerShellExecutor

        if self.from_template_id is not None:
            return CustomScriptExecutor(
                self.from_template_id, client=self._client, **self.executor_kwargs
            )
        return _ContainerShellExecutor(client=self._client, **self.executor_kwargs)

    # -- joblib's interface ------------------------------------------------------------
    def effective_n_jobs(self, n_jobs: int | None) -> int:
        """None is 1 and -1 is 50 (jobs at once); 0 and other negatives are errors."""
        if n_jobs is None:
            return 1
        if n_jobs == -1:
            return MAX_N_JOBS
        if n_jobs <= 0:
            raise ValueError(f"n_jobs must be positive or -1 for the civis backend, got {n_jobs}")
        return int(n_jobs)

    def submit(self, func: Any, callback: Any = None) -> Any:
        """Start a job for one batch; its future (``callback`` runs when it is done)."""
        remote = self if self.remote_backend == "civis" else self.remote_backend
        future = self._submit_with_retries(func, remote)
        if callback is not None:
            future.add_done_callback(callback)
        return future

    def _submit_with_retries(self, func: Any, remote: Any) -> Any:
        attempts = self.max_submit_retries + 1
        for attempt in range(attempts):
            try:
                file_id = upload_pickle((func, remote), FUNC_FILE_NAME, self.client)
                with self._lock:
                    executor = self.executor
                if self.from_template_id is not None:
                    return executor.submit(JOBLIB_FUNC_FILE_ID=file_id)
                return executor.submit(_worker_command(self.setup_cmd, file_id))
            except Exception as exc:
                if attempt == attempts - 1:
                    raise JobSubmissionError(
                        f"could not submit a joblib task to Civis: {exc}"
                    ) from exc
        raise AssertionError("unreachable")

    def retrieve_result_callback(self, future: Any) -> Any:
        """The batch's results, read from the run's output; its exception re-raised."""
        if future.cancelled():
            raise CivisJobFailure(
                f"Run {future.run_id} of job {future.job_id} was cancelled.",
                None,
                future.job_id,
                future.run_id,
            )
        failure = future.exception()
        outputs = [
            o
            for o in self.client.scripts.list_containers_runs_outputs(future.job_id, future.run_id)
            if o.get("object_type") == "File"
        ]
        if not outputs:
            if failure is not None:
                raise failure
            raise CivisJobFailure(
                f"Run {future.run_id} of job {future.job_id} posted no result.",
                None,
                future.job_id,
                future.run_id,
            )
        result = download_pickle(outputs[0].object_id, self.client)
        if isinstance(result, BaseException):
            raise result
        return result

    def abort_everything(self, ensure_ready: bool = True) -> None:
        """Cancel every run still going; a fresh executor takes new work."""
        with self._lock:
            executor = self.executor
            if ensure_ready:
                self.executor = self._new_executor()
        executor.cancel_all()

    def get_nested_backend(self) -> tuple[Any, int | None]:
        """Nested ``Parallel`` calls in the caller run sequentially."""
        from joblib._parallel_backends import SequentialBackend

        level = (self.nesting_level or 0) + 1
        return SequentialBackend(nesting_level=level), None


def register_civis_backend(backend: _CivisBackend) -> None:
    """Register ``backend``'s configuration as joblib's ``civis`` backend (in a job)."""
    state = backend.__getstate__()

    def factory(**kwargs: Any) -> _CivisBackend:
        rebuilt = _CivisBackend.__new__(_CivisBackend)
        rebuilt.__setstate__(state)
        if "nesting_level" in kwargs:
            rebuilt.nesting_level = kwargs["nesting_level"]
        return rebuilt

    register_parallel_backend("civis", factory)
