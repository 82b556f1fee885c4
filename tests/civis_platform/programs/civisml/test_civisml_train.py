"""Training through a real server: sandboxed runs of the training program on tables and
files, their outputs, and the honesty of their metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from ml_helpers import civisml, ml_user, write_table
from platform_helpers import unique

from civis_platform.testing import ThreadedServer


@pytest.fixture(scope="module")
def small(server: ThreadedServer) -> dict[str, Any]:
    """A 300-row mixed-type table with a binary, a three-class and a numeric target."""
    rng = np.random.default_rng(7)
    n = 300
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], n)
    signal = 1.5 * x1 - x2 + (color == "red")
    table = pa.table(
        {
            "id": np.arange(n),
            "x1": np.where(rng.random(n) < 0.05, np.nan, x1),
            "x2": x2,
            "color": color,
            "label": (signal + rng.normal(size=n) > 0).astype(int),
            "kind": np.digitize(signal, [-0.7, 0.7]),
            "amount": 3 * x1 + 2 * x2 + rng.normal(size=n),
        }
    )
    schema = unique("ml")
    db = write_table(server, schema, "small", table)
    return {"table": f"{schema}.small", "db": db}


def test_sparse_logistic_trains_on_a_table(server: ThreadedServer, small: dict[str, Any]) -> None:
    user = ml_user(server)
    done = civisml(
        user.api,
        "train",
        {
            "TABLE_NAME": small["table"],
            "DB": {"database": small["db"]},
            "TARGET_COLUMN": "label",
            "PRIMARY_KEY": "id",
            "MODEL": "sparse_logistic",
            "EXCLUDE_COLS": "kind amount",
        },
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
    predictions = done.frame()
    assert list(predictions.columns) == ["id", "label_0", "label_1"]
    assert len(predictions) == 300
    np.testing.assert_allclose(predictions[["label_0", "label_1"]].sum(axis=1), 1.0)
