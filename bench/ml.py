"""CivisML training through the platform beside plain scikit-learn in process.

Usage: ``.venv/bin/python bench/ml.py``. Prints the medians and writes them to the
``bench:ml`` section of docs/PERFORMANCE.md; asserts nothing.

The data is the demo's Brandable training table (the pilot's 10,000 labelled users
joined to their features, `civis_platform.demo_data.brandable_customers`). For each
model, "platform" is the wall time from ``POST /scripts/containers/{id}/runs`` of a
training run (the CivisML training program in a bubblewrap sandbox on a real server
over loopback: start the interpreter and import scikit-learn, read the table through an
SQL export, cross-validate, fit, post ``estimator.pkl``, ``predictions.csv.gz``,
``metrics.json`` and ``model_info.json``) until the run is final; "in process" is the
same pipeline's `cross_val_predict` on the same folds plus the final fit, on a data
frame already in memory, in the benchmark's own interpreter with scikit-learn imported.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "civis_platform"))

import pyarrow as pa  # noqa: E402
from _harness import machine_note, update_performance_doc  # noqa: E402
from ml_helpers import civisml, ml_user, write_table  # noqa: E402
from platform_helpers import make_settings  # noqa: E402
from sklearn.model_selection import cross_val_predict  # noqa: E402

from civis_platform.demo_data import brandable_customers  # noqa: E402
from civis_platform.programs.civisml.models import build  # noqa: E402
from civis_platform.programs.civisml.search import folds  # noqa: E402
from civis_platform.testing import ThreadedServer  # noqa: E402

MODELS = ("sparse_logistic", "random_forest_classifier")
ROUNDS = 3


def in_process(model: str, features, target) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    cross_val_predict(build(model), features, target, cv=folds(True), method="predict_proba")
    build(model).fit(features, target)
    return time.perf_counter() - started


def main() -> None:
    tables = brandable_customers()
    training = (
        tables["brandable_all_users"]
        .to_pandas()
        .merge(tables["brandable_pilot"].to_pandas(), on="brandable_user_id")
    )
    features = training.drop(columns=["brandable_user_id", "residential_zip", "upgrade"])
    target = training["upgrade"]
    platform: dict[str, list[float]] = {m: [] for m in MODELS}
    local: dict[str, list[float]] = {m: [] for m in MODELS}
    stages: dict[str, list[dict[str, float]]] = {m: [] for m in MODELS}
    with (
        tempfile.TemporaryDirectory() as home,
        ThreadedServer(make_settings(Path(home), None)) as server,
    ):
        db = write_table(
            server, "bench", "training", pa.Table.from_pandas(training, preserve_index=False)
        )
        user = ml_user(server)
        arguments = {
            "TABLE_NAME": "bench.training",
            "DB": {"database": db},
            "TARGET_COLUMN": "upgrade",
            "PRIMARY_KEY": "brandable_user_id",
            "EXCLUDE_COLS": "residential_zip",
        }
        for _ in range(ROUNDS):  # interleaved, so both see the same machine load
            for model in MODELS:
                started = time.perf_counter()
                done = civisml(user.api, "train", {**arguments, "MODEL": model}, timeout=900)
                platform[model].append(time.perf_counter() - started)
                assert done.state == "succeeded", done.run
                stages[model].append(done.json("model_info.json")["run"].get("timings", {}))
                local[model].append(in_process(model, features, target))
    rows = []
    for model in MODELS:
        ours, plain = statistics.median(platform[model]), statistics.median(local[model])
        timing = {
            k: statistics.median(t.get(k, 0.0) for t in stages[model]) for k in stages[model][0]
        }
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in timing.items())
        rows.append(f"| {model} | {ours:.1f} s | {plain:.1f} s | {ours / plain:.2f}x | {parts} |")
    text = "\n".join(
        [
            "## CivisML: training through the platform (`bench/ml.py`)",
            "",
            f"{machine_note()} {ROUNDS} rounds, interleaved. The Brandable demo training table "
            f"({len(training):,} rows, {features.shape[1]} features, one binary target); 4-fold "
            "cross-validation plus the final fit. Platform: queued to final of a sandboxed "
            "training run on a real server (interpreter start and imports, SQL export of the "
            "table, training, four outputs posted). In process: the same pipeline and folds "
            "on a frame already in memory.",
            "",
            "| model | platform | in process | ratio | stages inside the run (median) |",
            "|---|---:|---:|---:|---|",
            *rows,
            "",
            "Goal: the platform within 1.5x of in-process scikit-learn.",
        ]
    )
    print(text)
    update_performance_doc("ml", text)


if __name__ == "__main__":
    main()
