"""The prediction program: score a table or file with a trained (or registered) model,
in parallel chunks for large inputs, to ``predictions.csv.gz`` (the primary key first
when there is one, then ``<target>_<class>`` probabilities or ``<target>`` values) and
optionally to an output table. ``model_info.json`` lists the file in
``output_file_ids``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from civis_platform.programs.civisml.arguments import PredictArgs
from civis_platform.programs.civisml.data import download, read_source, write_table
from civis_platform.programs.civisml.errors import ModelError
from civis_platform.programs.civisml.estimators import load_estimator
from civis_platform.programs.civisml.outputs import Report, RunOutputs, output_file_id
from civis_platform.programs.civisml.train import score_columns

CHUNK_ROWS = 50_000  # inputs above this are scored in chunks, N_JOBS at a time


def score(estimator: Any, features: pd.DataFrame, classifier: bool) -> list[np.ndarray]:
    """One array of scores per target (columns per class for a classifier)."""
    if classifier:
        proba = estimator.predict_proba(features)
        return list(proba) if isinstance(proba, list) else [proba]
    predicted = np.asarray(estimator.predict(features))
    if predicted.ndim == 1:
        return [predicted.reshape(-1, 1)]
    return [predicted[:, [k]] for k in range(predicted.shape[1])]


def score_chunks(
    estimator: Any, features: pd.DataFrame, classifier: bool, n_jobs: int | None
) -> list[np.ndarray]:
    """`score` over chunks of `CHUNK_ROWS` rows, ``n_jobs`` chunks at a time."""
    if len(features) <= CHUNK_ROWS:
        return score(estimator, features, classifier)
    from joblib import Parallel, delayed

    starts = range(0, len(features), CHUNK_ROWS)
    parts = Parallel(n_jobs=n_jobs or 1)(
        delayed(score)(estimator, features.iloc[s : s + CHUNK_ROWS], classifier) for s in starts
    )
    return [np.vstack([part[k] for part in parts]) for k in range(len(parts[0]))]


def feature_frame(
    frame: pd.DataFrame, estimator: Any, model: Mapping[str, Any], drop: set[str]
) -> pd.DataFrame:
    """The columns the model was trained on, in its order."""
    names = getattr(estimator, "feature_names_in_", None)
    wanted = [str(c) for c in names] if names is not None else []
    wanted = wanted or list(model.get("feature_columns") or [])
    if not wanted:
        return frame[[c for c in frame.columns if c not in drop]]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ModelError(
            f"The data to score lacks columns the model was trained on: {', '.join(missing[:20])}."
        )
    return frame[wanted]


def run(env: Mapping[str, str], client: Any, outputs: RunOutputs, report: Report) -> None:
    args = PredictArgs.from_env(env)
    info_id = output_file_id(client, args.train_job, args.train_run, "model_info.json")
    train_info = json.loads(download(client, info_id, "model_info.json"))
    model = train_info.get("model") or {}
    if train_info.get("run", {}).get("status") != "succeeded" or not model:
        raise ModelError(f"Job {args.train_job} run {args.train_run} did not train a model.")
    pk = args.primary_key
    report.configuration = {
        "data": {"primary_key": pk, "location": args.source.location},
        "model": {"train_job": args.train_job, "train_run": args.train_run},
    }
    estimator_id = output_file_id(client, args.train_job, args.train_run, "estimator.pkl")
    estimator = load_estimator(client, estimator_id, "estimator")
    classifier = model.get("type") == "classification"
    targets = list(model.get("target_columns") or [])
    wanted = args.target_columns or targets
    unknown = [t for t in wanted if t not in targets]
    if unknown:
        raise ModelError(
            f"The model does not predict {', '.join(unknown)} (it predicts {', '.join(targets)})."
        )
    frame = read_source(client, args.source)
    if pk is not None and pk not in frame.columns:
        raise ModelError(f"The primary key {pk!r} is not a column of the data to score.")
    features = feature_frame(frame, estimator, model, {*targets, *([pk] if pk else [])})
    try:
        parts = score_chunks(estimator, features, classifier, args.n_jobs)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"Scoring failed: {type(exc).__name__}: {exc}") from exc
    classes = model.get("class_names") or {}
    columns = []
    for target, part in zip(targets, parts, strict=True):
        names = score_columns(target, classes.get(target) if classifier else None)
        if target in wanted:
            columns.append(pd.DataFrame(part, columns=names, index=frame.index))
    table = pd.concat(columns, axis=1)
    if pk is not None:
        table.insert(0, pk, frame[pk])
    buf = io.BytesIO()
    table.to_csv(buf, index=False, compression={"method": "gzip", "mtime": 0})
    file_id = outputs.post_bytes("predictions.csv.gz", buf.getvalue())
    write_table(client, table, args.output)
    report.data = {"n_rows": len(table), "target_columns": wanted, "primary_key": pk}
    report.model = {"type": model.get("type"), "class_names": classes}
    report.extra = {
        "output_file_ids": [file_id],
        "jobs": [
            {
                "id": outputs.job_id,
                "run": {
                    "id": outputs.run_id,
                    "status": "succeeded",
                    "configuration": report.configuration,
                },
            }
        ],
    }
