"""Domain errors. Services and the run engine raise these; ``api/errors.py`` alone
decides which HTTP status each one becomes and renders the Civis error body.

DomainError (code, message)
├── BadRequestError   names the offending field
├── UnauthorizedError
├── ForbiddenError
├── NotFoundError
├── ConflictError
└── RateLimitedError  carries retry_after seconds

They live below ``services/`` so that ``runner/`` (which imports nothing above it) can
raise them too.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``code`` is the Civis error word (``bad_request``, ``not_found``...)."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(DomainError):
    """Bad input; ``field`` names the offending body/query field (camelCase) if known."""

    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnauthorizedError(DomainError):
    """Missing, unknown, expired or revoked API key."""

    code = "unauthorized"


class ForbiddenError(DomainError):
    """The caller can see the object but may not do this to it."""

    code = "forbidden"


class NotFoundError(DomainError):
    """No such object, or one the caller may not see (never leak existence)."""

    code = "not_found"

    def __init__(self, message: str = "The requested resource could not be found.") -> None:
        super().__init__(message)


class ConflictError(DomainError):
    """The request clashes with current state (duplicate name, ...)."""

    code = "conflict"


class NotSupportedError(DomainError):
    """A Civis feature this platform does not offer (e.g. deploying notebooks)."""

    code = "not_implemented"


class RateLimitedError(DomainError):
    """Too many requests in the current window."""

    code = "rate_limit_exceeded"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
