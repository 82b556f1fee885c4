"""The registration program: check a user's pretrained estimator and post it as a
model (``estimator.pkl`` and a ``model_info.json`` that prediction reads: the task,
the target columns, the class names and the feature columns)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from civis_platform.programs.civisml.arguments import RegisterArgs
from civis_platform.programs.civisml.data import download
from civis_platform.programs.civisml.errors import ModelError
from civis_platform.programs.civisml.estimators import load_estimator
from civis_platform.programs.civisml.outputs import Report, RunOutputs


def class_names(estimator: Any, targets: list[str]) -> dict[str, list[Any]]:
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return {}
    if len(targets) > 1 and isinstance(classes, list):
        return {t: list(np.asarray(c).tolist()) for t, c in zip(targets, classes, strict=False)}
    return {targets[0]: list(np.asarray(classes).tolist())}


def run(env: Mapping[str, str], client: Any, outputs: RunOutputs, report: Report) -> None:
    args = RegisterArgs.from_env(env)
    report.configuration = {
        "data": {"primary_key": None, "location": None, "target_columns": args.target_columns},
        "model": {"model_file_id": args.model_file_id},
    }
    estimator = load_estimator(client, args.model_file_id, "estimator")
    if not args.skip_model_check:
        if not hasattr(estimator, "predict"):
            raise ModelError(
                f"The object in file {args.model_file_id} ({type(estimator).__name__}) "
                "has no predict method."
            )
        try:
            check_is_fitted(estimator)
        except (NotFittedError, TypeError) as exc:
            raise ModelError(
                f"The estimator in file {args.model_file_id} is not fitted: {exc}"
            ) from exc
    targets = args.target_columns or ["prediction"]
    features = args.feature_columns or [str(c) for c in getattr(estimator, "feature_names_in_", [])]
    classifier = is_classifier(estimator)
    report.model = {
        "name": f"Pretrained {type(estimator).__name__}",
        "type": "classification" if classifier else "regression",
        "estimator": type(estimator).__name__,
        "target_columns": targets,
        "class_names": class_names(estimator, targets) if classifier else {},
        "feature_columns": features,
        "primary_key": None,
    }
    report.data = {
        "target_columns": targets,
        "feature_columns": features,
        "class_names": report.model["class_names"],
    }
    outputs.post_bytes("estimator.pkl", download(client, args.model_file_id, "estimator"))
