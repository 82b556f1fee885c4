"""Run outputs by name, and the ``model_info.json`` every CivisML run posts.

A run posts files as outputs of itself (``POST /scripts/containers/{job}/runs/{run}/
outputs``); a File output takes its file's name, which is how the client finds
``model_info.json``, ``metrics.json``, ``estimator.pkl`` and ``predictions.csv.gz``.

Examples:
    >>> report = Report("train")
    >>> report.configuration["data"] = {"primary_key": None}
    >>> info = report.info("exception", [], error="boom", stack_trace="Traceback...")
    >>> info["run"]["status"], info["error"], info["run"]["configuration"]["data"]
    ('exception', 'boom', {'primary_key': None})
"""

from __future__ import annotations

import io
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from civis_platform.programs.civisml.errors import ModelError

MAX_WARNINGS = 100


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as plain JSON (NaN and inf as null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def format_warning(caught: warnings.WarningMessage) -> str:
    """``file:lineno: Category: message``, as the client re-emits them."""
    return f"{caught.filename}:{caught.lineno}: {caught.category.__name__}: {caught.message}"


@dataclass
class Report:
    """What a program learned so far, for its ``model_info.json`` (also on failure)."""

    program: str
    configuration: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _clock: float = field(default_factory=time.perf_counter, repr=False)

    def stage(self, name: str) -> None:
        """Seconds since the last stage (or the start), recorded as stage ``name``."""
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 3)
        self._clock = now

    def info(
        self,
        status: str,
        caught: list[warnings.WarningMessage],
        *,
        error: str | None = None,
        stack_trace: str | None = None,
    ) -> dict[str, Any]:
        messages = list(dict.fromkeys(format_warning(w) for w in caught))[:MAX_WARNINGS]
        info: dict[str, Any] = {
            "run": {
                "type": self.program,
                "status": status,
                "stack_trace": stack_trace,
                "configuration": self.configuration,
                "timings": self.timings,
            },
            "data": self.data,
            "model": self.model,
            "warnings": messages,
            **self.extra,
        }
        if error is not None:
            info["error"] = error
        return jsonable(info)


class RunOutputs:
    """The outputs of one run: posting this run's, reading another run's by name."""

    def __init__(self, client: Any, job_id: int, run_id: int) -> None:
        self.client = client
        self.job_id = job_id
        self.run_id = run_id

    def post_bytes(self, name: str, data: bytes) -> int:
        """Upload ``data`` as a file called ``name`` and attach it to this run; its id."""
        import civis

        file_id = int(civis.io.file_to_civis(io.BytesIO(data), name, client=self.client))
        self.client.scripts.post_containers_runs_outputs(self.job_id, self.run_id, "File", file_id)
        return file_id

    def post_json(self, name: str, value: Any) -> int:
        return self.post_bytes(name, json.dumps(jsonable(value), indent=1).encode())


def output_file_id(client: Any, job_id: int, run_id: int, name: str) -> int:
    """The file id of the File output called ``name`` of another run."""
    try:
        outputs = list(client.jobs.list_runs_outputs(job_id, run_id))
    except Exception as exc:
        raise ModelError(
            f"Could not read the outputs of job {job_id} run {run_id}: {str(exc).strip()}"
        ) from exc
    for output in outputs:
        if output["object_type"] == "File" and output["name"] == name:
            return int(output["object_id"])
    raise ModelError(f"Job {job_id} run {run_id} has no {name}: is it a finished CivisML model?")
