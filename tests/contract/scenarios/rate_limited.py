"""Rate-limit scenario: past the per-user limit the server answers 429 with Retry-After,
and the client waits and retries instead of failing. The server under test allows
SCENARIO_LIMIT calls per SCENARIO_WINDOW seconds."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, finish

import civis

ENDPOINT = os.environ["CIVIS_API_ENDPOINT"]
KEY = os.environ["CIVIS_API_KEY"]
LIMIT = int(os.environ["SCENARIO_LIMIT"])
WINDOW = float(os.environ["SCENARIO_WINDOW"])


@check("server answers 429 with Retry-After past the limit")
def _() -> None:
    statuses = []
    for _ in range(LIMIT + 2):
        resp = requests.get(ENDPOINT + "users/me", auth=(KEY, ""), timeout=30)
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            assert float(resp.headers["Retry-After"]) > 0, resp.headers
            assert resp.json()["code"] == 429
            break
    assert 429 in statuses, statuses
    time.sleep(WINDOW + 0.2)  # let the window pass before the next check


@check("client retries through 429s")
def _() -> None:
    client = civis.APIClient()  # the spec download counts against the limit too
    names = [client.users.get_me().username for _ in range(LIMIT + 2)]
    assert len(set(names)) == 1, names


finish()
