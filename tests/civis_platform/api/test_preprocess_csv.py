"""``/files/preprocess/csv`` over loopback: the job, its run through ``/jobs``, and the
``detectedInfo`` of the File it outputs."""

from __future__ import annotations

import gzip
from typing import Any

import requests
from import_helpers import run_job, upload
from platform_helpers import Api, assert_civis_error

DATA = b"id,zip,joined\n1,02134,2024-01-02\n2,90210,2024-02-03\n"


def _preprocess(api: Api, file_id: int, **options: Any) -> dict[str, Any]:
    response = api.post("files/preprocess/csv", json={"file_id": file_id, **options})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _output_file(api: Api, job: int, run: int) -> dict[str, Any]:
    [output] = api.get(f"jobs/{job}/runs/{run}/outputs").json()
    assert output["objectType"] == "File"
    body: dict[str, Any] = api.get(f"files/{output['objectId']}").json()
    return body


def test_create_show_update_and_archive(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, DATA)
    job = _preprocess(api, file_id, in_place=False, detect_table_columns=True, hidden=True)
    assert job["fileId"] == file_id and job["inPlace"] is False and job["hidden"] is True
    assert job["detectTableColumns"] is True and job["columnDelimiter"] is None
    assert api.get(f"files/preprocess/csv/{job['id']}").json() == job
    patched = api.patch(f"files/preprocess/csv/{job['id']}", json={"column_delimiter": "pipe"})
    assert patched.json()["columnDelimiter"] == "pipe" and patched.json()["inPlace"] is False
    replaced = api.put(f"files/preprocess/csv/{job['id']}", json={"file_id": file_id})
    assert replaced.json()["inPlace"] is True and replaced.json()["columnDelimiter"] is None
    assert api.get(f"jobs/{job['id']}").json()["type"] == "JobTypes::CsvPreprocess"
    archived = api.put(f"files/preprocess/csv/{job['id']}/archive", json={"status": True})
    assert archived.status_code == 200 and archived.json()["id"] == job["id"]
    assert api.get(f"jobs/{job['id']}").json()["archived"] == "true"
    api.put(f"files/preprocess/csv/{job['id']}/archive", json={"status": False})
    assert api.delete(f"files/preprocess/csv/{job['id']}").status_code == 204
    assert api.get(f"jobs/{job['id']}").json()["archived"] == "true"


def test_bad_fields_are_400s(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, DATA)
    body = assert_civis_error(api.post("files/preprocess/csv", json={}), 400)
    assert "fileId" in body["errorDescription"]
    bad = api.post("files/preprocess/csv", json={"file_id": file_id, "column_delimiter": ";"})
    assert "columnDelimiter" in assert_civis_error(bad, 400)["errorDescription"]
    assert_civis_error(api.get("files/preprocess/csv/999999"), 404)


def test_a_copy_with_detected_info_and_columns(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, DATA, name="people.csv")
    job = _preprocess(api, file_id, in_place=False, detect_table_columns=True)
    run = run_job(api, job["id"])
    assert run["state"] == "succeeded", run
    cleaned = _output_file(api, job["id"], run["id"])
    assert cleaned["id"] != file_id and cleaned["name"] == "people.csv"
    assert cleaned["detectedInfo"] == {
        "includeHeader": True,
        "columnDelimiter": "comma",
        "compression": "none",
        "tableColumns": [
            {"name": "id", "sqlType": "integer"},
            {"name": "zip", "sqlType": "character varying(16)"},
            {"name": "joined", "sqlType": "date"},
        ],
    }
    assert requests.get(cleaned["fileUrl"], timeout=30).content == DATA


def test_in_place_without_columns(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, gzip.compress(DATA.replace(b",", b"\t")), name="t.csv.gz")
    job = _preprocess(api, file_id)
    run = run_job(api, job["id"])
    assert run["state"] == "succeeded", run
    same = _output_file(api, job["id"], run["id"])
    assert same["id"] == file_id
    assert same["detectedInfo"] == {
        "includeHeader": True,
        "columnDelimiter": "tab",
        "compression": "gzip",
        "tableColumns": [],
    }


def test_user_given_header_and_delimiter_win(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, b"a|b\nc|d\n")
    job = _preprocess(
        api,
        file_id,
        in_place=False,
        detect_table_columns=True,
        include_header=False,
        column_delimiter="pipe",
    )
    run = run_job(api, job["id"])
    info = _output_file(api, job["id"], run["id"])["detectedInfo"]
    assert info["includeHeader"] is False and info["columnDelimiter"] == "pipe"
    assert [c["name"] for c in info["tableColumns"]] == ["column_1", "column_2"]


def _fails(api: Api, file_id: int) -> str:
    job = _preprocess(api, file_id, in_place=False)
    run = run_job(api, job["id"])
    assert run["state"] == "failed", run
    error: str = run["error"]
    assert error
    return error


def test_binary_empty_ragged_and_broken_gzip_fail_clearly(new_user: Any) -> None:
    _user, api = new_user()
    assert "binary" in _fails(api, upload(api, b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR"))
    assert "empty" in _fails(api, upload(api, b""))
    assert "line 3 has 3 fields" in _fails(api, upload(api, b"a,b\n1,2\n1,2,3\n"))
    assert "gzip" in _fails(api, upload(api, gzip.compress(DATA)[:20]))


def test_another_users_file_is_refused(new_user: Any) -> None:
    _owner, owner_api = new_user()
    _other, other_api = new_user()
    file_id = upload(owner_api, DATA)
    refused = other_api.post("files/preprocess/csv", json={"file_id": file_id})
    assert "fileId" in assert_civis_error(refused, 400)["errorDescription"]
    mine = _preprocess(other_api, upload(other_api, DATA))
    repointed = other_api.patch(f"files/preprocess/csv/{mine['id']}", json={"fileId": file_id})
    assert_civis_error(repointed, 400)
    assert other_api.get(f"files/preprocess/csv/{mine['id']}").json()["fileId"] == mine["fileId"]


def test_a_file_unshared_after_the_job_was_made_fails_the_run(new_user: Any) -> None:
    _owner, owner_api = new_user()
    other, other_api = new_user()
    file_id = upload(owner_api, DATA)
    grant = {"userIds": [other.id], "permissionLevel": "read"}
    assert owner_api.put(f"files/{file_id}/shares/users", json=grant).status_code == 200
    job = _preprocess(other_api, file_id, in_place=False)
    assert owner_api.delete(f"files/{file_id}/shares/users/{other.id}").status_code == 204
    run = run_job(other_api, job["id"])
    assert run["state"] == "failed" and f"File {file_id} was not found" in run["error"]


def test_text_that_is_not_utf8_is_converted_into_a_copy(new_user: Any) -> None:
    _user, api = new_user()
    latin = "name,city\nJosé,Zürich\n".encode("cp1252")
    file_id = upload(api, gzip.compress(latin))
    job = _preprocess(api, file_id, in_place=False, force_character_set_conversion=True)
    run = run_job(api, job["id"])
    assert run["state"] == "succeeded", run
    copy = _output_file(api, job["id"], run["id"])
    assert copy["detectedInfo"]["compression"] == "none"
    assert requests.get(copy["fileUrl"], timeout=30).content == "name,city\nJosé,Zürich\n".encode()
    in_place = run_job(api, _preprocess(api, file_id, force_character_set_conversion=True)["id"])
    assert in_place["state"] == "failed" and "cp1252" in in_place["error"]
    unforced = run_job(api, _preprocess(api, file_id, in_place=False)["id"])
    assert unforced["state"] == "failed" and "not UTF-8" in unforced["error"]
