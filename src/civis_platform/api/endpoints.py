"""``/endpoints``: the Swagger 2.0 spec of this server (built once per app)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel


class EndpointsQuery(QueryModel):
    """Accepted for compatibility; this server only speaks Swagger 2.0."""

    openapi_version: str | None = None


def serve_spec(request: Request, *, query: dict[str, Any]) -> dict[str, Any]:
    """The spec ``create_app`` built from the route declarations."""
    spec: dict[str, Any] = request.app.state.spec
    return spec


endpoints = Resource("endpoints")
endpoints.op(
    "get",
    "/endpoints/",
    "Describe this API (Swagger 2.0)",
    serve_spec,
    query=EndpointsQuery,
    wants_request=True,
)
