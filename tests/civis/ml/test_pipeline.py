"""ModelPipeline and ModelFuture against a loopback server running the real CivisML
programs: the wire (arguments, polling paths), training, metrics, scoring, failures."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from civis.base import CivisAPIError
from civis.ml import ModelError, ModelFuture, ModelPipeline
from civisml_server import TEMPLATES, CivisMLServer

TIMEOUT = 240


def _custom_bodies(server: CivisMLServer) -> list[dict[str, Any]]:
    return [s for s in server.scripts.values()]


def _train(client: Any, users: Any, model: Any = "sparse_logistic", **kwargs: Any) -> Any:
    pipe = ModelPipeline(model, "upgrade", primary_key="user_id", client=client,
                         model_name="upgrade model", **kwargs)
    return pipe, pipe.train(df=users, polling_interval=0.2)


def test_templates_come_from_aliases(ml_server: CivisMLServer, ml_client: Any) -> None:
    pipe = ModelPipeline("sparse_logistic", "upgrade", client=ml_client)
    assert pipe.train_template_id == TEMPLATES["training"]
    assert pipe.predict_template_id == TEMPLATES["prediction"]
    assert pipe.dependent_variable == ["upgrade"]
    with pytest.raises(ValueError, match="civisml_version"):
        ModelPipeline("sparse_logistic", "upgrade", client=ml_client, civisml_version="v9.9")
    # The aliases are asked once per client (pages until an empty one).
    asked = len(ml_server.requests_to("GET", "/aliases/?"))
    ModelPipeline("random_forest_classifier", "upgrade", client=ml_client)
    assert len(ml_server.requests_to("GET", "/aliases/?")) == asked


def test_versioned_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    from files_server import make_client

    aliases = [{"id": 1, "objectId": 20001, "objectType": "template_script",
                "alias": "civis-civisml-training-v2-3"},
               {"id": 2, "objectId": 20002, "objectType": "template_script",
                "alias": "civis-civisml-prediction-v2-3"},
               {"id": 3, "objectId": 5, "objectType": "template_script",
                "alias": "not-civisml"}]
    with CivisMLServer(aliases=aliases) as server:
        client = make_client(server, monkeypatch)
        pipe = ModelPipeline("sparse_logistic", "y", client=client, civisml_version="v2.3")
        assert (pipe.train_template_id, pipe.predict_template_id) == (20001, 20002)
        with pytest.raises(ValueError):
            ModelPipeline("sparse_logistic", "y", client=client)  # no latest version
    with CivisMLServer(aliases=[]) as server:
        client = make_client(server, monkeypatch)
        with pytest.raises(CivisAPIError) as err:
            ModelPipeline("sparse_logistic", "y", client=client)
        assert err.value.status_code == 404
        assert "No CivisML template" in str(err.value)


def test_train_metrics_estimator_and_scores(ml_server: CivisMLServer, ml_client: Any,
                                            users: Any) -> None:
    import numpy as np

    pipe, train = _train(ml_client, users, parameters={"C": 1.0})
    assert isinstance(train, ModelFuture) and pipe.train_result_ is train
    assert train.is_training and train.train_job_id == train.job_id
    (script,) = _custom_bodies(ml_server)
    assert script["fromTemplateId"] == TEMPLATES["training"]
    assert script["name"] == "upgrade model Train"
    args = script["arguments"]
    file_id = args.pop("CIVIS_FILE_ID")
    assert ml_server.files[file_id].name == "modelpipeline_data.feather"
    assert args == {"TABLE_NAME": None, "DEBUG": False, "MODEL": "sparse_logistic",
                    "TARGET_COLUMN": "upgrade", "PRIMARY_KEY": "user_id",
                    "PARAMS": '{"C": 1.0}', "CVPARAMS": "{}", "CALIBRATION": None,
                    "IF_EXISTS": "fail", "VALIDATION_DATA": "train"}
    train.result(timeout=TIMEOUT)
    # Polled through the container-run endpoint, as the official client does.
    assert ml_server.requests_to("GET", rf"/scripts/containers/{train.job_id}/runs/"
                                        rf"{train.run_id}/?")
    assert train.succeeded() and train.state == "succeeded" and pipe.state == "succeeded"
    assert train.metadata["run"]["status"] == "succeeded"
    assert train.metadata["data"]["target_columns"] == ["upgrade"]
    assert 0.7 < train.metrics["roc_auc"] <= 1.0
    assert train.validation_metadata["metrics"] is train.metrics
    estimator = pipe.estimator
    proba = estimator.predict_proba(users.drop(columns=["user_id", "upgrade"]))
    assert proba.shape == (len(users), 2)
    oos = train.table
    assert len(oos) == len(users) and oos.index.name == "user_id"
    assert set(oos.index) == set(users["user_id"])
    assert np.isfinite(oos.to_numpy(dtype=float)).all()
    # The training data is the uploaded frame.
    assert train.train_data["usage"].tolist() == pytest.approx(users["usage"].tolist())


def test_predict_scores_every_row(ml_server: CivisMLServer, ml_client: Any,
                                  users: Any) -> None:
    pipe, train = _train(ml_client, users)
    predict = pipe.predict(df=users.drop(columns=["upgrade"]), polling_interval=0.2)
    assert not predict.is_training
    assert (predict.train_job_id, predict.train_run_id) == (train.job_id, train.run_id)
    body = ml_server.scripts[predict.job_id]
    assert body["fromTemplateId"] == TEMPLATES["prediction"]
    assert body["name"] == "upgrade model Predict"
    assert {k: body["arguments"][k] for k in ("TRAIN_JOB", "TRAIN_RUN", "PRIMARY_KEY",
                                              "IF_EXISTS")} == {
        "TRAIN_JOB": train.job_id, "TRAIN_RUN": train.run_id, "PRIMARY_KEY": "user_id",
        "IF_EXISTS": "fail"}
    table = predict.table
    assert len(table) == len(users) and table.index.name == "user_id"
    assert "upgrade_1" in table.columns
    assert ((table["upgrade_1"] >= 0) & (table["upgrade_1"] <= 1)).all()
    top = table.sort_values("upgrade_1", ascending=False)[: int(0.05 * len(table))]
    assert len(top) == 20
    # Scores agree with the trained estimator, row by row.
    expected = pipe.estimator.predict_proba(users.drop(columns=["user_id", "upgrade"]))[:, 1]
    got = table.loc[users["user_id"], "upgrade_1"].to_numpy()
    assert got == pytest.approx(expected, abs=1e-9)
    # The prediction future also exposes the training run's metrics.
    assert predict.metrics["roc_auc"] == train.metrics["roc_auc"]


def test_bad_target_is_a_model_error(ml_server: CivisMLServer, ml_client: Any,
                                     users: Any) -> None:
    pipe = ModelPipeline("sparse_logistic", "no_such_column", client=ml_client)
    train = pipe.train(df=users, polling_interval=0.2)
    with pytest.raises(ModelError) as err:
        train.result(timeout=TIMEOUT)
    assert "no_such_column" in str(err.value)
    assert err.value.metadata["run"]["status"] == "exception"
    assert train.failed() and not train.succeeded()
    assert train.state == "failed"
    assert isinstance(train.exception(), ModelError)
    with pytest.raises(ModelError):
        pipe.predict(df=users)


def test_unknown_model_name_is_a_model_error(ml_client: Any, users: Any) -> None:
    train = ModelPipeline("no_such_model", "upgrade", client=ml_client).train(
        df=users, polling_interval=0.2)
    with pytest.raises(ModelError, match="no_such_model"):
        train.result(timeout=TIMEOUT)


def test_user_supplied_estimator(ml_server: CivisMLServer, ml_client: Any,
                                 users: Any) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    est = Pipeline([
        ("prep", ColumnTransformer([("plan", OneHotEncoder(), ["plan"])],
                                   remainder="passthrough")),
        ("rf", RandomForestClassifier(n_estimators=10, random_state=0)),
    ])
    pipe, train = _train(ml_client, users, model=est)
    model_arg = ml_server.scripts[train.job_id]["arguments"]["MODEL"]
    assert isinstance(model_arg, str) and model_arg.isdigit()
    assert ml_server.files[int(model_arg)].name == "Estimator for upgrade model"
    train.result(timeout=TIMEOUT)
    assert train.metrics["roc_auc"] > 0.6
    fitted = pipe.estimator
    assert fitted.named_steps["rf"].n_estimators == 10


def test_regression(ml_client: Any, users: Any) -> None:
    pipe = ModelPipeline("sparse_linear_regressor", "age", primary_key="user_id",
                         client=ml_client)
    train = pipe.train(df=users, polling_interval=0.2)
    train.result(timeout=TIMEOUT)
    assert set(train.metrics) >= {"r", "r_squared", "rmse", "mae"} or train.metrics
    predict = pipe.predict(df=users, polling_interval=0.2)
    assert len(predict.table) == len(users)


def test_pickling_and_from_existing(ml_server: CivisMLServer, ml_client: Any,
                                    users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pipe, train = _train(ml_client, users, excluded_columns=["age"])
    train.result(timeout=TIMEOUT)
    auc = train.metrics["roc_auc"]
    # Pickles hold no client: a copy makes one from the environment.
    copy = pickle.loads(pickle.dumps(pipe))
    assert copy._client is None and copy.model_name == "upgrade model"
    assert copy.train_result_.metrics["roc_auc"] == auc
    future = pickle.loads(pickle.dumps(train))
    assert future.succeeded() and future.metrics["roc_auc"] == auc
    again = ModelPipeline.from_existing(train.job_id, client=ml_client)
    assert again.model == "sparse_logistic" and again.dependent_variable == ["upgrade"]
    assert again.primary_key == "user_id" and again.model_name == "upgrade model"
    assert again.excluded_columns == ["age"]
    assert again.train_result_.run_id == train.run_id
    assert again.train_result_.metrics["roc_auc"] == auc
    with pytest.raises(ValueError, match="no Civis Platform job"):
        ModelPipeline.from_existing(999999, client=ml_client)


def test_register_pretrained_model(ml_server: CivisMLServer, ml_client: Any,
                                   users: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    features = ["usage", "age"]
    est = LogisticRegression().fit(users[features], users["upgrade"])
    pipe = ModelPipeline.register_pretrained_model(
        est, "upgrade", features=features, client=ml_client)
    (reg,) = [s for s in ml_server.scripts.values()
              if s["fromTemplateId"] == TEMPLATES["registration"]]
    assert reg["name"] == "Pretrained LogisticRegression model for CivisML"
    assert reg["arguments"]["FEATURE_COLUMNS"] == "usage age"
    assert ml_server.files[int(reg["arguments"]["MODEL_FILE_ID"])].name == "estimator.pkl"
    predict = pipe.predict(df=users[["user_id", *features]], primary_key="user_id",
                           polling_interval=0.2)
    table = predict.table
    assert table.loc[users["user_id"], "upgrade_1"].to_numpy() == pytest.approx(
        est.predict_proba(users[features])[:, 1])


def test_bad_input_is_refused_before_any_run(ml_server: CivisMLServer, ml_client: Any,
                                             users: Any) -> None:
    pipe = ModelPipeline("sparse_logistic", "upgrade", client=ml_client)
    with pytest.raises(ValueError, match="source of data"):
        pipe.train()
    with pytest.raises(ValueError, match="single source"):
        pipe.train(df=users, file_id=3)
    with pytest.raises(ValueError, match="database_name"):
        pipe.train(table_name="s.t")
    with pytest.raises(ValueError, match="if_exists"):
        pipe.train(df=users, if_exists="replace")
    with pytest.raises(ValueError, match="trained"):
        pipe.predict(df=users)
    with pytest.raises(ValueError, match="trained"):
        _ = pipe.estimator
    assert not ml_server.scripts


def test_table_arguments_name_the_database(ml_server: CivisMLServer, ml_client: Any) -> None:
    pipe = ModelPipeline("sparse_logistic", ["a", "b"], client=ml_client,
                         cross_validation_parameters="hyperband", cpu_requested=2048,
                         dependencies=["pkg1", "pkg2"], git_token_name="github")
    fut = pipe.train(table_name="s.t", database_name="Warehouse", sql_where="x > 1",
                     sql_limit=10, oos_scores="s.oos", oos_scores_db="Warehouse",
                     fit_params={"sample_weight": "w"}, n_jobs=2, polling_interval=0.2)
    args = ml_server.scripts[fut.job_id]["arguments"]
    assert args["DB"] == {"database": 3} and args["OOSDB"] == {"database": 3}
    assert args["TARGET_COLUMN"] == "a b" and args["CVPARAMS"] == json.dumps("hyperband")
    assert args["REQUIRED_CPU"] == 2048 and "REQUIRED_MEMORY" not in args
    assert args["DEPENDENCIES"] == "pkg1 pkg2" and args["GIT_CRED"] == 77
    assert args["WHERESQL"] == "x > 1" and args["LIMITSQL"] == 10
    assert args["FIT_PARAMS"] == '{"sample_weight": "w"}' and args["N_JOBS"] == 2
    # No warehouse here: the program fails, with a clear error and model_info.json.
    with pytest.raises(ModelError) as err:
        fut.result(timeout=TIMEOUT)
    assert err.value.metadata["run"]["status"] == "exception"
