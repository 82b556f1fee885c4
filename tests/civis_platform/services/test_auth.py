"""Key minting and verification (against a real SQLite store) and the rate limiter."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from civis_platform.config import Settings
from civis_platform.errors import UnauthorizedError
from civis_platform.services.auth import KeyVerifier, RateLimiter, split_token
from civis_platform.services.bootstrap import initialise
from civis_platform.services.users import insert_user, mint_key_for, revoke_key_row
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    settings = Settings(home=tmp_path)
    opened = Store.from_url(settings.resolved_metadata_url())
    initialise(opened, settings)
    yield opened
    opened.dispose()


def test_keys_are_stored_hashed_and_verify(store: Store) -> None:
    with store.transaction() as conn:
        insert_user(conn, username="kim")
        key = mint_key_for(conn, "kim", name="k", expires_in=60)
        row = conn.execute(t.api_keys.select().where(t.api_keys.c.id == key.id)).one()
    assert key.token not in (row.digest, row.salt, row.prefix)
    assert split_token(key.token) == row.prefix
    principal = KeyVerifier(store, cache_seconds=30).verify(key.token)
    assert principal.username == "kim" and not principal.is_admin


def test_cache_serves_repeat_verifications_until_evicted(store: Store) -> None:
    with store.transaction() as conn:
        insert_user(conn, username="lee")
        key = mint_key_for(conn, "lee", name="k", expires_in=None)
    verifier = KeyVerifier(store, cache_seconds=30)
    assert verifier.cached(key.token) is None
    verifier.verify(key.token)
    assert verifier.cached(key.token) is not None
    with store.transaction() as conn:
        revoke_key_row(conn, user_id=None, key_id=key.id)
    verifier.evict_key(key.id)
    with pytest.raises(UnauthorizedError, match="revoked"):
        verifier.verify(key.token)


def test_zero_cache_time_rechecks_the_store(store: Store) -> None:
    with store.transaction() as conn:
        insert_user(conn, username="max")
        key = mint_key_for(conn, "max", name="k", expires_in=None)
    verifier = KeyVerifier(store, cache_seconds=0)
    verifier.verify(key.token)
    with store.transaction() as conn:
        revoke_key_row(conn, user_id=None, key_id=key.id)
    with pytest.raises(UnauthorizedError):
        verifier.verify(key.token)


@pytest.mark.parametrize("token", ["", "cvp__x", "abc_def_ghi", "cvp_nosuchprefix_secret"])
def test_malformed_or_unknown_tokens_are_rejected(store: Store, token: str) -> None:
    with pytest.raises(UnauthorizedError):
        KeyVerifier(store, cache_seconds=30).verify(token)


@pytest.mark.parametrize(
    "times, expected",
    [
        ([0.0, 1.0, 2.0], [(1, 60), (0, 59), (-1, 58)]),
        ([0.0, 1.0, 61.0], [(1, 60), (0, 59), (1, 60)]),  # a new window resets the count
    ],
)
def test_rate_limiter_windows(times: list[float], expected: list[tuple[int, int]]) -> None:
    limiter = RateLimiter(limit=2, window_seconds=60)
    assert [limiter.hit(1, now=now) for now in times] == expected


def test_rate_limiter_counts_users_separately() -> None:
    limiter = RateLimiter(limit=1, window_seconds=60)
    assert limiter.hit(1, now=0.0)[0] == 0
    assert limiter.hit(2, now=0.0)[0] == 0
    assert limiter.hit(1, now=0.0)[0] == -1


def test_a_key_revoked_elsewhere_is_refused_within_a_second(store: Store) -> None:
    # Two verifiers on one store stand for two server processes.
    with store.transaction() as conn:
        insert_user(conn, username="nia")
        key = mint_key_for(conn, "nia", name="k", expires_in=None)
    here, there = KeyVerifier(store, cache_seconds=30), KeyVerifier(store, cache_seconds=30)
    here.verify(key.token)
    there.verify(key.token)
    with store.transaction() as conn:
        revoke_key_row(conn, user_id=None, key_id=key.id)
    revoked_at = time.monotonic()
    here.evict_key(key.id)  # the revoking process forgets it at once
    with pytest.raises(UnauthorizedError, match="revoked"):
        here.verify(key.token)
    while time.monotonic() - revoked_at < 1.0:
        if there.cached(key.token) is None:
            try:
                there.verify(key.token)
            except UnauthorizedError:
                break
        time.sleep(0.02)
    else:
        pytest.fail("the other verifier still accepted the key after one second")
    with pytest.raises(UnauthorizedError, match="revoked"):
        there.verify(key.token)


def test_an_inactive_user_or_an_expiry_set_elsewhere_is_seen_within_a_second(
    store: Store,
) -> None:
    with store.transaction() as conn:
        user_id = insert_user(conn, username="ora")
        key = mint_key_for(conn, "ora", name="k", expires_in=None)
        other = mint_key_for(conn, "ora", name="k2", expires_in=None)
    verifier = KeyVerifier(store, cache_seconds=30, recheck_seconds=0.2)
    verifier.verify(key.token)
    verifier.verify(other.token)
    with store.transaction() as conn:
        conn.execute(
            update(t.api_keys)
            .where(t.api_keys.c.id == key.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    time.sleep(0.3)
    assert verifier.cached(key.token) is None
    with pytest.raises(UnauthorizedError, match="expired"):
        verifier.verify(key.token)
    assert verifier.verify(other.token).id == user_id
    with store.transaction() as conn:
        conn.execute(update(t.users).where(t.users.c.id == user_id).values(active=False))
    time.sleep(0.3)
    with pytest.raises(UnauthorizedError, match="inactive"):
        verifier.verify(other.token)


def test_a_fresh_cache_entry_is_served_without_the_store(store: Store) -> None:
    with store.transaction() as conn:
        insert_user(conn, username="pat")
        key = mint_key_for(conn, "pat", name="k", expires_in=None)
    verifier = KeyVerifier(store, cache_seconds=30, recheck_seconds=5)
    verifier.verify(key.token)
    with store.transaction() as conn:
        revoke_key_row(conn, user_id=None, key_id=key.id)
    # Within the recheck interval the hash and the row are not read again.
    assert verifier.cached(key.token) is not None
