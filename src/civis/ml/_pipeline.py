"""`ModelPipeline`: define a CivisML model, train it on Civis Platform, score with it.

REST sequence (contract section 6.3): the aliases (template discovery) when the pipeline
is made; for ``train``/``predict`` uploads if needed, ``POST /scripts/custom`` and
``POST /scripts/custom/{id}/runs``, then a `ModelFuture` polling
``/scripts/containers/{id}/runs/{run}``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from civis.base import CivisAPIError
from civis.client import client_or_default
from civis.ml import _arguments as arguments
from civis.ml._future import ModelFuture
from civis.ml._templates import template_ids, template_versions
from civis.ml._uploads import upload_data, upload_estimator
from civis.response import find

__all__ = ["SENTINEL", "ModelPipeline"]


class _Sentinel:
    """Default of ``predict(primary_key=...)``: "the training primary key"."""

    def __repr__(self) -> str:
        return "Sentinel()"  # as the official signature shows it


SENTINEL: Any = _Sentinel()
_NAME_LIMIT = 255


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _git_credential_id(client: Any, git_token_name: str | None) -> int | None:
    if not git_token_name:
        return None
    creds = find(client.credentials.list(), name=git_token_name, type="Custom")
    if not creds:
        raise ValueError(f"No Custom credential named {git_token_name!r} was found.")
    if len(creds) > 1:
        raise ValueError(f"More than one Custom credential is named {git_token_name!r}.")
    return int(creds[0].id)


def _start_run(
    client: Any, template_id: int, name: str | None, args: dict[str, Any], notifications: Any
) -> tuple[int, int]:
    script = client.scripts.post_custom(
        template_id, name=name, arguments=args, notifications=notifications or {}
    )
    run = client.scripts.post_custom_runs(script.id)
    return int(script.id), int(run.id)


def _check_one_source(
    *,
    df: Any,
    csv_path: Any,
    table_name: Any,
    database_name: Any,
    file_id: Any,
    manifest: Any = None,
) -> None:
    given = [
        name
        for name, value in (
            ("df", df),
            ("csv_path", csv_path),
            ("table_name", table_name),
            ("file_id", file_id),
            ("manifest", manifest),
        )
        if value is not None
    ]
    if not given:
        raise ValueError(
            "Provide a source of data: df, csv_path, table_name (with database_name) or file_id."
        )
    if len(given) > 1:
        raise ValueError(f"Provide a single source of data, not {', '.join(given)}.")
    if (table_name is not None or manifest is not None) and database_name is None:
        raise ValueError("A table_name or manifest needs a database_name.")


class ModelPipeline:
    """A CivisML model: an estimator (a predefined name or your own scikit-learn
    estimator) and its dependent variable(s), trained and scored on Civis Platform.

    Parameters
    ----------
    model : str or sklearn.base.BaseEstimator
        A predefined CivisML model name (e.g. ``"sparse_logistic"``) or an estimator.
    dependent_variable : str or list of str
    primary_key : str, optional
    parameters : dict, optional
        Model parameters (``PARAMS``).
    cross_validation_parameters : dict or "hyperband", optional
        A grid to search (``CVPARAMS``).
    model_name : str, optional
        Names the scripts ``"<model_name> Train"`` and ``"<model_name> Predict"``.
    calibration : {None, "sigmoid", "isotonic"}
    excluded_columns : list of str, optional
    client : APIClient, optional
    cpu_requested, memory_requested, disk_requested : optional
        Resources of the training run.
    notifications : dict, optional
    dependencies : list of str, optional
    git_token_name : str, optional
    verbose : bool
    etl : sklearn.base.BaseEstimator, optional
        A custom preprocessing step, in place of CivisML's.
    civisml_version : str, optional
        A version named by the template aliases (e.g. ``"v2.3"``); by default the latest.

    Examples
    --------
    >>> model = ModelPipeline("sparse_logistic", "upgrade",
    ...                       primary_key="brandable_user_id")  # doctest: +SKIP
    >>> train = model.train(table_name="demo.training", database_name="db")  # doctest: +SKIP
    >>> train.metrics["roc_auc"]  # doctest: +SKIP
    0.846
    >>> scores = model.predict(table_name="demo.users", database_name="db")  # doctest: +SKIP
    >>> scores.table.head()  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        dependent_variable: Any,
        primary_key: str | None = None,
        parameters: dict[str, Any] | None = None,
        cross_validation_parameters: Any = None,
        model_name: str | None = None,
        calibration: str | None = None,
        excluded_columns: list[str] | None = None,
        client: Any = None,
        cpu_requested: int | None = None,
        memory_requested: int | None = None,
        disk_requested: float | None = None,
        notifications: dict[str, Any] | None = None,
        dependencies: list[str] | None = None,
        git_token_name: str | None = None,
        verbose: bool = False,
        etl: Any = None,
        civisml_version: str | None = None,
    ) -> None:
        self.model = model
        self.dependent_variable = _as_list(dependent_variable)
        self.primary_key = primary_key
        self.parameters = parameters or {}
        self.cv_params = cross_validation_parameters or {}
        self.model_name = model_name
        self.calibration = calibration
        self.excluded_columns = excluded_columns
        self.job_resources = {
            "REQUIRED_CPU": cpu_requested,
            "REQUIRED_MEMORY": memory_requested,
            "REQUIRED_DISK_SPACE": disk_requested,
        }
        self.notifications = notifications or {}
        self.dependencies = dependencies
        self.git_token_name = git_token_name
        self.verbose = verbose
        self.etl = etl
        self.civisml_version = civisml_version
        self._client = client
        ids = template_ids(self.client, civisml_version)
        self.train_template_id = ids["training"]
        self.predict_template_id = ids["prediction"]
        self.train_result_: ModelFuture | None = None

    @property
    def client(self) -> Any:
        """The API client (made from the environment when none was given)."""
        if self._client is None:
            self._client = client_or_default(None)
        return self._client

    # -- pickling: the client stays behind and is made anew -------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        job = None if self.train_result_ is None else self.train_result_.job_id
        return (
            f"<ModelPipeline {self.model_name or self.model!r} "
            f"-> {self.dependent_variable} train job={job}>"
        )

    # -- results of training ----------------------------------------------------------------
    def _trained(self) -> ModelFuture:
        if self.train_result_ is None:
            raise ValueError("This model hasn't been trained yet.")
        return self.train_result_

    @property
    def state(self) -> str | None:
        """The state of the training run (the model's status once it ended)."""
        return self._trained().state

    @property
    def estimator(self) -> Any:
        """The fitted scikit-learn estimator of the training run."""
        return self._trained().estimator

    def _database_id(self, database: Any) -> int:
        return int(self.client.get_database_id(database))

    def _script_name(self, suffix: str) -> str | None:
        return f"{self.model_name} {suffix}" if self.model_name else None

    # -- train -------------------------------------------------------------------------------
    def train(
        self,
        df: Any = None,
        csv_path: str | None = None,
        table_name: str | None = None,
        database_name: Any = None,
        file_id: int | None = None,
        sql_where: str | None = None,
        sql_limit: int | None = None,
        oos_scores: str | None = None,
        oos_scores_db: Any = None,
        if_exists: str = "fail",
        fit_params: dict[str, Any] | None = None,
        polling_interval: float | None = None,
        validation_data: str = "train",
        n_jobs: int | None = None,
    ) -> ModelFuture:
        """Start training on a data frame, a local CSV, a table or a Civis file.

        Returns
        -------
        ModelFuture
            Also kept as ``train_result_``.

        Raises
        ------
        ValueError
            No data source, several, or an invalid ``if_exists``/``validation_data``.
        NotImplementedError
            ``etl`` with a CivisML version that does not support it.

        Examples
        --------
        >>> fut = model.train(table_name="s.t", database_name="db")  # doctest: +SKIP
        """
        template_id = int(self.train_template_id or 0)
        if self.etl is not None and template_id < arguments.ETL_MIN_TRAIN_ID:
            raise NotImplementedError(
                "The etl argument is not supported by this version of CivisML."
            )
        _check_one_source(
            df=df,
            csv_path=csv_path,
            table_name=table_name,
            database_name=database_name,
            file_id=file_id,
        )
        if if_exists not in arguments.IF_EXISTS:
            raise ValueError(f"if_exists must be one of {list(arguments.IF_EXISTS)}")
        client = self.client
        uploaded = upload_data(client, template_id, df=df, csv_path=csv_path)
        if uploaded is not None:
            file_id = uploaded
        model = self.model
        if not isinstance(model, str):
            model = str(
                upload_estimator(client, model, f"Estimator for {self.model_name or 'CivisML'}")
            )
        etl_file_id = None
        if self.etl is not None:
            etl_file_id = upload_estimator(client, self.etl, "ETL Estimator")
        args = arguments.data_arguments(
            template_id,
            self._database_id,
            table_name=table_name,
            database_name=database_name,
            file_id=file_id,
            debug=self.verbose,
        )
        args.update(
            arguments.train_arguments(
                template_id,
                self._database_id,
                model=model,
                dependent_variable=self.dependent_variable,
                primary_key=self.primary_key,
                parameters=self.parameters,
                cv_params=self.cv_params,
                calibration=self.calibration,
                excluded_columns=self.excluded_columns,
                job_resources=self.job_resources,
                dependencies=self.dependencies,
                if_exists=if_exists,
                oos_scores=oos_scores,
                oos_scores_db=oos_scores_db,
                sql_where=sql_where,
                sql_limit=sql_limit,
                fit_params=fit_params,
                validation_data=validation_data,
                n_jobs=n_jobs,
                etl_file_id=etl_file_id,
            )
        )
        git_cred = _git_credential_id(client, self.git_token_name)
        if git_cred is not None:
            args["GIT_CRED"] = git_cred
        job_id, run_id = _start_run(
            client, template_id, self._script_name("Train"), args, self.notifications
        )
        self.train_result_ = ModelFuture(
            job_id, run_id, polling_interval=polling_interval, client=client
        )
        return self.train_result_

    # -- predict -----------------------------------------------------------------------------
    def predict(
        self,
        df: Any = None,
        csv_path: str | None = None,
        table_name: str | None = None,
        database_name: Any = None,
        manifest: int | None = None,
        file_id: int | None = None,
        sql_where: str | None = None,
        sql_limit: int | None = None,
        primary_key: Any = SENTINEL,
        output_table: str | None = None,
        output_db: Any = None,
        if_exists: str = "fail",
        n_jobs: int | None = None,
        polling_interval: float | None = None,
        cpu: int | None = None,
        memory: int | None = None,
        disk_space: float | None = None,
        dvs_to_predict: Any = None,
    ) -> ModelFuture:
        """Score a data frame, a local CSV, a table, a manifest or a Civis file with the
        trained model (waits for training to finish first).

        Raises
        ------
        ValueError
            The model was not trained, or the data source is missing or ambiguous.
        ModelError, CivisJobFailure
            Training failed.

        Examples
        --------
        >>> scores = model.predict(table_name="s.users", database_name="db")  # doctest: +SKIP
        >>> scores.table.sort_values("upgrade_1").tail()  # doctest: +SKIP
        """
        train = self._trained()
        _check_one_source(
            df=df,
            csv_path=csv_path,
            table_name=table_name,
            database_name=database_name,
            file_id=file_id,
            manifest=manifest,
        )
        train.result()  # as officially: a failed training raises here
        template_id = int(self.predict_template_id or 0)
        client = self.client
        uploaded = upload_data(client, template_id, df=df, csv_path=csv_path)
        if uploaded is not None:
            file_id = uploaded
        if primary_key is SENTINEL:
            primary_key = self.primary_key
        args = arguments.data_arguments(
            template_id,
            self._database_id,
            table_name=table_name,
            database_name=database_name,
            file_id=file_id,
            debug=self.verbose,
        )
        args.update(
            arguments.predict_arguments(
                template_id,
                self._database_id,
                train_job_id=train.train_job_id,
                train_run_id=train.train_run_id,
                primary_key=primary_key,
                if_exists=if_exists,
                output_table=output_table,
                output_db=output_db,
                manifest=manifest,
                sql_where=sql_where,
                sql_limit=sql_limit,
                n_jobs=n_jobs,
                dvs_to_predict=dvs_to_predict,
                cpu=cpu,
                memory=memory,
                disk_space=disk_space,
            )
        )
        git_cred = _git_credential_id(client, self.git_token_name)
        if git_cred is not None:
            args["GIT_CRED"] = git_cred
        job_id, run_id = _start_run(
            client, template_id, self._script_name("Predict"), args, self.notifications
        )
        return ModelFuture(
            job_id,
            run_id,
            train_job_id=train.train_job_id,
            train_run_id=train.train_run_id,
            polling_interval=polling_interval,
            client=client,
        )

    # -- models that exist already -------------------------------------------------------------
    @classmethod
    def register_pretrained_model(
        cls,
        model: Any,
        dependent_variable: Any = None,
        features: list[str] | None = None,
        primary_key: str | None = None,
        model_name: str | None = None,
        dependencies: list[str] | None = None,
        git_token_name: str | None = None,
        skip_model_check: bool = False,
        verbose: bool = False,
        client: Any = None,
        civisml_version: str | None = None,
    ) -> ModelPipeline:
        """Register a fitted estimator (or the id of a file holding its joblib pickle) so
        CivisML can score with it; waits for the registration run.

        Raises
        ------
        ValueError
            This CivisML version has no registration template.
        ModelError, CivisJobFailure
            The registration failed (e.g. the pickle does not load).

        Examples
        --------
        >>> pipe = ModelPipeline.register_pretrained_model(fitted, "y")  # doctest: +SKIP
        >>> pipe.predict(df=new_rows).table  # doctest: +SKIP
        """
        client = client_or_default(client)
        registration_id = template_ids(client, civisml_version)["registration"]
        if registration_id is None:
            raise ValueError("This version of CivisML cannot register pretrained models.")
        if isinstance(model, int):
            model_file_id = model
        else:
            model_file_id = upload_estimator(client, model, "estimator.pkl", expires_at=None)
        name = model_name or f"Pretrained {type(model).__name__} model for CivisML"
        args = arguments.register_arguments(
            model_file_id=model_file_id,
            dependent_variable=dependent_variable,
            features=features,
            dependencies=dependencies,
            skip_model_check=skip_model_check,
            verbose=verbose,
        )
        git_cred = _git_credential_id(client, git_token_name)
        if git_cred is not None:
            args["GIT_CRED"] = git_cred
        job_id, run_id = _start_run(client, registration_id, name[:_NAME_LIMIT], args, {})
        ModelFuture(job_id, run_id, client=client).result()
        pipeline = cls.from_existing(job_id, run_id, client=client)
        if primary_key is not None:  # the default key of its predictions
            pipeline.primary_key = primary_key
        return pipeline

    @classmethod
    def from_existing(
        cls, train_job_id: int, train_run_id: Any = "latest", client: Any = None
    ) -> ModelPipeline:
        """Rebuild the pipeline of an existing training (or registration) job.

        ``train_run_id`` is a run id, ``"latest"`` (the last run) or ``"active"`` (the
        run the job's ``ACTIVE_BUILD`` names).

        Raises
        ------
        ValueError
            There is no such job or run.

        Examples
        --------
        >>> model = ModelPipeline.from_existing(7072357)  # doctest: +SKIP
        >>> model.predict(table_name="s.users", database_name="db")  # doctest: +SKIP
        """
        client = client_or_default(client)
        try:
            job = client.scripts.get_containers(train_job_id)
        except CivisAPIError as err:
            if err.status_code == 404:
                raise ValueError(
                    f"There is no Civis Platform job with script ID "
                    f"{train_job_id} and run ID {train_run_id}."
                ) from err
            raise
        args = dict(job.get("arguments") or {})
        run_id = _resolve_run_id(job, args, train_run_id, train_job_id)
        version = _version_of_template(client, job.get("from_template_id"))
        model = args.get("MODEL", args.get("WORKFLOW"))
        name = job.get("name")
        if isinstance(name, str) and name.endswith(" Train"):
            name = name[: -len(" Train")]
        git_token_name = None
        if args.get("GIT_CRED"):
            git_token_name = client.credentials.get(args["GIT_CRED"]).name
        notifications = job.get("notifications")
        if hasattr(notifications, "json"):
            notifications = notifications.json()
        pipeline = cls(
            model,
            str(args.get("TARGET_COLUMN") or "").split(),
            primary_key=args.get("PRIMARY_KEY"),
            parameters=json.loads(args.get("PARAMS") or "{}"),
            cross_validation_parameters=json.loads(args.get("CVPARAMS") or "{}"),
            model_name=name,
            calibration=args.get("CALIBRATION"),
            excluded_columns=str(args.get("EXCLUDE_COLS") or "").split() or None,
            client=client,
            cpu_requested=args.get("REQUIRED_CPU"),
            memory_requested=args.get("REQUIRED_MEMORY"),
            disk_requested=args.get("REQUIRED_DISK_SPACE"),
            notifications=notifications or {},
            dependencies=str(args.get("DEPENDENCIES") or "").split() or None,
            git_token_name=git_token_name,
            verbose=bool(args.get("DEBUG", False)),
            civisml_version=version,
        )
        pipeline.train_result_ = ModelFuture(train_job_id, run_id, client=client)
        return pipeline


def _resolve_run_id(job: Any, args: dict[str, Any], train_run_id: Any, train_job_id: int) -> int:
    if train_run_id == "latest":
        last_run = job.get("last_run")
        run_id = None if last_run is None else last_run.get("id")
    elif train_run_id == "active":
        run_id = args.get("ACTIVE_BUILD")
        if run_id is None:
            for param in job.get("params") or []:
                if param.get("name") == "ACTIVE_BUILD":
                    run_id = param.get("default")
    else:
        run_id = train_run_id
    if run_id is None:
        raise ValueError(
            f"There is no Civis Platform job with script ID {train_job_id} "
            f"and run ID {train_run_id}."
        )
    return int(run_id)


def _version_of_template(client: Any, template_id: Any) -> str | None:
    """The CivisML version whose training or registration template is ``template_id``."""
    versions = template_versions(client)
    for version, ids in versions.items():
        if template_id is not None and template_id in (ids["training"], ids["registration"]):
            return version
    warnings.warn(
        f"Template {template_id} is not a known CivisML training template; "
        "using the latest CivisML version to predict.",
        stacklevel=3,
    )
    return None
