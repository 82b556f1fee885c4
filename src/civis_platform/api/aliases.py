"""``/aliases``: stable names for objects."""

from __future__ import annotations

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.services import aliases as svc


class Alias(ResponseModel):
    """An alias (list rows and single objects have the same shape)."""

    id: int | None = None
    object_id: int | None = None
    object_type: str | None = None
    alias: str | None = None
    user_id: int | None = None
    display_name: str | None = None


class AliasCreate(RequestModel):
    """Body of ``POST /aliases`` and ``PUT /aliases/{id}``."""

    object_id: int
    object_type: str
    alias: str
    display_name: str | None = None


class AliasPatch(RequestModel):
    """Body of ``PATCH /aliases/{id}``."""

    object_id: int | None = None
    object_type: str | None = None
    alias: str | None = None
    display_name: str | None = None


class AliasListQuery(PagedQuery):
    """Filter of ``GET /aliases``; ``object_type`` may be comma-separated."""

    object_type: str | None = None


aliases = Resource("aliases")
aliases.op(
    "get",
    "/aliases/",
    "List aliases",
    svc.list_aliases,
    query=AliasListQuery,
    response=Alias,
    array=True,
)
aliases.op(
    "post",
    "/aliases/",
    "Create an alias",
    svc.create_alias,
    body=AliasCreate,
    body_name="AliasCreate",
    response=Alias,
    status=201,
)
aliases.op("get", "/aliases/{id}", "Show an alias", svc.get_alias, response=Alias)
aliases.op(
    "put",
    "/aliases/{id}",
    "Replace an alias",
    svc.update_alias,
    body=AliasCreate,
    body_name="AliasReplace",
    response=Alias,
)
aliases.op(
    "patch",
    "/aliases/{id}",
    "Update some attributes of an alias",
    svc.update_alias,
    body=AliasPatch,
    body_name="AliasPatch",
    body_required=False,
    response=Alias,
)
aliases.op("delete", "/aliases/{id}", "Delete an alias", svc.delete_alias, status=204)
aliases.op(
    "get",
    "/aliases/{object_type}/{alias}",
    "Resolve an alias within an object type",
    svc.get_alias_by_name,
    response=Alias,
    path_types={"object_type": "string", "alias": "string"},
)
aliases.shares(svc.KIND, level_noun="an alias")
aliases.transfer(svc.KIND)
