"""Response, ListResponse, find/find_one and conversion of raw responses."""

from __future__ import annotations

import copy
import pickle

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from civis.response import (
    CivisClientError,
    CivisImmutableResponseError,
    ListResponse,
    Response,
    convert_response_data_type,
    find,
    find_one,
)

DATA = {
    "id": 5,
    "fileUrl": "http://f",
    "details": {"rowCount": 3, "nestedList": [{"innerKey": 1}]},
    "arguments": {"MY_ARG": 1, "camelArg": {"deepKey": 2}},
    "environmentVariables": {"HOME_DIR": "/x"},
    "runs": [{"runId": 1}, "plain", [{"notConverted": 1}]],
}


def test_snake_and_camel_lookup_at_any_depth() -> None:
    r = Response(DATA)
    assert r.file_url == r["fileUrl"] == r["file_url"] == r.get("fileUrl") == "http://f"
    assert r.details.row_count == r["details"]["rowCount"] == 3
    assert r.details.nested_list[0].inner_key == 1
    assert r.runs[0].run_id == 1 and r.runs[1] == "plain"
    assert r.runs[2] == [{"notConverted": 1}]  # lists of lists stay as they are


def test_user_maps_keep_their_keys_but_nested_dicts_are_snake_cased() -> None:
    r = Response(DATA)
    assert r.arguments["MY_ARG"] == 1 and r.arguments.MY_ARG == 1
    assert "camelArg" in r.arguments.json()
    assert r.arguments["camelArg"].deep_key == 2
    assert r.environment_variables.HOME_DIR == "/x"


def test_dir_lists_keys_for_completion() -> None:
    assert {"file_url", "details", "json", "get"} <= set(dir(Response(DATA)))


def test_missing_keys() -> None:
    r = Response({"a": 1})
    with pytest.raises(AttributeError):
        r.b  # noqa: B018
    with pytest.raises(KeyError):
        r["b"]
    assert r.get("b", 7) == 7


@pytest.mark.parametrize(
    "data, from_json_values, expect_raw",
    [
        ({"objectType": "JSONValue", "value": {"someKey": 1}}, False, True),
        ({"objectType": "File", "value": {"someKey": 1}}, False, False),
        ({"value": {"someKey": 1}}, True, True),
    ],
)
def test_json_value_rule(data: dict[str, object], from_json_values: bool, expect_raw: bool) -> None:
    value = Response(data, from_json_values=from_json_values).value
    assert (value == {"someKey": 1} and isinstance(value, dict)) is expect_raw


def test_immutable() -> None:
    r = Response({"a": 1})
    with pytest.raises(CivisImmutableResponseError):
        r.a = 2
    with pytest.raises(CivisImmutableResponseError):
        r["a"] = 2  # type: ignore[index]
    with pytest.raises(CivisImmutableResponseError):
        del r.a


def test_json_items_len_equality_hash_repr() -> None:
    r = Response(DATA)
    assert r.json()["details"] == {"row_count": 3, "nested_list": [{"inner_key": 1}]}
    assert r.json(snake_case=False) == DATA
    assert dict(r.items())["file_url"] == "http://f"
    assert len(r) == len(DATA) and not Response({}) and not Response(None)
    assert Response({"fileId": 1}) == {"file_id": 1} == Response({"file_id": 1})
    assert hash(Response({"a": [1, 2]})) == hash(Response({"a": [1, 2]}))
    assert repr(Response({"fileId": 1})) == "Response({'file_id': 1})"
    assert repr(Response({"a": {"bC": 1}})) == "Response({'a': Response({'b_c': 1})})"
    assert Response(None).json() == {}


def test_pickle_and_copy_round_trip() -> None:
    headers = CaseInsensitiveDict({"X-RateLimit-Remaining": "9"})
    r = Response(DATA, headers=headers)
    for clone in (pickle.loads(pickle.dumps(r)), copy.deepcopy(r), copy.copy(r)):
        assert clone == r and clone.calls_remaining == 9
        assert clone.arguments.MY_ARG == 1


def test_rate_limit_headers() -> None:
    r = Response({}, headers={"X-RateLimit-Remaining": "7", "X-RateLimit-Limit": "1000"})
    assert (r.calls_remaining, r.rate_limit) == (7, 1000)
    lowered = Response({}, headers={"x-ratelimit-remaining": "3"})
    assert lowered.calls_remaining == 3 and lowered.rate_limit is None
    assert Response({"a": {"b": 1}}, headers={"X-RateLimit-Limit": "1"}).a.headers is None


def _raw(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response._content = body
    response.status_code = status
    response.headers = CaseInsensitiveDict({"X-RateLimit-Limit": "10"})
    return response


def test_convert_response_data_type() -> None:
    listed = convert_response_data_type(_raw(b'[{"fileId": 1}, 2]'))
    assert isinstance(listed, ListResponse) and listed[0].file_id == 1 and listed[1] == 2
    assert listed.headers["x-ratelimit-limit"] == "10" and listed[0].rate_limit == 10
    assert listed.json() == [{"file_id": 1}, 2]
    assert convert_response_data_type(_raw(b"")) == Response(None)
    raw = _raw(b"{}")
    assert convert_response_data_type(raw, return_type="raw") is raw
    with pytest.raises(CivisClientError):
        convert_response_data_type(_raw(b"<html>"))
    value = convert_response_data_type(_raw(b'{"value": {"aB": 1}}'), from_json_values=True)
    assert value.value == {"aB": 1}


ROWS = [
    Response({"name": "a", "archived": False, "n": 1}),
    Response({"name": "b", "archived": 0, "n": 2}),
    Response({"name": "c", "n": 3}),
]


@pytest.mark.parametrize(
    "kwargs, filter_func, expected",
    [
        ({"name": "b"}, None, ["b"]),
        ({"archived": False}, None, ["a"]),  # bools compare with `is`: 0 is not False
        ({"n": lambda n: n > 1}, None, ["b", "c"]),
        ({}, lambda o: o.n != 2, ["a", "c"]),
        ({"archived": 0}, None, ["a", "b"]),  # non-bools compare with ==
        ({"missing": 1}, None, []),
    ],
)
def test_find(kwargs: dict[str, object], filter_func: object, expected: list[str]) -> None:
    assert [o.name for o in find(ROWS, filter_func, **kwargs)] == expected  # type: ignore[arg-type]


def test_find_one() -> None:
    assert find_one(ROWS, n=lambda n: n > 1).name == "b"
    assert find_one(ROWS, name="z") is None
