"""Cross-validated, out-of-sample metrics for ``metrics.json``.

Classification: accuracy, confusion_matrix, p_correct, pop_incidence_true/pred,
roc_auc (a float for two classes, a list per class otherwise, with roc_auc_macroavg),
log_loss, brier_score, roc_curve and calibration_curve (``*_by_class`` for several
classes), deciles and score_histogram. Regression: r, r_squared, rmse, mae, and the
data of a predicted-versus-true plot and a residual histogram.

Examples:
    >>> import numpy as np
    >>> m = classification(np.array([0, 1, 1, 0]), np.array([[.8, .2], [.3, .7], [.4, .6],
    ...                    [.6, .4]]), [0, 1])
    >>> m["roc_auc"], m["accuracy"]
    (1.0, 1.0)
    >>> round(regression(np.array([1., 2., 3.]), np.array([1., 2., 4.]))["mae"], 3)
    0.333
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

MAX_CURVE_POINTS = 200
HISTOGRAM_BINS = 20


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    """At most `MAX_CURVE_POINTS` evenly spaced points of a curve (ends kept)."""
    n = len(arrays[0])
    if n <= MAX_CURVE_POINTS:
        keep = np.arange(n)
    else:
        keep = np.unique(np.linspace(0, n - 1, MAX_CURVE_POINTS).round().astype(int))
    return [np.asarray(a)[keep].tolist() for a in arrays]


def _roc(truth: np.ndarray, score: np.ndarray) -> dict[str, list[float]]:
    fpr, tpr, thresholds = skm.roc_curve(truth, score)
    fpr_, tpr_, thr_ = _thin(fpr, tpr, np.clip(thresholds, 0.0, 1.0))
    return {"fpr": fpr_, "tpr": tpr_, "thresholds": thr_}


def _calibration(truth: np.ndarray, score: np.ndarray) -> dict[str, list[float]]:
    observed, predicted = calibration_curve(truth, score, n_bins=10, strategy="quantile")
    return {"fraction_positive": observed.tolist(), "mean_predicted": predicted.tolist()}


def _deciles(truth: np.ndarray, score: np.ndarray) -> list[float]:
    """The fraction of positives in each tenth of rows by score, highest scores first."""
    order = np.argsort(-score, kind="stable")
    return [float(np.mean(part)) for part in np.array_split(truth[order], 10) if len(part)]


def _histogram(score: np.ndarray, truth: np.ndarray | None = None) -> dict[str, Any]:
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    out: dict[str, Any] = {"bin_edges": edges.tolist(), "counts": np.histogram(score, edges)[0]}
    if truth is not None:
        out["counts_true"] = np.histogram(score[truth == 1], edges)[0]
        out["counts_false"] = np.histogram(score[truth == 0], edges)[0]
    return out


def classification(y: np.ndarray, proba: np.ndarray, classes: list[Any]) -> dict[str, Any]:
    """Metrics of out-of-sample class probabilities ``proba`` (one column per class)."""
    y = np.asarray(y)
    predicted = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    onehot = np.column_stack([(y == c).astype(int) for c in classes])
    labels = list(range(len(classes)))
    y_index = np.argmax(onehot, axis=1)
    p_index = np.argmax(proba, axis=1)
    confusion = skm.confusion_matrix(y_index, p_index, labels=labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_correct = np.diag(confusion) / confusion.sum(axis=1)
    out: dict[str, Any] = {
        "n_rows": len(y),
        "class_names": list(classes),
        "accuracy": float(np.mean(predicted == y)),
        "confusion_matrix": confusion,
        "p_correct": p_correct,
        "pop_incidence_true": onehot.mean(axis=0),
        "pop_incidence_pred": np.bincount(p_index, minlength=len(classes)) / len(y),
        "log_loss": float(skm.log_loss(y_index, proba, labels=labels)),
    }
    if len(classes) == 2:
        truth, score = onehot[:, 1], proba[:, 1]
        out.update(
            roc_auc=float(skm.roc_auc_score(truth, score)),
            brier_score=float(skm.brier_score_loss(truth, score)),
            roc_curve=_roc(truth, score),
            calibration_curve=_calibration(truth, score),
            deciles=_deciles(truth, score),
            score_histogram=_histogram(score, truth),
        )
        return out
    aucs = [float(skm.roc_auc_score(onehot[:, k], proba[:, k])) for k in labels]
    out.update(
        roc_auc=aucs,
        roc_auc_macroavg=float(np.mean(aucs)),
        brier_score=[float(skm.brier_score_loss(onehot[:, k], proba[:, k])) for k in labels],
        roc_curve_by_class=[_roc(onehot[:, k], proba[:, k]) for k in labels],
        calibration_curve_by_class=[_calibration(onehot[:, k], proba[:, k]) for k in labels],
        deciles=[_deciles(onehot[:, k], proba[:, k]) for k in labels],
        score_histogram=[_histogram(proba[:, k], onehot[:, k]) for k in labels],
    )
    return out


def regression(y: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Metrics of out-of-sample predictions of a continuous target."""
    y = np.asarray(y, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    residuals = predicted - y
    r = float(np.corrcoef(y, predicted)[0, 1]) if np.std(predicted) > 0 else 0.0
    edges = np.quantile(y, np.linspace(0, 1, HISTOGRAM_BINS + 1))
    bins = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, HISTOGRAM_BINS - 1)
    means = [
        float(np.mean(predicted[bins == b])) if np.any(bins == b) else None
        for b in range(HISTOGRAM_BINS)
    ]
    counts, residual_edges = np.histogram(residuals, HISTOGRAM_BINS)
    return {
        "n_rows": len(y),
        "r": r,
        "r_squared": float(skm.r2_score(y, predicted)),
        "rmse": float(np.sqrt(skm.mean_squared_error(y, predicted))),
        "mae": float(skm.mean_absolute_error(y, predicted)),
        "y_yhat_plot": {"y_bin_edges": edges.tolist(), "mean_predicted": means},
        "residual_histogram": {"bin_edges": residual_edges.tolist(), "counts": counts},
        "score_histogram": {
            "bin_edges": np.histogram_bin_edges(predicted, HISTOGRAM_BINS).tolist(),
            "counts": np.histogram(predicted, HISTOGRAM_BINS)[0],
        },
    }
