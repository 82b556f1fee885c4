"""ModelFuture on runs the test steers itself (no CivisML program): what a run without
``model_info.json`` gives, warnings CivisML recorded, the model status as ``state``, and
cancelling."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from civisml_server import CivisMLServer
from files_server import Run

from civis.base import CivisJobFailure
from civis.io import file_to_civis
from civis.ml import ModelError, ModelFuture

OTHER_TEMPLATE = 10_001  # not a CivisML template: the server starts no program


def _run(server: CivisMLServer, client: Any, state: str = "running") -> Run:
    job = int(client.scripts.post_custom(OTHER_TEMPLATE, arguments={}).id)
    with server.lock:
        run = Run(next(server.ids), job, state)
        server.runs[run.id] = run
    return run


def _attach(server: CivisMLServer, client: Any, run: Run, name: str, value: Any) -> None:
    data = value if isinstance(value, bytes) else json.dumps(value).encode()
    file_id = file_to_civis(io.BytesIO(data), name, client=client)
    run.outputs.append({"objectType": "File", "objectId": file_id, "name": name})


def test_failed_run_without_model_info(ml_server: CivisMLServer, ml_client: Any) -> None:
    run = _run(ml_server, ml_client)
    fut = ModelFuture(run.job_id, run.id, client=ml_client, polling_interval=0.05)
    ml_server.set_state(run.id, "failed", error="Process ran out of time")
    with pytest.raises(CivisJobFailure, match="ran out of time") as err:
        fut.result(timeout=30)
    assert not isinstance(err.value, ModelError)
    assert fut.metadata is None and fut.state == "failed"


def test_model_status_warnings_and_metrics(ml_server: CivisMLServer, ml_client: Any) -> None:
    run = _run(ml_server, ml_client)
    _attach(
        ml_server,
        ml_client,
        run,
        "model_info.json",
        {
            "run": {"status": "succeeded", "configuration": {"data": {"primary_key": "id"}}},
            "warnings": [
                "/x/train.py:12: ConvergenceWarning: did not converge",
                "/x/train.py:40: RuntimeWarning: overflow",
            ],
        },
    )
    _attach(ml_server, ml_client, run, "metrics.json", {"metrics": {"roc_auc": 0.75}})
    import gzip

    _attach(
        ml_server, ml_client, run, "predictions.csv.gz", gzip.compress(b"id,y_1\na,0.25\nb,0.5\n")
    )
    fut = ModelFuture(run.job_id, run.id, client=ml_client, polling_interval=0.05)
    ml_server.set_state(run.id, "succeeded")
    fut.result(timeout=30)
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert fut.metadata["run"]["status"] == "succeeded"
    assert fut.metrics == {"roc_auc": 0.75} and fut.state == "succeeded"
    table = fut.table
    assert table.index.name == "id" and table["y_1"].tolist() == [0.25, 0.5]
    assert fut.table is table  # downloaded once
    assert fut.train_data is None  # no location recorded


def test_exception_status_is_a_model_error(ml_server: CivisMLServer, ml_client: Any) -> None:
    run = _run(ml_server, ml_client)
    _attach(
        ml_server,
        ml_client,
        run,
        "model_info.json",
        {
            "run": {"status": "exception", "stack_trace": "Traceback: KeyError 'y'"},
            "error": "The target column 'y' is not in the data.",
        },
    )
    fut = ModelFuture(run.job_id, run.id, client=ml_client, polling_interval=0.05)
    # Even when the platform run itself succeeded, the model did not.
    ml_server.set_state(run.id, "succeeded")
    with pytest.raises(ModelError, match="KeyError 'y'") as err:
        fut.result(timeout=30)
    assert err.value.estimator is None
    assert fut.failed() and fut.state == "exception"


def test_cancel(ml_server: CivisMLServer, ml_client: Any) -> None:
    run = _run(ml_server, ml_client)
    fut = ModelFuture(run.job_id, run.id, client=ml_client, polling_interval=0.05)
    assert fut.cancel() and fut.cancelled()
    assert ml_server.runs[run.id].state == "cancelled"
    assert fut.metadata is None
