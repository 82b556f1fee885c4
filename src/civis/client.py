"""`APIClient`: the resources generated from the spec, plus a few name-to-ID lookups."""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from civis._http import HTTPClient, RetryPolicy, Timeouts, raise_for_api_error
from civis._spec.build import client_class_for
from civis._spec.loader import load_downloaded_spec, load_spec_file, load_spec_mapping
from civis._spec.model import Operation, SpecModel
from civis.base import get_base_url
from civis.response import PaginatedResponse, convert_response_data_type, find, find_one

if TYPE_CHECKING:
    import requests
    import tenacity

__all__ = ["API_VERSIONS", "RETURN_TYPES", "APIClient", "download_spec"]

RETURN_TYPES = ("snake", "raw")
API_VERSIONS = ("1.0",)


def download_spec(http: HTTPClient) -> bytes:
    """Download ``GET {base}endpoints`` and return the raw body.

    Raises
    ------
    requests.HTTPError
        On 401/403 (the key may be expired) or any other error status.

    Examples
    --------
    >>> http = HTTPClient("key", base_url="http://127.0.0.1:8000/")  # doctest: +SKIP
    >>> body = download_spec(http)  # doctest: +SKIP
    """
    import requests

    response = http.request("GET", "endpoints")
    if response.status_code in (401, 403):
        raise requests.HTTPError(
            f"{response.status_code} error downloading API specification. API key may be expired.",
            response=response,
        )
    response.raise_for_status()
    return response.content


def _split_schema_tablename(table: str) -> tuple[str | None, str]:
    """Split ``schema.table`` on the dot; double quotes protect dots inside names."""
    import csv

    parts = next(csv.reader([table], delimiter=".", quotechar='"'))
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ValueError(
        f"Cannot parse schema and table. Does '{table}' follow the pattern 'schema.table'?"
    )


def _query_value(value: Any) -> Any:
    # requests would send True as "True" anyway; being explicit documents the contract.
    if isinstance(value, bool):
        return str(value)
    return value


