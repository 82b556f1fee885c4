"""The generic mechanisms, checked against a real store and against the reference spec."""

from __future__ import annotations

from pathlib import Path

import pytest

import support
from civis_platform.api._generic import Resource, route_sort_key
from civis_platform.config import Settings
from civis_platform.errors import ForbiddenError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services import credentials, projects
from civis_platform.services.auth import load_principal
from civis_platform.services.bootstrap import initialise
from civis_platform.services.context import Context
from civis_platform.services.platform import Platform
from civis_platform.services.users import insert_user
from civis_platform.spec import spec_from_resources
from civis_platform.store.db import Store


@pytest.fixture
def contexts(tmp_path: Path):
    settings = Settings(home=tmp_path)
    store = Store.from_url(settings.resolved_metadata_url())
    initialise(store, settings)
    with store.transaction() as conn:
        ids = [insert_user(conn, username=name) for name in ("ann", "ben")]
        principals = [load_principal(conn, i) for i in ids]
    platform = Platform.open(settings, store)
    yield [Context(user=p, platform=platform) for p in principals if p]
    store.dispose()


def test_objects_go_into_projects(contexts) -> None:
    ann, ben = contexts
    credential = credentials.create_credential(
        ann, body={"type": "Custom", "username": "u", "password": "p"}
    )
    project = projects.create_project(ann, body={"name": "P", "description": "d"})
    g.add_to_project(ann, credentials.KIND, credential["id"], project_id=project["id"])
    g.add_to_project(
        ann, credentials.KIND, credential["id"], project_id=project["id"]
    )  # idempotent
    listed = g.list_object_projects(ann, credentials.KIND, credential["id"])
    assert [p["id"] for p in listed] == [project["id"]]
    detail = projects.get_project(ann, project_id=project["id"])
    assert [(o["object_type"], o["object_id"]) for o in detail["all_objects"]] == [
        ("credential", credential["id"])
    ]
    # Someone who can see neither gets a 404; a reader of the project cannot add to it.
    with pytest.raises(NotFoundError):
        g.list_object_projects(ben, credentials.KIND, credential["id"])
    with ann.store.transaction() as conn:
        g.grant(conn, projects.KIND, project["id"], "user", ben.user.id, "read")
        g.grant(conn, credentials.KIND, credential["id"], "user", ben.user.id, "read")
    with pytest.raises(ForbiddenError):
        g.remove_from_project(ben, credentials.KIND, credential["id"], project_id=project["id"])
    g.remove_from_project(ann, credentials.KIND, credential["id"], project_id=project["id"])
    assert g.list_object_projects(ann, credentials.KIND, credential["id"]) == []
    with pytest.raises(NotFoundError):
        g.remove_from_project(ann, credentials.KIND, credential["id"], project_id=project["id"])


def test_archive_needs_an_archived_column(contexts) -> None:
    with pytest.raises(TypeError):
        g.set_archived(
            contexts[0], credentials.KIND, 1, status=True, view=credentials.get_credential
        )


@pytest.mark.parametrize("resource", ["imports", "jobs", "workflows", "notebooks", "services"])
def test_generic_routes_match_the_reference_for_any_resource(resource: str) -> None:
    reference = support.reference_spec()["paths"]
    declared = Resource(resource)
    declared.shares(credentials.KIND)
    declared.projects(credentials.KIND)
    declared.archive(credentials.KIND, credentials.get_credential, g_response())
    declared.transfer(credentials.KIND)
    spec = spec_from_resources([declared])
    for path, item in spec["paths"].items():
        for verb, op in item.items():
            ref = reference[path][verb]
            names = [(p["name"], p["in"], p["required"]) for p in op["parameters"]]
            ref_names = [(p["name"], p["in"], p.get("required")) for p in ref["parameters"]]
            if any(p["in"] == "body" for p in op["parameters"]):
                names = [n for n in names if n[1] != "body"]
                ref_names = [n for n in ref_names if n[1] != "body"]
                body = next(p for p in op["parameters"] if p["in"] == "body")["schema"]
                ref_body = next(p for p in ref["parameters"] if p["in"] == "body")["schema"]
                ref_body = support.reference_spec()["definitions"][ref_body["$ref"].split("/")[-1]]
                assert list(body["properties"]) == list(ref_body["properties"]), path
                assert body.get("required", []) == ref_body.get("required", []), path
            assert sorted(names) == sorted(ref_names), f"{verb} {path}"
            assert list(op["responses"]) == list(ref["responses"]), f"{verb} {path}"


def g_response():
    from civis_platform.api.credentials import Credential

    return Credential


@pytest.mark.parametrize(
    "first, second",
    [
        ("/users/me", "/users/{id}"),
        ("/aliases/{id}/shares", "/aliases/{object_type}/{alias}"),
        ("/credentials/types", "/credentials/{id}"),
    ],
)
def test_static_segments_route_first(first: str, second: str) -> None:
    assert route_sort_key(first) < route_sort_key(second)


@pytest.mark.parametrize("rank, level", [(0, None), (1, "read"), (2, "write"), (3, "manage")])
def test_level_rank(rank: int, level: str | None) -> None:
    assert g.level_rank(level) == rank


def test_page_count_is_at_least_one() -> None:
    assert g.Page([], total=0, page_num=1, per_page=20).total_pages == 1
    assert g.Page([], total=41, page_num=1, per_page=20).total_pages == 3
