"""CivisML scenario: the 2017 tour's section 3, under either client, against our server.

Three models (sparse_logistic, random_forest_classifier, extra_trees_classifier) train at
once on the Brandable pilot (about 10,000 labelled users of 94,920); their ROC AUCs are
read as the trainings finish (``concurrent.futures.as_completed``); the best model scores
every user and the top 5% are picked from ``predict.table``. Then a regression model, a
user-supplied scikit-learn estimator, and bad input that must fail clearly.

Environment: CIVIS_API_ENDPOINT, CIVIS_API_KEY, ML_DATABASE (a database holding the
``brandable_customers`` demo tables), ML_SCHEMA (a fresh schema for the training table).
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings
from concurrent.futures import as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _checks import REPORT, check, expect_raises, finish

warnings.simplefilter("ignore", FutureWarning)  # the official civis.ml is deprecated

import civis  # noqa: E402
from civis.base import CivisJobFailure  # noqa: E402
from civis.ml import ModelError, ModelPipeline  # noqa: E402

DATABASE = os.environ["ML_DATABASE"]
N_USERS = 94_920
MODELS = ["sparse_logistic", "random_forest_classifier", "extra_trees_classifier"]
# Small forests keep the scenario quick; the tour used CivisML's defaults.
PARAMS = {
    "random_forest_classifier": {"n_estimators": 30, "max_depth": 8},
    "extra_trees_classifier": {"n_estimators": 30, "max_depth": 8},
}
DV = "upgrade"
PKEY = "brandable_user_id"
EXCLUDE = ["residential_zip"]
SCHEMA = os.environ.get("ML_SCHEMA") or f"brandable_upgrades_{uuid.uuid4().hex[:8]}"
TRAINING_TABLE = f"{SCHEMA}.brandable_training_data"
client = civis.APIClient()
STATE: dict[str, object] = {}


@check("training table made from the pilot labels")
def _() -> None:
    sql = (
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}; "
        f"DROP TABLE IF EXISTS {TRAINING_TABLE}; "
        f"CREATE TABLE {TRAINING_TABLE} AS "
        "(SELECT u.*, p.upgrade FROM brandable_customers.brandable_all_users u "
        "JOIN brandable_customers.brandable_pilot p "
        "ON p.brandable_user_id = u.brandable_user_id)"
    )
    state = civis.io.query_civis(sql, database=DATABASE, client=client).result().state
    assert state in ("succeeded", "success"), state


@check("the other models start (they train beside the tour's three)")
def _() -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    regression = ModelPipeline(
        "sparse_linear_regressor",
        "avg_session_minutes",
        primary_key=PKEY,
        excluded_columns=[*EXCLUDE, DV],
        client=client,
    )
    own = ModelPipeline(
        Pipeline([("impute", SimpleImputer()), ("logit", LogisticRegression())]),
        DV,
        primary_key=PKEY,
        excluded_columns=[*EXCLUDE, "plan", "region", "device"],
        model_name="own logistic",
        client=client,
    )
    bad_target = ModelPipeline("sparse_logistic", "no_such_column", client=client)
    bad_model = ModelPipeline("no_such_model", DV, client=client)
    STATE["regression"] = regression
    STATE["own"] = own
    STATE["side"] = {
        "regression": regression.train(table_name=TRAINING_TABLE, database_name=DATABASE),
        "own": own.train(table_name=TRAINING_TABLE, database_name=DATABASE),
        "bad_target": bad_target.train(table_name=TRAINING_TABLE, database_name=DATABASE),
        "no_table": ModelPipeline("sparse_logistic", DV, client=client).train(
            table_name=f"{SCHEMA}.no_such_table", database_name=DATABASE
        ),
        "bad_model": bad_model.train(table_name=TRAINING_TABLE, database_name=DATABASE),
    }


@check("three models train at once; ROC AUCs read as they finish")
def _() -> None:
    models = {}
    for m in MODELS:
        name = f'"{m}" model for {DV}'
        model = ModelPipeline(
            model=m,
            dependent_variable=DV,
            primary_key=PKEY,
            excluded_columns=EXCLUDE,
            model_name=name,
            parameters=PARAMS.get(m),
            client=client,
        )
        train = model.train(table_name=TRAINING_TABLE, database_name=DATABASE)
        models[train] = model
    assert len({t.job_id for t in models}) == 3
    aucs = {}
    for train in as_completed(models, timeout=900):
        assert train.succeeded(), train.exception()
        assert train.metadata["data"]["target_columns"][0] == DV
        auc = train.metrics["roc_auc"]
        # The label follows a known logistic model: every model finds real signal.
        assert 0.65 < auc < 1.0, (models[train].model_name, auc)
        aucs[auc] = train
    assert len(aucs) == 3
    best = models[aucs[max(aucs)]]
    assert best.model_name in {m.model_name for m in models.values()}
    STATE["best"] = best
    STATE["models"] = models


@check("the best model scores every user; the top 5% come from predict.table")
def _() -> None:
    best = STATE["best"]
    predict = best.predict(
        table_name="brandable_customers.brandable_all_users", database_name=DATABASE
    )
    table = predict.table
    n_users = len(table)
    assert n_users == N_USERS, n_users
    assert table.index.name == PKEY and table.index.is_unique
    assert list(table.columns) == ["upgrade_1"] or "upgrade_1" in table.columns
    most_likely = table.sort_values(by="upgrade_1", ascending=False)[: int(0.05 * n_users)]
    assert len(most_likely) == 4746
    low, high = most_likely["upgrade_1"].iloc[-1], most_likely["upgrade_1"].iloc[0]
    assert 0.0 <= low <= high <= 1.0
    assert low > table["upgrade_1"].median()
    STATE["predict"] = predict


@check("the prediction file is the one model_info.json names")
def _() -> None:
    predict = STATE["predict"]
    file_id = predict.metadata["output_file_ids"][0]
    url = client.files.get(file_id)["file_url"]
    assert url.startswith("http")


@check("a regression model")
def _() -> None:
    model = STATE["regression"]
    train = STATE["side"]["regression"]
    train.result(timeout=600)
    assert train.state == "succeeded"
    metrics = train.metrics
    assert "r_squared" in metrics and "rmse" in metrics, sorted(metrics)
    scores = model.predict(table_name=TRAINING_TABLE, database_name=DATABASE, sql_limit=500).table
    assert len(scores) == 500


@check("a user-supplied scikit-learn estimator")
def _() -> None:
    train = STATE["side"]["own"]
    train.result(timeout=600)
    assert train.metrics["roc_auc"] > 0.6
    assert hasattr(STATE["own"].estimator, "predict_proba")


@check("a missing target column is a ModelError with model_info.json")
def _() -> None:
    train = STATE["side"]["bad_target"]
    err = expect_raises(ModelError, lambda: train.result(timeout=600))
    assert "no_such_column" in str(err)
    assert err.metadata["run"]["status"] == "exception"
    assert train.failed()


@check("a table that does not exist fails clearly")
def _() -> None:
    train = STATE["side"]["no_table"]
    err = expect_raises((ModelError, CivisJobFailure), lambda: train.result(timeout=600))
    assert "no_such_table" in str(err)


@check("an unknown model name fails clearly")
def _() -> None:
    train = STATE["side"]["bad_model"]
    err = expect_raises((ModelError, CivisJobFailure), lambda: train.result(timeout=600))
    assert "no_such_model" in str(err)


@check("training table dropped")
def _() -> None:
    civis.io.query_civis(
        f"DROP TABLE IF EXISTS {TRAINING_TABLE}", database=DATABASE, client=client
    ).result()


REPORT.setdefault("client", "ok")
finish()
