"""Run states and the TRANSITIONS table: pure data and checks, no I/O.

States are exactly ``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``.
``running -> queued`` exists for one reason only: a run whose worker was lost goes back
to the queue when its job type allows a retry (`JobType.retries`), keeping its id, so a
client polling it sees it start again instead of failing.

Examples:
    >>> check_transition("queued", "running")
    >>> check_transition("succeeded", "running")
    Traceback (most recent call last):
    ...
    civis_platform.runner.states.InvalidTransitionError: A succeeded run cannot become running.
"""

from __future__ import annotations

from civis_platform.errors import ConflictError

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
ACTIVE = frozenset({QUEUED, RUNNING})
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

# From state -> the states it may move to. Final states never change again.
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, CANCELLED, FAILED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELLED, QUEUED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}

DEFAULT_FAILURE = "The run failed."
RESTART_ERROR = "The server restarted while this run was running."
STALLED_ERROR = "The worker running this run stopped responding (its heartbeat went stale)."
SHUTDOWN_ERROR = "The server shut down while this run was running."
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")


class InvalidTransitionError(ConflictError):
    """A state change the TRANSITIONS table forbids."""


def check_transition(current: str, to: str) -> None:
    """Raise InvalidTransitionError unless ``current -> to`` is in TRANSITIONS."""
    if current not in TRANSITIONS or to not in STATES:
        raise InvalidTransitionError(f"Unknown run state: {current!r} -> {to!r}.")
    if to not in TRANSITIONS[current]:
        raise InvalidTransitionError(f"A {current} run cannot become {to}.")


def failure_message(error: str | None) -> str:
    """The error a failed run records: never empty.

    Examples:
        >>> failure_message("  "), failure_message("boom")
        ('The run failed.', 'boom')
    """
    text = (error or "").strip()
    return text or DEFAULT_FAILURE
