"""The 13 predefined CivisML models (contract 6.5) as scikit-learn pipelines.

Each is ``Pipeline([("preprocess", <ColumnTransformer>), ("model", <estimator>)])``, the
preprocessing of `preprocess` with scaling where the estimator needs it. `PARAMS` and
`CVPARAMS` name the estimator's own parameters (``C``, ``n_estimators``...); `search`
prefixes them. ``HYPERBAND`` gives the distributions that ``CVPARAMS="hyperband"``
searches (none for the sparse GLMs, as in CivisML).

Examples:
    >>> sorted(MODELS) == sorted(CLASSIFIERS + REGRESSORS)
    True
    >>> build("sparse_logistic").steps[-1][1].__class__.__name__
    'LogisticRegression'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scipy.stats import loguniform, randint, uniform
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline

from civis_platform.programs.civisml.errors import ModelError
from civis_platform.programs.civisml.preprocess import preprocessor

RANDOM_STATE = 42  # every predefined model and every fold split is deterministic


@dataclass(frozen=True)
class ModelKind:
    """One predefined model: its estimator, whether it needs scaled inputs, its task."""

    make: Callable[[], BaseEstimator]
    classifier: bool
    scale: bool = False
    hyperband: dict[str, Any] = field(default_factory=dict)


_TREES = {
    "n_estimators": randint(20, 150),
    "max_depth": randint(2, 12),
    "min_samples_leaf": randint(1, 20),
    "max_features": ["sqrt", "log2", None],
}
_BOOST = {
    "n_estimators": randint(20, 150),
    "max_depth": randint(1, 6),
    "learning_rate": loguniform(0.005, 0.5),
    "subsample": uniform(0.5, 0.5),
}
_MLP = {
    "hidden_layer_sizes": [(50,), (100,), (100, 50)],
    "alpha": loguniform(1e-6, 1e-1),
    "learning_rate_init": loguniform(1e-4, 1e-1),
}


def _classifier_stack() -> StackingClassifier:
    return StackingClassifier(
        [
            ("gradient_boosting", GradientBoostingClassifier(random_state=RANDOM_STATE)),
            ("random_forest", RandomForestClassifier(random_state=RANDOM_STATE)),
            ("logistic", LogisticRegression(max_iter=1000)),
        ],
        final_estimator=LogisticRegression(max_iter=1000),
        cv=4,
    )


def _regressor_stack() -> StackingRegressor:
    return StackingRegressor(
        [
            ("gradient_boosting", GradientBoostingRegressor(random_state=RANDOM_STATE)),
            ("random_forest", RandomForestRegressor(random_state=RANDOM_STATE)),
            ("ridge", RidgeCV()),
        ],
        final_estimator=RidgeCV(),
        cv=4,
    )


MODELS: dict[str, ModelKind] = {
    "sparse_logistic": ModelKind(
        lambda: LogisticRegression(max_iter=1000), classifier=True, scale=True
    ),
    "gradient_boosting_classifier": ModelKind(
        lambda: GradientBoostingClassifier(random_state=RANDOM_STATE), True, hyperband=_BOOST
    ),
    "random_forest_classifier": ModelKind(
        lambda: RandomForestClassifier(n_estimators=100, random_state=RANDOM_STATE),
        True,
        hyperband=_TREES,
    ),
    "extra_trees_classifier": ModelKind(
        lambda: ExtraTreesClassifier(n_estimators=100, random_state=RANDOM_STATE),
        True,
        hyperband=_TREES,
    ),
    "multilayer_perceptron_classifier": ModelKind(
        lambda: MLPClassifier(max_iter=500, early_stopping=True, random_state=RANDOM_STATE),
        True,
        scale=True,
        hyperband=_MLP,
    ),
    "stacking_classifier": ModelKind(
        _classifier_stack,
        True,
        scale=True,
        hyperband={"final_estimator__C": loguniform(1e-3, 1e3)},
    ),
    "sparse_linear_regressor": ModelKind(LinearRegression, classifier=False, scale=True),
    "sparse_ridge_regressor": ModelKind(Ridge, classifier=False, scale=True),
    "gradient_boosting_regressor": ModelKind(
        lambda: GradientBoostingRegressor(random_state=RANDOM_STATE), False, hyperband=_BOOST
    ),
    "random_forest_regressor": ModelKind(
        lambda: RandomForestRegressor(n_estimators=100, random_state=RANDOM_STATE),
        False,
        hyperband=_TREES,
    ),
    "extra_trees_regressor": ModelKind(
        lambda: ExtraTreesRegressor(n_estimators=100, random_state=RANDOM_STATE),
        False,
        hyperband=_TREES,
    ),
    "multilayer_perceptron_regressor": ModelKind(
        lambda: MLPRegressor(max_iter=500, early_stopping=True, random_state=RANDOM_STATE),
        False,
        scale=True,
        hyperband=_MLP,
    ),
    "stacking_regressor": ModelKind(
        _regressor_stack,
        False,
        scale=True,
        hyperband={"final_estimator__alphas": [(0.1, 1.0, 10.0), (1.0, 10.0, 100.0)]},
    ),
}
CLASSIFIERS = [name for name, kind in MODELS.items() if kind.classifier]
REGRESSORS = [name for name, kind in MODELS.items() if not kind.classifier]


def kind_of(name: str) -> ModelKind:
    """The predefined model called ``name``, or a clear `ModelError`."""
    if name not in MODELS:
        raise ModelError(
            f"Unknown model {name!r}: give one of {', '.join(MODELS)}, "
            "or the file id of a pickled scikit-learn estimator."
        )
    return MODELS[name]


def build(name: str) -> Pipeline:
    """A fresh, unfitted pipeline of the predefined model ``name``."""
    kind = kind_of(name)
    return Pipeline([("preprocess", preprocessor(scale=kind.scale)), ("model", kind.make())])


def wrap(estimator: BaseEstimator, etl: BaseEstimator | None = None) -> Pipeline:
    """A user's estimator behind the default preprocessing (or their own ``ETL``);
    a user's `Pipeline` that already starts from raw frames is left as it is when no
    ETL is given and it has its own first step named ``preprocess``."""
    if etl is None and isinstance(estimator, Pipeline) and estimator.steps[0][0] == "preprocess":
        return estimator
    step = etl if etl is not None else preprocessor(scale=False)
    return Pipeline([("preprocess", step), ("model", estimator)])
