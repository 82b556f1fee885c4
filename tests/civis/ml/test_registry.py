"""list_models and the model-sharing functions: the calls they make, on a loopback server
that records them (no CivisML runs are needed: the scripts are made through the API)."""

from __future__ import annotations

from typing import Any

import pytest
from civisml_server import ME, TEMPLATES, CivisMLServer
from files_server import Run

from civis.ml import (
    delete_models_shares_groups,
    delete_models_shares_users,
    list_models,
    put_models_shares_groups,
    put_models_shares_users,
)


def _script(client: Any, template: str, name: str) -> int:
    return int(client.scripts.post_custom(TEMPLATES[template], name=name, arguments={}).id)


def test_list_models_by_kind_and_author(ml_server: CivisMLServer, ml_client: Any) -> None:
    train = _script(ml_client, "training", "a Train")
    registered = _script(ml_client, "registration", "b")
    predict = _script(ml_client, "prediction", "a Predict")
    ml_client.scripts.post_custom(10_001, name="not CivisML", arguments={})
    assert [m.id for m in list_models(client=ml_client)] == [registered, train]
    assert [m.id for m in list_models("predict", client=ml_client)] == [predict]
    assert [m.id for m in list_models(None, client=ml_client)] == [predict, registered, train]
    assert list_models(author=ME["id"] + 1, client=ml_client) == []
    assert len(list_models(author=None, client=ml_client)) == 2
    # Template ids go as one comma-separated string; the author is the caller by default.
    assert ml_server.requests_to("GET", "/users/me/?")
    with pytest.raises(ValueError, match="job_type"):
        list_models("score", client=ml_client)


def _with_outputs(server: CivisMLServer, client: Any) -> tuple[int, list[int]]:
    """A model script with one run whose outputs are two files."""
    import io

    from civis.io import file_to_civis

    job = _script(client, "training", "shared Train")
    with server.lock:  # not new_run: that would start the training program
        run = Run(next(server.ids), job, "succeeded")
        server.runs[run.id] = run
    files = [
        file_to_civis(io.BytesIO(b"{}"), name, client=client)
        for name in ("model_info.json", "metrics.json")
    ]
    run.outputs.extend({"objectType": "File", "objectId": f, "name": "x"} for f in files)
    return job, files


def test_sharing_a_model_shares_its_outputs(ml_server: CivisMLServer, ml_client: Any) -> None:
    job, files = _with_outputs(ml_server, ml_client)
    ml_server.shares.clear()
    put_models_shares_users(job, [7, 8], "read", client=ml_client)
    assert ml_server.shares[0] == (
        "PUT",
        "scripts",
        job,
        {"user_ids": [7, 8], "permission_level": "read"},
    )
    assert [(verb, kind, oid) for verb, kind, oid, _ in ml_server.shares[1:]] == [
        ("PUT", "files", f) for f in files
    ]
    # The outputs are shared quietly: the model's share sends the one e-mail.
    assert all(body["send_shared_email"] is False for *_, body in ml_server.shares[1:])
    ml_server.shares.clear()
    put_models_shares_groups(
        job, [3], "write", client=ml_client, send_shared_email=True, share_email_body="see this"
    )
    assert ml_server.shares[0][3] == {
        "group_ids": [3],
        "permission_level": "write",
        "share_email_body": "see this",
        "send_shared_email": True,
    }
    ml_server.shares.clear()
    delete_models_shares_users(job, 7, client=ml_client)
    delete_models_shares_groups(job, 3, client=ml_client)
    assert [(verb, kind, oid, who) for verb, kind, oid, who in ml_server.shares] == [
        ("DELETE", "scripts", job, 7),
        *[("DELETE", "files", f, 7) for f in files],
        ("DELETE", "scripts", job, 3),
        *[("DELETE", "files", f, 3) for f in files],
    ]
