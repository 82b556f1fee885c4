"""The CivisML tests run on one metadata engine: the programs only talk to the API."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from ml_helpers import write_table
from platform_helpers import unique

from civis_platform.testing import ThreadedServer


@pytest.fixture(scope="module")
def engine_url() -> None:
    return None


@pytest.fixture(scope="module")
def small(server: ThreadedServer) -> dict[str, Any]:
    """A 300-row mixed-type table (missing values, a string column) with a binary
    ``label``, a three-class ``kind`` and a numeric ``amount`` target."""
    rng = np.random.default_rng(7)
    n = 300
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], n)
    signal = 1.5 * x1 - x2 + (color == "red")
    table = pa.table(
        {
            "id": np.arange(n),
            "x1": np.where(rng.random(n) < 0.05, np.nan, x1),
            "x2": x2,
            "color": color,
            "label": (signal + rng.normal(size=n) > 0).astype(int),
            "kind": np.digitize(signal, [-0.7, 0.7]),
            "amount": 3 * x1 + 2 * x2 + rng.normal(size=n),
            "constant": np.ones(n, dtype=int),
        }
    )
    schema = unique("ml")
    db = write_table(server, schema, "small", table)
    return {"table": f"{schema}.small", "db": db, "arrow": table}
