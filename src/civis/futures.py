"""Futures for Civis job runs: `CivisFuture` and `ContainerFuture`.

Both are `concurrent.futures.Future` objects polled by the shared scheduler of
`civis.polling`.  A failed run becomes `CivisJobFailure`; when the run reports no error
text, the last log lines are fetched at once to explain it (the official client sleeps
15 s first).

Examples
--------
>>> import civis
>>> client = civis.APIClient()  # doctest: +SKIP
>>> run = client.jobs.post_runs(42)  # doctest: +SKIP
>>> fut = CivisFuture(client.jobs.get_runs, (42, run.id), client=client)  # doctest: +SKIP
>>> fut.result().state  # doctest: +SKIP
'succeeded'
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from civis.base import CivisAPIError, CivisJobFailure
from civis.client import client_or_default
from civis.polling import PollableResult, field_of

__all__ = ["CivisFuture", "ContainerFuture"]

_PLATFORM_URL = "https://platform.civisanalytics.com/spa/#/jobs/{}"
# Log lines fetched to explain a failure that carries no error text.
_FAILURE_LOG_LINES = 15
_OOM_PREFIX = "Process ran out of its"
_CONTAINER_FUTURE_DEPRECATED = (
    "ContainerFuture is deprecated (as in civis-python 2.10): CivisFuture supports "
    "cancel() and automatic retries (max_retries); please migrate to CivisFuture."
)


def _error_text(response: Any) -> str:
    error = field_of(response, "error")
    return "" if error is None else str(error)


class CivisFuture(PollableResult):
    """A future for one Civis job run.

    Parameters
    ----------
    poller : callable
        Returns the run, e.g. ``client.scripts.get_sql_runs``.
    poller_args : sequence
        ``(job_id, run_id)``, passed to ``poller``.
    polling_interval : int or float, optional
        Fixed seconds between polls; by default 50 ms growing to 15 s.
    client : APIClient, optional
    poll_on_creation : bool
        Poll once in the constructor.
    max_retries : int, optional
        Restart a failed run with a new run (``POST /jobs/{id}/runs``) up to this many
        times.  Only for idempotent jobs.

    Examples
    --------
    >>> from civis.response import Response
    >>> fut = CivisFuture(lambda j, r: Response({"state": "succeeded"}), (7, 3))
    >>> fut.job_id, fut.run_id, fut.succeeded()
    (7, 3, True)
    >>> fut.job_run_url
    'https://platform.civisanalytics.com/spa/#/jobs/7?runId=3'
    """

    def __init__(
        self,
        poller: Callable[..., Any],
        poller_args: Sequence[Any],
        polling_interval: int | float | None = None,
        client: Any = None,
        poll_on_creation: bool = True,
        max_retries: int | None = None,
    ) -> None:
        if max_retries is not None and max_retries < 0:
            raise ValueError("max_retries must not be negative.")
        if max_retries and len(poller_args) < 2:
            raise ValueError(
                "max_retries requires a poller that tracks a specific run "
                "(poller_args must include a run ID)."
            )
        # Set before the first poll: a run that has already failed is rerun at once.
        self._retries_left = max_retries or 0
        super().__init__(
            poller,
            poller_args,
            polling_interval=polling_interval,
            client=client,
            poll_on_creation=poll_on_creation,
        )

    @property
    def job_id(self) -> Any:
        """The job (script) id: the first poller argument."""
        return self.poller_args[0]

    @property
    def run_id(self) -> Any:
        """The run id: the second poller argument, or None."""
        return self.poller_args[1] if len(self.poller_args) > 1 else None

    @property
    def job_url(self) -> str:
        """The job's page on Civis Platform."""
        return _PLATFORM_URL.format(self.job_id)

    @property
    def job_run_url(self) -> str:
        """The run's page on Civis Platform."""
        return f"{self.job_url}?runId={self.run_id}"

    def outputs(self) -> list[Any]:
        """Wait for the run, then return its outputs (``GET /jobs/{id}/runs/{run}/outputs``).

        Examples
        --------
        >>> fut.outputs()  # doctest: +SKIP
        [Response({'object_type': 'File', 'object_id': 9, 'name': 'out.csv', ...})]
        """
        self.result()
        return list(self.client.jobs.list_runs_outputs(self.job_id, self.run_id))

    def _on_failure(self, response: Any) -> None:
        if not self._rerun():
            super()._on_failure(response)

    def _on_poll_error(self, exc: BaseException) -> None:
        # As officially, a poll that errors also counts as a failed attempt.
        if not self._rerun():
            super()._on_poll_error(exc)

    def _rerun(self) -> bool:
        """Start a new run if retries are left; True if polling goes on with it."""
        if self._retries_left <= 0:
            return False
        self._retries_left -= 1
        try:
            run = self.client.jobs.post_runs(self.job_id)
        except Exception as exc:  # the rerun itself failed: that is the future's error
            self._set_exception_safely(exc)
            return True
        self.poller_args = (self.job_id, field_of(run, "id"), *self.poller_args[2:])
        self._civis_state = "queued"
        return True

    def _failure_exception(self, response: Any) -> BaseException:
        message = _error_text(response)
        if message not in ("", "None") or self.run_id is None:
            return CivisJobFailure(message, response, self.job_id, self.run_id)
        # A run that failed silently: its last log lines are the best explanation.  The
        # official client sleeps 15 s first; our server writes logs before the state.
        try:
            logs = list(
                self.client.jobs.list_runs_logs(self.job_id, self.run_id, limit=_FAILURE_LOG_LINES)
            )
        except Exception:  # keep the failure, lose only its detail
            logs = []
        logs.reverse()  # the API answers newest first
        for line in logs:
            text = str(line.get("message", ""))
            if line.get("level") == "error" and text.startswith(_OOM_PREFIX):
                return MemoryError(f"(From job {self.job_id} / run {self.run_id}) {text}")
        # As officially: the log lines, then the (empty) error text.
        text = "\n".join(str(line.get("message", "")) for line in logs) + "\n"
        return CivisJobFailure(text, response, self.job_id, self.run_id)

    def cancel(self) -> bool:
        """Cancel the run on the server (``DELETE /jobs/{id}/runs/{run_id}``).

        Returns True if the future is now cancelled, False if the run had already finished
        (cancelling a finished run is not an error) or the server refused.

        Examples
        --------
        >>> fut.cancel()  # doctest: +SKIP
        True
        """
        if self.cancelled():
            return True
        if self.done():
            return False
        try:
            self.client.jobs.delete_runs(self.job_id, self.run_id)
        except CivisAPIError as err:
            if err.status_code != 404:  # 404: most likely the run just finished
                warnings.warn(
                    f"Unexpected error when attempting to cancel job ID "
                    f"{self.job_id} / run ID {self.run_id}:\n{err}",
                    stacklevel=2,
                )
            return False
        self.cleanup()
        # The run may have finished just before the DELETE (a no-op then): one poll tells.
        self._poll_once()
        if self.done():
            return self.cancelled()
        return self._set_cancelled()


