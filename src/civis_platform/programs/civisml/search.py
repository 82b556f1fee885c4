"""``PARAMS``, ``CALIBRATION`` and ``CVPARAMS`` applied to a model's pipeline, and the
cross-validation folds every training uses.

``PARAMS`` set the estimator's own parameters; ``CALIBRATION`` wraps the estimator in
`CalibratedClassifierCV`; ``CVPARAMS`` is a grid (`GridSearchCV`) or ``"hyperband"``
(successive halving, `HalvingRandomSearchCV`, over the model's declared distributions).

Examples:
    >>> from civis_platform.programs.civisml.models import build
    >>> pipe = configure(build("sparse_logistic"), {"C": 0.5}, "sigmoid", classifier=True)
    >>> type(pipe.named_steps["model"]).__name__, pipe.get_params()["model__estimator__C"]
    ('CalibratedClassifierCV', 0.5)
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (registers it)
from sklearn.model_selection import (
    BaseCrossValidator,
    GridSearchCV,
    HalvingRandomSearchCV,
    KFold,
    StratifiedKFold,
)
from sklearn.pipeline import Pipeline

from civis_platform.programs.civisml.errors import ModelError
from civis_platform.programs.civisml.models import RANDOM_STATE

N_FOLDS = 4


def folds(classifier: bool) -> BaseCrossValidator:
    """The folds of every training's cross-validation (stratified for classifiers)."""
    if classifier:
        return StratifiedKFold(N_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    return KFold(N_FOLDS, shuffle=True, random_state=RANDOM_STATE)


def _prefix(pipeline: Pipeline) -> str:
    model = pipeline.named_steps["model"]
    return "model__estimator__" if isinstance(model, CalibratedClassifierCV) else "model__"


def configure(
    pipeline: Pipeline, params: dict[str, Any], calibration: str | None, *, classifier: bool
) -> Pipeline:
    """The pipeline with ``PARAMS`` set and ``CALIBRATION`` applied."""
    model = pipeline.named_steps["model"]
    if params:
        try:
            model.set_params(**params)
        except (ValueError, TypeError) as exc:
            raise ModelError(f"PARAMS rejected by {type(model).__name__}: {exc}") from exc
    if calibration is not None:
        if not classifier:
            raise ModelError("CALIBRATION is only for classifiers.")
        pipeline.steps[-1] = ("model", CalibratedClassifierCV(model, method=calibration, cv=3))
    return pipeline


def searcher(
    pipeline: Pipeline,
    cv_params: dict[str, Any] | str | None,
    hyperband: dict[str, Any],
    *,
    classifier: bool,
    model_name: str,
    n_jobs: int | None,
) -> BaseEstimator:
    """The estimator to fit: the pipeline itself, or a search over it."""
    if cv_params is None:
        return pipeline
    prefix = _prefix(pipeline)
    scoring = "neg_log_loss" if classifier else "neg_mean_squared_error"
    if cv_params == "hyperband":
        if not hyperband:
            raise ModelError(f'CVPARAMS "hyperband" is not supported for {model_name}.')
        return HalvingRandomSearchCV(
            pipeline,
            {prefix + name: values for name, values in hyperband.items()},
            factor=3,
            cv=folds(classifier),
            scoring=scoring,
            random_state=RANDOM_STATE,
            n_jobs=n_jobs,
        )
    assert isinstance(cv_params, dict)
    grid = {}
    for name, values in cv_params.items():
        if not isinstance(values, list) or not values:
            raise ModelError(f"CVPARAMS {name!r} must be a non-empty list of values to try.")
        grid[prefix + name] = values
    valid = pipeline.get_params()
    unknown = [name for name in grid if name not in valid]
    if unknown:
        raise ModelError(
            f"CVPARAMS names parameters {type(pipeline.named_steps['model']).__name__} "
            f"does not have: {', '.join(n[len(prefix) :] for n in unknown)}."
        )
    return GridSearchCV(pipeline, grid, cv=folds(classifier), scoring=scoring, n_jobs=n_jobs)
