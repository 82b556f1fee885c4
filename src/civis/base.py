"""Errors, job-state constants and endpoint defaults shared by the whole client.

The exception tree (names fixed by the official client, so not all end in ``Error``)::

    Exception
    ├── CivisAPIError            any non-2xx answer except 401 (``status_code``, ``error_message``)
    ├── CivisAPIKeyError         401: the key is missing, wrong or expired (WWW-Authenticate text)
    ├── CivisJobFailure          a run ended in a failed state ("(From job J / run R) message")
    ├── EmptyResultError         a query or export produced no result where one was required
    ├── CivisImportError         an optional dependency (pandas, polars, ...) is not installed
    ├── civis.response.CivisClientError        the API answered with a body that is not JSON
    └── civis.response.CivisImmutableResponseError   someone tried to modify a Response

Network failures keep the ``requests`` exception types (``requests.ConnectionError``,
``requests.Timeout``): code written for the official client catches those, so translating
them into our own names would break it.  This module imports nothing heavy, so that
``import civis`` stays fast.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "CANCELLED",
    "DEFAULT_API_ENDPOINT",
    "DEFAULT_USER_AGENT",
    "DONE",
    "FAILED",
    "FINISHED",
    "NOT_FINISHED",
    "STATE_TRANS",
    "CivisAPIError",
    "CivisAPIKeyError",
    "CivisImportError",
    "CivisJobFailure",
    "EmptyResultError",
    "get_base_url",
]

DEFAULT_API_ENDPOINT = "https://api.civisanalytics.com/"
DEFAULT_USER_AGENT = "civis-python"

FINISHED = ["success", "succeeded"]
FAILED = ["failed"]
NOT_FINISHED = ["queued", "running"]
CANCELLED = ["cancelled"]
DONE = FINISHED + FAILED + CANCELLED

# Civis run states mapped onto the states of concurrent.futures.Future.
STATE_TRANS = {
    "success": "FINISHED",
    "succeeded": "FINISHED",
    "failed": "FINISHED",
    "queued": "PENDING",
    "running": "RUNNING",
    "cancelled": "CANCELLED",
}


def get_base_url() -> str:
    """Return the API base URL: ``$CIVIS_API_ENDPOINT`` or the Civis default, ending in ``/``.

    Returns
    -------
    str
        The base URL that every API path is joined to.

    Examples
    --------
    >>> import os
    >>> os.environ["CIVIS_API_ENDPOINT"] = "http://127.0.0.1:8000"
    >>> get_base_url()
    'http://127.0.0.1:8000/'
    >>> del os.environ["CIVIS_API_ENDPOINT"]
    >>> get_base_url()
    'https://api.civisanalytics.com/'
    """
    base = os.environ.get("CIVIS_API_ENDPOINT") or DEFAULT_API_ENDPOINT
    return base if base.endswith("/") else base + "/"


def _error_message_from(response: Any) -> str:
    """The official rule for a readable message from an error response."""
    content = getattr(response, "content", b"") or b""
    if not content:
        return str(getattr(response, "reason", "") or "")
    try:
        body = response.json()
    except ValueError as exc:
        # A body that is not JSON at all fails at its first character.
        if getattr(exc, "pos", None) == 0:
            return "No Response Content from Civis API"
        return f"Response Content: {getattr(response, 'text', content)}"
    if isinstance(body, dict):
        return str(body.get("errorDescription") or "No Error Message Available")
    return "No Error Message Available"


class CivisAPIError(Exception):
    """The API answered with a non-2xx status (other than 401).

    Parameters
    ----------
    response : requests.Response
        The failed response; its status, body and request are read.

    Examples
    --------
    >>> import civis
    >>> client = civis.APIClient()  # doctest: +SKIP
    >>> try:  # doctest: +SKIP
    ...     client.files.get(0)
    ... except CivisAPIError as err:
    ...     print(err.status_code, err.error_message)
    404 The requested resource could not be found.
    """

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status_code: int = response.status_code
        self.error_message: str = _error_message_from(response)
        super().__init__(self.error_message)

    def __str__(self) -> str:
        request = getattr(self._response, "request", None)
        if request is None:
            return f"({self.status_code}) {self.error_message}"
        return f"({self.status_code}) {self.error_message} ({request.method} {request.path_url})"


class CivisAPIKeyError(Exception):
    """The API refused the key (HTTP 401); the message is the WWW-Authenticate header.

    Examples
    --------
    >>> raise CivisAPIKeyError('Basic realm="Civis"')
    Traceback (most recent call last):
    ...
    civis.base.CivisAPIKeyError: Basic realm="Civis"
    """


class CivisJobFailure(Exception):
    """A Civis job run failed.

    Parameters
    ----------
    err_msg : str
        The error reported by the run.
    response : Response, optional
        The run object that reported the failure.
    job_id, run_id : int, optional
        Identify the run; they prefix the message.

    Examples
    --------
    >>> str(CivisJobFailure("out of memory", job_id=7, run_id=3))
    '(From job 7 / run 3) out of memory'
    >>> str(CivisJobFailure("boom", job_id=7))
    '(From job 7) boom'
    """

    def __init__(
        self,
        err_msg: str,
        response: Any = None,
        job_id: int | None = None,
        run_id: int | None = None,
    ) -> None:
        self._original_err_msg = err_msg
        self.job_id = job_id
        self.run_id = run_id
        self.response = response
        if job_id is not None and run_id is not None:
            err_msg = f"(From job {job_id} / run {run_id}) {err_msg}"
        elif job_id is not None:
            err_msg = f"(From job {job_id}) {err_msg}"
        self.error_message = err_msg
        super().__init__(err_msg)

    def __str__(self) -> str:
        return self.error_message


class EmptyResultError(Exception):
    """An operation that must produce a result produced none.

    Examples
    --------
    >>> raise EmptyResultError("the query returned no file")
    Traceback (most recent call last):
    ...
    civis.base.EmptyResultError: the query returned no file
    """


class CivisImportError(Exception):
    """An optional dependency needed for this call is not installed.

    Examples
    --------
    >>> raise CivisImportError("install pandas to use return_as='pandas'")
    Traceback (most recent call last):
    ...
    civis.base.CivisImportError: install pandas to use return_as='pandas'
    """


def __getattr__(name: str) -> Any:
    # ``civis.base.Endpoint`` is the base class of every generated resource in the official
    # client; code checks ``isinstance(x, Endpoint)``.  Ours lives in the spec builder.
    if name == "Endpoint":
        from civis._spec.build import Resource

        return Resource
    raise AttributeError(f"module 'civis.base' has no attribute {name!r}")
