"""Fixtures of the civis.ml client tests: a loopback server whose CivisML runs are the
real CivisML programs, our client pointed at it, and a small labelled data set."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from civisml_server import CivisMLServer
from files_server import make_client


@pytest.fixture(scope="module")
def ml_server() -> Iterator[CivisMLServer]:
    """One server per test module: CivisML runs take seconds, so modules share them."""
    with CivisMLServer() as server:
        yield server


@pytest.fixture(scope="module")
def ml_client(ml_server: CivisMLServer) -> Iterator[Any]:
    """Our client for ``ml_server``; the environment names it too (for unpickling)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIVIS_API_KEY", "test-key")
        yield make_client(ml_server, mp)


def upgrade_frame(n: int = 400, seed: int = 7) -> Any:
    """Users whose ``upgrade`` depends on ``usage`` and ``plan`` (so a model can learn it)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    usage = rng.normal(size=n)
    plan = rng.choice(["basic", "family", "pro"], size=n)
    noise = rng.normal(scale=0.7, size=n)
    upgrade = ((usage + (plan == "pro") * 0.8 + noise) > 0.3).astype(int)
    return pd.DataFrame(
        {
            "user_id": [f"u{i:05d}" for i in range(n)],
            "usage": usage,
            "age": rng.integers(18, 80, size=n),
            "plan": plan,
            "upgrade": upgrade,
        }
    )


@pytest.fixture(scope="module")
def users() -> Any:
    return upgrade_frame()