class APIClient:
    """The Civis API client: one attribute per API resource, generated from the spec.

    Parameters
    ----------
    api_key : str, optional
        Your Civis API key; defaults to ``$CIVIS_API_KEY``.
    return_type : {'snake', 'raw'}
        ``snake``: `Response` objects; ``raw``: the ``requests.Response``.
    api_version : str
        Only ``"1.0"`` exists.
    local_api_spec : OrderedDict, dict or str, optional
        The spec as a mapping or a JSON file path, instead of downloading ``/endpoints``.
    force_refresh_api_spec : bool
        Download the spec even if a fresh copy is cached.
    retries : tenacity.Retrying, optional
        Retry settings; their stop conditions are kept, what to retry is ours.
    user_agent : str, optional
        Prefix of the User-Agent header.

    Raises
    ------
    ValueError
        Unknown ``return_type`` or ``api_version``.
    EnvironmentError
        No API key given or found in ``$CIVIS_API_KEY``.
    TypeError
        ``retries`` is not a ``tenacity.Retrying``, or both ``local_api_spec`` and
        ``force_refresh_api_spec`` are given.

    Examples
    --------
    >>> import civis
    >>> client = civis.APIClient()  # doctest: +SKIP
    >>> client.users.get_me().username  # doctest: +SKIP
    'jsmith'
    >>> client = civis.APIClient(local_api_spec="spec.json", api_key="k")  # doctest: +SKIP
    """

    last_response: Any

    def __init__(
        self,
        api_key: str | None = None,
        return_type: str = "snake",
        api_version: str = "1.0",
        local_api_spec: OrderedDict[str, Any] | dict[str, Any] | str | None = None,
        force_refresh_api_spec: bool = False,
        retries: tenacity.Retrying | None = None,
        user_agent: str | None = None,
    ) -> None:
        if return_type not in RETURN_TYPES:
            raise ValueError(f"Return type must be one of {set(RETURN_TYPES)}")
        key = api_key or os.environ.get("CIVIS_API_KEY")
        if not key:
            raise OSError("No Civis API key found. Pass api_key or set CIVIS_API_KEY.")
        if retries is not None:
            import tenacity

            if not isinstance(retries, tenacity.Retrying):
                raise TypeError("retries must be an instance of tenacity.Retrying")
        if local_api_spec is not None and force_refresh_api_spec:
            raise TypeError("force_refresh_api_spec cannot be True when local_api_spec is given")
        self._api_key = key
        self._return_type = return_type
        self.last_response = None
        self._http = HTTPClient(
            key, base_url=get_base_url(), user_agent=user_agent, retrying=retries
        )
        self._model = self._load_model(local_api_spec, api_version, force_refresh_api_spec)
        # Per-spec subclass of the caller's class (APIClient or a user's subclass):
        # resources become class attributes (lazy, visible to dir() and autospec).
        self.__class__ = client_class_for(self._model, type(self))

    def _load_model(self, local_api_spec: Any, api_version: str, force_refresh: bool) -> SpecModel:
        if isinstance(local_api_spec, Mapping):
            return load_spec_mapping(local_api_spec)
        if isinstance(local_api_spec, (str, os.PathLike)):
            return load_spec_file(local_api_spec)
        if local_api_spec is not None:
            raise ValueError("local_api_spec must be a mapping or a file path")
        if api_version not in API_VERSIONS:
            raise ValueError(f"APIClient api_version must be one of {set(API_VERSIONS)}")
        return load_downloaded_spec(
            lambda: download_spec(self._http),
            base_url=self._http.base_url,
            api_key=self._api_key,
            api_version=api_version,
            force_refresh=force_refresh,
        )

    # -- transport knobs -------------------------------------------------------------------
    @property
    def timeouts(self) -> Timeouts:
        """Connect/read timeouts of API requests (settable).

        Examples
        --------
        >>> client.timeouts = Timeouts(connect=5, read=60)  # doctest: +SKIP
        """
        return self._http.timeouts

    @timeouts.setter
    def timeouts(self, value: Timeouts) -> None:
        self._http.timeouts = value

    @property
    def retry_policy(self) -> RetryPolicy:
        """What is retried and how long to wait (settable).

        Examples
        --------
        >>> client.retry_policy = RetryPolicy(max_attempts=3)  # doctest: +SKIP
        """
        return self._http.retry_policy

    @retry_policy.setter
    def retry_policy(self, value: RetryPolicy) -> None:
        self._http.retry_policy = value

    # -- calls made by generated methods ---------------------------------------------------
    def _call_operation(self, op: Operation, arguments: dict[str, Any]) -> Any:
        path = op.path
        query: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for p in op.params:
            if p.name not in arguments:
                continue
            value = arguments[p.name]
            if p.location == "path":
                path = path.replace("{" + p.spec_name + "}", str(value))
            elif p.location == "query":
                if isinstance(value, (list, tuple)):
                    query[p.name + "[]"] = [_query_value(v) for v in value]
                elif value is not None:
                    query[p.name] = _query_value(value)
            elif p.location == "body":
                body[p.name] = value
            # header and formData params are accepted but never sent, as officially.
        if op.iterable and arguments.get("iterator"):
            paged = PaginatedResponse(path, query, _Pager(self))
            self.last_response = paged
            return paged
        verb = op.verb.upper()
        send_json = bool(body) or verb in ("POST", "PUT", "PATCH")
        response = self._http.request(
            verb, path, params=query or None, json=body, send_json=send_json
        )
        return self._convert(response, path)

    def _convert(self, response: requests.Response, path: str) -> Any:
        raise_for_api_error(response)
        result = convert_response_data_type(
            response,
            return_type=self._return_type,
            from_json_values=path.strip("/").startswith("json_values"),
        )
        self.last_response = result
        return result

    def _fetch_page(self, path: str, params: dict[str, Any]) -> Any:
        response = self._http.request("GET", path, params=params)
        raise_for_api_error(response)
        if self._return_type == "raw":
            return response.json()
        return convert_response_data_type(
            response, from_json_values=path.strip("/").startswith("json_values")
        )

    def __getstate__(self) -> dict[str, Any]:
        raise RuntimeError("The APIClient object can't be pickled.")

    # -- lookups ---------------------------------------------------------------------------
    def _get(self, path: str, **params: Any) -> Any:
        query = {k: _query_value(v) for k, v in params.items() if v is not None}
        response = self._http.request("GET", path, params=query or None)
        raise_for_api_error(response)
        return convert_response_data_type(response)

    def get_database_id(self, database: str | int) -> int:
        """Return the ID of a database given its name (an int passes through).

        Raises
        ------
        ValueError
            No database has that name.

        Examples
        --------
        >>> client.get_database_id("redshift-general")  # doctest: +SKIP
        32
        >>> client.get_database_id(32)  # doctest: +SKIP
        32
        """
        if isinstance(database, int):
            return database
        cache: dict[str, int] = self.__dict__.setdefault("_database_ids", {})
        if database not in cache:
            db = find_one(self._get("databases"), name=database)
            if not db:
                raise ValueError(f"Database {database} not found.")
            cache[database] = int(db["id"])
        return cache[database]

    def get_table_id(self, table: str, database: str | int) -> int:
        """Return the ID of ``schema.table`` in a database (name or ID).

        Raises
        ------
        ValueError
            No exact match exists.

        Examples
        --------
        >>> client.get_table_id("public.users", "redshift-general")  # doctest: +SKIP
        1234
        """
        schema, name = _split_schema_tablename(table)
        db_id = self.get_database_id(database)
        tables = self._get("tables", database_id=db_id, schema=schema, name=name)
        if not tables:
            raise ValueError(f"Table {table} not found.")
        return int(tables[0]["id"])

    def get_storage_host_id(self, storage_host: str | int) -> int:
        """Return the ID of a storage host given its name (an int passes through).

        Raises
        ------
        ValueError
            No storage host has that name.

        Examples
        --------
        >>> client.get_storage_host_id("test bucket")  # doctest: +SKIP
        3
        """
        if isinstance(storage_host, int):
            return storage_host
        host = find_one(self._get("storage_hosts"), name=storage_host)
        if not host:
            raise ValueError(f"Storage Host {storage_host} not found.")
        return int(host["id"])

    def get_aws_credential_id(self, cred_name: str | int, owner: str | None = None) -> int:
        """Return the ID of an AWS credential given its name (an int passes through).

        Parameters
        ----------
        cred_name : str or int
        owner : str, optional
            Disambiguates credentials with the same name; defaults to your username.

        Raises
        ------
        ValueError
            No credential, or several, match.

        Examples
        --------
        >>> client.get_aws_credential_id("jsmith")  # doctest: +SKIP
        17
        """
        if isinstance(cred_name, int):
            return cred_name
        creds = find(self._get("credentials", type="Amazon Web Services S3"), name=cred_name)
        if not creds:
            raise ValueError(f"AWS credential ID for {cred_name} cannot be found")
        if owner is not None or len(creds) > 1:
            # An explicit owner always filters; otherwise your own credential wins a tie.
            wanted = owner if owner is not None else self.username
            creds = find(creds, owner=wanted)
            if not creds:
                raise ValueError(
                    f"AWS credential ID for {cred_name} owned by {wanted} cannot be found"
                )
            if len(creds) > 1:
                raise ValueError(
                    f"Found more than one AWS credential named {cred_name} owned by {wanted}"
                )
        return int(creds[0]["id"])

    def get_database_credential_id(self, username: str | int, database_name: str | int) -> int:
        """Deprecated: return the ID of ``username``'s credential for a database.

        Raises
        ------
        ValueError
            No such credential.

        Examples
        --------
        >>> client.get_database_credential_id("jsmith", "redshift-general")  # doctest: +SKIP
        11
        """
        warnings.warn(
            "get_database_credential_id is deprecated; use "
            "default_database_credential_id or the credentials resource.",
            FutureWarning,
            stacklevel=2,
        )
        if isinstance(username, int):
            return username
        creds = self._get("credentials", type="Database")
        if isinstance(database_name, int):
            match = find_one(creds, username=username, remote_host_id=database_name)
        else:
            match = find_one(creds, username=username, remote_host_name=database_name)
        if match is None:
            raise ValueError(f"Credential ID for {username} on {database_name} not found.")
        return int(match["id"])

    @cached_property
    def default_database_credential_id(self) -> int | None:
        """The ID of your default database credential, or None.

        Examples
        --------
        >>> client.default_database_credential_id  # doctest: +SKIP
        11
        """
        creds = self._get("credentials", default=True, type="Database")
        return int(creds[0]["id"]) if creds else None

    @property
    def default_credential(self) -> int | None:
        """Deprecated: use `default_database_credential_id`.

        Examples
        --------
        >>> client.default_credential  # doctest: +SKIP
        11
        """
        warnings.warn(
            "default_credential is deprecated; use default_database_credential_id instead.",
            FutureWarning,
            stacklevel=2,
        )
        return self.default_database_credential_id

    @property
    def feature_flags(self) -> tuple[str, ...]:
        """Deprecated: the names of your enabled feature flags.

        Use ``client.users.get_me()["feature_flags"]`` instead.

        Examples
        --------
        >>> client.feature_flags  # doctest: +SKIP
        ('new_ui',)
        """
        warnings.warn(
            'feature_flags is deprecated; use client.users.get_me()["feature_flags"] instead.',
            FutureWarning,
            stacklevel=2,
        )
        me = self._get("users/me")
        flags = me.get("feature_flags") or {}
        return tuple(name for name, enabled in flags.items() if enabled)

    @cached_property
    def username(self) -> str:
        """Your username (``GET /users/me``).

        Examples
        --------
        >>> client.username  # doctest: +SKIP
        'jsmith'
        """
        return str(self._get("users/me")["username"])

    def __repr__(self) -> str:
        return f"<civis.APIClient {self._http.base_url} spec={self._model.key[:12]}>"


class _Pager:
    """The ``endpoint`` a PaginatedResponse needs: it only reads ``_client``."""

    def __init__(self, client: APIClient) -> None:
        self._client = client


def client_or_default(client: Any) -> Any:
    """``client``, or a new `APIClient` from the environment when it is None (the
    ``client=None`` default of the `civis.io` and `civis.utils` functions)."""
    return APIClient() if client is None else client
