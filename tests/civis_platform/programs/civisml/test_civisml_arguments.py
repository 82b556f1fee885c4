"""Script arguments read from the environment: what each program accepts, and the clear
error for each bad value (no server needed: this is pure parsing)."""

from __future__ import annotations

import pytest

from civis_platform.programs.civisml.arguments import (
    PredictArgs,
    RegisterArgs,
    Source,
    TrainArgs,
)
from civis_platform.programs.civisml.errors import ModelError

BASE = {"TABLE_NAME": "s.t", "DB": '{"database": 2}', "TARGET_COLUMN": "y", "MODEL": "m"}


def test_the_official_clients_arguments_are_read() -> None:
    args = TrainArgs.from_env(
        {
            **BASE,
            "TARGET_COLUMN": "a b",
            "PRIMARY_KEY": "id",
            "EXCLUDE_COLS": "z w",
            "PARAMS": '{"C": 2}',
            "CVPARAMS": '{"C": [1, 2]}',
            "CALIBRATION": "isotonic",
            "IF_EXISTS": "drop",
            "OOSTABLE": "s.oos",
            "OOSDB": '{"database": 5}',
            "FIT_PARAMS": '{"sample_weight": "w"}',
            "VALIDATION_DATA": "skip",
            "N_JOBS": "3",
            "ETL": "17",
            "DEBUG": "true",
            "WHERESQL": "a > 1",
            "LIMITSQL": "10",
        }
    )
    assert args.target_columns == ["a", "b"] and args.exclude_cols == ["z", "w"]
    assert args.params == {"C": 2} and args.cv_params == {"C": [1, 2]}
    assert (args.calibration, args.etl, args.n_jobs, args.validate) == ("isotonic", 17, 3, False)
    assert (args.oos.table, args.oos.database, args.oos.if_exists) == ("s.oos", 5, "drop")
    assert args.source == Source("s.t", 2, None, "a > 1", "10")
    assert args.fit_params == {"sample_weight": "w"} and args.debug


def test_empty_values_are_not_given() -> None:
    args = TrainArgs.from_env(
        {
            **BASE,
            "PARAMS": "",
            "CVPARAMS": "{}",
            "CALIBRATION": "",
            "PRIMARY_KEY": " ",
            "N_JOBS": "",
        }
    )
    assert (args.params, args.cv_params, args.calibration, args.primary_key) == (
        {},
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"TARGET_COLUMN": ""}, "TARGET_COLUMN is required"),
        ({"MODEL": ""}, "MODEL is required"),
        ({"PARAMS": "{nope"}, "PARAMS is not valid JSON"),
        ({"PARAMS": "[1]"}, "PARAMS must be a JSON object"),
        ({"CVPARAMS": '"grid"'}, 'CVPARAMS must be a grid (a JSON object of lists) or "hyperband"'),
        ({"CALIBRATION": "platt"}, "CALIBRATION must be sigmoid or isotonic"),
        ({"IF_EXISTS": "replace"}, "IF_EXISTS must be one of fail, append, drop, truncate"),
        ({"VALIDATION_DATA": "maybe"}, "VALIDATION_DATA must be train or skip"),
        ({"N_JOBS": "many"}, "N_JOBS must be an integer"),
        ({"FIT_PARAMS": '{"sample_weight": 3}'}, "FIT_PARAMS must map fit parameters"),
        ({"TABLE_NAME": "", "DB": ""}, "Give the data to read"),
        ({"DB": ""}, "TABLE_NAME 's.t' needs DB"),
        ({"DB": '{"database": true}'}, "DB must be"),
    ],
)
def test_bad_training_arguments(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ModelError) as raised:
        TrainArgs.from_env({**BASE, **changes})
    assert message in str(raised.value)


def test_prediction_and_registration_arguments() -> None:
    args = PredictArgs.from_env(
        {
            "CIVIS_FILE_ID": "9",
            "TRAIN_JOB": "3",
            "TRAIN_RUN": "4",
            "OUTPUT_TABLE": "s.o",
            "OUTPUT_DB_DATABASE": "6",
        }
    )
    assert (args.train_job, args.train_run, args.source.file_id) == (3, 4, 9)
    assert (args.output.table, args.output.database) == ("s.o", 6)
    with pytest.raises(ModelError, match="TRAIN_JOB and TRAIN_RUN are required"):
        PredictArgs.from_env({"CIVIS_FILE_ID": "9"})
    with pytest.raises(ModelError, match="MANIFEST is not supported"):
        PredictArgs.from_env({"TRAIN_JOB": "3", "TRAIN_RUN": "4", "MANIFEST": "12"})
    reg = RegisterArgs.from_env(
        {"MODEL_FILE_ID": "5", "SKIP_MODEL_CHECK": "True", "FEATURE_COLUMNS": "a b"}
    )
    assert (reg.model_file_id, reg.skip_model_check, reg.feature_columns) == (5, True, ["a", "b"])
    with pytest.raises(ModelError, match="MODEL_FILE_ID is required"):
        RegisterArgs.from_env({})
