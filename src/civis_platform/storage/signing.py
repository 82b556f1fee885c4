"""Our presigned URLs: tokens that grant one HTTP method on one key until a time.

The server serves file downloads and uploads under its own base URL, path-style, with
no auth header (the official client sends none to ``fileUrl``/``uploadUrl``). The URL
carries a token minted here::

    <base64url(JSON payload)>.<base64url(HMAC-SHA256(secret, payload))>

The payload holds the method, the key, the expiry (whole seconds since the epoch,
UTC) and optional extra claims (an upload id and part number, a size limit...). Both
functions are pure: `verify` takes the current time as an argument for tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ExpiredSignatureError",
    "InvalidSignatureError",
    "SignatureError",
    "SignedGrant",
    "sign",
    "verify",
]


class SignatureError(Exception):
    """Base of the errors `verify` raises; the server answers them with 403."""


class InvalidSignatureError(SignatureError):
    """The token is malformed, tampered with, signed with another secret or for another
    method."""


class ExpiredSignatureError(SignatureError):
    """The token was genuine but its expiry has passed."""


@dataclass(frozen=True)
class SignedGrant:
    """What a verified token allows: ``method`` on ``key`` until ``expires_at``."""

    method: str
    key: str
    expires_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def sign(
    secret: bytes,
    method: str,
    key: str,
    expires_at: datetime,
    extra: dict[str, Any] | None = None,
) -> str:
    """Mint a URL-safe token granting ``method`` on ``key`` until ``expires_at``.

    ``expires_at`` must be timezone-aware; it is kept to the second. ``extra`` must be
    JSON-serialisable.

    Examples:
        >>> from datetime import datetime, timezone
        >>> when = datetime(2030, 1, 1, tzinfo=timezone.utc)
        >>> token = sign(b"s3cret", "GET", "files/1/a.csv", when)
        >>> verify(b"s3cret", token, "GET", now=datetime(2029, 1, 1, tzinfo=timezone.utc)).key
        'files/1/a.csv'
    """
    if not secret:
        raise ValueError("the signing secret is empty")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware (UTC)")
    claims = {
        "m": method.upper(),
        "k": key,
        "e": int(expires_at.timestamp()),
        "x": extra or {},
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_mac(secret, payload)}"


def verify(secret: bytes, token: str, method: str, *, now: datetime | None = None) -> SignedGrant:
    """Check a token for ``method``; return its grant or raise a `SignatureError`.

    The MAC is compared in constant time before anything in the payload is trusted.

    Examples:
        >>> from datetime import datetime, timezone
        >>> token = sign(b"k", "PUT", "x", datetime(2030, 1, 1, tzinfo=timezone.utc))
        >>> verify(b"k", token, "GET")
        Traceback (most recent call last):
        ...
        civis_platform.storage.signing.InvalidSignatureError: token is for PUT, not GET
    """
    payload, dot, mac = token.partition(".")
    if not dot or not payload or not mac:
        raise InvalidSignatureError("malformed token")
    if not hmac.compare_digest(_mac(secret, payload), mac):
        raise InvalidSignatureError("bad signature")
    try:
        claims = json.loads(_unb64(payload))
        grant = SignedGrant(
            method=str(claims["m"]),
            key=str(claims["k"]),
            expires_at=datetime.fromtimestamp(int(claims["e"]), tz=UTC),
            extra=dict(claims.get("x") or {}),
        )
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidSignatureError("malformed token payload") from exc
    if grant.method != method.upper():
        raise InvalidSignatureError(f"token is for {grant.method}, not {method.upper()}")
    current = now or datetime.now(UTC)
    if current >= grant.expires_at:
        raise ExpiredSignatureError(f"token expired at {grant.expires_at.isoformat()}")
    return grant
