"""The wire conventions of the base models (casing, nulls, free-form maps)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from civis_platform.api._models import CamelKeyedMap, RequestModel, ResponseModel, request_model
from civis_platform.errors import BadRequestError


class Settings(RequestModel):
    include_header: bool | None = None
    column_delimiter: str | None = None


class Job(RequestModel):
    name: str
    csv_settings: Settings | None = None
    arguments: dict[str, Any] | None = None
    preferences: CamelKeyedMap | None = None


class Out(ResponseModel):
    file_id: int | None = None
    nested_thing: Settings | None = None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a", "csv_settings": {"include_header": True, "column_delimiter": "comma"}},
        {"name": "a", "csvSettings": {"includeHeader": True, "columnDelimiter": "comma"}},
        {"name": "a", "csvSettings": {"include_header": True, "columnDelimiter": "comma"}},
    ],
)
def test_snake_and_camel_accepted_at_every_level(body: dict[str, Any]) -> None:
    assert Job.model_validate(body).given() == {
        "name": "a",
        "csv_settings": {"include_header": True, "column_delimiter": "comma"},
    }


def test_free_form_maps_keep_their_keys_and_nulls() -> None:
    arguments = {"MY_ARG": 1, "camelKey": {"inner_key": None}, "PRIMARY_KEY": None}
    parsed = Job.model_validate({"name": "a", "arguments": arguments}).given()
    assert parsed["arguments"] == arguments


def test_camel_keyed_maps_are_recased() -> None:
    parsed = Job.model_validate({"name": "a", "preferences": {"data_pane_width": "1"}}).given()
    assert parsed["preferences"] == {"dataPaneWidth": "1"}


def test_null_means_not_given() -> None:
    assert Job.model_validate({"name": "a", "csvSettings": None}).given() == {"name": "a"}
    with pytest.raises(ValidationError) as info:
        Job.model_validate({"name": None})
    assert info.value.errors()[0]["type"] == "missing"


def test_responses_are_camel_case_and_keep_nulls() -> None:
    wire = Out.model_validate({"file_id": 3, "nested_thing": {"include_header": False}}).to_wire()
    assert wire == {
        "fileId": 3,
        "nestedThing": {"includeHeader": False, "columnDelimiter": None},
    }


class Ids(RequestModel):
    object_id: int
    user_ids: list[int] | None = None


@pytest.mark.parametrize(
    "body, field",
    [({"objectId": 2**31}, "objectId"), ({"objectId": 1, "userIds": [1, -(2**40)]}, "userIds")],
)
def test_integers_outside_32_bits_are_bad_requests(body: dict[str, Any], field: str) -> None:
    with pytest.raises(BadRequestError) as info:
        Ids.model_validate(body)
    assert info.value.field == field


class Extra(RequestModel):
    max_count: int | None = None


JobReplace = request_model("JobReplace", "A PUT body.", Job, omit={"preferences"})
JobUpdate = request_model("JobUpdate", "A PATCH body.", Job, Extra, optional=True)


def test_derived_bodies_keep_order_and_requiredness() -> None:
    assert list(JobReplace.model_fields) == ["name", "csv_settings", "arguments"]
    assert JobReplace.model_fields["name"].is_required()
    assert list(JobUpdate.model_fields) == [*Job.model_fields, "max_count"]
    assert not any(f.is_required() for f in JobUpdate.model_fields.values())
    assert JobUpdate.__doc__ == "A PATCH body."


def test_derived_bodies_keep_the_wire_conventions() -> None:
    with pytest.raises(ValidationError):
        JobReplace.model_validate({"csvSettings": {}})
    assert JobUpdate.model_validate({"name": None, "maxCount": 3}).given() == {"max_count": 3}
    nested = {"csvSettings": {"includeHeader": False}}
    given = JobUpdate.model_validate(nested).given()
    assert given == {"csv_settings": {"include_header": False, "column_delimiter": None}}
    with pytest.raises(BadRequestError):
        JobUpdate.model_validate({"maxCount": 2**31})
    # The optional name keeps its type.
    with pytest.raises(ValidationError):
        JobUpdate.model_validate({"name": ["not", "a", "string"]})


def test_omitting_an_undeclared_field_is_an_error() -> None:
    with pytest.raises(TypeError, match="nope"):
        request_model("Bad", "", Job, omit={"nope"})
