"""ModelPipeline and ModelFuture against a loopback server running the real CivisML
programs: the wire (arguments, polling paths), training, metrics, scoring, failures.

The runs take seconds each, so the module trains one model (``trained``) that most
tests read, and starts the runs of the failure cases together."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from civisml_server import TEMPLATES, CivisMLServer

from civis.base import CivisAPIError
from civis.ml import ModelError, ModelFuture, ModelPipeline

TIMEOUT = 300
POLL = 0.2


@pytest.fixture(scope="module")
def trained(ml_client: Any, users: Any) -> tuple[ModelPipeline, ModelFuture]:
    pipe = ModelPipeline(
        "sparse_logistic",
        "upgrade",
        primary_key="user_id",
        parameters={"C": 1.0},
        model_name="upgrade model",
        client=ml_client,
    )
    train = pipe.train(df=users, polling_interval=POLL)
    return pipe, train


@pytest.fixture(scope="module")
def predicted(trained: tuple[ModelPipeline, ModelFuture], users: Any) -> ModelFuture:
    pipe, _ = trained
    return pipe.predict(df=users.drop(columns=["upgrade"]), polling_interval=POLL)


def test_templates_come_from_aliases(ml_server: CivisMLServer, ml_client: Any) -> None:
    pipe = ModelPipeline("sparse_logistic", "upgrade", client=ml_client)
    assert pipe.train_template_id == TEMPLATES["training"]
    assert pipe.predict_template_id == TEMPLATES["prediction"]
    assert pipe.dependent_variable == ["upgrade"] and pipe.train_result_ is None
    with pytest.raises(ValueError, match="civisml_version"):
        ModelPipeline("sparse_logistic", "upgrade", client=ml_client, civisml_version="v9.9")
    # The aliases are asked once per client (pages until an empty one).
    asked = len(ml_server.requests_to("GET", "/aliases/?"))
    ModelPipeline("random_forest_classifier", "upgrade", client=ml_client)
    assert len(ml_server.requests_to("GET", "/aliases/?")) == asked


def test_versioned_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    from files_server import make_client

    aliases = [
        {
            "id": 1,
            "objectId": 20001,
            "objectType": "template_script",
            "alias": "civis-civisml-training-v2-3",
        },
        {
            "id": 2,
            "objectId": 20002,
            "objectType": "template_script",
            "alias": "civis-civisml-prediction-v2-3",
        },
        {
            "id": 4,
            "objectId": 30001,
            "objectType": "template_script",
            "alias": "civis-civisml-training-dev",
        },
        {"id": 3, "objectId": 5, "objectType": "template_script", "alias": "not-civisml"},
    ]
    with CivisMLServer(aliases=aliases) as server:
        client = make_client(server, monkeypatch)
        pipe = ModelPipeline("sparse_logistic", "y", client=client, civisml_version="v2.3")
        assert (pipe.train_template_id, pipe.predict_template_id) == (20001, 20002)
        dev = ModelPipeline("sparse_logistic", "y", client=client, civisml_version="dev")
        assert (dev.train_template_id, dev.predict_template_id) == (30001, None)
        with pytest.raises(ValueError):
            ModelPipeline("sparse_logistic", "y", client=client)  # no latest version
    with CivisMLServer(aliases=[]) as server:
        client = make_client(server, monkeypatch)
        with pytest.raises(CivisAPIError) as err:
            ModelPipeline("sparse_logistic", "y", client=client)
        assert err.value.status_code == 404
        assert "No CivisML template" in str(err.value)


def test_train_sends_the_official_arguments(
    ml_server: CivisMLServer, trained: tuple[ModelPipeline, ModelFuture]
) -> None:
    pipe, train = trained
    assert isinstance(train, ModelFuture) and pipe.train_result_ is train
    assert train.is_training and train.train_job_id == train.job_id
    script = ml_server.scripts[train.job_id]
    assert script["fromTemplateId"] == TEMPLATES["training"]
    assert script["name"] == "upgrade model Train"
    args = dict(script["arguments"])
    file_id = args.pop("CIVIS_FILE_ID")
    assert ml_server.files[file_id].name == "modelpipeline_data.feather"
    assert args == {
        "TABLE_NAME": None,
        "DEBUG": False,
        "MODEL": "sparse_logistic",
        "TARGET_COLUMN": "upgrade",
        "PRIMARY_KEY": "user_id",
        "PARAMS": '{"C": 1.0}',
        "CVPARAMS": "{}",
        "CALIBRATION": None,
        "IF_EXISTS": "fail",
        "VALIDATION_DATA": "train",
    }


def test_training_results(
    ml_server: CivisMLServer, trained: tuple[ModelPipeline, ModelFuture], users: Any
) -> None:
    import numpy as np

    pipe, train = trained
    train.result(timeout=TIMEOUT)
    # Polled through the container-run endpoint, as the official client does.
    assert ml_server.requests_to(
        "GET", rf"/scripts/containers/{train.job_id}/runs/{train.run_id}/?"
    )
    assert train.succeeded() and train.state == "succeeded" and pipe.state == "succeeded"
    assert train.metadata["run"]["status"] == "succeeded"
    assert train.metadata["data"]["target_columns"] == ["upgrade"]
    assert 0.7 < train.metrics["roc_auc"] <= 1.0
    assert train.validation_metadata["metrics"] == train.metrics
    assert train.training_metadata is train.metadata
    proba = pipe.estimator.predict_proba(users.drop(columns=["user_id", "upgrade"]))
    assert proba.shape == (len(users), 2)
    oos = train.table
    assert len(oos) == len(users) and oos.index.name == "user_id"
    assert set(oos.index) == set(users["user_id"])
    assert np.isfinite(oos.to_numpy(dtype=float)).all()
    # The training data is the uploaded frame.
    assert train.train_data["usage"].tolist() == pytest.approx(users["usage"].tolist())


def test_predict_scores_every_row(
    ml_server: CivisMLServer,
    trained: tuple[ModelPipeline, ModelFuture],
    predicted: ModelFuture,
    users: Any,
) -> None:
    pipe, train = trained
    assert not predicted.is_training
    assert (predicted.train_job_id, predicted.train_run_id) == (train.job_id, train.run_id)
    body = ml_server.scripts[predicted.job_id]
    assert body["fromTemplateId"] == TEMPLATES["prediction"]
    assert body["name"] == "upgrade model Predict"
    assert {
        k: body["arguments"][k] for k in ("TRAIN_JOB", "TRAIN_RUN", "PRIMARY_KEY", "IF_EXISTS")
    } == {
        "TRAIN_JOB": train.job_id,
        "TRAIN_RUN": train.run_id,
        "PRIMARY_KEY": "user_id",
        "IF_EXISTS": "fail",
    }
    table = predicted.table
    assert len(table) == len(users) and table.index.name == "user_id"
    assert ((table["upgrade_1"] >= 0) & (table["upgrade_1"] <= 1)).all()
    top = table.sort_values("upgrade_1", ascending=False)[: int(0.05 * len(table))]
    assert len(top) == 20
    # Scores agree with the trained estimator, row by row.
    expected = pipe.estimator.predict_proba(users.drop(columns=["user_id", "upgrade"]))[:, 1]
    got = table.loc[users["user_id"], "upgrade_1"].to_numpy()
    assert got == pytest.approx(expected, abs=1e-9)
    # The prediction future also reads the training run's metrics and metadata.
    assert predicted.metrics == train.metrics
    assert predicted.training_metadata == train.metadata
    assert predicted.metadata["output_file_ids"]


def test_pickling_and_from_existing(
    ml_server: CivisMLServer,
    ml_client: Any,
    trained: tuple[ModelPipeline, ModelFuture],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CIVIS_API_KEY", "test-key")
    monkeypatch.setenv("CIVIS_API_ENDPOINT", ml_server.url)
    pipe, train = trained
    train.result(timeout=TIMEOUT)
    auc = train.metrics["roc_auc"]
    # Pickles hold no client: a copy makes one from the environment.
    copy = pickle.loads(pickle.dumps(pipe))
    assert copy._client is None and copy.model_name == "upgrade model"
    assert copy.train_result_ is not None and copy.train_result_.metrics["roc_auc"] == auc
    future = pickle.loads(pickle.dumps(train))
    assert future.succeeded() and future.metrics["roc_auc"] == auc
    again = ModelPipeline.from_existing(train.job_id, client=ml_client)
    assert again.model == "sparse_logistic" and again.dependent_variable == ["upgrade"]
    assert again.primary_key == "user_id" and again.model_name == "upgrade model"
    assert again.parameters == {"C": 1.0} and again.cv_params == {}
    assert again.train_template_id == pipe.train_template_id
    assert again.train_result_ is not None and again.train_result_.run_id == train.run_id
    assert again.train_result_.metrics["roc_auc"] == auc
    by_id = ModelPipeline.from_existing(train.job_id, train.run_id, client=ml_client)
    assert by_id.train_result_ is not None and by_id.train_result_.succeeded()
    with pytest.raises(ValueError, match="no Civis Platform job"):
        ModelPipeline.from_existing(999999, client=ml_client)


def test_failed_models_raise_model_error(ml_client: Any, users: Any) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline

    bad_target = ModelPipeline("sparse_logistic", "no_such_column", client=ml_client)
    bad_model = ModelPipeline("no_such_model", "upgrade", client=ml_client)
    own = ModelPipeline(
        Pipeline(
            [
                ("impute", SimpleImputer()),
                ("rf", RandomForestClassifier(n_estimators=10, random_state=0)),
            ]
        ),
        "upgrade",
        primary_key="user_id",
        excluded_columns=["plan"],
        model_name="own forest",
        client=ml_client,
    )
    futures = {
        "target": bad_target.train(df=users, polling_interval=POLL),
        "model": bad_model.train(df=users, polling_interval=POLL),
        "own": own.train(df=users, polling_interval=POLL),
    }
    with pytest.raises(ModelError) as err:
        futures["target"].result(timeout=TIMEOUT)
    assert "no_such_column" in str(err.value)
    assert err.value.metadata["run"]["status"] == "exception"
    fut = futures["target"]
    assert fut.failed() and not fut.succeeded() and fut.state == "failed"
    assert isinstance(fut.exception(), ModelError)
    with pytest.raises(ModelError):
        bad_target.predict(df=users)
    with pytest.raises(ModelError, match="no_such_model"):
        futures["model"].result(timeout=TIMEOUT)
    # A user's own estimator goes up as a joblib file and trains.
    futures["own"].result(timeout=TIMEOUT)
    assert futures["own"].metrics["roc_auc"] > 0.6
    forests = [
        v for k, v in own.estimator.get_params(deep=True).items() if k.endswith("n_estimators")
    ]
    assert forests == [10]


def test_user_estimator_upload(ml_server: CivisMLServer, ml_client: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    pipe = ModelPipeline(LogisticRegression(C=0.5), "upgrade", client=ml_client)
    fut = pipe.train(file_id=999_999, polling_interval=POLL)  # no such file: it fails
    model_arg = ml_server.scripts[fut.job_id]["arguments"]["MODEL"]
    assert isinstance(model_arg, str) and model_arg.isdigit()
    assert ml_server.files[int(model_arg)].name == "Estimator for CivisML"
    import io

    import joblib

    loaded = joblib.load(io.BytesIO(ml_server.file_bytes(int(model_arg))))
    assert loaded.get_params()["C"] == 0.5
    with pytest.raises(ModelError, match="999999"):
        fut.result(timeout=TIMEOUT)


def test_register_pretrained_model(ml_server: CivisMLServer, ml_client: Any, users: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    features = ["usage", "age"]
    est = LogisticRegression().fit(users[features], users["upgrade"])
    pipe = ModelPipeline.register_pretrained_model(
        est, "upgrade", features=features, client=ml_client
    )
    assert pipe.train_result_ is not None
    reg = ml_server.scripts[pipe.train_result_.job_id]
    assert reg["fromTemplateId"] == TEMPLATES["registration"]
    assert reg["name"] == "Pretrained LogisticRegression model for CivisML"
    assert reg["arguments"]["FEATURE_COLUMNS"] == "usage age"
    assert reg["arguments"]["TARGET_COLUMN"] == "upgrade"
    assert ml_server.files[int(reg["arguments"]["MODEL_FILE_ID"])].name == "estimator.pkl"
    assert pipe.predict_template_id == TEMPLATES["prediction"]
    predict = pipe.predict(
        df=users[["user_id", *features]], primary_key="user_id", polling_interval=POLL
    )
    table = predict.table
    assert table.loc[users["user_id"], "upgrade_1"].to_numpy() == pytest.approx(
        est.predict_proba(users[features])[:, 1]
    )


def test_bad_input_is_refused_before_any_run(
    ml_server: CivisMLServer, ml_client: Any, users: Any
) -> None:
    before = len(ml_server.scripts)
    pipe = ModelPipeline("sparse_logistic", "upgrade", client=ml_client)
    with pytest.raises(ValueError, match="source of data"):
        pipe.train()
    with pytest.raises(ValueError, match="single source"):
        pipe.train(df=users, file_id=3)
    with pytest.raises(ValueError, match="database_name"):
        pipe.train(table_name="s.t")
    with pytest.raises(ValueError, match="if_exists"):
        pipe.train(df=users, if_exists="replace")
    with pytest.raises(ValueError, match="validation_data"):
        pipe.train(file_id=3, validation_data="holdout")
    with pytest.raises(ValueError, match="trained"):
        pipe.predict(df=users)
    with pytest.raises(ValueError, match="trained"):
        _ = pipe.estimator
    assert len(ml_server.scripts) == before


def test_table_arguments_name_the_database(ml_server: CivisMLServer, ml_client: Any) -> None:
    pipe = ModelPipeline(
        "sparse_logistic",
        ["a", "b"],
        client=ml_client,
        cross_validation_parameters="hyperband",
        cpu_requested=2048,
        dependencies=["pkg1", "pkg2"],
        git_token_name="github",
        calibration="sigmoid",
        verbose=True,
    )
    fut = pipe.train(
        table_name="s.t",
        database_name="Warehouse",
        sql_where="x > 1",
        sql_limit=10,
        oos_scores="s.oos",
        oos_scores_db="Warehouse",
        fit_params={"sample_weight": "w"},
        n_jobs=2,
        polling_interval=POLL,
    )
    fut.cleanup()  # no warehouse here: the run itself is not the point
    args = ml_server.scripts[fut.job_id]["arguments"]
    assert args["TABLE_NAME"] == "s.t" and args["CIVIS_FILE_ID"] is None
    assert args["DB"] == {"database": 3} and args["OOSDB"] == {"database": 3}
    assert args["OOSTABLE"] == "s.oos" and args["DEBUG"] is True
    assert args["TARGET_COLUMN"] == "a b" and args["CVPARAMS"] == json.dumps("hyperband")
    assert args["CALIBRATION"] == "sigmoid"
    assert args["REQUIRED_CPU"] == 2048 and "REQUIRED_MEMORY" not in args
    assert args["DEPENDENCIES"] == "pkg1 pkg2" and args["GIT_CRED"] == 77
    assert args["WHERESQL"] == "x > 1" and args["LIMITSQL"] == 10
    assert args["FIT_PARAMS"] == '{"sample_weight": "w"}' and args["N_JOBS"] == 2