class ContainerFuture(CivisFuture):
    """A future for a container (or custom) script run, rerun up to ``max_n_retries`` times.

    Deprecated, as in the official client 2.10: `CivisFuture` now cancels and retries.
    Polls ``GET /scripts/containers/{id}/runs/{run_id}``; cancels with
    ``POST /scripts/{id}/cancel``.

    Parameters
    ----------
    job_id, run_id : int
    max_n_retries : int
        Failed runs are restarted (``POST /jobs/{id}/runs``) this many times.
    polling_interval : int or float, optional
    client : APIClient, optional
    poll_on_creation : bool

    Examples
    --------
    >>> fut = ContainerFuture(42, 7, max_n_retries=2)  # doctest: +SKIP
    >>> fut.result().state  # doctest: +SKIP
    'succeeded'
    """

    def __init__(
        self,
        job_id: int,
        run_id: int,
        max_n_retries: int = 0,
        polling_interval: int | float | None = None,
        client: Any = None,
        poll_on_creation: bool = True,
    ) -> None:
        warnings.warn(_CONTAINER_FUTURE_DEPRECATED, FutureWarning, stacklevel=2)
        client = client_or_default(client)
        super().__init__(
            client.scripts.get_containers_runs,
            (job_id, run_id),
            polling_interval=polling_interval,
            client=client,
            poll_on_creation=poll_on_creation,
            max_retries=max_n_retries,
        )

    def cancel(self) -> bool:
        """Cancel the container run (``POST /scripts/{id}/cancel``).

        Returns True if the server reports the run cancelled, False if it was already
        done (a 404 means the run had finished).

        Examples
        --------
        >>> fut.cancel()  # doctest: +SKIP
        True
        """
        if self.cancelled():
            return True
        if self.done():
            return False
        try:
            response = self.client.scripts.post_cancel(self.job_id)
        except CivisAPIError as err:
            if err.status_code == 404:
                return False
            raise
        if field_of(response, "state") == "cancelled":
            self.cleanup()
            self._last_result = response
            return self._set_cancelled()
        return False
