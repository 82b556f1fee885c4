"""Differential test: official and our Response agree on tricky JSON (casing rules, user
maps, JSONValue, lists of lists, empty bodies), including repr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import support

pytestmark = pytest.mark.official

PROBE = """
import json, sys
from civis.response import Response
out = []
for data, kw in json.loads(sys.argv[1]):
    r = Response(data, **kw)
    out.append([r.json(), r.json(snake_case=False), repr(r), len(r),
                sorted(k for k, _ in r.items()), [repr(r[k]) for k in (data or {})]])
print(json.dumps(out, sort_keys=True, default=str))
"""

CASES = [
    (
        {
            "fileUrl": {"rowCount": 1},
            "arguments": {"MY_ARG": {"deepKey": 2}},
            "runs": [{"runId": 1}, "x", [{"aB": 1}]],
            "Content-Type": "t",
            "HTTPResponse": 1,
            "value": {"kK": 1},
            "objectType": "JSONValue",
        },
        {},
    ),
    ({"value": {"kK": 1}}, {"from_json_values": True}),
    ({"value": {"kK": 1}, "objectType": "File"}, {}),
    ({"environmentVariables": {"HOME_X": 1, "inner": {"camelCase": 1}}}, {}),
    (None, {}),
    ({}, {}),
    ({"aB": 1, "nested": {"cD": 2}}, {"snake_case": False}),
    ({"sqlID": 1, "ABCdef": 2, "already_snake": 3, "x1Y2": 4}, {}),
]


def test_official_and_ours_agree() -> None:
    try:
        official = str(support.official_python())
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    arg = json.dumps(CASES)
    outputs = [
        subprocess.run(
            [python, "-c", PROBE, arg], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        for python in (official, sys.executable)
    ]
    theirs, ours = (json.loads(o) for o in outputs)
    assert ours == theirs
