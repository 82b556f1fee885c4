"""Base models implementing the Civis wire conventions.

- Out: camelCase keys, in declaration order (which follows the reference spec).
- In: snake_case or camelCase keys at every nesting level of a model; free-form maps
  (fields typed ``dict[str, Any]``, e.g. ``arguments``) keep their keys verbatim.
- In: ``null`` means "not given", so a null optional field is simply absent and a
  null required field is reported as missing.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Collection
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, create_model, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from civis_platform.errors import BadRequestError
from civis_platform.services._input import check_text, parse_ascii_int

# Ids and counts are 32-bit integers in the store; larger values are bad input, not a
# database error (PostgreSQL rejects them, SQLite cannot bind them past 64 bits).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def check_scalar(field: str, value: Any) -> None:
    """Reject values the store cannot hold: integers beyond 32 bits, strings with NUL
    or lone surrogates.

    Raises:
        BadRequestError: naming ``field``.

    Examples:
        >>> check_scalar("limit", 10)
        >>> check_scalar("name", "a" + chr(0))
        Traceback (most recent call last):
        ...
        civis_platform.errors.BadRequestError: name must not contain NUL characters.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT_MIN <= value <= INT_MAX:
            raise BadRequestError(f"{field} is out of range: {value}.", field=field)
    elif isinstance(value, str):
        # PostgreSQL text cannot store NUL; SQLite would silently differ. Refuse both.
        check_text(field, value)


def check_int_ranges(model: BaseModel) -> None:
    """Apply :func:`check_scalar` to every field (and list element) of a parsed model."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            check_scalar(info.alias or name, item)


def _drop_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if v is not None}
    return data


class RequestModel(BaseModel):
    """A request body (or a nested object inside one)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_not_given(cls, data: Any) -> Any:
        return _drop_nulls(data)

    @model_validator(mode="after")
    def _ints_fit(self) -> RequestModel:
        # BadRequestError is not a ValueError, so pydantic lets it through unchanged.
        check_int_ranges(self)
        return self

    def given(self) -> dict[str, Any]:
        """The fields the client actually sent, snake_case keys, nested models as dicts.

        Examples:
            >>> class Thing(RequestModel):
            ...     file_name: str | None = None
            ...     size: int | None = None
            >>> Thing.model_validate({"fileName": "a.csv"}).given()
            {'file_name': 'a.csv'}
        """
        return self.model_dump(include=self.model_fields_set, by_alias=False)


def request_model(
    name: str,
    doc: str,
    *parts: type[RequestModel],
    omit: Collection[str] = (),
    optional: bool = False,
) -> type[RequestModel]:
    """A request body made of the fields of ``parts``, in order, less those in ``omit``.

    With ``optional`` every field may be left out (a PATCH body); otherwise each keeps
    its declaration, so one declaration serves a family of POST, PUT and PATCH bodies.

    Examples:
        >>> class ThingCreate(RequestModel):
        ...     name: str
        ...     size: int | None = None
        ...     hidden: bool | None = None
        >>> ThingUpdate = request_model("ThingUpdate", "", ThingCreate, omit={"hidden"},
        ...                             optional=True)
        >>> [(n, f.is_required()) for n, f in ThingUpdate.model_fields.items()]
        [('name', False), ('size', False)]
    """
    fields: dict[str, Any] = {}
    for part in parts:
        for field_name, info in part.model_fields.items():
            annotation: Any = info.annotation
            if field_name in omit:
                continue
            if optional and info.is_required():
                annotation = annotation | None
                info = FieldInfo.merge_field_infos(info, default=None)
            fields[field_name] = (annotation, info)
    unknown = set(omit) - {n for part in parts for n in part.model_fields}
    if unknown:
        raise TypeError(f"{name}: cannot omit undeclared fields {sorted(unknown)}")
    model: type[RequestModel] = create_model(
        name, __base__=RequestModel, __doc__=doc, __module__=parts[0].__module__, **fields
    )
    return model


class ResponseModel(BaseModel):
    """A response object; every property is optional (null when unknown)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_wire(self) -> dict[str, Any]:
        """camelCase JSON-ready dict, keeping nulls (Civis returns every property)."""
        return self.model_dump(by_alias=True, mode="json")


def _int_field(annotation: Any) -> bool:
    inner = unwrap_optional(annotation)
    if typing.get_origin(inner) is list:
        inner = unwrap_optional(typing.get_args(inner)[0])
    return inner is int


def _strict_int(field: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_strict_int(field, item) for item in value]
    if isinstance(value, str):
        number = parse_ascii_int(value)
        if number is None:
            raise BadRequestError(f"{field} must be an integer (ASCII digits).", field=field)
        return number
    return value


class QueryModel(BaseModel):
    """Query parameters: snake_case names exactly as in the reference spec.

    Integer parameters are ASCII digits only (pydantic alone takes " 1", "1_000", "1.0").
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _ascii_ints(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            key: _strict_int(key, value)
            if key in cls.model_fields and _int_field(cls.model_fields[key].annotation)
            else value
            for key, value in data.items()
        }

    @model_validator(mode="after")
    def _ints_fit(self) -> QueryModel:
        check_int_ranges(self)
        return self


class PagedQuery(QueryModel):
    """The paging parameters every Civis list endpoint takes."""

    limit: int | None = None
    page_num: int | None = None
    order: str | None = None
    order_dir: str | None = None


def camelize_keys(value: Any) -> Any:
    """Re-case the keys of a map to camelCase (for maps whose keys are spec'd camelCase).

    Examples:
        >>> camelize_keys({"data_pane_width": "1", "dataPaneCollapsed": "0"})
        {'dataPaneWidth': '1', 'dataPaneCollapsed': '0'}
    """
    if isinstance(value, dict):
        return {to_camel(k) if "_" in k else k: v for k, v in value.items()}
    return value


# A map whose keys the reference spells in camelCase; accepts snake_case keys too.
CamelKeyedMap = Annotated[dict[str, Any], BeforeValidator(camelize_keys)]


def unwrap_optional(annotation: Any) -> Any:
    """``X`` for ``X | None`` or ``Annotated[X, ...]``; other unions are an error.

    Examples:
        >>> unwrap_optional(list[int] | None)
        list[int]
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return unwrap_optional(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return unwrap_optional(args[0])
        raise TypeError(f"unions other than Optional cannot be specified: {annotation}")
    return annotation


def is_list_field(annotation: Any) -> bool:
    """True when a (possibly optional) annotation is a list."""
    return typing.get_origin(unwrap_optional(annotation)) is list
