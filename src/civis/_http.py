"""The HTTP seam: one pooled ``requests.Session`` per client, auth, timeouts, retries and
the mapping of error statuses to Civis exceptions.

Nothing above this module touches ``requests`` directly.  There is no global lock: the
session's connection pool is shared by all threads of a client, and retry sleeps block
only the calling thread.

Retries follow the official client: 429/502/503/504 for idempotent verbs, 429/503 for
POST, never PATCH (a retried PATCH could apply twice).  The wait is
``max(Retry-After, full-jitter exponential backoff)``; at most 10 attempts or 10 minutes.
Unlike the official client, connection errors are also retried for idempotent verbs,
and requests have connect/read timeouts.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from civis.base import DEFAULT_USER_AGENT, CivisAPIError, CivisAPIKeyError

if TYPE_CHECKING:
    import requests

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_MAX",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_ELAPSED",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_READ_TIMEOUT",
    "HTTPClient",
    "RetryPolicy",
    "Timeouts",
    "raise_for_api_error",
]

DEFAULT_CONNECT_TIMEOUT = 10.0
# Generous: some Civis calls (large lists, synchronous queries) legitimately take minutes.
DEFAULT_READ_TIMEOUT = 300.0
DEFAULT_POOL_SIZE = 32
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_MAX_ELAPSED = 600.0
DEFAULT_BACKOFF_BASE = 2.0
DEFAULT_BACKOFF_MAX = 60.0

IDEMPOTENT_VERBS = frozenset({"GET", "HEAD", "TRACE", "PUT", "OPTIONS", "DELETE"})
IDEMPOTENT_RETRY_STATUSES = frozenset({429, 502, 503, 504})
POST_RETRY_STATUSES = frozenset({429, 503})


# Headers added to every API request made in the current context (thread or task), e.g.
# the poller's ``Prefer: wait=N``. A context variable, not client state: one client is
# shared by many threads, and only the calls made inside the block should carry them.
_EXTRA_HEADERS: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "civis_extra_headers", default=None
)


@contextlib.contextmanager
def extra_headers(headers: Mapping[str, str]) -> Iterator[None]:
    """Send ``headers`` with every API request made inside the block (this context only).

    Examples
    --------
    >>> with extra_headers({"Prefer": "wait=5"}):
    ...     _EXTRA_HEADERS.get()
    {'Prefer': 'wait=5'}
    >>> _EXTRA_HEADERS.get() is None
    True
    """
    token = _EXTRA_HEADERS.set(headers)
    try:
        yield
    finally:
        _EXTRA_HEADERS.reset(token)


class Timeouts(NamedTuple):
    """Connect and read timeouts in seconds (None waits forever).

    Examples
    --------
    >>> Timeouts().as_requests()
    (10.0, 300.0)
    >>> Timeouts(connect=1, read=None).as_requests()
    (1, None)
    """

    connect: float | None = DEFAULT_CONNECT_TIMEOUT
    read: float | None = DEFAULT_READ_TIMEOUT

    def as_requests(self) -> tuple[float | None, float | None]:
        """The ``timeout=`` value for requests."""
        return (self.connect, self.read)


def _parse_retry_after(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0  # an HTTP date or garbage counts as no hint, as in the official client


class RetryPolicy(NamedTuple):
    """Which answers to retry and how long to wait; a pure value with no I/O.

    Parameters
    ----------
    max_attempts : int
        Attempts in total, the first included.
    max_elapsed : float
        No new attempt starts after this many seconds.
    backoff_base, backoff_max : float
        Full jitter: before attempt n+1 wait ``uniform(0, min(max, base * 2**n))``.

    Examples
    --------
    >>> policy = RetryPolicy()
    >>> policy.should_retry_status("GET", 502), policy.should_retry_status("POST", 502)
    (True, False)
    >>> policy.should_retry_status("PATCH", 429)
    False
    >>> policy.delay(0, "7", rand=lambda: 0.5)
    7.0
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_elapsed: float = DEFAULT_MAX_ELAPSED
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_max: float = DEFAULT_BACKOFF_MAX
    # Connection failures rarely heal within seconds (DNS, refused): fewer attempts.
    max_connection_attempts: int = 3
    idempotent_statuses: frozenset[int] = IDEMPOTENT_RETRY_STATUSES
    post_statuses: frozenset[int] = POST_RETRY_STATUSES

    def should_retry_status(self, verb: str, status: int) -> bool:
        """Whether an answer with ``status`` to ``verb`` may be retried."""
        verb = verb.upper()
        if verb in IDEMPOTENT_VERBS:
            return status in self.idempotent_statuses
        if verb == "POST":
            return status in self.post_statuses
        return False

    def should_retry_error(self, verb: str, error: BaseException) -> bool:
        """Whether a failed connection may be retried (idempotent verbs only)."""
        import requests

        return verb.upper() in IDEMPOTENT_VERBS and isinstance(
            error, (requests.ConnectionError, requests.Timeout)
        )

    def backoff(self, attempt: int, rand: Callable[[], float] | None = None) -> float:
        """Full-jitter exponential backoff before attempt ``attempt + 1`` (0-based)."""
        if rand is None:
            import random

            rand = random.random
        return rand() * min(self.backoff_max, self.backoff_base * (2.0**attempt))

    def delay(
        self, attempt: int, retry_after: str | None, rand: Callable[[], float] | None = None
    ) -> float:
        """Seconds to wait: the larger of Retry-After and the backoff."""
        return max(_parse_retry_after(retry_after), self.backoff(attempt, rand))


