"""CivisML scenario, the tour's section 3 through `civis.ml` (the official client, or
ours once it has `civis.ml.ModelPipeline`), unchanged, against our server.

- The training table made by SQL: the Brandable users joined to the pilot's labels.
- Three models (sparse_logistic, random_forest_classifier, extra_trees_classifier)
  trained at once, their ROC AUC read as they complete (``as_completed``).
- The best model scores every user; the top 5% by ``upgrade_1`` from ``predict.table``.
- A regression model, a failed model (missing target) as ``ModelError``.

Environment: CIVIS_API_ENDPOINT, CIVIS_API_KEY, ML_DATABASE (the database name),
ML_SCHEMA (a fresh schema for the training table).
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, finish
from civis.ml import ModelPipeline

import civis

client = civis.APIClient()
DATABASE = os.environ["ML_DATABASE"]
TRAINING = f"{os.environ['ML_SCHEMA']}.brandable_training_data"
MODELS = ["sparse_logistic", "random_forest_classifier", "extra_trees_classifier"]
STATE: dict[str, object] = {}


@check("the training table is made by SQL from the users and the pilot labels")
def _training_table() -> None:
    schema = TRAINING.split(".")[0]
    civis.io.query_civis(
        f"CREATE SCHEMA IF NOT EXISTS {schema}", database=DATABASE, client=client
    ).result()
    sql = (
        f"CREATE TABLE {TRAINING} AS (SELECT u.*, p.upgrade "
        "FROM brandable_customers.brandable_all_users u "
        "JOIN brandable_customers.brandable_pilot p "
        "ON p.brandable_user_id = u.brandable_user_id)"
    )
    assert civis.io.query_civis(sql, database=DATABASE, client=client).result().state in (
        "succeeded",
        "success",
    )


@check("three models train at once and report ROC AUC as they complete")
def _train() -> None:
    models = {}
    for m in MODELS:
        model = ModelPipeline(
            model=m,
            dependent_variable="upgrade",
            primary_key="brandable_user_id",
            excluded_columns=["residential_zip"],
            model_name=f'"{m}" model for upgrade',
            client=client,
        )
        train = model.train(table_name=TRAINING, database_name=DATABASE)
        models[train] = model
    aucs = {}
    for train in as_completed(models):
        assert train.succeeded(), train.exception()
        assert train.metadata["data"]["target_columns"][0] == "upgrade"
        aucs[train.metrics["roc_auc"]] = train
    assert len(aucs) == 3 and min(aucs) > 0.65, aucs
    STATE["best"] = models[aucs[max(aucs)]]


@check("the best model scores every user and the top 5% are selected")
def _predict() -> None:
    best = STATE["best"]
    predict = best.predict(  # type: ignore[attr-defined]
        table_name="brandable_customers.brandable_all_users",
        database_name=DATABASE,
        primary_key="brandable_user_id",
    )
    table = predict.table
    assert len(table) == 94920, len(table)
    most_likely = table.sort_values(by="upgrade_1", ascending=False)[: int(0.05 * len(table))]
    assert len(most_likely) == 4746
    assert most_likely.iloc[-1, 0] > table["upgrade_1"].median()


@check("a regression model trains and reports r squared")
def _regression() -> None:
    model = ModelPipeline(
        model="sparse_ridge_regressor",
        dependent_variable="income",
        excluded_columns=["brandable_user_id", "residential_zip", "upgrade"],
        client=client,
    )
    train = model.train(table_name=TRAINING, database_name=DATABASE)
    assert train.exception() is None and train.succeeded()  # exception() waits
    assert "r_squared" in train.metrics and "rmse" in train.metrics


@check("a missing target column is a ModelError with the stack trace")
def _bad_target() -> None:
    from civis.ml import ModelError

    model = ModelPipeline(model="sparse_logistic", dependent_variable="not_a_column", client=client)
    train = model.train(table_name=TRAINING, database_name=DATABASE)
    exc = train.exception()
    assert isinstance(exc, ModelError), repr(exc)
    assert "not_a_column" in str(exc)


finish()
