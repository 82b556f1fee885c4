"""API keys: minting, hashing, verification (with a short in-memory cache), revocation.

A key looks like ``cvp_<prefix>_<secret>``. The prefix is stored in clear and indexed,
so verification reads one row; the whole token is hashed with scrypt and a per-key
salt. scrypt is deliberately slow, so successful verifications are cached in memory
for ``Settings.key_cache_seconds`` (keyed by a SHA-256 of the token, never the token),
which keeps request throughput high. Revoking a key in this process evicts it at once.

The cache only spares the hash: every ``KEY_RECHECK_SECONDS`` a cached key's row and
its user are read again by primary key (one cheap indexed read per key, not per
request), so a key revoked or expired by any process (another server on the same
metadata store, ``civis-platform keys revoke``, the end of a run), or a user made
inactive, is refused everywhere within a second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from civis_platform.errors import UnauthorizedError
from civis_platform.services.context import Principal, utcnow
from civis_platform.store import tables as t
from civis_platform.store.db import Store

TOKEN_PREFIX = "cvp"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# How stale a cached key's revocation, expiry and user state may be (below a second).
KEY_RECHECK_SECONDS = 0.5


def hash_token(token: str, salt: bytes) -> str:
    """scrypt digest (hex) of ``token`` with ``salt``."""
    digest = hashlib.scrypt(token.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return digest.hex()


def split_token(token: str) -> str | None:
    """The lookup prefix of a well-formed token, else None.

    Examples:
        >>> split_token("cvp_abcd1234_secret")
        'abcd1234'
        >>> split_token("nonsense") is None
        True
    """
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


@dataclass(frozen=True)
class NewKey:
    """A freshly minted key: the clear token is only ever available here."""

    id: int
    token: str


def mint_key(
    conn: Connection,
    *,
    user_id: int,
    name: str,
    expires_in: int | None,
    run_id: int | None = None,
) -> NewKey:
    """Create a key for ``user_id``; ``expires_in`` seconds from now (None: never).

    A key minted for a run (``run_id``) is revoked when that run ends.
    """
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    now = utcnow()
    result = conn.execute(
        insert(t.api_keys)
        .values(
            user_id=user_id,
            name=name,
            prefix=prefix,
            salt=salt.hex(),
            digest=hash_token(token, salt),
            expires_at=None if expires_in is None else now + timedelta(seconds=expires_in),
            use_count=0,
            created_at=now,
            run_id=run_id,
        )
        .returning(t.api_keys.c.id)
    )
    return NewKey(id=int(result.scalar_one()), token=token)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def load_principal(conn: Connection, user_id: int) -> Principal | None:
    """The principal of an active user (with group memberships), else None."""
    user = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
    if user is None or not user.active:
        return None
    group_ids = conn.execute(
        select(t.group_members.c.group_id).where(t.group_members.c.user_id == user_id)
    ).scalars()
    return Principal(
        id=user.id, username=user.username, is_admin=user.is_admin, group_ids=frozenset(group_ids)
    )


@dataclass
class _CacheEntry:
    principal: Principal
    key_id: int
    expires_at: datetime | None
    cached_until: float
    checked_until: float = 0.0


class KeyVerifier:
    """Verifies tokens against the store; one per app (no module-level state)."""

    def __init__(
        self, store: Store, cache_seconds: float, recheck_seconds: float = KEY_RECHECK_SECONDS
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._recheck_seconds = min(recheck_seconds, cache_seconds)
        self._cache: dict[str, _CacheEntry] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        """The principal if ``token`` was verified and rechecked recently and is still
        valid, else None (then :meth:`verify` decides).

        Never touches the store, so it is safe to call on the event loop.
        """
        fingerprint = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            entry = self._cache.get(fingerprint)
        now = time.monotonic()
        if entry is None or entry.cached_until <= now or entry.checked_until <= now:
            return None
        if entry.expires_at is not None and entry.expires_at <= utcnow():
            return None
        return entry.principal

    def verify(self, token: str) -> Principal:
        """The principal owning ``token``.

        Raises:
            UnauthorizedError: unknown, malformed, revoked or expired key, or inactive user.
        """
        fingerprint = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(fingerprint)
        if entry is not None and entry.cached_until > now:
            if entry.expires_at is not None and entry.expires_at <= utcnow():
                self.evict_key(entry.key_id)
                raise UnauthorizedError("The API key has expired.")
            if entry.checked_until > now:
                return entry.principal
            try:
                entry.principal = self._recheck(entry.key_id)
            except UnauthorizedError:
                self.evict_key(entry.key_id)
                raise
            entry.checked_until = now + self._recheck_seconds
            return entry.principal
        entry = self._verify_in_store(token)
        entry.cached_until = now + self._cache_seconds
        entry.checked_until = now + self._recheck_seconds
        with self._lock:
            self._cache[fingerprint] = entry
        return entry.principal

    def _recheck(self, key_id: int) -> Principal:
        """Re-read a cached key's row and user (no hashing): its principal, or 401."""
        with self._store.transaction() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
            if row is None or row.revoked_at is not None:
                raise UnauthorizedError("The API key has been revoked.")
            expires_at = _aware(row.expires_at)
            if expires_at is not None and expires_at <= utcnow():
                raise UnauthorizedError("The API key has expired.")
            principal = load_principal(conn, row.user_id)
        if principal is None:
            raise UnauthorizedError("The API key's user is inactive.")
        return principal

    def _verify_in_store(self, token: str) -> _CacheEntry:
        prefix = split_token(token)
        if prefix is None:
            raise UnauthorizedError("The API key is not valid.")
        with self._store.transaction() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.prefix == prefix)).first()
            if row is None or not hmac.compare_digest(
                hash_token(token, bytes.fromhex(row.salt)), row.digest
            ):
                raise UnauthorizedError("The API key is not valid.")
            if row.revoked_at is not None:
                raise UnauthorizedError("The API key has been revoked.")
            expires_at = _aware(row.expires_at)
            if expires_at is not None and expires_at <= utcnow():
                raise UnauthorizedError("The API key has expired.")
            principal = load_principal(conn, row.user_id)
            if principal is None:
                raise UnauthorizedError("The API key's user is inactive.")
            # Usage is recorded on the (slow) verification path only, so it counts
            # verifications, not requests; good enough for "last used".
            conn.execute(
                update(t.api_keys)
                .where(t.api_keys.c.id == row.id)
                .values(last_used_at=utcnow(), use_count=t.api_keys.c.use_count + 1)
            )
        return _CacheEntry(principal, row.id, expires_at, 0.0)

    def evict_key(self, key_id: int) -> None:
        """Forget cached verifications of one key (after revocation)."""
        with self._lock:
            for fingerprint in [f for f, e in self._cache.items() if e.key_id == key_id]:
                del self._cache[fingerprint]

    def clear(self) -> None:
        """Forget every cached verification."""
        with self._lock:
            self._cache.clear()

    def evict_user(self, user_id: int) -> None:
        """Forget cached verifications of a user's keys (after a role or group change)."""
        with self._lock:
            for fingerprint in [f for f, e in self._cache.items() if e.principal.id == user_id]:
                del self._cache[fingerprint]


class RateLimiter:
    """Fixed-window request counter per user, in memory (per API process)."""

    def __init__(self, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._windows: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every window (a testing reset)."""
        with self._lock:
            self._windows.clear()

    def hit(self, user_id: int, now: float | None = None) -> tuple[int, int]:
        """Count one request; returns (remaining, seconds until the window resets).

        ``remaining`` is negative when the request is over the limit.

        Examples:
            >>> limiter = RateLimiter(limit=1, window_seconds=60)
            >>> limiter.hit(7, now=0.0)
            (0, 60)
            >>> limiter.hit(7, now=1.0)
            (-1, 59)
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            start, count = self._windows.get(user_id, (now, 0))
            if now - start >= self.window_seconds:
                start, count = now, 0
            count += 1
            self._windows[user_id] = (start, count)
        reset = max(1, round(start + self.window_seconds - now))
        return self.limit - count, reset
