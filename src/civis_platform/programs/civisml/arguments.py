"""Script arguments (contract 6.2) read from a run's environment into typed objects.

The run engine puts every argument in the environment: strings as they are, anything
else as JSON (`civis_platform.programs.containers.argument_env`). Empty strings count as
"not given", as template parameters without a value arrive empty.

Examples:
    >>> env = {"TARGET_COLUMN": "a b", "MODEL": "sparse_logistic", "DB": '{"database": 3}',
    ...        "TABLE_NAME": "s.t", "CVPARAMS": '"hyperband"', "N_JOBS": "2"}
    >>> args = TrainArgs.from_env(env)
    >>> args.target_columns, args.source.database, args.cv_params, args.n_jobs
    (['a', 'b'], 3, 'hyperband', 2)
    >>> Source.from_env({"TABLE_NAME": "s.t", "DB_DATABASE": "4"}).database
    4
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from civis_platform.programs.civisml.errors import ModelError

IF_EXISTS = ("fail", "append", "drop", "truncate")


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _json(env: Mapping[str, str], name: str) -> Any:
    value = _text(env, name)
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{name} is not valid JSON: {exc.msg} ({value[:80]!r}).") from exc


def _int(env: Mapping[str, str], name: str) -> int | None:
    value = _text(env, name)
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, str) and parsed.strip().lstrip("-").isdigit():
        parsed = int(parsed)
    if isinstance(parsed, bool) or not isinstance(parsed, int):
        raise ModelError(f"{name} must be an integer, not {value!r}.")
    return parsed


def _bool(env: Mapping[str, str], name: str) -> bool:
    value = _text(env, name)
    return value is not None and value.lower() in ("true", "1", "yes")


def _words(env: Mapping[str, str], name: str) -> list[str]:
    value = _text(env, name)
    return value.split() if value else []


def _database(env: Mapping[str, str], name: str) -> int | str | None:
    """``{"database": id}`` (as the official client sends), a bare id, or a name; a
    template's ``database`` parameter arrives as ``<NAME>_DATABASE``."""
    value = _text(env, f"{name}_DATABASE") or _text(env, name)
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return value  # a database name
    if isinstance(parsed, dict):
        parsed = parsed.get("database")
    if isinstance(parsed, bool) or not isinstance(parsed, (int, str)):
        raise ModelError(f'{name} must be {{"database": <id>}}, not {value!r}.')
    return int(parsed) if isinstance(parsed, int) or parsed.isdigit() else parsed


def _if_exists(env: Mapping[str, str]) -> str:
    value = _text(env, "IF_EXISTS") or "fail"
    if value not in IF_EXISTS:
        raise ModelError(f"IF_EXISTS must be one of {', '.join(IF_EXISTS)}, not {value!r}.")
    return value


@dataclass(frozen=True)
class Source:
    """Where a program reads its rows: a table of a database, or a Civis file."""

    table: str | None = None
    database: int | str | None = None
    file_id: int | None = None
    where: str | None = None
    limit: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Source:
        source = cls(
            table=_text(env, "TABLE_NAME"),
            database=_database(env, "DB"),
            file_id=_int(env, "CIVIS_FILE_ID"),
            where=_text(env, "WHERESQL"),
            limit=_text(env, "LIMITSQL"),
        )
        if source.table is None and source.file_id is None:
            raise ModelError("Give the data to read: TABLE_NAME (with DB) or CIVIS_FILE_ID.")
        if source.table is not None and source.database is None:
            raise ModelError(f"TABLE_NAME {source.table!r} needs DB, the database to read.")
        return source

    @property
    def location(self) -> str:
        """How ``model_info.json`` names the data (``run.configuration.data.location``)."""
        if self.file_id is not None:
            return f"civis://file/{self.file_id}"
        return f"civis://database/{self.database}/{self.table}"


@dataclass(frozen=True)
class TableTarget:
    """An optional output table (``OOSTABLE``/``OUTPUT_TABLE``) and how to write it."""

    table: str | None
    database: int | str | None
    if_exists: str = "fail"


