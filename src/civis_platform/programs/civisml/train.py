"""The training program: read the data, build the model's pipeline, cross-validate it
for out-of-sample metrics and scores, fit it on every row, and post ``estimator.pkl``,
``predictions.csv.gz`` and ``metrics.json`` (``model_info.json`` is posted by
`civis_platform.programs.civisml.__main__`, also when training fails).

Cross-validation uses `search.folds` (4 folds, shuffled with a fixed seed, stratified
for classifiers) through scikit-learn's own `cross_val_predict`, so a user can redo the
same computation in a notebook and get the same scores. With ``CVPARAMS`` the search
picks the parameters on all rows first (on the first target when there are several),
and the metrics are those of the chosen parameters.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.model_selection import cross_val_predict
from sklearn.model_selection._search import BaseSearchCV
from sklearn.multioutput import MultiOutputClassifier, MultiOutputRegressor
from sklearn.pipeline import Pipeline

from civis_platform.programs.civisml import metrics as metric
from civis_platform.programs.civisml.arguments import TrainArgs
from civis_platform.programs.civisml.data import read_source, write_table
from civis_platform.programs.civisml.errors import ModelError
from civis_platform.programs.civisml.estimators import load_user_model
from civis_platform.programs.civisml.models import build, kind_of, wrap
from civis_platform.programs.civisml.outputs import Report, RunOutputs, jsonable
from civis_platform.programs.civisml.search import configure, folds, searcher


@dataclass(frozen=True)
class TrainingData:
    """A training frame split into its parts."""

    features: pd.DataFrame
    targets: pd.DataFrame
    keys: pd.Series | None
    fit_columns: dict[str, np.ndarray]


def split(frame: pd.DataFrame, args: TrainArgs) -> TrainingData:
    """Features, targets, primary key and fit-parameter columns, checked."""
    columns = list(frame.columns)
    missing = [c for c in args.target_columns if c not in columns]
    if missing:
        raise ModelError(
            f"Target column {', '.join(map(repr, missing))} is not in the data "
            f"(its columns: {', '.join(columns[:30])})."
        )
    if args.primary_key is not None and args.primary_key not in columns:
        raise ModelError(f"The primary key {args.primary_key!r} is not a column of the data.")
    absent = [c for c in args.fit_params.values() if c not in columns]
    if absent:
        raise ModelError(f"FIT_PARAMS names columns the data does not have: {', '.join(absent)}.")
    unlabelled = frame[args.target_columns].isna().any(axis=1)
    if unlabelled.any():
        warnings.warn(
            f"{int(unlabelled.sum())} rows have no value in a target column and were dropped.",
            stacklevel=2,
        )
        frame = frame.loc[~unlabelled]
    if frame.empty:
        raise ModelError("There are no rows to train on.")
    for target in args.target_columns:
        values = frame[target].unique()
        if len(values) < 2:
            raise ModelError(
                f"The target column {target!r} has only one value ({values[0]!r}): "
                "there is nothing to learn."
            )
    dropped = {*args.target_columns, *args.exclude_cols, *args.fit_params.values()}
    if args.primary_key is not None:
        dropped.add(args.primary_key)
    features = frame[[c for c in columns if c not in dropped]]
    if features.shape[1] == 0:
        raise ModelError("No feature columns are left after the target, key and exclusions.")
    return TrainingData(
        features=features,
        targets=frame[args.target_columns],
        keys=frame[args.primary_key] if args.primary_key is not None else None,
        fit_columns={name: frame[col].to_numpy() for name, col in args.fit_params.items()},
    )


def model_pipeline(client: Any, args: TrainArgs) -> tuple[Pipeline, bool, dict[str, Any]]:
    """The unfitted pipeline of ``MODEL`` (with ``ETL``), whether it classifies, and
    its hyperband distributions."""
    etl = load_user_model(client, args.etl, "ETL estimator") if args.etl is not None else None
    if args.model.isdigit():
        pipeline = wrap(load_user_model(client, int(args.model), "estimator"), etl)
        return pipeline, is_classifier(pipeline), {}
    kind = kind_of(args.model)
    pipeline = build(args.model)
    if etl is not None:
        pipeline.steps[0] = ("preprocess", etl)
    return pipeline, kind.classifier, kind.hyperband


def _fit(estimator: BaseEstimator, x: Any, y: Any, fit_kw: Mapping[str, Any], label: str) -> Any:
    try:
        return estimator.fit(x, y, **fit_kw)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"The {label} model failed to fit: {type(exc).__name__}: {exc}") from exc


def score_columns(target: str, classes: list[Any] | None) -> list[str]:
    """Names of a target's score columns: ``<target>_<class>`` per class, or ``<target>``."""
    return [target] if classes is None else [f"{target}_{c}" for c in classes]


