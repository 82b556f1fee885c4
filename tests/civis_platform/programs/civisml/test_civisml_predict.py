"""Prediction and registration through a real server: a trained model scores a table
to a gzip CSV and an output table; a pretrained estimator is registered and scores;
another user cannot score with someone else's model; training on the Dask executor."""

from __future__ import annotations

import io
from typing import Any

import joblib
import numpy as np
import pytest
from ml_helpers import civisml, ml_user, source, upload
from platform_helpers import unique

from civis_platform.testing import ThreadedServer

EXCLUDE = "kind amount constant"


@pytest.fixture(scope="module")
def trained(server: ThreadedServer, small: dict[str, Any]) -> Any:
    user = ml_user(server)
    done = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN="label",
            PRIMARY_KEY="id",
            MODEL="sparse_logistic",
            EXCLUDE_COLS=EXCLUDE,
        ),
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    return user, done


def test_predict_scores_a_table_to_a_file_and_a_table(
    server: ThreadedServer, small: dict[str, Any], trained: Any
) -> None:
    user, train = trained
    schema = unique("scores")
    done = civisml(
        user.api,
        "predict",
        source(
            small,
            TRAIN_JOB=train.job,
            TRAIN_RUN=train.run["id"],
            PRIMARY_KEY="id",
            OUTPUT_TABLE=f"{schema}.out",
            OUTPUT_DB={"database": small["db"]},
            N_JOBS=1,
        ),
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    info = done.json("model_info.json")
    assert info["output_file_ids"] == [done.outputs["predictions.csv.gz"]]
    assert info["jobs"][0]["run"]["configuration"]["data"]["primary_key"] == "id"
    table = done.frame()
    assert list(table.columns) == ["id", "label_0", "label_1"] and len(table) == 300
    estimator = joblib.load(io.BytesIO(train.raw("estimator.pkl")))
    expected = estimator.predict_proba(small["arrow"].to_pandas()[["x1", "x2", "color"]])
    np.testing.assert_allclose(table[["label_0", "label_1"]].to_numpy(), expected, atol=1e-9)
    written = server.app.state.platform.warehouses.get(small["db"]).describe_table(schema, "out")
    assert written.row_count == 300


def test_large_inputs_are_scored_in_chunks(trained: Any, monkeypatch: Any) -> None:
    import pandas as pd

    from civis_platform.programs.civisml import predict

    _, train = trained
    estimator = joblib.load(io.BytesIO(train.raw("estimator.pkl")))
    frame = pd.DataFrame({"x1": np.linspace(-2, 2, 250), "x2": 0.0, "color": "red"})
    monkeypatch.setattr(predict, "CHUNK_ROWS", 60)
    chunked = predict.score_chunks(estimator, frame, True, 2)[0]
    np.testing.assert_allclose(chunked, estimator.predict_proba(frame))


def test_another_user_cannot_score_with_my_model(
    server: ThreadedServer, small: dict[str, Any], trained: Any
) -> None:
    _, train = trained
    other = ml_user(server)
    done = civisml(
        other.api,
        "predict",
        source(
            small,
            TRAIN_JOB=train.job,
            TRAIN_RUN=train.run["id"],
        ),
    )
    assert done.state == "failed"
    assert f"Could not read the outputs of job {train.job}" in done.run["error"]
    assert "model_info.json" in done.outputs  # its own, with the error


def test_register_a_pretrained_estimator_and_score_with_it(
    server: ThreadedServer, small: dict[str, Any]
) -> None:
    from sklearn.linear_model import LinearRegression

    user = ml_user(server)
    frame = small["arrow"].to_pandas()
    model = LinearRegression().fit(frame[["x2"]], frame["amount"])
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    file_id = upload(user.api, "estimator.pkl", buf.getvalue())
    registered = civisml(
        user.api,
        "register",
        {
            "MODEL_FILE_ID": str(file_id),
            "TARGET_COLUMN": "amount",
            "SKIP_MODEL_CHECK": False,
        },
    )
    assert registered.state == "succeeded", (registered.run, registered.logs()[-20:])
    info = registered.json("model_info.json")
    assert info["model"]["type"] == "regression"
    assert info["model"]["feature_columns"] == ["x2"]
    done = civisml(
        user.api,
        "predict",
        source(
            small,
            TRAIN_JOB=registered.job,
            TRAIN_RUN=registered.run["id"],
            PRIMARY_KEY="id",
            WHERESQL="id < 200",
        ),
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    table = done.frame()
    assert list(table.columns) == ["id", "amount"]
    kept = frame[frame["id"] < 200]
    assert table["id"].tolist() == kept["id"].tolist()
    np.testing.assert_allclose(table["amount"], model.predict(kept[["x2"]]), atol=1e-9)


def test_registering_an_unfitted_estimator_fails_clearly(server: ThreadedServer) -> None:
    from sklearn.linear_model import LinearRegression

    user = ml_user(server)
    buf = io.BytesIO()
    joblib.dump(LinearRegression(), buf)
    file_id = upload(user.api, "estimator.pkl", buf.getvalue())
    done = civisml(user.api, "register", {"MODEL_FILE_ID": str(file_id)})
    assert done.state == "failed"
    assert "is not fitted" in done.json("model_info.json")["error"]
