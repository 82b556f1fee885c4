"""The template-id thresholds of CivisML arguments: older templates get older arguments."""

from __future__ import annotations

from typing import Any

import pytest

from civis.ml._arguments import data_arguments, predict_arguments, train_arguments


def _db(name: Any) -> int:
    return {"Warehouse": 3}[name]


def _train(template_id: int, **over: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        model="sparse_logistic",
        dependent_variable=["y"],
        primary_key=None,
        parameters={},
        cv_params={},
        calibration=None,
        excluded_columns=None,
        job_resources={"REQUIRED_CPU": None},
        dependencies=None,
        if_exists="fail",
        oos_scores=None,
        oos_scores_db=None,
        sql_where=None,
        sql_limit=None,
        fit_params=None,
        validation_data="skip",
        n_jobs=3,
        etl_file_id=None,
    )
    kwargs.update(over)
    return train_arguments(template_id, _db, **kwargs)


def _predict(template_id: int, **over: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        train_job_id=1,
        train_run_id=2,
        primary_key="id",
        if_exists="fail",
        output_table="s.out",
        output_db="Warehouse",
        manifest=None,
        sql_where=None,
        sql_limit=None,
        n_jobs=None,
        dvs_to_predict=["y"],
        cpu=100,
        memory=200,
        disk_space=1.5,
    )
    kwargs.update(over)
    return predict_arguments(template_id, _db, **kwargs)


def test_database_by_name_for_old_templates() -> None:
    old = data_arguments(
        7000, _db, table_name="s.t", database_name="Warehouse", file_id=None, debug=False
    )
    new = data_arguments(
        11219, _db, table_name="s.t", database_name="Warehouse", file_id=None, debug=True
    )
    assert old["DB_NAME"] == "Warehouse" and "DB" not in old
    assert new["DB"] == {"database": 3} and new["DEBUG"] is True


def test_validation_data_and_n_jobs_from_9968() -> None:
    assert "VALIDATION_DATA" not in _train(9967) and "N_JOBS" not in _train(9967)
    assert _train(9968)["VALIDATION_DATA"] == "skip" and _train(9968)["N_JOBS"] == 3
    assert "N_JOBS" not in _train(11219, n_jobs=None)
    assert _train(11219, etl_file_id=55)["ETL"] == "55"


def test_prediction_thresholds() -> None:
    assert _predict(7021)["OUTPUT_DB"] == "Warehouse"
    assert _predict(11220)["OUTPUT_DB"] == {"database": 3}
    assert "TARGET_COLUMN" not in _predict(10583)
    assert _predict(10584)["TARGET_COLUMN"] == "y"
    assert "CPU" not in _predict(9968)
    assert {k: _predict(9969)[k] for k in ("CPU", "MEMORY", "DISK_SPACE")} == {
        "CPU": 100,
        "MEMORY": 200,
        "DISK_SPACE": 1.5,
    }


def test_bad_choices() -> None:
    with pytest.raises(ValueError, match="if_exists"):
        _train(11219, if_exists="overwrite")
    with pytest.raises(ValueError, match="validation_data"):
        _train(11219, validation_data="test")
    with pytest.raises(ValueError, match="if_exists"):
        _predict(11220, if_exists="nope")


def test_old_training_template_refuses_etl(ml_client: Any) -> None:
    from sklearn.preprocessing import StandardScaler

    from civis.ml import ModelPipeline

    pipe = ModelPipeline("sparse_logistic", "y", etl=StandardScaler(), client=ml_client)
    pipe.train_template_id = 9000
    with pytest.raises(NotImplementedError):
        pipe.train(file_id=1)
