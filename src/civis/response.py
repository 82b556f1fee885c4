"""Response objects: immutable, attribute-style views of API JSON, plus list and paging.

`Response` exposes every key in snake_case and still answers to the original camelCase
key, at any depth.  Keys under ``arguments`` and ``environmentVariables`` are user data and
keep their case; so does the ``value`` of a JSONValue (run outputs and ``json_values``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from civis._spec.naming import to_snake

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = [
    "CivisClientError",
    "CivisImmutableResponseError",
    "ListResponse",
    "PaginatedResponse",
    "Response",
    "convert_response_data_type",
    "find",
    "find_one",
]

# Free-form maps whose keys belong to the user, not the API.
_CASE_KEPT_KEYS = frozenset({"arguments", "environmentVariables"})


class CivisClientError(Exception):
    """The API answered with a body that is not JSON.

    Examples
    --------
    >>> err = CivisClientError("Unable to parse JSON from response", None)
    >>> err.error_message
    'Unable to parse JSON from response'
    """

    def __init__(self, message: str, response: Any) -> None:
        self.error_message = message
        self.response = response
        super().__init__(message)


class CivisImmutableResponseError(Exception):
    """Raised on any attempt to modify a `Response`.

    Examples
    --------
    >>> Response({"a": 1}).a = 2
    Traceback (most recent call last):
    ...
    civis.response.CivisImmutableResponseError: Response object is read-only.
    """


def _convert(value: Any, snake_case: bool = True) -> Any:
    if isinstance(value, dict):
        return Response(value, snake_case=snake_case)
    if isinstance(value, list):
        return [Response(v) if isinstance(v, dict) else v for v in value]
    return value


class Response:
    """An immutable view of one JSON object returned by the API.

    Parameters
    ----------
    json_data : dict or None
        The decoded JSON object (None for an empty body).
    headers : mapping, optional
        The HTTP headers of the response (top-level objects only).
    snake_case : bool
        Expose keys in snake_case (the original keys still work for lookups).
    from_json_values : bool
        Keep a top-level ``value`` raw (responses of ``json_values`` paths).

    Examples
    --------
    >>> r = Response({"fileUrl": "s3://x", "details": {"rowCount": 3}})
    >>> r.file_url, r["fileUrl"], r.details.row_count, r["details"]["rowCount"]
    ('s3://x', 's3://x', 3, 3)
    >>> r.json()
    {'file_url': 's3://x', 'details': {'row_count': 3}}
    """

    __slots__ = (
        "_data",
        "_raw_keys",
        "_snake",
        "calls_remaining",
        "headers",
        "json_data",
        "rate_limit",
    )

    def __init__(
        self,
        json_data: dict[str, Any] | None,
        *,
        headers: Mapping[str, str] | None = None,
        snake_case: bool = True,
        from_json_values: bool = False,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "json_data", json_data)
        set_(self, "_snake", snake_case)
        set_(self, "headers", headers)
        set_(self, "calls_remaining", _int_header(headers, "X-RateLimit-Remaining"))
        set_(self, "rate_limit", _int_header(headers, "X-RateLimit-Limit"))
        data: dict[str, Any] = {}
        raw_keys: dict[str, str] = {}
        if json_data:
            keep_value = from_json_values or json_data.get("objectType") == "JSONValue"
            for key, value in json_data.items():
                name = to_snake(key) if snake_case else key
                if key == "value" and keep_value:
                    converted = value
                elif key in _CASE_KEPT_KEYS and isinstance(value, dict):
                    converted = Response(value, snake_case=False)
                else:
                    converted = _convert(value)
                data[name] = converted
                raw_keys[key] = name
        set_(self, "_data", data)
        set_(self, "_raw_keys", raw_keys)

    # -- lookups ---------------------------------------------------------------------------
    def _lookup(self, key: str) -> Any:
        data = self._data
        if key in data:
            return data[key]
        name = self._raw_keys.get(key)
        if name is not None:
            return data[name]
        raise KeyError(key)

    def __getitem__(self, key: str) -> Any:
        return self._lookup(key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._lookup(name)
        except KeyError:
            raise AttributeError(f"Response object has no attribute {name!r}") from None

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value for ``key`` (snake or camel case), or ``default``.

        Examples
        --------
        >>> Response({"fileId": 5}).get("file_id"), Response({}).get("x", 0)
        (5, 0)
        """
        try:
            return self._lookup(key)
        except KeyError:
            return default

    def items(self) -> Any:
        """The (snake_case key, value) pairs.

        Examples
        --------
        >>> list(Response({"fileId": 5}).items())
        [('file_id', 5)]
        """
        return self._data.items()

    def keys(self) -> Any:
        """The snake_case keys (so ``dict(response)`` works).

        Examples
        --------
        >>> list(Response({"fileId": 5}).keys()), dict(Response({"fileId": 5}))
        (['file_id'], {'file_id': 5})
        """
        return self._data.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __dir__(self) -> list[str]:
        # Tab completion shows the data keys next to the methods.
        return sorted({*object.__dir__(self), *self._data})

    def __contains__(self, key: object) -> bool:
        return key in self._data or key in self._raw_keys

    def __len__(self) -> int:
        return len(self._data)

    def json(self, snake_case: bool = True) -> dict[str, Any]:
        """Return the data as plain dicts and lists.

        Parameters
        ----------
        snake_case : bool
            True: keys recursively in snake_case (user maps keep their keys).
            False: a shallow copy of the JSON as received.

        Examples
        --------
        >>> r = Response({"arguments": {"MY_ARG": 1}, "fileId": 2})
        >>> r.json(), r.json(snake_case=False)
        ({'arguments': {'MY_ARG': 1}, 'file_id': 2}, {'arguments': {'MY_ARG': 1}, 'fileId': 2})
        """
        if not snake_case:
            return dict(self.json_data or {})
        return {k: _plain(v) for k, v in self._data.items()}

    # -- immutability ----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        raise CivisImmutableResponseError("Response object is read-only.")

    def __setitem__(self, key: str, value: Any) -> None:
        raise CivisImmutableResponseError("Response object is read-only.")

    def __delattr__(self, name: str) -> None:
        raise CivisImmutableResponseError("Response object is read-only.")

    # -- comparison, hashing, pickling, display --------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Response):
            return self.json() == other.json()
        if isinstance(other, dict):
            return self.json() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(json.dumps(self.json(), sort_keys=True, default=str))

    def __reduce__(self) -> Any:
        return (_rebuild, (self.json_data, dict(self.headers or {}) or None, self._snake))

    def __repr__(self) -> str:
        return f"Response({self._data!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _rebuild(json_data: Any, headers: Any, snake_case: bool) -> Response:
    return Response(json_data, headers=headers, snake_case=snake_case)


