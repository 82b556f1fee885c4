"""Bad input scenario: what a user gets for a credential, file, URL or SQL they cannot use.

Runs unchanged under the official client and ours. Every case must end in a clear error
(an exception with a message), never a hang, a 500 or a silent success. Environment:
CIVIS_API_ENDPOINT, CIVIS_API_KEY, CIVIS_TEST_DATABASE, FOREIGN_CREDENTIAL_ID and
FOREIGN_FILE_ID (objects of another user).
"""

from __future__ import annotations

import io
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

DB = os.environ["CIVIS_TEST_DATABASE"]
FOREIGN_CREDENTIAL_ID = int(os.environ["FOREIGN_CREDENTIAL_ID"])
FOREIGN_FILE_ID = int(os.environ["FOREIGN_FILE_ID"])
client = civis.APIClient()
# Any: expect_raises takes one type; a tuple of them works the same at run time.
REFUSED: Any = (civis.base.CivisAPIError, civis.base.CivisJobFailure)


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@check("a SQL run with another user's credential is refused, naming the credential")
def _() -> None:
    error = expect_raises(
        REFUSED,
        lambda: civis.io.read_civis_sql(
            "select 1",
            DB,
            credential_id=FOREIGN_CREDENTIAL_ID,
            client=client,
            polling_interval=0.2,
        ),
    )
    assert f"Credential {FOREIGN_CREDENTIAL_ID}" in str(error), str(error)


@check("an unknown credential id is refused too")
def _() -> None:
    error = expect_raises(
        REFUSED,
        lambda: civis.io.query_civis(
            "select 1", DB, credential_id=987654321, client=client, polling_interval=0.2
        ).result(),
    )
    assert "987654321" in str(error), str(error)


@check("bad SQL through query_civis fails the run with the engine's message")
def _() -> None:
    future = civis.io.query_civis("selec 1", DB, client=client, polling_interval=0.2)
    error = expect_raises(civis.base.CivisJobFailure, future.result)
    assert "syntax" in str(error).lower(), str(error)


@check("another user's file cannot be downloaded (404)")
def _() -> None:
    error = expect_raises(
        civis.base.CivisAPIError,
        lambda: civis.io.civis_to_file(FOREIGN_FILE_ID, io.BytesIO(), client=client),
    )
    assert error.status_code == 404  # type: ignore[attr-defined]


@check("an expired download URL is refused with a clear message")
def _() -> None:
    file_id = civis.io.file_to_civis(io.BytesIO(b"a,b\n1,2\n"), "short.csv", client=client)
    url = client.files.get(file_id, link_expires_at=soon(1.5)).file_url
    assert requests.get(url, timeout=30).content == b"a,b\n1,2\n"
    time.sleep(2.0)
    answer = requests.get(url, timeout=30)
    assert answer.status_code in (403, 410), answer.status_code
    assert "expired" in answer.text.lower(), answer.text


@check("a file past its expiry has no URL: civis_to_file says it may have expired")
def _() -> None:
    file_id = civis.io.file_to_civis(
        io.BytesIO(b"gone soon"), "brief.txt", expires_at=soon(1.5), client=client
    )
    time.sleep(2.0)
    error = expect_raises(
        civis.base.EmptyResultError,
        lambda: civis.io.civis_to_file(file_id, io.BytesIO(), client=client),
    )
    assert "expired" in str(error), str(error)


finish()
