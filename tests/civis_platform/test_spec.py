"""Our ``/endpoints`` spec against the reference, and the official client against us."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from typing import Any

import pytest
import requests

import support
from civis_platform.app import create_app
from civis_platform.config import Settings
from civis_platform.spec import build_spec, schema_of
from civis_platform.testing import ThreadedServer

VERBS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Building the app opens nothing, so no server is needed to read its spec.
    return build_spec(create_app(Settings(home=tmp_path_factory.mktemp("spec"))))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["definitions"][schema["$ref"].split("/")[-1]]
    return schema


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, v, op) for p, item in spec["paths"].items() for v, op in item.items()]


def _ids(spec: dict[str, Any]) -> list[str]:
    return [f"{v.upper()} {p}" for p, v, _ in _operations(spec)]


def _body(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    for param in op["parameters"]:
        if param["in"] == "body":
            return _resolve(spec, param["schema"])
    return None


def _response_properties(spec: dict[str, Any], op: dict[str, Any]) -> list[str] | None:
    [response] = op["responses"].values()
    if "schema" not in response:
        return None
    schema = _resolve(spec, response["schema"])
    if schema.get("type") == "array":
        schema = _resolve(spec, schema["items"])
    return list(schema.get("properties", {}))


def test_we_serve_a_meaningful_set_of_operations(ours: dict[str, Any]) -> None:
    assert len(_operations(ours)) >= 40
    assert "/credentials/" in ours["paths"] and "/users/me" in ours["paths"]


def test_every_operation_matches_the_reference(ours: dict[str, Any]) -> None:
    reference = support.reference_spec()
    problems: list[str] = []
    for path, verb, op in _operations(ours):
        where = f"{verb.upper()} {path}"
        ref_op = reference["paths"].get(path, {}).get(verb)
        if ref_op is None:
            problems.append(f"{where}: not in the reference")
            continue
        plain = [
            (p["name"], p["in"], p["required"], p["type"])
            for p in op["parameters"]
            if p["in"] != "body"
        ]
        ref_plain = [
            (p["name"], p["in"], p["required"], p["type"])
            for p in ref_op["parameters"]
            if p["in"] != "body"
        ]
        if sorted(plain) != sorted(ref_plain):
            problems.append(f"{where}: parameters {plain} != {ref_plain}")
        path_order = [p[0] for p in plain if p[1] == "path"]
        if path_order != [p[0] for p in ref_plain if p[1] == "path"]:
            problems.append(f"{where}: path parameter order {path_order}")
        body, ref_body = _body(ours, op), _body(reference, ref_op)
        if (body is None) != (ref_body is None):
            problems.append(f"{where}: body presence differs")
        elif body is not None and ref_body is not None:
            if list(body["properties"]) != list(ref_body["properties"]):
                problems.append(f"{where}: body properties {list(body['properties'])}")
            if body.get("required", []) != ref_body.get("required", []):
                problems.append(f"{where}: body required {body.get('required')}")
            ref_param = next(p for p in ref_op["parameters"] if p["in"] == "body")
            our_param = next(p for p in op["parameters"] if p["in"] == "body")
            if our_param["required"] != ref_param.get("required", False):
                problems.append(f"{where}: body parameter required flag")
        if list(op["responses"]) != list(ref_op["responses"]):
            problems.append(f"{where}: response codes {list(op['responses'])}")
        props, ref_props = _response_properties(ours, op), _response_properties(reference, ref_op)
        if props != ref_props:
            problems.append(f"{where}: response properties {props} != {ref_props}")
        ref_array = (
            _resolve(
                reference, ref_op["responses"][next(iter(ref_op["responses"]))].get("schema", {})
            ).get("type")
            == "array"
        )
        our_array = (
            op["responses"][next(iter(op["responses"]))].get("schema", {}).get("type") == "array"
        )
        if ref_array != our_array:
            problems.append(f"{where}: array response {our_array}")
        deprecated = "deprecated" in ref_op["summary"].lower()
        if ("deprecated" in op["summary"].lower()) != deprecated:
            problems.append(f"{where}: summary deprecation mismatch")
    assert not problems, "\n".join(problems)


def _walk_schema(schema: dict[str, Any], where: str, problems: list[str]) -> None:
    if set(schema) & {"anyOf", "oneOf", "allOf"} or schema.get("type") not in (
        "array",
        "object",
        "integer",
        "number",
        "string",
        "boolean",
    ):
        problems.append(f"{where}: {schema}")
        return
    if schema["type"] == "array":
        if "items" not in schema:
            problems.append(f"{where}: array without items")
        else:
            _walk_schema(schema["items"], where + "[]", problems)
    for name, child in schema.get("properties", {}).items():
        _walk_schema(child, f"{where}.{name}", problems)


def test_spec_is_parseable_by_the_official_rules(ours: dict[str, Any]) -> None:
    problems: list[str] = []
    for path, item in ours["paths"].items():
        assert set(item) <= set(VERBS), path  # no path-level keys such as "parameters"
        assert "{" not in path or all(
            name == name.lower() for name in path.replace("}", "{").split("{")[1::2]
        ), path
        for verb, op in item.items():
            where = f"{verb.upper()} {path}"
            if not op.get("summary"):
                problems.append(f"{where}: no summary")
            if not isinstance(op.get("parameters"), list):
                problems.append(f"{where}: no parameters list")
            for code, response in op["responses"].items():
                if "description" not in response:
                    problems.append(f"{where} {code}: no description")
                if "schema" in response:
                    _walk_schema(response["schema"], f"{where} {code}", problems)
            for param in op["parameters"]:
                if param["in"] == "body":
                    _walk_schema(param["schema"], f"{where} body", problems)
                elif "required" not in param or "type" not in param:
                    problems.append(f"{where}: {param['name']} lacks required/type")
    assert not problems, "\n".join(problems)
    assert "$ref" not in json.dumps(ours)  # inline schemas cannot recurse


@pytest.mark.parametrize(
    "annotation, expected",
    [
        (int, {"type": "integer"}),
        (str | None, {"type": "string"}),
        (list[int] | None, {"type": "array", "items": {"type": "integer"}}),
        (dict[str, Any], {"type": "object"}),
        (bool, {"type": "boolean"}),
    ],
)
def test_schema_of(annotation: Any, expected: dict[str, Any]) -> None:
    assert schema_of(annotation) == expected


def test_schema_of_rejects_real_unions() -> None:
    with pytest.raises(TypeError):
        schema_of(int | str)


def test_endpoints_route_serves_the_spec(server: ThreadedServer) -> None:
    response = requests.get(server.base_url + "endpoints", auth=(server.admin_api_key, ""))
    assert response.status_code == 200
    assert response.json()["paths"].keys() == build_spec_paths(server)


def build_spec_paths(server: ThreadedServer) -> Any:
    return build_spec(create_app(server.settings))["paths"].keys()


OFFICIAL_SCRIPT = textwrap.dedent(
    """
    import civis
    client = civis.APIClient()
    me = client.users.get_me()
    assert me.username == "admin", me
    [default] = client.credentials.list(default=True, type="Database")
    assert default.default is True
    created = client.credentials.post("Custom", "svc", "pw", name="via-official")
    assert created.remote_host_id is None and created.name == "via-official"
    got = client.credentials.get(created.id)
    assert got.username == "svc"
    assert client.credentials.patch(created.id, description="d").description == "d"
    names = [c.name for c in client.credentials.list(iterator=True, limit=1)]
    assert "via-official" in names, names
    db_id = client.get_database_id("Civis Database")
    assert client.databases.get(db_id).adapter == "duckdb"
    library = client.aliases.get_object_type("template_script", "civis-civisml-training")
    assert library.object_id == 11219  # the template library's CivisML training template
    alias = client.aliases.post(10001, "template_script", "my-import-from-url")
    found = client.aliases.get_object_type("template_script", "my-import-from-url")
    assert found.id == alias.id and found.object_id == 10001
    try:
        client.credentials.get(99999)
    except civis.base.CivisAPIError as error:
        assert error.status_code == 404
    else:
        raise AssertionError("expected a 404")
    print("official client OK")
    """
)


@pytest.mark.official
def test_official_client_builds_and_calls(server: ThreadedServer) -> None:
    env = {
        **os.environ,
        "CIVIS_API_ENDPOINT": server.base_url,
        "CIVIS_API_KEY": server.admin_api_key,
    }
    result = subprocess.run(
        [str(support.official_python()), "-c", OFFICIAL_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "official client OK" in result.stdout


@pytest.mark.official
def test_official_client_reports_a_bad_key(server: ThreadedServer) -> None:
    script = textwrap.dedent(
        """
        import civis, requests
        try:
            civis.APIClient(api_key="cvp_bad_key")
        except requests.HTTPError as error:
            assert "401" in str(error), error
            print("rejected")
        """
    )
    env = {**os.environ, "CIVIS_API_ENDPOINT": server.base_url}
    result = subprocess.run(
        [str(support.official_python()), "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "rejected" in result.stdout, result.stdout + result.stderr
