"""What an executor is handed: plain, serialisable descriptions of work.

- `RunSpec`: one run of a job (ids, owner, job type, configuration, limits). Every
  program gets one, wherever it runs.
- `Launch`: the process a user-code program asks for (command, environment, image,
  limits, files for its working folder), prepared on the worker, run by a sandbox
  executor here or on a Dask worker.
- `Outcome`: how that process ended.

All three round-trip through JSON (`to_json` / `from_json`), so they cross process and
machine boundaries; none holds a connection, a lock or a callable.

Examples:
    >>> spec = RunSpec(run_id=7, job_id=3, owner_id=1, job_type="sql", config={"sql": "select 1"})
    >>> RunSpec.from_json(spec.to_json()) == spec
    True
    >>> Limits.from_resources({"memory": 256, "cpu": 500}).memory_mb
    256
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Resource limits of a run: memory in MiB, CPU in Civis shares (1000 = one core),
    wall-clock seconds. None: no limit of that kind."""

    memory_mb: int | None = None
    cpu_shares: int | None = None
    time_limit_seconds: float | None = None

    @classmethod
    def from_resources(cls, resources: Any, *, time_limit_seconds: float | None = None) -> Limits:
        """Limits from a Civis ``requiredResources`` object (``memory`` MB, ``cpu``
        shares); anything else in it, or a value that is not a positive number, is
        ignored."""
        resources = resources if isinstance(resources, dict) else {}

        def positive(name: str) -> int | None:
            value = resources.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                return None
            return int(value)

        return cls(
            memory_mb=positive("memory"),
            cpu_shares=positive("cpu"),
            time_limit_seconds=time_limit_seconds,
        )

    @property
    def cpus(self) -> float | None:
        """CPU as a number of cores (None: unlimited).

        Examples:
            >>> Limits(cpu_shares=1500).cpus
            1.5
        """
        return None if self.cpu_shares is None else self.cpu_shares / 1000


class _Json:
    """JSON round-trips for the frozen dataclasses of this module."""

    def to_json(self) -> str:
        """This description as a JSON object."""
        return json.dumps(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Rebuild from `to_json`'s object (nested limits included)."""
        values = dict(data)
        if "limits" in values and isinstance(values["limits"], dict):
            values["limits"] = Limits(**values["limits"])
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Any:
        """Rebuild from `to_json`'s text."""
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class RunSpec(_Json):
    """One run of one job, as every program sees it."""

    run_id: int
    job_id: int
    owner_id: int
    job_type: str
    config: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class Launch(_Json):
    """A process of users' code: ``argv`` run in ``image`` with exactly ``env``.

    ``files`` are written into the run's working folder first (relative path ->
    text), e.g. a Python script's source. ``notes`` are log lines the executor writes
    before the process starts (such as which image stands in for an unknown one).
    """

    run_id: int
    job_id: int
    owner_id: int
    argv: list[str]
    env: dict[str, str]
    image: str
    limits: Limits = field(default_factory=Limits)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome(_Json):
    """How a launched process ended.

    ``status`` is the exit status (negative: killed by that signal; None: it never
    started). ``error`` is set when the executor, not the program, decided the end
    (a limit, a lost worker, a start-up failure); ``last_error_line`` is the last
    non-empty line the program wrote to stderr.
    """

    status: int | None
    last_error_line: str = ""
    error: str | None = None
    cancelled: bool = False

    def failure(self) -> str | None:
        """The run's error for this outcome, or None when it succeeded.

        Examples:
            >>> Outcome(0).failure() is None
            True
            >>> Outcome(3, "ValueError: no").failure()
            'Process exited with status 3: ValueError: no'
        """
        if self.cancelled:
            return None
        if self.error:
            return self.error
        if self.status == 0:
            return None
        detail = f": {self.last_error_line}" if self.last_error_line else ""
        if self.status is not None and self.status < 0:
            return f"Process was killed by signal {-self.status}{detail}"
        return f"Process exited with status {self.status}{detail}"
