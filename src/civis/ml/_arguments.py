"""The ``arguments`` of CivisML custom scripts, and the template-id thresholds that decide
which of them a template understands (older templates take older arguments).

Pure functions of their inputs plus the lookups they are handed, so tests can check the
exact argument maps the official client sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "DVS_TO_PREDICT_MIN_ID",
    "ETL_MIN_TRAIN_ID",
    "FEATHER_MIN_ID",
    "IF_EXISTS",
    "VALIDATION_DATA",
    "data_arguments",
    "predict_arguments",
    "register_arguments",
    "space_joined",
    "train_arguments",
]

# Template-id thresholds (from the official client's behaviour).
ETL_MIN_TRAIN_ID = 9968  # train id >= this: ETL, VALIDATION_DATA and N_JOBS
FEATHER_MIN_ID = 9969  # template id > this: data frames go up as feather
PREDICT_RESOURCES_MIN_ID = 9969  # predict id >= this: CPU, MEMORY, DISK_SPACE
DB_ID_MIN_ID = 8000  # template id < this: DB_NAME (a name), not DB (an id)
OUTPUT_DB_NAME_ID = 7021  # this predict template takes OUTPUT_DB as a name
DVS_TO_PREDICT_MIN_ID = 10583  # predict id > this: TARGET_COLUMN selects the outputs

IF_EXISTS = ("fail", "append", "drop", "truncate")
VALIDATION_DATA = ("train", "skip")

DatabaseId = Callable[[Any], int]


def space_joined(values: str | Sequence[Any] | None) -> str | None:
    """``["a", "b"]`` -> ``"a b"``; a string passes through; None stays None."""
    if values is None:
        return None
    if isinstance(values, str):
        return values
    return " ".join(str(v) for v in values)


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, not {value!r}")


def data_arguments(
    template_id: int,
    database_id: DatabaseId,
    *,
    table_name: str | None,
    database_name: Any,
    file_id: int | None,
    debug: bool,
) -> dict[str, Any]:
    """Where the data is: ``TABLE_NAME`` + ``DB`` or ``CIVIS_FILE_ID``, and ``DEBUG``."""
    args: dict[str, Any] = {
        "TABLE_NAME": table_name,
        "CIVIS_FILE_ID": file_id,
        "DEBUG": bool(debug),
    }
    if database_name:
        if template_id < DB_ID_MIN_ID:
            args["DB_NAME"] = database_name
        else:
            args["DB"] = {"database": database_id(database_name)}
    return args


def train_arguments(
    template_id: int,
    database_id: DatabaseId,
    *,
    model: str,
    dependent_variable: Sequence[str],
    primary_key: str | None,
    parameters: Any,
    cv_params: Any,
    calibration: str | None,
    excluded_columns: Any,
    job_resources: dict[str, Any],
    dependencies: Any,
    if_exists: str,
    oos_scores: str | None,
    oos_scores_db: Any,
    sql_where: str | None,
    sql_limit: Any,
    fit_params: Any,
    validation_data: str,
    n_jobs: int | None,
    etl_file_id: int | None,
) -> dict[str, Any]:
    """The training arguments beyond `data_arguments` (see the contract, section 6.2)."""
    _check_choice("if_exists", if_exists, IF_EXISTS)
    _check_choice("validation_data", validation_data, VALIDATION_DATA)
    args: dict[str, Any] = {
        "MODEL": model,
        "TARGET_COLUMN": space_joined(dependent_variable),
        "PRIMARY_KEY": primary_key,
        "PARAMS": json.dumps(parameters),
        "CVPARAMS": json.dumps(cv_params),
        "CALIBRATION": calibration,
        "IF_EXISTS": if_exists,
    }
    args.update({k: v for k, v in job_resources.items() if v})
    if oos_scores:
        args["OOSTABLE"] = oos_scores
    if oos_scores_db:
        args["OOSDB"] = {"database": database_id(oos_scores_db)}
    if sql_where:
        args["WHERESQL"] = sql_where
    if sql_limit:
        args["LIMITSQL"] = sql_limit
    if excluded_columns:
        args["EXCLUDE_COLS"] = space_joined(excluded_columns)
    if fit_params:
        args["FIT_PARAMS"] = json.dumps(fit_params)
    if dependencies:
        args["DEPENDENCIES"] = space_joined(dependencies)
    if template_id >= ETL_MIN_TRAIN_ID:
        args["VALIDATION_DATA"] = validation_data
        if n_jobs is not None:
            args["N_JOBS"] = n_jobs
    if etl_file_id is not None:
        args["ETL"] = str(etl_file_id)
    return args


def predict_arguments(
    template_id: int,
    database_id: DatabaseId,
    *,
    train_job_id: int,
    train_run_id: int,
    primary_key: str | None,
    if_exists: str,
    output_table: str | None,
    output_db: Any,
    manifest: int | None,
    sql_where: str | None,
    sql_limit: Any,
    n_jobs: int | None,
    dvs_to_predict: Any,
    cpu: int | None,
    memory: int | None,
    disk_space: float | None,
) -> dict[str, Any]:
    """The prediction arguments beyond `data_arguments`."""
    _check_choice("if_exists", if_exists, IF_EXISTS)
    args: dict[str, Any] = {
        "TRAIN_JOB": train_job_id,
        "TRAIN_RUN": train_run_id,
        "PRIMARY_KEY": primary_key,
        "IF_EXISTS": if_exists,
    }
    if output_table:
        args["OUTPUT_TABLE"] = output_table
    if output_db:
        args["OUTPUT_DB"] = (
            output_db if template_id == OUTPUT_DB_NAME_ID else {"database": database_id(output_db)}
        )
    if manifest:
        args["MANIFEST"] = manifest
    if sql_where:
        args["WHERESQL"] = sql_where
    if sql_limit:
        args["LIMITSQL"] = sql_limit
    if n_jobs is not None:
        args["N_JOBS"] = n_jobs
    if dvs_to_predict and template_id > DVS_TO_PREDICT_MIN_ID:
        args["TARGET_COLUMN"] = space_joined(dvs_to_predict)
    if template_id >= PREDICT_RESOURCES_MIN_ID:
        for name, value in (("CPU", cpu), ("MEMORY", memory), ("DISK_SPACE", disk_space)):
            if value:
                args[name] = value
    return args


def register_arguments(
    *,
    model_file_id: int,
    dependent_variable: Any,
    features: Any,
    dependencies: Any,
    skip_model_check: bool,
    verbose: bool,
) -> dict[str, Any]:
    """The registration arguments of a pretrained estimator (as officially, no primary
    key: prediction takes its own)."""
    args: dict[str, Any] = {
        "MODEL_FILE_ID": str(model_file_id),
        "SKIP_MODEL_CHECK": bool(skip_model_check),
        "DEBUG": bool(verbose),
    }
    if dependent_variable is not None:
        args["TARGET_COLUMN"] = space_joined(dependent_variable)
    if features:
        args["FEATURE_COLUMNS"] = space_joined(features)
    if dependencies:
        args["DEPENDENCIES"] = space_joined(dependencies)
    return args
