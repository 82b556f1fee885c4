"""Domain errors. Services raise these; ``api/errors.py`` renders them as Civis errors.

DomainError (code, message)
├── BadRequestError   400, names the offending field
├── UnauthorizedError 401
├── ForbiddenError    403
├── NotFoundError     404
├── ConflictError     409
└── RateLimitedError  429, carries retry_after seconds
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``code`` is the Civis error word, ``status`` its HTTP status."""

    code = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(DomainError):
    """Bad input; ``field`` names the offending body/query field (camelCase) if known."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnauthorizedError(DomainError):
    """Missing, unknown, expired or revoked API key."""

    code = "unauthorized"
    status = 401


class ForbiddenError(DomainError):
    """The caller can see the object but may not do this to it."""

    code = "forbidden"
    status = 403


class NotFoundError(DomainError):
    """No such object, or one the caller may not see (never leak existence)."""

    code = "not_found"
    status = 404

    def __init__(self, message: str = "The requested resource could not be found.") -> None:
        super().__init__(message)


class ConflictError(DomainError):
    """The request clashes with current state (duplicate name, ...)."""

    code = "conflict"
    status = 409


class RateLimitedError(DomainError):
    """Too many requests in the current window."""

    code = "rate_limit_exceeded"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