def combine(per_target: list[dict[str, Any]]) -> dict[str, Any]:
    """One metrics dict: a single target's as is, several targets' as lists per metric."""
    if len(per_target) == 1:
        return per_target[0]
    keys = list(dict.fromkeys(k for m in per_target for k in m))
    return {k: [m.get(k) for m in per_target] for k in keys}


def run(env: Mapping[str, str], client: Any, outputs: RunOutputs, report: Report) -> None:
    """Train as the arguments in ``env`` say, posting the outputs to ``outputs``."""
    import joblib

    args = TrainArgs.from_env(env)
    report.configuration = {
        "data": {
            "primary_key": args.primary_key,
            "location": args.source.location,
            "target_columns": args.target_columns,
            "excluded_columns": args.exclude_cols,
        },
        "model": {
            "model": args.model,
            "parameters": args.params,
            "cv_params": args.cv_params,
            "calibration": args.calibration,
        },
    }
    report.data = {"target_columns": args.target_columns, "primary_key": args.primary_key}
    frame = read_source(client, args.source)
    report.stage("read")
    data = split(frame, args)
    pipeline, classifier, hyperband = model_pipeline(client, args)
    pipeline = configure(pipeline, args.params, args.calibration, classifier=classifier)
    estimator = searcher(
        pipeline,
        args.cv_params,
        hyperband,
        classifier=classifier,
        model_name=args.model,
        n_jobs=args.n_jobs,
    )
    report.data.update(
        n_rows=len(data.features),
        n_features=data.features.shape[1],
        column_names_read=list(frame.columns),
        feature_columns=list(data.features.columns),
    )
    targets = args.target_columns
    fit_kw = {f"model__{name}": values for name, values in data.fit_columns.items()}
    x = data.features
    label = args.model if not args.model.isdigit() else f"estimator in file {args.model}"

    search_info: dict[str, Any] = {}
    class_lists: list[list[Any] | None]
    best: BaseEstimator = estimator
    if isinstance(estimator, BaseSearchCV):
        _fit(estimator, x, data.targets[targets[0]], fit_kw, label)
        best = clone(estimator.best_estimator_)
        search_info = {"best_params": estimator.best_params_, "best_score": estimator.best_score_}

    if len(targets) == 1:
        y = data.targets[targets[0]]
        if isinstance(estimator, BaseSearchCV):
            fitted = estimator.best_estimator_
        else:
            fitted = _fit(clone(best), x, y, fit_kw, label)
        class_lists = [list(fitted.classes_)] if classifier else [None]
    else:
        wrapper = MultiOutputClassifier if classifier else MultiOutputRegressor
        fitted = _fit(wrapper(clone(best)), x, data.targets, fit_kw, label)
        class_lists = [list(e.classes_) if classifier else None for e in fitted.estimators_]

    report.model = {
        "name": args.model,
        "type": "classification" if classifier else "regression",
        "estimator": type(fitted).__name__,
        "target_columns": targets,
        "class_names": dict(zip(targets, class_lists, strict=True)),
        "feature_columns": list(x.columns),
        "primary_key": args.primary_key,
        **search_info,
    }
    report.data["class_names"] = report.model["class_names"]
    report.stage("fit")
    buf = io.BytesIO()
    joblib.dump(fitted, buf, compress=3)
    outputs.post_bytes("estimator.pkl", buf.getvalue())
    if not args.validate:
        return

    per_target, scores = [], []
    for target, classes in zip(targets, class_lists, strict=True):
        y = data.targets[target]
        try:
            oos = cross_val_predict(
                clone(best),
                x,
                y,
                cv=folds(classifier),
                method="predict_proba" if classifier else "predict",
                n_jobs=args.n_jobs,
                params=fit_kw or None,
            )
        except Exception as exc:
            raise ModelError(
                f"Cross-validating the {label} model failed: {type(exc).__name__}: {exc}"
            ) from exc
        if classes is None:
            per_target.append(metric.regression(y.to_numpy(), oos))
            oos = np.asarray(oos).reshape(len(y), 1)
        else:
            per_target.append(metric.classification(y.to_numpy(), oos, classes))
        scores.append(pd.DataFrame(oos, columns=score_columns(target, classes), index=x.index))
    report.stage("cross_validation")
    table = pd.concat(scores, axis=1)
    if data.keys is not None:
        table.index = pd.Index(data.keys, name=args.primary_key)
    buf = io.BytesIO()
    table.to_csv(buf, index=data.keys is not None, compression={"method": "gzip", "mtime": 0})
    outputs.post_bytes("predictions.csv.gz", buf.getvalue())
    metrics = combine(per_target)
    outputs.post_json(
        "metrics.json",
        {
            "run": {"status": "succeeded", "configuration": report.configuration},
            "data": report.data,
            "model": report.model,
            "metrics": jsonable(metrics),
        },
    )
    if args.oos.table is not None:
        write_table(client, table.reset_index() if data.keys is not None else table, args.oos)
    report.stage("outputs")
