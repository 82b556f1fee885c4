"""Resource classes: built once per spec on first access, real signatures and docstrings."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from civis._spec.build import Resource, client_class_for, resource_class
from civis._spec.loader import load_spec_mapping

SPEC = {
    "paths": {
        "/users/me": {
            "get": {
                "summary": "Show info about the logged-in user",
                "parameters": [],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/files/{id}": {
            "get": {
                "summary": "Get a file",
                "description": "Reads one file.",
                "x-deprecation-warning": "files.get is going away",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "type": "integer",
                        "description": "The file ID.",
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    }
}


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _call_operation(self, op: Any, arguments: dict[str, Any]) -> str:
        self.calls.append((op.name, arguments))
        return "done"


def test_classes_are_built_lazily_and_once_per_model() -> None:
    model = load_spec_mapping(SPEC)
    cls = client_class_for(model, FakeClient)
    assert model.resource_classes == {}
    client = cls()
    users = client.users
    assert set(model.resource_classes) == {"users"}
    assert client.users is users  # cached on the instance
    assert resource_class(model, "users") is type(users)
    assert client_class_for(model, FakeClient) is cls
    assert isinstance(users, Resource) and "users" in repr(users)


def test_methods_have_names_signatures_and_docs() -> None:
    model = load_spec_mapping(SPEC)
    files = resource_class(model, "files")
    method = files.get
    assert method.__qualname__ == "Files.get"
    assert str(inspect.signature(method)) == "(self, id: int)"
    doc = method.__doc__ or ""
    assert doc.startswith("Get a file") and "GET /files/{id}" in doc
    assert "The file ID." in doc and "files.get is going away" in doc
    assert "Examples" in doc
    alias_doc = resource_class(model, "users").list_me.__doc__ or ""
    assert "users.get_me" in alias_doc and "deprecated" in alias_doc


def test_calls_go_through_the_client_with_bound_arguments() -> None:
    model = load_spec_mapping(SPEC)
    client = client_class_for(model, FakeClient)()
    with pytest.warns(FutureWarning, match="going away"):
        assert client.files.get(5) == "done"
    with pytest.warns(FutureWarning, match="users.get_me"):
        client.users.list_me()
    assert client.calls == [("get", {"id": 5}), ("get_me", {})]
