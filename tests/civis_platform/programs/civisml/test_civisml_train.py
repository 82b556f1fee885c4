"""Training through a real server: sandboxed runs of the training program on tables and
files, their outputs, and the honesty of their metrics."""

from __future__ import annotations

import io
from typing import Any

import joblib
import numpy as np
import pyarrow as pa
import pytest
from ml_helpers import civisml, ml_user, source, upload, write_table
from platform_helpers import unique
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from civis_platform.demo_data import brandable_customers
from civis_platform.programs.civisml.models import CLASSIFIERS, REGRESSORS, build
from civis_platform.programs.civisml.search import folds
from civis_platform.testing import ThreadedServer

EXCLUDE = "kind amount constant"


def test_sparse_logistic_trains_on_a_table(server: ThreadedServer, small: dict[str, Any]) -> None:
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
    assert set(done.outputs) >= {
        "model_info.json",
        "metrics.json",
        "estimator.pkl",
        "predictions.csv.gz",
    }
    info = done.json("model_info.json")
    assert info["run"]["status"] == "succeeded"
    assert info["data"]["target_columns"] == ["label"]
    assert info["run"]["configuration"]["data"]["primary_key"] == "id"
    assert info["model"]["feature_columns"] == ["x1", "x2", "color"]
    metrics = done.json("metrics.json")["metrics"]
    assert 0.75 < metrics["roc_auc"] <= 1.0
    assert len(metrics["deciles"]) == 10 and metrics["deciles"][0] > metrics["deciles"][-1]
    assert np.array(metrics["confusion_matrix"]).sum() == 300
    predictions = done.frame()
    assert list(predictions.columns) == ["id", "label_0", "label_1"]
    assert len(predictions) == 300
    np.testing.assert_allclose(predictions[["label_0", "label_1"]].sum(axis=1), 1.0)
    estimator = joblib.load(io.BytesIO(done.raw("estimator.pkl")))
    frame = small["arrow"].to_pandas()[["x1", "x2", "color"]]
    assert estimator.predict_proba(frame).shape == (300, 2)


@pytest.mark.parametrize("model", CLASSIFIERS + REGRESSORS)
def test_every_predefined_model_trains(
    server: ThreadedServer, small: dict[str, Any], model: str
) -> None:
    user = ml_user(server)
    target = "label" if model in CLASSIFIERS else "amount"
    exclude = " ".join(c for c in ("label", "kind", "amount", "constant") if c != target)
    done = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN=target,
            PRIMARY_KEY="id",
            MODEL=model,
            EXCLUDE_COLS=exclude,
        ),
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    metrics = done.json("metrics.json")["metrics"]
    if model in CLASSIFIERS:
        assert metrics["roc_auc"] > 0.7 and metrics["log_loss"] >= 0
        assert set(metrics) >= {
            "accuracy",
            "brier_score",
            "roc_curve",
            "calibration_curve",
            "score_histogram",
        }
    else:
        assert metrics["r_squared"] > 0.5 and metrics["r"] > 0.7
        assert metrics["rmse"] >= metrics["mae"] > 0


def test_roc_auc_is_that_of_cross_val_predict_on_the_demo_data(server: ThreadedServer) -> None:
    tables = brandable_customers()
    users = tables["brandable_all_users"].to_pandas()
    training = users.merge(tables["brandable_pilot"].to_pandas(), on="brandable_user_id")
    schema = unique("brandable")
    db = write_table(
        server, schema, "training", pa.Table.from_pandas(training, preserve_index=False)
    )
    user = ml_user(server)
    done = civisml(
        user.api,
        "train",
        {
            "TABLE_NAME": f"{schema}.training",
            "DB": {"database": db},
            "TARGET_COLUMN": "upgrade",
            "PRIMARY_KEY": "brandable_user_id",
            "MODEL": "sparse_logistic",
            "EXCLUDE_COLS": "residential_zip",
        },
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    auc = done.json("metrics.json")["metrics"]["roc_auc"]
    features = training.drop(columns=["brandable_user_id", "residential_zip", "upgrade"])
    expected = cross_val_predict(
        build("sparse_logistic"),
        features,
        training["upgrade"],
        cv=folds(True),
        method="predict_proba",
    )[:, 1]
    assert auc > 0.7
    assert abs(auc - roc_auc_score(training["upgrade"], expected)) < 1e-6
    scores = done.frame().set_index("brandable_user_id")["upgrade_1"]
    np.testing.assert_allclose(scores.loc[training["brandable_user_id"]], expected, atol=1e-6)


def test_multiclass_and_several_targets(server: ThreadedServer, small: dict[str, Any]) -> None:
    user = ml_user(server)
    done = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN="kind label",
            MODEL="random_forest_classifier",
            EXCLUDE_COLS="amount constant id",
        ),
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    metrics = done.json("metrics.json")["metrics"]
    kind_auc, label_auc = metrics["roc_auc"]
    assert len(kind_auc) == 3 and all(a > 0.7 for a in kind_auc) and label_auc > 0.7
    assert list(done.frame().columns) == ["kind_0", "kind_1", "kind_2", "label_0", "label_1"]
    info = done.json("model_info.json")
    assert info["model"]["class_names"] == {"kind": [0, 1, 2], "label": [0, 1]}


