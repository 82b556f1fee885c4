"""The in-process executor: the program runs in the dispatcher's worker thread.

Programs that start subprocesses (container scripts) own them and kill them when
``run.cancelled`` is set; a pure-Python program checks ``run.is_cancel_requested()``.
"""

from __future__ import annotations

from civis_platform.runner.base import Program, RunContext


class LocalExecutor:
    """Run programs in the calling thread.

    Examples:
        >>> LocalExecutor().execute(lambda run: None, None)  # type: ignore[arg-type]
    """

    def execute(self, program: Program, run: RunContext) -> None:
        """Call ``program(run)``; its exception, if any, propagates."""
        program(run)
