"""Users' own estimators: pickled scikit-learn objects in Civis files (``MODEL`` and
``ETL`` of a training, ``MODEL_FILE_ID`` of a registration), loaded inside the run's
sandbox (unpickling runs the user's code, which is theirs to run there)."""

from __future__ import annotations

import io
from typing import Any

from sklearn.base import BaseEstimator

from civis_platform.programs.civisml.data import download
from civis_platform.programs.civisml.errors import ModelError


def load_estimator(client: Any, file_id: int, what: str) -> Any:
    """The object pickled (with joblib or pickle) in file ``file_id``."""
    import joblib

    raw = download(client, file_id, what)
    try:
        return joblib.load(io.BytesIO(raw))
    except Exception as exc:
        raise ModelError(
            f"The {what} in file {file_id} could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc


def load_user_model(client: Any, file_id: int, what: str = "estimator") -> BaseEstimator:
    """A user's estimator; it must be a scikit-learn estimator with ``fit``."""
    estimator = load_estimator(client, file_id, what)
    if not isinstance(estimator, BaseEstimator) or not hasattr(estimator, "fit"):
        raise ModelError(
            f"The {what} in file {file_id} is a {type(estimator).__name__}, "
            "not a scikit-learn estimator."
        )
    return estimator