def _plain(value: Any) -> Any:
    if isinstance(value, Response):
        return value.json()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _int_header(headers: Mapping[str, str] | None, name: str) -> int | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        # A plain dict is case-sensitive; requests' header dict is not.
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class ListResponse(list[Any]):
    """A list of `Response` objects, with the HTTP headers of the page it came from.

    Examples
    --------
    >>> page = ListResponse([Response({"id": 1})], headers={"X-Pagination-Total-Entries": "1"})
    >>> page[0].id, page.json()
    (1, [{'id': 1}])
    """

    def __init__(self, responses: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(responses)
        self.headers = headers

    def json(self, snake_case: bool = True) -> list[Any]:
        """Return the items as plain dicts (see `Response.json`).

        Examples
        --------
        >>> ListResponse([Response({"fileId": 1})]).json(snake_case=False)
        [{'fileId': 1}]
        """
        return [r.json(snake_case) if isinstance(r, Response) else r for r in self]


class PaginatedResponse:
    """Iterate over every item of a list endpoint, fetching ``page_num=1, 2, ...``.

    Iteration stops at the first empty page, so N pages cost N+1 requests.  A ``limit``
    given by the caller is kept as the page size.  The next page is fetched in the
    background while the current one is consumed.

    Parameters
    ----------
    path : str
        The API path of the list endpoint (already formatted).
    initial_params : dict
        The query parameters of the first call; ``page_num`` is overwritten.
    endpoint : Resource
        The resource whose client performs the requests.

    Examples
    --------
    >>> import civis
    >>> client = civis.APIClient()  # doctest: +SKIP
    >>> for run in client.scripts.list_containers_runs(7, iterator=True):  # doctest: +SKIP
    ...     print(run.id)
    """

    def __init__(self, path: str, initial_params: dict[str, Any], endpoint: Any) -> None:
        self._path = path
        self._params = dict(initial_params)
        self._endpoint = endpoint
        self._iter: Iterator[Any] | None = None

    def _fetch(self, page_num: int) -> Future[Any]:
        """Fetch one page in a background thread (the client is thread-safe)."""
        from concurrent.futures import Future

        future: Future[Any] = Future()
        client = self._endpoint._client
        params = {**self._params, "page_num": page_num}

        def run() -> None:
            try:
                future.set_result(client._fetch_page(self._path, params))
            except BaseException as exc:  # re-raised in the consuming thread
                future.set_exception(exc)

        threading.Thread(target=run, name=f"civis-page-{page_num}", daemon=True).start()
        return future

    def _pages(self) -> Iterator[Any]:
        page_num = 1
        pending = self._fetch(page_num)
        while True:
            page = pending.result()
            if not page:
                return
            page_num += 1
            # Ask for the next page while the caller works through this one.
            pending = self._fetch(page_num)
            yield from page

    def __iter__(self) -> PaginatedResponse:
        return self

    def __next__(self) -> Any:
        if self._iter is None:
            self._iter = self._pages()
        return next(self._iter)

    def json(self, snake_case: bool = True) -> list[Any]:
        """Fetch the remaining items and return them as plain dicts.

        Examples
        --------
        >>> runs = client.scripts.list_containers_runs(7, iterator=True)  # doctest: +SKIP
        >>> runs.json()  # doctest: +SKIP
        [{'id': 3, 'state': 'succeeded'}, ...]
        """
        return [r.json(snake_case) if isinstance(r, Response) else r for r in self]


def convert_response_data_type(
    response: Any,
    headers: Mapping[str, str] | None = None,
    return_type: str = "snake",
    from_json_values: bool = False,
) -> Any:
    """Convert a ``requests.Response`` into the client's return type.

    Parameters
    ----------
    response : requests.Response
        A successful response.
    headers : mapping, optional
        Headers to attach (default: the response's own).
    return_type : {'snake', 'raw'}
        ``raw`` returns ``response`` unchanged.
    from_json_values : bool
        Keep ``value`` raw (JSONValue objects).

    Returns
    -------
    Response, ListResponse or requests.Response

    Raises
    ------
    CivisClientError
        The body is not JSON.

    Examples
    --------
    >>> import requests
    >>> raw = requests.Response()
    >>> raw._content = b'[{"fileId": 1}]'
    >>> convert_response_data_type(raw)
    [Response({'file_id': 1})]
    """
    if return_type == "raw":
        return response
    if headers is None:
        headers = response.headers
    if not response.content:
        return Response(None, headers=headers)
    try:
        data = response.json()
    except ValueError:
        raise CivisClientError("Unable to parse JSON from response", response) from None
    if isinstance(data, list):
        return ListResponse(
            [
                Response(d, headers=headers, from_json_values=from_json_values)
                if isinstance(d, dict)
                else d
                for d in data
            ],
            headers=headers,
        )
    if isinstance(data, dict):
        return Response(data, headers=headers, from_json_values=from_json_values)
    return data


def find(
    object_list: Any, filter_func: Callable[[Any], bool] | None = None, **kwargs: Any
) -> list[Any]:
    """Return the objects that pass ``filter_func`` and match every keyword.

    A keyword whose value is callable is a predicate on the attribute; a bool is compared
    with ``is``; anything else with ``==``.  Objects missing an attribute never match.

    Examples
    --------
    >>> rows = [Response({"name": "a", "archived": False}), Response({"name": "b"})]
    >>> [r.name for r in find(rows, archived=False)]
    ['a']
    >>> [r.name for r in find(rows, name=lambda n: n > "a")]
    ['b']
    """
    checks = list(kwargs.items())

    def matches(obj: Any) -> bool:
        if filter_func is not None and not filter_func(obj):
            return False
        for key, want in checks:
            if not hasattr(obj, key):
                return False
            have = getattr(obj, key)
            if callable(want):
                if not want(have):
                    return False
            elif isinstance(want, bool):
                if have is not want:
                    return False
            elif have != want:
                return False
        return True

    return [o for o in object_list if matches(o)]


def find_one(
    object_list: Any, filter_func: Callable[[Any], bool] | None = None, **kwargs: Any
) -> Any:
    """Return the first match of `find`, or None.

    Examples
    --------
    >>> find_one([Response({"id": 1}), Response({"id": 2})], id=2)
    Response({'id': 2})
    >>> find_one([], id=2) is None
    True
    """
    results = find(object_list, filter_func, **kwargs)
    return results[0] if results else None
