"""Differential: the official client (civis==2.10.1, its own venv) and ours make the same
CivisML custom scripts (template, name, arguments, notifications) for the same calls."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from civisml_server import CivisMLServer

import support

pytestmark = pytest.mark.official

SCRIPT = r"""
import warnings
warnings.simplefilter("ignore")
import pandas as pd
from sklearn.linear_model import LogisticRegression
from civis.ml import ModelPipeline

df = pd.DataFrame({"id": ["a", "b", "c", "d"], "x": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]})
plain = ModelPipeline("sparse_logistic", "y", primary_key="id", model_name="m",
                      parameters={"C": 2}, cross_validation_parameters={"C": [1, 2]})
plain.train(df=df)
rich = ModelPipeline("random_forest_classifier", ["y", "z"], calibration="isotonic",
                     excluded_columns=["x"], cpu_requested=2048, memory_requested=4096,
                     dependencies=["a", "b"], git_token_name="github", verbose=True,
                     notifications={"success_on": True}, cross_validation_parameters="hyperband")
rich.train(table_name="s.t", database_name="Warehouse", sql_where="x > 1", sql_limit=5,
           oos_scores="s.oos", oos_scores_db="Warehouse", if_exists="drop",
           fit_params={"sample_weight": "w"}, validation_data="skip", n_jobs=2)
own = ModelPipeline(LogisticRegression(C=0.5), "y")
own.train(file_id=12345)
"""


def _bodies(python: str, server: CivisMLServer) -> list[dict[str, Any]]:
    before = set(server.scripts)
    env = {
        "CIVIS_API_ENDPOINT": server.url,
        "CIVIS_API_KEY": "test-key",
        "PATH": "/usr/bin:/bin",
        "HOME": str(server.root),
    }
    proc = subprocess.run(
        [python, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    bodies = []
    for script_id in sorted(set(server.scripts) - before):
        script = dict(server.scripts[script_id])
        args = dict(script["arguments"])
        # File ids differ between the two runs: compare what the files are instead.
        for key in ("CIVIS_FILE_ID", "MODEL"):
            value = args.get(key)
            if key == "CIVIS_FILE_ID" and value not in (None, 12345):
                args[key] = f"file:{server.files[int(value)].name}"
            if key == "MODEL" and isinstance(value, str) and value.isdigit():
                args[key] = f"file:{server.files[int(value)].name}"
        bodies.append(
            {
                "template": script["fromTemplateId"],
                "name": script["name"],
                "notifications": script["notifications"],
                "arguments": args,
            }
        )
    return bodies


def test_official_and_ours_make_the_same_scripts() -> None:
    try:
        official = str(support.official_python())
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with CivisMLServer(run_programs=False) as server:
        theirs = _bodies(official, server)
        ours = _bodies(sys.executable, server)
    assert len(theirs) == 3
    for mine, ref in zip(ours, theirs, strict=True):
        assert json.dumps(mine, sort_keys=True) == json.dumps(ref, sort_keys=True)
