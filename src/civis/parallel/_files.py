"""Pickles in and out of Civis files, with retries: what the backend and the worker move."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from typing import Any

__all__ = ["download_pickle", "upload_pickle"]

FILE_LIFETIME = timedelta(days=7)
ATTEMPTS = 5


def _retrying(action: Any, attempts: int) -> Any:
    for attempt in range(attempts):
        try:
            return action()
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(min(0.1 * 2**attempt, 2.0))
    raise AssertionError("unreachable")


def upload_pickle(obj: Any, name: str, client: Any, attempts: int = ATTEMPTS) -> int:
    """``cloudpickle`` ``obj`` into a new Civis file that expires in 7 days; its id.

    Examples
    --------
    >>> upload_pickle(len, "f", client)  # doctest: +SKIP
    123
    """
    import cloudpickle

    from civis.io import file_to_civis

    data = cloudpickle.dumps(obj, protocol=cloudpickle.DEFAULT_PROTOCOL)
    expires = (datetime.now() + FILE_LIFETIME).isoformat()
    return int(
        _retrying(
            lambda: file_to_civis(io.BytesIO(data), name=name, expires_at=expires, client=client),
            attempts,
        )
    )


def download_pickle(file_id: int, client: Any, attempts: int = ATTEMPTS) -> Any:
    """The object pickled in Civis file ``file_id``.

    Examples
    --------
    >>> download_pickle(123, client)  # doctest: +SKIP
    <built-in function len>
    """
    import cloudpickle

    from civis.io import civis_to_file

    def fetch() -> bytes:
        buf = io.BytesIO()
        civis_to_file(file_id, buf, client=client)
        return buf.getvalue()

    return cloudpickle.loads(_retrying(fetch, attempts))