@dataclass(frozen=True)
class TrainArgs:
    """The training program's arguments."""

    source: Source
    target_columns: list[str]
    model: str
    primary_key: str | None = None
    exclude_cols: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    cv_params: dict[str, Any] | str | None = None
    calibration: str | None = None
    etl: int | None = None
    fit_params: dict[str, str] = field(default_factory=dict)
    oos: TableTarget = TableTarget(None, None)
    validate: bool = True
    n_jobs: int | None = None
    debug: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TrainArgs:
        targets = _words(env, "TARGET_COLUMN")
        if not targets:
            raise ModelError("TARGET_COLUMN is required: the column (or columns) to predict.")
        model = _text(env, "MODEL")
        if model is None:
            raise ModelError("MODEL is required: a predefined model name or an estimator file id.")
        params = _json(env, "PARAMS") or {}
        if not isinstance(params, dict):
            raise ModelError(f"PARAMS must be a JSON object of parameters, not {params!r}.")
        cv_params = _json(env, "CVPARAMS") or None
        if cv_params is not None and not isinstance(cv_params, dict) and cv_params != "hyperband":
            raise ModelError('CVPARAMS must be a grid (a JSON object of lists) or "hyperband".')
        calibration = _text(env, "CALIBRATION")
        if calibration not in (None, "sigmoid", "isotonic"):
            raise ModelError(f"CALIBRATION must be sigmoid or isotonic, not {calibration!r}.")
        fit_params = _json(env, "FIT_PARAMS") or {}
        if not isinstance(fit_params, dict) or not all(
            isinstance(v, str) for v in fit_params.values()
        ):
            raise ModelError("FIT_PARAMS must map fit parameters to column names.")
        validation = _text(env, "VALIDATION_DATA") or "train"
        if validation not in ("train", "skip"):
            raise ModelError(f"VALIDATION_DATA must be train or skip, not {validation!r}.")
        return cls(
            source=Source.from_env(env),
            target_columns=targets,
            model=model,
            primary_key=_text(env, "PRIMARY_KEY"),
            exclude_cols=_words(env, "EXCLUDE_COLS"),
            params=params,
            cv_params=cv_params,
            calibration=calibration,
            etl=_int(env, "ETL"),
            fit_params=fit_params,
            oos=TableTarget(_text(env, "OOSTABLE"), _database(env, "OOSDB"), _if_exists(env)),
            validate=validation == "train",
            n_jobs=_int(env, "N_JOBS"),
            debug=_bool(env, "DEBUG"),
        )


@dataclass(frozen=True)
class PredictArgs:
    """The prediction program's arguments."""

    source: Source
    train_job: int
    train_run: int
    primary_key: str | None = None
    output: TableTarget = TableTarget(None, None)
    target_columns: list[str] = field(default_factory=list)
    n_jobs: int | None = None
    debug: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PredictArgs:
        job, run = _int(env, "TRAIN_JOB"), _int(env, "TRAIN_RUN")
        if job is None or run is None:
            raise ModelError("TRAIN_JOB and TRAIN_RUN are required: the model to score with.")
        if _text(env, "MANIFEST") is not None:
            raise ModelError("MANIFEST is not supported here: give TABLE_NAME or CIVIS_FILE_ID.")
        return cls(
            source=Source.from_env(env),
            train_job=job,
            train_run=run,
            primary_key=_text(env, "PRIMARY_KEY"),
            output=TableTarget(
                _text(env, "OUTPUT_TABLE"), _database(env, "OUTPUT_DB"), _if_exists(env)
            ),
            target_columns=_words(env, "TARGET_COLUMN"),
            n_jobs=_int(env, "N_JOBS"),
            debug=_bool(env, "DEBUG"),
        )


@dataclass(frozen=True)
class RegisterArgs:
    """The registration program's arguments."""

    model_file_id: int
    skip_model_check: bool = False
    target_columns: list[str] = field(default_factory=list)
    feature_columns: list[str] = field(default_factory=list)
    debug: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RegisterArgs:
        file_id = _int(env, "MODEL_FILE_ID")
        if file_id is None:
            raise ModelError("MODEL_FILE_ID is required: the file of the pickled estimator.")
        return cls(
            model_file_id=file_id,
            skip_model_check=_bool(env, "SKIP_MODEL_CHECK"),
            target_columns=_words(env, "TARGET_COLUMN"),
            feature_columns=_words(env, "FEATURE_COLUMNS"),
            debug=_bool(env, "DEBUG"),
        )


def run_ids(env: Mapping[str, str]) -> tuple[int, int]:
    """``(CIVIS_JOB_ID, CIVIS_RUN_ID)`` of the run the program is."""
    job, run = _int(env, "CIVIS_JOB_ID"), _int(env, "CIVIS_RUN_ID")
    if job is None or run is None:
        raise ModelError("CIVIS_JOB_ID and CIVIS_RUN_ID are missing: run this as a platform run.")
    return job, run
