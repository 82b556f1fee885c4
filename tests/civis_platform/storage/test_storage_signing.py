"""Presigned URL tokens: sign and verify, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civis_platform.storage import (
    ExpiredSignatureError,
    InvalidSignatureError,
    SignedGrant,
    sign,
    verify,
)

SECRET = b"test-secret"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def _token(**overrides: object) -> str:
    args: dict = {
        "secret": SECRET,
        "method": "GET",
        "key": "files/1/a.csv",
        "expires_at": LATER,
        "extra": None,
    }
    args.update(overrides)
    return sign(**args)


def _tamper(token: str) -> str:
    payload, mac = token.split(".")
    flipped = "A" if payload[5] != "A" else "B"
    return f"{payload[:5]}{flipped}{payload[6:]}.{mac}"


def test_valid_token_round_trips() -> None:
    grant = verify(SECRET, _token(extra={"upload": "abc", "part": 2}), "get", now=NOW)
    assert grant == SignedGrant("GET", "files/1/a.csv", LATER, {"upload": "abc", "part": 2})


def test_token_is_url_safe() -> None:
    token = _token(key="weird key/ü?&=#", extra={"x": "/+="})
    assert all(c.isalnum() or c in "-_." for c in token)
    assert verify(SECRET, token, "GET", now=NOW).key == "weird key/ü?&=#"


@pytest.mark.parametrize(
    "token, method, now, error, fragment",
    [
        (_token(), "GET", LATER, ExpiredSignatureError, "expired"),
        (_token(), "GET", LATER + timedelta(days=1), ExpiredSignatureError, "expired"),
        (_token(), "PUT", NOW, InvalidSignatureError, "for GET, not PUT"),
        (_token(secret=b"other"), "GET", NOW, InvalidSignatureError, "bad signature"),
        (_tamper(_token()), "GET", NOW, InvalidSignatureError, "bad signature"),
        (_token() + "x", "GET", NOW, InvalidSignatureError, "bad signature"),
        ("no-dot-here", "GET", NOW, InvalidSignatureError, "malformed"),
        (".", "GET", NOW, InvalidSignatureError, "malformed"),
        ("", "GET", NOW, InvalidSignatureError, "malformed"),
    ],
)
def test_rejections(token: str, method: str, now: datetime, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        verify(SECRET, token, method, now=now)


def test_expiry_is_utc_and_second_precise() -> None:
    local = LATER.astimezone(__import__("datetime").timezone(timedelta(hours=-5)))
    token = _token(expires_at=local)
    assert verify(SECRET, token, "GET", now=NOW).expires_at == LATER
    with pytest.raises(ValueError, match="timezone-aware"):
        _token(expires_at=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="empty"):
        _token(secret=b"")


def test_payload_with_valid_mac_but_junk_is_rejected() -> None:
    import base64
    import hashlib
    import hmac

    payload = base64.urlsafe_b64encode(b"not json").rstrip(b"=").decode()
    mac = (
        base64.urlsafe_b64encode(hmac.new(SECRET, payload.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(InvalidSignatureError, match="malformed token payload"):
        verify(SECRET, f"{payload}.{mac}", "GET", now=NOW)
