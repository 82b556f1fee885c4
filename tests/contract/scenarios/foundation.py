"""Foundation scenario: identity, lookups, pagination and errors, through `import civis`.

Runs unchanged under the official client and under ours (the interpreter decides which
`civis` is imported). Environment: CIVIS_API_ENDPOINT, CIVIS_API_KEY (an ordinary user),
SCENARIO_USERNAME (that user's name).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import OrderedDict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

ENDPOINT = os.environ["CIVIS_API_ENDPOINT"]
USERNAME = os.environ["SCENARIO_USERNAME"]
client = civis.APIClient()


def raw_error(path: str) -> dict:
    """The server's own error body for a request, read without any client."""
    resp = requests.get(ENDPOINT + path, auth=(os.environ["CIVIS_API_KEY"], ""), timeout=30)
    return resp.json()


@check("users.get_me")
def _() -> None:
    me = client.users.get_me()
    assert me.username == USERNAME, me
    assert me["username"] == USERNAME
    assert isinstance(me.id, int)
    # camelCase keys are exposed in snake_case (and the original key still works).
    assert me.json()["username"] == USERNAME


@check("deprecated list_me alias warns")
def _() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        me = client.users.list_me()
    assert me.username == USERNAME
    assert any(issubclass(w.category, FutureWarning) for w in caught), caught


@check("rate limit headers")
def _() -> None:
    me = client.users.get_me()
    assert me.rate_limit == 1000, me.headers
    assert isinstance(me.calls_remaining, int) and 0 <= me.calls_remaining < 1000


@check("lookups")
def _() -> None:
    db_id = client.get_database_id("Civis Database")
    assert isinstance(db_id, int)
    assert client.get_database_id(db_id) == db_id
    assert client.username == USERNAME
    cred_id = client.default_database_credential_id
    assert isinstance(cred_id, int)
    cred = client.credentials.get(cred_id)
    assert cred.type == "Database", cred


@check("list databases and credentials")
def _() -> None:
    names = [db.name for db in client.databases.list()]
    assert "Civis Database" in names, names
    creds = client.credentials.list(type="Database", default=True)
    assert len(creds) == 1 and creds[0].default is True, creds


@check("paginated list with iterator=True")
def _() -> None:
    created = {
        client.credentials.post("Custom", f"user{i}", "secret", name=f"pager-{i}").id
        for i in range(5)
    }
    seen = [c.id for c in client.credentials.list(iterator=True, limit=2)]
    assert len(seen) == len(set(seen)), "a credential was repeated across pages"
    assert created <= set(seen), (created, seen)
    one_page = client.credentials.list(limit=2, page_num=1)
    assert len(one_page) == 2
    assert one_page.headers["X-Pagination-Per-Page"] == "2"
    assert client.credentials.list(limit=2, page_num=10_000) == []


@check("404 is a CivisAPIError with the server's errorDescription")
def _() -> None:
    err = expect_raises(civis.base.CivisAPIError, lambda: client.credentials.get(987654321))
    assert err.status_code == 404
    expected = raw_error("credentials/987654321")["errorDescription"]
    assert err.error_message == expected and expected, (err.error_message, expected)
    assert "(404)" in str(err) and "credentials/987654321" in str(err), str(err)


@check("400 for a wrongly typed body field names the field")
def _() -> None:
    err = expect_raises(
        civis.base.CivisAPIError,
        lambda: client.credentials.post("Custom", "u", "pw", remote_host_id="not-a-number"),
    )
    assert err.status_code == 400, err
    assert "remote" in err.error_message.lower(), err.error_message


@check("a non-numeric id is a clear 404")
def _() -> None:
    err = expect_raises(civis.base.CivisAPIError, lambda: client.users.get("not-a-number"))
    assert err.status_code == 404
    assert err.error_message == raw_error("users/not-a-number")["errorDescription"]


@check("400 for a missing required body field names it")
def _() -> None:
    err = expect_raises(
        civis.base.CivisAPIError, lambda: client.credentials.post("Custom", None, "pw")
    )
    assert err.status_code == 400, err
    assert "username" in err.error_message, err.error_message


@check("bad key: spec download refused")
def _() -> None:
    # Both clients refuse to build from /endpoints with a bad key (the official one raises
    # requests.HTTPError mentioning the expired key).
    err = expect_raises(Exception, lambda: civis.APIClient(api_key="not-a-real-key"))
    assert "401" in str(err) or "key" in str(err).lower(), err


@check("bad key: calls raise CivisAPIKeyError")
def _() -> None:
    spec = requests.get(
        ENDPOINT + "endpoints", auth=(os.environ["CIVIS_API_KEY"], ""), timeout=60
    ).json(object_pairs_hook=OrderedDict)
    bad = civis.APIClient(api_key="not-a-real-key", local_api_spec=spec)
    err = expect_raises(civis.base.CivisAPIKeyError, bad.users.get_me)
    assert str(err), "the WWW-Authenticate challenge should be the message"


finish()
