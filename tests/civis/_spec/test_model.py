"""Digesting a spec into the compact model."""

from __future__ import annotations

import marshal

import support
from civis._spec.model import SpecModel, digest_spec

SPEC = {
    "paths": {
        "/files/": {
            "post": {
                "summary": "Upload",
                "x-deprecation-warning": "use v2",
                "parameters": [
                    {"name": "B", "in": "body", "schema": {"$ref": "#/definitions/FilePost"}}
                ],
                "responses": {"200": {"description": "ok"}},
            },
            "parameters": [],  # a path-level key that is not a verb: ignored
        },
        "/files/{id}": {
            "delete": {
                "summary": "Delete a file (DEPRECATED)",
                "parameters": [],
                "responses": {"204": {"description": "gone"}},
            },
        },
        "/scripts/{id}/runs": {
            "get": {
                "summary": "Runs",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "type": "integer"},
                    {"name": "limit", "in": "query", "required": False, "type": "integer"},
                    {"name": "page_num", "in": "query", "required": False, "type": "integer"},
                ],
                "responses": {
                    "200": {"description": "ok", "schema": {"$ref": "#/definitions/Runs"}}
                },
            },
        },
        "/feature_flags/": {"get": {"summary": "Flags", "responses": {}}},
    },
    "definitions": {
        "FilePost": {
            "type": "object",
            "required": ["name"],
            "properties": {"expiresAt": {"type": "string"}, "name": {"type": "string"}},
        },
        "Runs": {"type": "array", "items": {}},
    },
}


def test_digest_reads_refs_flattens_bodies_and_flags_operations() -> None:
    model = SpecModel(digest_spec(SPEC), key="t")
    assert model.resource_names() == ("files", "scripts")
    post, delete = model.operations("files")
    assert (post.name, post.deprecation_warning, post.skipped) == ("post", "use v2", False)
    assert [(p.name, p.spec_name, p.location, p.required) for p in post.params] == [
        ("expires_at", "expiresAt", "body", False),
        ("name", "name", "body", True),
    ]
    assert delete.skipped
    (runs,) = model.operations("scripts")
    assert (runs.name, runs.iterable) == ("list_runs", True)


def test_resources_with_only_skipped_operations_get_no_client_attribute() -> None:
    spec = {
        "paths": {
            "/old/{id}": {"get": {"summary": "deprecated thing", "parameters": [], "responses": {}}}
        }
    }
    model = SpecModel(digest_spec(spec), key="t")
    assert model.resource_names() == ("old",)
    assert model.client_resource_names() == ()


def test_digest_is_marshal_safe_and_much_smaller_than_the_spec() -> None:
    data = marshal.dumps(digest_spec(support.reference_spec()))
    assert marshal.loads(data)["resources"].keys()
    assert len(data) < support.reference_spec_path().stat().st_size / 3


def test_lazy_digest_of_a_mapping_equals_the_full_digest() -> None:
    from civis._spec.model import LazyDigest

    spec = support.reference_spec()
    full = SpecModel(digest_spec(spec), key="full")
    lazy = SpecModel({"resources": LazyDigest(spec)}, key="lazy")
    assert lazy.resource_names() == full.resource_names()
    assert lazy.client_resource_names() == full.client_resource_names()
    for name in full.resource_names():
        assert lazy.operations(name) == full.operations(name)
