"""``/json_values``: JSON values, their shares and transfer."""

from __future__ import annotations

from civis_platform.api._generic import Resource
from civis_platform.api._models import RequestModel, ResponseModel
from civis_platform.api._subresources import RawJSON
from civis_platform.services import json_values as svc


class JsonValueCreate(RequestModel):
    """Body of ``POST /json_values``."""

    name: str | None = None
    value_str: str


class JsonValueUpdate(RequestModel):
    """Body of ``PATCH /json_values/{id}``."""

    name: str | None = None
    value_str: str | None = None


class JsonValue(ResponseModel):
    """A JSON value; ``value`` is the JSON itself."""

    id: int | None = None
    name: str | None = None
    value: RawJSON = None


json_values = Resource("json_values")
json_values.op(
    "post",
    "/json_values/",
    "Create a JSON Value",
    svc.create_json_value,
    body=JsonValueCreate,
    body_name="JsonValueCreate",
    response=JsonValue,
    status=201,
)
json_values.op(
    "get",
    "/json_values/{id}",
    "Get details about a JSON Value",
    svc.get_json_value,
    response=JsonValue,
)
json_values.op(
    "patch",
    "/json_values/{id}",
    "Update some attributes of this JSON Value",
    svc.update_json_value,
    body=JsonValueUpdate,
    body_name="JsonValueUpdate",
    body_required=False,
    response=JsonValue,
)
json_values.shares(svc.KIND, level_noun="a JSON value")
json_values.transfer(svc.KIND)