def test_search_calibration_and_params(server: ThreadedServer, small: dict[str, Any]) -> None:
    user = ml_user(server)
    grid = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN="label",
            MODEL="sparse_logistic",
            EXCLUDE_COLS=EXCLUDE,
            CVPARAMS='{"C": [0.001, 10.0]}',
            CALIBRATION="sigmoid",
            PARAMS='{"max_iter": 200}',
        ),
    )
    assert grid.state == "succeeded", (grid.run, grid.logs()[-20:])
    info = grid.json("model_info.json")
    assert info["model"]["best_params"] == {"model__estimator__C": 10.0}
    estimator = joblib.load(io.BytesIO(grid.raw("estimator.pkl")))
    assert type(estimator.named_steps["model"]).__name__ == "CalibratedClassifierCV"
    assert estimator.get_params()["model__estimator__max_iter"] == 200
    halving = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN="label",
            MODEL="extra_trees_classifier",
            EXCLUDE_COLS=EXCLUDE,
            CVPARAMS='"hyperband"',
            N_JOBS=2,
        ),
    )
    assert halving.state == "succeeded", (halving.run, halving.logs()[-20:])
    assert halving.json("metrics.json")["metrics"]["roc_auc"] > 0.7
    assert "model__n_estimators" in halving.json("model_info.json")["model"]["best_params"]


def test_a_feather_file_where_limit_and_an_oos_table(
    server: ThreadedServer, small: dict[str, Any]
) -> None:
    user = ml_user(server)
    frame = small["arrow"].to_pandas()
    buf = io.BytesIO()
    frame.to_feather(buf)
    file_id = upload(user.api, "modelpipeline_data.feather", buf.getvalue())
    from_file = civisml(
        user.api,
        "train",
        {
            "CIVIS_FILE_ID": file_id,
            "TARGET_COLUMN": "amount",
            "PRIMARY_KEY": "id",
            "MODEL": "sparse_ridge_regressor",
            "EXCLUDE_COLS": "label kind constant",
            "VALIDATION_DATA": "skip",
        },
    )
    assert from_file.state == "succeeded", (from_file.run, from_file.logs()[-20:])
    assert "metrics.json" not in from_file.outputs and "estimator.pkl" in from_file.outputs
    schema = unique("oos")
    db = small["db"]
    limited = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN="label",
            PRIMARY_KEY="id",
            MODEL="sparse_logistic",
            EXCLUDE_COLS=EXCLUDE,
            WHERESQL="x2 > -1",
            LIMITSQL="100",
            OOSTABLE=f"{schema}.scores",
            OOSDB={"database": db},
        ),
    )
    assert limited.state == "succeeded", (limited.run, limited.logs()[-20:])
    assert limited.json("model_info.json")["data"]["n_rows"] == 100
    assert len(limited.frame()) == 100
    written = server.app.state.platform.warehouses.get(db).describe_table(schema, "scores")
    assert written.row_count == 100
    assert [c.name for c in written.columns] == ["id", "label_0", "label_1"]


def test_a_users_own_estimator(server: ThreadedServer, small: dict[str, Any]) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    user = ml_user(server)
    buf = io.BytesIO()
    joblib.dump(HistGradientBoostingClassifier(max_iter=50), buf, compress=3)
    file_id = upload(user.api, "Estimator for mine", buf.getvalue())
    done = civisml(
        user.api,
        "train",
        source(
            small,
            TARGET_COLUMN="label",
            MODEL=str(file_id),
            EXCLUDE_COLS=EXCLUDE,
        ),
    )
    assert done.state == "succeeded", (done.run, done.logs()[-20:])
    assert done.json("metrics.json")["metrics"]["roc_auc"] > 0.7
    assert done.json("model_info.json")["model"]["type"] == "classification"