def raise_for_api_error(response: requests.Response) -> None:
    """Raise the Civis exception for a non-2xx ``response``; do nothing otherwise.

    Raises
    ------
    CivisAPIKeyError
        On 401, with the WWW-Authenticate header as message.
    CivisAPIError
        On any other non-2xx status.

    Examples
    --------
    >>> import requests
    >>> ok = requests.Response()
    >>> ok.status_code = 204
    >>> raise_for_api_error(ok) is None
    True
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    error = CivisAPIError(response)
    if status == 401:
        raise CivisAPIKeyError(
            response.headers.get("WWW-Authenticate", error.error_message)
        ) from error
    raise error


def user_agent_header(user_agent: str | None) -> str:
    """The User-Agent sent with every request."""
    import platform

    import requests

    from civis import __version__

    return (
        f"{user_agent or DEFAULT_USER_AGENT} (Python {platform.python_version()}; "
        f"civis-platform {__version__}; requests {requests.__version__})"
    )


class HTTPClient:
    """Sends API requests for one client: pooled, authenticated, retried, timed out.

    Parameters
    ----------
    api_key : str
        Sent as HTTP Basic ``(api_key, "")``.
    base_url : str
        Ends in ``/``; API paths are joined to it.
    user_agent : str, optional
        Prefix of the User-Agent header.
    timeouts : Timeouts
    retry_policy : RetryPolicy
    retrying : tenacity.Retrying, optional
        A user's retry object: its stop settings are kept, the decision of what to retry
        and how long to wait comes from ``retry_policy``.
    pool_size : int
        Connections kept open per host.

    Examples
    --------
    >>> http = HTTPClient("key", base_url="http://127.0.0.1:1/")
    >>> http.url("/files/5/")
    'http://127.0.0.1:1/files/5'
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        user_agent: str | None = None,
        timeouts: Timeouts | None = None,
        retry_policy: RetryPolicy | None = None,
        retrying: Any = None,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.base_url = base_url
        self.timeouts = timeouts or Timeouts()
        self.retry_policy = retry_policy or RetryPolicy()
        self._api_key = api_key
        self._user_agent = user_agent
        self._retrying = retrying
        self._pool_size = pool_size
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()
        self._headers: dict[str, str] = {}
        job_id = os.environ.get("CIVIS_JOB_ID")
        if job_id:
            self._headers["X-Civis-Job-ID"] = job_id
            self._headers["X-Civis-Run-ID"] = os.environ.get("CIVIS_RUN_ID", "")

    @property
    def session(self) -> requests.Session:
        """The pooled session, created on first use (construction stays cheap)."""
        session = self._session
        if session is None:
            with self._session_lock:
                if self._session is None:
                    # Imported here: requests costs ~100 ms to import and a client built
                    # only for its signatures (mocks, docs) never needs it.
                    import requests
                    from requests.adapters import HTTPAdapter

                    session = requests.Session()
                    # Read proxy and CA settings from the environment once, not on every
                    # request (requests re-scans os.environ per call when trust_env is on).
                    session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
                    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
                        "CURL_CA_BUNDLE"
                    )
                    if bundle:
                        session.verify = bundle
                    session.trust_env = False
                    session.auth = (self._api_key, "")
                    session.headers["User-Agent"] = user_agent_header(self._user_agent)
                    session.headers.update(self._headers)
                    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self._pool_size)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    self._session = session
                session = self._session
        return session

    def url(self, path: str) -> str:
        """Join an API path to the base URL (no leading or trailing ``/`` kept)."""
        return self.base_url + path.strip("/")

    def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            self._session.close()

    def request(
        self,
        verb: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        send_json: bool = False,
        stream: bool = False,
    ) -> requests.Response:
        """Send one API request (with retries) and return the final response.

        Error statuses are returned, not raised; see `raise_for_api_error`.

        Examples
        --------
        >>> http = HTTPClient("key", base_url="http://127.0.0.1:8000/")  # doctest: +SKIP
        >>> http.request("GET", "users/me").json()["username"]  # doctest: +SKIP
        'ada'
        """
        url = self.url(path)
        kwargs: dict[str, Any] = {
            "params": params,
            "timeout": self.timeouts.as_requests(),
            "stream": stream,
        }
        if send_json:
            kwargs["json"] = json
        extra = _EXTRA_HEADERS.get()
        if extra:
            kwargs["headers"] = dict(extra)
        session = self.session

        def send() -> requests.Response:
            return session.request(verb, url, **kwargs)

        if self._retrying is not None:
            return self._send_with_tenacity(verb, send)
        return self._send_with_policy(verb, send)

    def _send_with_policy(
        self, verb: str, send: Callable[[], requests.Response]
    ) -> requests.Response:
        import requests

        policy = self.retry_policy
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = send()
            except (requests.ConnectionError, requests.Timeout) as exc:
                if (
                    attempt >= min(policy.max_attempts, policy.max_connection_attempts)
                    or time.monotonic() - started >= policy.max_elapsed
                    or not policy.should_retry_error(verb, exc)
                ):
                    # Keep requests' exception type (callers catch it), but say where we
                    # were going: most of these are a wrong CIVIS_API_ENDPOINT.
                    exc.add_note(
                        f"civis: {verb} failed after {attempt} attempt(s); "
                        f"API base URL is {self.base_url} (CIVIS_API_ENDPOINT)"
                    )
                    raise
                time.sleep(policy.delay(attempt - 1, None))
                continue
            if (
                not policy.should_retry_status(verb, response.status_code)
                or attempt >= policy.max_attempts
                or time.monotonic() - started >= policy.max_elapsed
            ):
                return response
            delay = policy.delay(attempt - 1, response.headers.get("Retry-After"))
            response.close()  # hand the connection back to the pool before sleeping
            time.sleep(delay)

    def _send_with_tenacity(
        self, verb: str, send: Callable[[], requests.Response]
    ) -> requests.Response:
        import tenacity

        policy = self.retry_policy

        def wait(state: tenacity.RetryCallState) -> float:
            retry_after = None
            outcome = state.outcome
            if outcome is not None and not outcome.failed:
                retry_after = outcome.result().headers.get("Retry-After")
            return policy.delay(state.attempt_number - 1, retry_after)

        retrying = self._retrying.copy(
            retry=(
                tenacity.retry_if_result(lambda r: policy.should_retry_status(verb, r.status_code))
                | tenacity.retry_if_exception(lambda e: policy.should_retry_error(verb, e))
            ),
            wait=wait,
            reraise=True,
            retry_error_callback=lambda state: state.outcome.result(),
        )
        response: requests.Response = retrying(send)
        return response
