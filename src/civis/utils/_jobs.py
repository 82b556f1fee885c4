"""`run_job`, `run_template` and `job_logs`."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from civis.client import client_or_default
from civis.futures import CivisFuture

__all__ = ["job_logs", "run_job", "run_template"]

_RETURN_AS = frozenset({"files", "JSONValue", "future"})
# One page of logs; the server's limit parameter.
_LOG_PAGE = 250
# After catching up, re-read the newest logs: ids can commit out of order on the server.
_REWIND_LOGS = 100
_LOG_FIRST_WAIT = 0.05
_LOG_MAX_WAIT = 5.0


class DeprecatedKwargDefault:
    """Default of a deprecated keyword: falsy, and tells "not given" from any value."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "DEPRECATED"  # as the official signature shows it


def run_job(
    job_id: int, client: Any = None, polling_interval: int | float | None = None
) -> CivisFuture:
    """Start a new run of a job (``POST /jobs/{id}/runs``) and return its future.

    Parameters
    ----------
    job_id : int
    client : APIClient, optional
    polling_interval : int or float, optional
        Fixed seconds between polls; by default 50 ms growing to 15 s.

    Returns
    -------
    CivisFuture
        Polls ``GET /jobs/{id}/runs/{run_id}``.

    Examples
    --------
    >>> fut = run_job(42)  # doctest: +SKIP
    >>> fut.result().state  # doctest: +SKIP
    'succeeded'
    """
    client = client_or_default(client)
    run = client.jobs.post_runs(job_id)
    return CivisFuture(
        client.jobs.get_runs,
        (job_id, run.id),
        polling_interval=polling_interval,
        client=client,
        poll_on_creation=False,
    )


def _resolve_return_as(json_value: Any, return_as: str) -> str:
    if isinstance(json_value, DeprecatedKwargDefault):
        return return_as
    if (json_value and return_as != "JSONValue") or (not json_value and return_as == "JSONValue"):
        raise ValueError(
            f"Conflicting argument values: JSONValue={bool(json_value)} but "
            f"return_as={return_as!r}. Stop setting 'JSONValue' and use return_as."
        )
    warnings.warn(
        "'JSONValue' is deprecated; use return_as='JSONValue' instead.", FutureWarning, stacklevel=3
    )
    return return_as


def run_template(
    id: int,
    arguments: dict[str, Any],
    JSONValue: Any = DeprecatedKwargDefault(),
    client: Any = None,
    return_as: str = "files",
    **kwargs: Any,
) -> Any:
    """Run a custom script from template ``id`` and return its outputs.

    Parameters
    ----------
    id : int
        The template id.
    arguments : dict
        The script's arguments.
    JSONValue : bool, optional
        Deprecated; use ``return_as="JSONValue"``.
    client : APIClient, optional
    return_as : {"files", "JSONValue", "future"}
        ``files``: ``{output name: object id}`` for every output; ``JSONValue``: the
        value of the first JSONValue output (None, with a warning, if none);
        ``future``: the `CivisFuture` of the run, without waiting.
    **kwargs
        More fields of ``POST /scripts/custom`` (e.g. ``remote_host_id``).

    Raises
    ------
    ValueError
        ``return_as`` is not one of the options, or conflicts with ``JSONValue``.
    CivisJobFailure
        The run failed.

    Examples
    --------
    >>> run_template(7, {"TABLE": "a.b"})  # doctest: +SKIP
    {'output.csv': 123}
    """
    if return_as not in _RETURN_AS:
        raise ValueError(f"return_as must be one of {sorted(_RETURN_AS)}, got {return_as!r}")
    return_as = _resolve_return_as(JSONValue, return_as)
    client = client_or_default(client)
    job = client.scripts.post_custom(id, arguments=arguments, **kwargs)
    run = client.scripts.post_custom_runs(job.id)
    future = CivisFuture(client.scripts.get_custom_runs, (job.id, run.id), client=client)
    if return_as == "future":
        return future
    future.result()
    outputs = client.scripts.list_custom_runs_outputs(job.id, run.id)
    if return_as == "files":
        return {o.name: o.object_id for o in outputs}
    for output in outputs:
        if output.object_type == "JSONValue":
            return output.get("value")
    warnings.warn(f"No JSONValue output for run {run.id} of script {job.id}.", stacklevel=2)
    return None


def _timestamp(value: Any) -> datetime:
    text = str(value or "")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_dict(log: Any) -> dict[str, Any]:
    return log.json() if hasattr(log, "json") else dict(log)


def job_logs(
    job_id: int,
    run_id: int | None = None,
    finished_timeout: float | None = None,
    client: Any = None,
) -> Iterator[dict[str, Any]]:
    """Yield the log entries of a run as they appear, until the run's logs are final.

    Each entry is a snake_case dict (``id``, ``created_at``, ``message``, ``level``),
    yielded once, in (created_at, id) order within each batch.

    Parameters
    ----------
    job_id : int
    run_id : int, optional
        Defaults to the job's most recent run.
    finished_timeout : float, optional
        Stop this many seconds after the run finished even if the server does not mark
        its logs final.
    client : APIClient, optional

    Examples
    --------
    >>> for log in job_logs(42):  # doctest: +SKIP
    ...     print(log["created_at"], log["message"])
    """
    client = client_or_default(client)
    if run_id is None:
        runs = client.jobs.list_runs(job_id, limit=1, order="id", order_dir="desc")
        if not runs:
            return
        run_id = runs[0].id
    seen: set[int] = set()
    seen_order: list[int] = []  # ids in arrival order, to rewind from
    # Always send last_id: the API then orders by id, which makes paging exact.
    last_id = 0
    wait = _LOG_FIRST_WAIT
    while True:
        page = client.jobs.list_runs_logs(job_id, run_id, last_id=last_id, limit=_LOG_PAGE)
        headers = page.headers or {}
        max_id_header = headers.get("civis-max-id")
        final = headers["civis-cache-control"] != "no-store"
        fresh = [_as_dict(log) for log in page if log.id not in seen]
        fresh.sort(key=lambda log: (_timestamp(log.get("created_at")), log["id"]))
        for log in fresh:
            seen.add(log["id"])
            seen_order.append(log["id"])
            yield log
        local_max = max(seen) if seen else None
        if len(page) >= _LOG_PAGE and fresh:
            last_id = max(log.id for log in page)  # more pages: read on at once
            continue
        caught_up = max_id_header is None or (
            local_max is not None and local_max >= int(max_id_header)
        )
        if not caught_up:
            last_id = local_max or 0
            continue
        if final or _finished_long_ago(client, job_id, run_id, finished_timeout):
            return
        # Re-read the newest entries next time: a log with a smaller id can commit late.
        recent = sorted(seen_order[-_REWIND_LOGS:])
        last_id = recent[0] - 1 if len(seen_order) > _REWIND_LOGS else 0
        time.sleep(wait)
        wait = min(wait * 1.5, _LOG_MAX_WAIT)


def _finished_long_ago(
    client: Any, job_id: int, run_id: int, finished_timeout: float | None
) -> bool:
    if finished_timeout is None:
        return False
    finished_at = client.jobs.get_runs(job_id, run_id).get("finished_at")
    if not finished_at:
        return False
    elapsed = (datetime.now(UTC) - _timestamp(finished_at)).total_seconds()
    return elapsed > finished_timeout
