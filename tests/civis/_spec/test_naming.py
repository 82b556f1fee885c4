"""Naming rules, table-driven; the exception tables are checked against the reference spec."""

from __future__ import annotations

import json

import pytest
from official_surface import candidate_spec_paths

from civis._spec.naming import (
    GET_PATHS_WITH_ARRAY_RESPONSE,
    LEGACY_PATHS_WITH_LIST_NAME,
    MethodNames,
    cli_command_name,
    cli_param_name,
    method_names,
    resource_name,
    to_camel,
    to_snake,
)


@pytest.mark.parametrize(
    "verb, path, returns_array, expected",
    [
        ("get", "/scripts/containers/{id}/runs", True, MethodNames("list_containers_runs", None)),
        (
            "get",
            "/scripts/containers/{id}/runs/{run_id}",
            False,
            MethodNames("get_containers_runs", None),
        ),
        (
            "post",
            "/scripts/containers/{id}/runs/{run_id}/outputs",
            False,
            MethodNames("post_containers_runs_outputs", None),
        ),
        ("post", "/files/", False, MethodNames("post", None)),
        ("get", "/files/{id}", False, MethodNames("get", None)),
        ("get", "/files/", True, MethodNames("list", None)),
        ("get", "/users/me", False, MethodNames("get_me", "list_me")),
        ("get", "/endpoints/", False, MethodNames("get", "list")),
        (
            "post",
            "/files/multipart/{id}/complete",
            False,
            MethodNames("post_multipart_complete", None),
        ),
        (
            "get",
            "/databases/{id}/schemas/{schema_name}/tables/{table_name}",
            False,
            MethodNames("get_schemas_tables", None),
        ),
        (
            "get",
            "/databases/{id}/table_privileges/{schema_name}/{table_name}",
            False,
            MethodNames("get_table_privileges_schema_name", None),
        ),
        ("get", "/aliases/{object_type}/{alias}", False, MethodNames("get_object_type", None)),
        # the spec says object, the API answers an array: list_
        ("get", "/credentials/types", False, MethodNames("list_types", None)),
        ("get", "/jobs/{id}/children", False, MethodNames("list_children", None)),
        # static last segment, object answer, not a legacy path: get_ only
        (
            "get",
            "/scripts/{id}/runs/{run_id}/logs/summary",
            False,
            MethodNames("get_runs_logs_summary", None),
        ),
        (
            "get",
            "/databases/{id}/advanced-settings",
            False,
            MethodNames("get_advanced_settings", "list_advanced_settings"),
        ),
        # an array answer from a path ending in a param is still a list
        ("get", "/aliases/{id}", True, MethodNames("list", None)),
        ("delete", "/scripts/containers/{id}", False, MethodNames("delete_containers", None)),
        ("patch", "/git-repos/{id}/ref-names", False, MethodNames("patch_ref_names", None)),
    ],
)
def test_method_names(verb: str, path: str, returns_array: bool, expected: MethodNames) -> None:
    assert method_names(verb, path, returns_array=returns_array) == expected


@pytest.mark.parametrize(
    "verb, path, expected",
    [
        ("get", "/users/me", "list-me"),
        ("get", "/scripts/containers/{id}/runs", "list-containers-runs"),
        ("get", "/workflows/", "list"),
        ("get", "/files/{id}", "get"),
        ("post", "/enhancements/civis-data-match/", "post-civis-data-match-"),
        ("get", "/a/{x}/{y}/", "list-x-"),
        ("get", "/Scripts/Foo/{id}", "get-foo"),
    ],
)
def test_cli_command_names(verb: str, path: str, expected: str) -> None:
    assert cli_command_name(verb, path) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("fileUrl", "file_url"),
        ("HTTPResponse", "http_response"),
        ("Content-Type", "content-_type"),
        ("already_snake", "already_snake"),
        ("id", "id"),
        ("provideAPIKey", "provide_api_key"),
        ("sqlID", "sql_id"),
    ],
)
def test_to_snake(name: str, expected: str) -> None:
    assert to_snake(name) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("expiresAt", "expires-at"),
        ("provideAPIKey", "provide-apikey"),
        ("page_num", "page-num"),
        ("x.y", "x-y"),
    ],
)
def test_cli_param_name(name: str, expected: str) -> None:
    assert cli_param_name(name) == expected


def test_to_camel_round_trips_simple_names() -> None:
    for name in ("fileUrl", "id", "objectType", "expiresAt"):
        assert to_camel(to_snake(name)) == name


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/match_targets/{id}", "match_targets"),
        ("/git-repos/", "git_repos"),
        ("Files/{id}", "files"),
    ],
)
def test_resource_name(path: str, expected: str) -> None:
    assert resource_name(path) == expected


def test_tables_sizes() -> None:
    assert len(GET_PATHS_WITH_ARRAY_RESPONSE) == 12
    assert len(LEGACY_PATHS_WITH_LIST_NAME) == 56
    assert not GET_PATHS_WITH_ARRAY_RESPONSE & LEGACY_PATHS_WITH_LIST_NAME


# The official client's table names this path, which its own bundled spec (2.10.1)
# lacks; the newer API spec in shared/reference has it.
ONLY_IN_NEWER_SPECS = frozenset({"scripts/{id}/history"})


def test_table_paths_exist_as_gets_in_the_reference_specs() -> None:
    specs = candidate_spec_paths()
    spec_gets: set[str] = set()
    for path in specs:
        spec = json.loads(path.read_bytes())
        spec_gets |= {p.strip("/") for p, ops in spec["paths"].items() if "get" in ops}
    # With only the wheel's spec, the newer-only entries cannot be checked; with both
    # specs, every entry must exist somewhere.
    allowed_missing = ONLY_IN_NEWER_SPECS if len(specs) == 1 else frozenset()
    assert spec_gets | allowed_missing >= GET_PATHS_WITH_ARRAY_RESPONSE
    assert spec_gets >= LEGACY_PATHS_WITH_LIST_NAME
