"""The public names of `civis` and its lazy, cheap import."""

from __future__ import annotations

import subprocess
import sys

import civis


def test_all_names_exist() -> None:
    for name in civis.__all__:
        assert getattr(civis, name) is not None
    assert {
        "APIClient",
        "find",
        "find_one",
        "Response",
        "ListResponse",
        "PaginatedResponse",
        "civis_logger",
        "__version__",
    } <= set(civis.__all__)
    assert civis.__version__ == "0.1.0" or civis.__version__.count(".") >= 1


def test_import_civis_loads_neither_requests_nor_submodules() -> None:
    code = (
        "import sys, civis; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('requests', 'tenacity', 'click', 'yaml') or m.startswith('civis.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = eval(out)
    assert not any(m.split(".")[0] in ("requests", "tenacity", "click", "yaml") for m in loaded)
    assert not {"civis.io", "civis.cli", "civis.tests", "civis.ml"} & set(loaded)


def test_client_knobs_are_public() -> None:
    # Beyond the official surface: the timeout and retry settings a client can be given.
    assert {"Timeouts", "RetryPolicy"} <= set(civis.__all__)
    assert civis.Timeouts(connect=1, read=2).read == 2
    assert civis.RetryPolicy(max_attempts=3).max_attempts == 3


def test_unknown_attribute() -> None:
    import pytest

    with pytest.raises(AttributeError):
        civis.no_such_thing  # noqa: B018
