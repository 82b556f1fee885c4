"""``civis_joblib_worker [FUNC_FILE_ID]``: run one joblib batch inside a Civis job.

The job downloads the cloudpickled ``(func, backend)`` (file ``FUNC_FILE_ID``, else
``$JOBLIB_FUNC_FILE_ID``), calls ``func()`` under ``parallel_config(backend)``, and
posts the pickled result (or the exception it raised) as the run's File output
``"Results from Joblib job J / run R"``; an exception also fails the run.  It needs
``CIVIS_JOB_ID``, ``CIVIS_RUN_ID`` and ``CIVIS_API_KEY`` (every Civis job has them).

When the job was started by another job (``CIVIS_PARENT_JOB_ID``/``_RUN_ID``), it
watches that parent run and cancels itself when the parent ends first: cancelling the
parent cancels its children.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from civis.parallel._files import download_pickle, upload_pickle

__all__ = ["result_file_name", "run_worker", "worker_main"]


def result_file_name(job_id: int | str, run_id: int | str) -> str:
    """The name of a task's result file.

    Examples
    --------
    >>> result_file_name(4, 9)
    'Results from Joblib job 4 / run 9'
    """
    return f"Results from Joblib job {job_id} / run {run_id}"


def _own_ids() -> tuple[int, int]:
    try:
        return int(os.environ["CIVIS_JOB_ID"]), int(os.environ["CIVIS_RUN_ID"])
    except (KeyError, ValueError):
        raise RuntimeError(
            "civis_joblib_worker runs inside a Civis job: CIVIS_JOB_ID and CIVIS_RUN_ID must be set"
        ) from None


def watch_parent(client: Any, job_id: int) -> Any:
    """Cancel this job when its parent run (``CIVIS_PARENT_*``) ends; the watch's future
    (None outside a child job)."""
    parent_job = os.environ.get("CIVIS_PARENT_JOB_ID", "")
    parent_run = os.environ.get("CIVIS_PARENT_RUN_ID", "")
    if not (parent_job.isdigit() and parent_run.isdigit()):
        return None
    from civis.futures import CivisFuture

    watch = CivisFuture(
        client.jobs.get_runs,
        (int(parent_job), int(parent_run)),
        client=client,
        poll_on_creation=False,
    )

    def parent_ended(_: Any) -> None:
        from civis.base import CivisJobFailure

        if (
            not watch.cancelled()
            and watch.exception() is not None
            and not isinstance(watch.exception(), CivisJobFailure)
        ):
            return  # the parent could not be read (not a final state): keep running
        print(
            f"The parent run {parent_job}/{parent_run} ended: cancelling this run.",
            file=sys.stderr,
            flush=True,
        )
        try:
            client.scripts.post_cancel(job_id)
        finally:
            os._exit(1)

    watch.add_done_callback(parent_ended)
    return watch


def run_worker(file_id: int, client: Any = None) -> None:
    """Run the batch pickled in ``file_id`` and post its result; re-raise its error."""
    import joblib

    from civis.client import client_or_default
    from civis.parallel._backend import _CivisBackend, register_civis_backend

    job_id, run_id = _own_ids()
    client = client_or_default(client)
    watch_parent(client, job_id)
    func, backend = download_pickle(file_id, client)
    if isinstance(backend, _CivisBackend):
        register_civis_backend(backend)
    error: BaseException | None = None
    try:
        with joblib.parallel_config(backend=backend):
            result: Any = func()
    except BaseException as exc:  # the caller gets it back, then re-raised below
        error = result = exc
    output = upload_pickle(result, result_file_name(job_id, run_id), client)
    client.scripts.post_containers_runs_outputs(job_id, run_id, "File", output)
    if error is not None:
        raise error


def worker_main(argv: list[str] | None = None) -> int:
    """Entry point of ``civis_joblib_worker``.

    Examples
    --------
    >>> worker_main(["--help"])  # doctest: +ELLIPSIS
    usage: civis_joblib_worker [FUNC_FILE_ID]...
    0
    """
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(
            "usage: civis_joblib_worker [FUNC_FILE_ID]\n\nRun a joblib batch pickled in "
            "Civis file FUNC_FILE_ID (default $JOBLIB_FUNC_FILE_ID) and post its result."
        )
        return 0
    raw = args[0] if args else os.environ.get("JOBLIB_FUNC_FILE_ID", "")
    if not raw.isdigit():
        print("civis_joblib_worker: give a file id (or set JOBLIB_FUNC_FILE_ID)", file=sys.stderr)
        return 2
    run_worker(int(raw))
    return 0
