"""The one place domain errors become Civis error bodies.

Every error is ``{"error": ..., "errorDescription": ..., "code": N}``; a 401 carries
``WWW-Authenticate`` (the official client reads it); a 429 carries ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from civis_platform.errors import (
    BadRequestError,
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    UnauthorizedError,
)

log = logging.getLogger("civis_platform")

WWW_AUTHENTICATE = 'Basic realm="civis-platform", charset="UTF-8"'

_HTTP_ERROR_WORDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
}


# Domain error class -> HTTP status; a subclass takes its nearest listed ancestor's.
STATUSES: dict[type[DomainError], int] = {
    BadRequestError: 400,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    NotSupportedError: 501,
    RateLimitedError: 429,
}


def status_of(error: DomainError) -> int:
    """The HTTP status a domain error is answered with (500 for an unlisted class).

    Examples:
        >>> status_of(NotFoundError()), status_of(DomainError("?"))
        (404, 500)
    """
    for cls in type(error).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return 500


def error_response(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> Response:
    """A Civis-shaped JSON error response."""
    body = {"error": error, "errorDescription": description, "code": status}
    return Response(json.dumps(body), status, headers=headers, media_type="application/json")


def render_domain_error(error: DomainError) -> Response:
    """Map a domain error to its response (status, body, special headers)."""
    headers: dict[str, str] = {}
    if isinstance(error, UnauthorizedError):
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    if isinstance(error, RateLimitedError):
        headers["Retry-After"] = str(error.retry_after)
    return error_response(status_of(error), error.code, error.message, headers)


def validation_error_to_domain(error: ValidationError, where: str) -> BadRequestError:
    """Turn pydantic's first complaint into a 400 that names the field.

    ``where`` is "body" or "query", used only in the message.
    """
    first: Any = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or where
    if first["type"] == "missing":
        message = f"Missing required {where} field: {field}"
    else:
        message = f"Invalid {where} field {field}: {first['msg']}"
    return BadRequestError(message, field=field)


async def _on_domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return render_domain_error(exc)


async def _on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    description = (
        "The requested endpoint could not be found." if exc.status_code == 404 else str(exc.detail)
    )
    word = _HTTP_ERROR_WORDS.get(exc.status_code, "error")
    return error_response(exc.status_code, word, description)


async def _on_integrity_error(_request: Request, exc: Exception) -> Response:
    # Services check uniqueness first; this only fires when two requests race past
    # that check and the database's constraint decides. That is a conflict, not a bug.
    log.info("integrity error mapped to 409: %s", exc)
    return error_response(409, "conflict", "The request conflicts with an existing object.")


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_server_error", "An unexpected error occurred.")


def install_error_handlers(app: Any) -> None:
    """Register the handlers on a Starlette/FastAPI app."""
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(Exception, _on_unexpected)
