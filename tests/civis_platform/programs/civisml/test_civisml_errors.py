"""Bad input to the training program: each fails the run with a clear error, and still
leaves a ``model_info.json`` with that error and the stack trace."""

from __future__ import annotations

from typing import Any

import pytest
from ml_helpers import civisml, ml_user, source, upload

from civis_platform.testing import ThreadedServer

EXCLUDE = "kind amount constant"


def _bad(server: ThreadedServer, arguments: dict[str, Any], expected: str) -> dict[str, Any]:
    user = ml_user(server)
    done = civisml(user.api, "train", arguments)
    assert done.state == "failed", done.run
    assert expected in done.run["error"], done.run["error"]
    info = done.json("model_info.json")
    assert info["run"]["status"] == "exception"
    assert expected in info["error"]
    assert "Traceback" in info["run"]["stack_trace"]
    return info


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"TARGET_COLUMN": "nope", "MODEL": "sparse_logistic"},
            "Target column 'nope' is not in the data",
        ),
        (
            {"TARGET_COLUMN": "constant", "MODEL": "sparse_logistic", "EXCLUDE_COLS": "kind"},
            "The target column 'constant' has only one value",
        ),
        ({"TARGET_COLUMN": "label", "MODEL": "deep_magic"}, "Unknown model 'deep_magic'"),
        (
            {"TARGET_COLUMN": "label", "MODEL": "sparse_logistic", "PARAMS": '{"depth": 3}'},
            "PARAMS rejected by LogisticRegression",
        ),
        (
            {
                "TARGET_COLUMN": "label",
                "MODEL": "sparse_logistic",
                "PARAMS": '{"C": -1}',
                "EXCLUDE_COLS": EXCLUDE,
            },
            "The sparse_logistic model failed to fit: InvalidParameterError",
        ),
    ],
    ids=["missing-target", "constant-target", "unknown-model", "unknown-param", "bad-param"],
)
def test_bad_training_input(
    server: ThreadedServer, small: dict[str, Any], arguments: dict[str, Any], expected: str
) -> None:
    _bad(server, source(small, **arguments), expected)


def test_a_table_that_does_not_exist(server: ThreadedServer, small: dict[str, Any]) -> None:
    arguments = {
        "TABLE_NAME": "nowhere.missing",
        "DB": {"database": small["db"]},
        "TARGET_COLUMN": "label",
        "MODEL": "sparse_logistic",
    }
    info = _bad(server, arguments, "Could not read table nowhere.missing")
    assert "does not exist" in info["error"].lower() or "not found" in info["error"].lower()


def test_a_pickled_estimator_that_does_not_load(
    server: ThreadedServer, small: dict[str, Any]
) -> None:
    user = ml_user(server)
    file_id = upload(user.api, "Estimator for broken", b"this is not a pickle")
    done = civisml(user.api, "train", source(small, TARGET_COLUMN="label", MODEL=str(file_id)))
    assert done.state == "failed"
    expected = f"The estimator in file {file_id} could not be loaded"
    assert expected in done.run["error"] and expected in done.json("model_info.json")["error"]


def test_another_users_file_is_not_readable(server: ThreadedServer, small: dict[str, Any]) -> None:
    owner = ml_user(server)
    file_id = upload(owner.api, "Estimator for secret", b"x")
    info = _bad(
        server,
        source(small, TARGET_COLUMN="label", MODEL=str(file_id)),
        f"Could not read estimator {file_id}",
    )
    assert info["run"]["status"] == "exception"
