"""Swagger 2.0 for ``GET /endpoints``, derived from the route declarations.

Nothing here is hand-written spec JSON: paths, verbs and summaries come from each
:class:`~civis_platform.api._generic.Operation`, parameters and schemas from its
pydantic models. The output obeys what the official client's parser needs: every
operation has ``summary``, ``parameters`` and ``responses`` (each with a
``description``); non-body parameters have ``required`` and ``type``; every property
has a plain ``type`` (``Optional[X]`` is ``X``); schemas are inline (so never
recursive); there are no path-level ``parameters``.
"""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from civis_platform.api._generic import Operation, Resource
from civis_platform.api._models import PagedQuery, QueryModel, RequestModel, unwrap_optional

SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}
PAGING_FIELDS = tuple(PagedQuery.model_fields)


def schema_of(annotation: Any) -> dict[str, Any]:
    """Swagger schema of a Python annotation.

    Examples:
        >>> schema_of(list[int] | None)
        {'type': 'array', 'items': {'type': 'integer'}}
    """
    annotation = unwrap_optional(annotation)
    if annotation is datetime:
        return {"type": "string", "format": "date-time"}
    if annotation in SCALARS:
        return {"type": SCALARS[annotation]}
    origin = typing.get_origin(annotation)
    if origin is list:
        return {"type": "array", "items": schema_of(typing.get_args(annotation)[0])}
    if origin is dict or annotation is dict:
        return {"type": "object"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_schema(annotation)
    raise TypeError(f"no Swagger type for {annotation!r}")


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """An inline object schema: camelCase properties in declaration order."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        properties[key] = schema_of(info.annotation)
        if issubclass(model, RequestModel) and info.is_required():
            required.append(key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _query_parameters(model: type[QueryModel]) -> list[dict[str, Any]]:
    names = [n for n in model.model_fields if n not in PAGING_FIELDS]
    names += [n for n in PAGING_FIELDS if n in model.model_fields]
    params = []
    for name in names:
        schema = schema_of(model.model_fields[name].annotation)
        param = {"name": name, "in": "query", "required": False, **schema}
        params.append(param)
    return params


def operation_spec(operation: Operation) -> dict[str, Any]:
    """The Swagger operation object of one declaration."""
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "type": operation.path_type(name)}
        for name in operation.path_params
    ]
    if operation.query is not None:
        parameters += _query_parameters(operation.query)
    if operation.body is not None:
        parameters.append(
            {
                "name": operation.body_name or operation.body.__name__,
                "in": "body",
                "required": operation.body_required,
                "schema": model_schema(operation.body),
            }
        )
    response: dict[str, Any] = {"description": "success"}
    if operation.response is not None and operation.status != 204:
        schema = model_schema(operation.response)
        response["schema"] = {"type": "array", "items": schema} if operation.array else schema
    return {
        "summary": operation.summary,
        "parameters": parameters,
        "responses": {str(operation.status): response},
    }


# What this server offers beyond the Civis API, at the spec's root (Swagger 2.0 allows
# ``x-`` keys there; the official client ignores them). Our client reads it to move
# tables as Parquet and Arrow (docs/data.md): ``csvSettings.fileFormat`` of a SQL script
# (parquet, arrow), and Parquet source files in ``/imports/files/csv``; and to send its first
# poll of a run at once, since GETs of runs honour ``Prefer: wait`` (api/_generic.py).
PLATFORM_EXTENSION = "x-civis-platform"
TABLE_FORMATS = ("csv", "parquet", "arrow")


def spec_from_resources(resources: list[Resource], *, base_url: str = "/") -> dict[str, Any]:
    """The whole spec for a list of declared resources."""
    paths: dict[str, dict[str, Any]] = {}
    for resource in resources:
        for operation in resource.operations:
            paths.setdefault(operation.path, {})[operation.verb] = operation_spec(operation)
    return {
        "swagger": "2.0",
        "info": {"title": "Civis Platform API", "version": "1.0"},
        "host": urlsplit(base_url).netloc,
        "basePath": urlsplit(base_url).path or "/",
        "schemes": [urlsplit(base_url).scheme or "http"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": {},
        PLATFORM_EXTENSION: {"tableFormats": list(TABLE_FORMATS), "longPolling": True},
    }


def build_spec(app: Any) -> dict[str, Any]:
    """The spec an app built by ``create_app`` serves at ``/endpoints``.

    ``scripts/coverage.py`` calls this to compare what we serve with the reference.
    """
    resources: list[Resource] = app.state.resources
    base_url = app.state.platform.settings.resolved_external_url()
    return spec_from_resources(resources, base_url=base_url)
