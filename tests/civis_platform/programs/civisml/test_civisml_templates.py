"""The CivisML templates as the official client finds and runs them: seeded at init
with their aliases and fixed ids, a custom script made from the training template,
run and polled through ``/scripts/containers``; and one training on the Dask executor."""

from __future__ import annotations

from typing import Any

import pytest
from ml_helpers import EXCLUDE_SMALL, MlRun, ml_user, source, wait

from civis_platform.programs.civisml.templates import PREDICTION, REGISTRATION, TRAINING
from civis_platform.testing import ThreadedServer


def _aliases(api: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    page = 1
    while True:
        listed = api.get("aliases", params={"object_type": "template_script", "page_num": page})
        assert listed.status_code == 200, listed.text
        if not listed.json():
            return found
        found |= {a["alias"]: a["objectId"] for a in listed.json()}
        page += 1


def test_the_templates_are_found_by_alias(server: ThreadedServer) -> None:
    user = ml_user(server)
    aliases = _aliases(user.api)
    for entry in (TRAINING, PREDICTION, REGISTRATION):
        assert aliases[entry.alias] == entry.id > 10583
        got = user.api.get(f"templates/scripts/{entry.id}")
        assert got.status_code == 200, got.text
        assert got.json()["name"] == entry.name


def _custom_run(api: Any, template: int, arguments: dict[str, Any]) -> MlRun:
    made = api.post(
        "scripts/custom",
        json={
            "from_template_id": template,
            "name": "m Train",
            "arguments": arguments,
            "notifications": {},
        },
    )
    assert made.status_code in (200, 201), made.text
    job = int(made.json()["id"])
    started = api.post(f"scripts/custom/{job}/runs")
    assert started.status_code in (200, 201, 202), started.text
    final = wait(api, job, int(started.json()["id"]), 300)
    listed = api.get(f"jobs/{job}/runs/{final['id']}/outputs").json()
    outputs = {o["name"]: int(o["objectId"]) for o in listed if o["objectType"] == "File"}
    return MlRun(api, job, final, outputs)


def test_train_and_predict_from_the_templates(
    server: ThreadedServer, small: dict[str, Any]
) -> None:
    user = ml_user(server)
    train = _custom_run(
        user.api,
        TRAINING.id,
        source(
            small,
            TARGET_COLUMN="label",
            PRIMARY_KEY="id",
            MODEL="sparse_logistic",
            EXCLUDE_COLS=EXCLUDE_SMALL,
            PARAMS="{}",
            CVPARAMS="{}",
            IF_EXISTS="fail",
            VALIDATION_DATA="train",
            N_JOBS=1,
            CALIBRATION=None,
            DEBUG=False,
        ),
    )
    assert train.state == "succeeded", (train.run, train.logs()[-20:])
    assert train.json("metrics.json")["metrics"]["roc_auc"] > 0.75
    predict = _custom_run(
        user.api,
        PREDICTION.id,
        source(
            small,
            TRAIN_JOB=train.job,
            TRAIN_RUN=train.run["id"],
            PRIMARY_KEY="id",
        ),
    )
    assert predict.state == "succeeded", (predict.run, predict.logs()[-20:])
    assert len(predict.frame()) == 300


@pytest.mark.parametrize("executor_server", ["dask"], indirect=True)
def test_training_on_the_dask_executor(executor_server: ThreadedServer) -> None:
    import numpy as np
    import pyarrow as pa
    from ml_helpers import civisml, write_table
    from platform_helpers import unique

    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    table = pa.table({"x": x, "y": (x + rng.normal(size=200) > 0).astype(int)})
    schema = unique("dask")
    db = write_table(executor_server, schema, "t", table)
    user = ml_user(executor_server)
    done = civisml(
        user.api,
        "train",
        {
            "TABLE_NAME": f"{schema}.t",
            "DB": {"database": db},
            "TARGET_COLUMN": "y",
            "MODEL": "sparse_logistic",
        },
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    assert done.json("metrics.json")["metrics"]["roc_auc"] > 0.75
