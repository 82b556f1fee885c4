"""Base models implementing the Civis wire conventions.

- Out: camelCase keys, in declaration order (which follows the reference spec).
- In: snake_case or camelCase keys at every nesting level of a model; free-form maps
  (fields typed ``dict[str, Any]``, e.g. ``arguments``) keep their keys verbatim.
- In: ``null`` means "not given", so a null optional field is simply absent and a
  null required field is reported as missing.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic.alias_generators import to_camel


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


class ResponseModel(BaseModel):
    """A response object; every property is optional (null when unknown)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_wire(self) -> dict[str, Any]:
        """camelCase JSON-ready dict, keeping nulls (Civis returns every property)."""
        return self.model_dump(by_alias=True, mode="json")


class QueryModel(BaseModel):
    """Query parameters: snake_case names exactly as in the reference spec."""

    model_config = ConfigDict(extra="ignore", frozen=True)


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
