"""``python -m civis_platform.programs.civisml {train|predict|register}``: one CivisML
program as a run, always leaving a ``model_info.json`` output.

A program that fails posts ``model_info.json`` with ``run.status == "exception"``, the
stack trace and a clear ``error``, prints the error as its last stderr line (the run's
``error``) and exits with status 1.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from civis_platform.programs.civisml.arguments import run_ids
from civis_platform.programs.civisml.errors import ModelError
from civis_platform.programs.civisml.outputs import Report, RunOutputs

Program = Callable[[Mapping[str, str], Any, RunOutputs, Report], None]
USAGE = "usage: python -m civis_platform.programs.civisml {train|predict|register}"


def programs() -> dict[str, Program]:
    from civis_platform.programs.civisml import predict, register, train

    return {"train": train.run, "predict": predict.run, "register": register.run}


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if env is None else env
    if len(argv) != 1 or argv[0] not in ("train", "predict", "register"):
        print(USAGE, file=sys.stderr)
        return 2
    report = Report({"train": "training", "predict": "prediction"}.get(argv[0], "registration"))
    table = programs()
    import civis

    report.stage("imports")

    try:
        job_id, run_id = run_ids(env)
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return 2
    client = civis.APIClient()
    outputs = RunOutputs(client, job_id, run_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        try:
            table[argv[0]](env, client, outputs, report)
        except Exception as exc:
            error = str(exc) if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"
            stack = traceback.format_exc()
            print(stack, file=sys.stderr)
            info = report.info("exception", caught, error=error, stack_trace=stack)
            try:
                outputs.post_json("model_info.json", info)
            except Exception as post_exc:  # the error below still fails the run clearly
                print(f"Could not post model_info.json: {post_exc}", file=sys.stderr)
            print(" ".join(error.split()), file=sys.stderr)
            return 1
        outputs.post_json("model_info.json", report.info("succeeded", caught))
    return 0


if __name__ == "__main__":
    sys.exit(main())
