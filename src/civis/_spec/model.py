"""The compact, pre-digested spec model and its read-only views.

A Swagger spec is 2.5 MB, mostly examples and response documentation that method building
never needs.  `digest_spec` walks ``paths`` once, resolves the ``$ref``s it meets and keeps
only plain tuples (so they can be cached with `marshal`):

    operation = (verb, path, name, alias, cli_name, skipped, deprecation_warning,
                 summary, description, iterable, params)
    param     = (name, spec_name, location, required, default, type, description)

`SpecModel` wraps that data, turns it into `Operation` / `Parameter` views per resource on
first use, and caches the resource classes built from it (see `build`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from civis._spec.naming import (
    EXCLUDED_RESOURCES,
    cli_command_name,
    method_names,
    resource_name,
    to_snake,
)

__all__ = [
    "FORMAT_VERSION",
    "LazyDigest",
    "Operation",
    "Parameter",
    "SpecModel",
    "digest_spec",
    "platform_extension",
    "server_platform",
]

# Bump when the digested layout changes, so stale disk caches are ignored.
FORMAT_VERSION = 3
# The spec root's key for what a civis-platform server offers beyond the Civis API.
PLATFORM_EXTENSION = "x-civis-platform"

VERBS = ("get", "put", "post", "patch", "delete", "head", "options")


class Parameter(NamedTuple):
    """One argument of a generated method."""

    name: str  # snake_case, as the method and the wire use it
    spec_name: str  # as written in the spec (camelCase for body properties)
    location: str  # path, query, body, header or formData
    required: bool
    default: Any
    type: str | None
    description: str


class Operation(NamedTuple):
    """One spec operation, named for the client and the CLI."""

    verb: str
    path: str
    name: str  # client method name
    alias: str | None  # deprecated legacy list_* alias
    cli_name: str
    skipped: bool  # summary says "deprecated": no client method (the CLI keeps it)
    deprecation_warning: str | None
    summary: str
    description: str
    iterable: bool  # GET with both limit and page_num query params
    params: tuple[Parameter, ...]


def _resolve(spec: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow local ``$ref``s (``#/definitions/X``) until a real node is reached."""
    while isinstance(node, Mapping) and "$ref" in node and depth < 50:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node = target
        depth += 1
    return node


def _digest_params(spec: Mapping[str, Any], raw_params: Any) -> list[tuple[Any, ...]]:
    params: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for raw in raw_params or ():
        param = _resolve(spec, raw)
        location = param.get("in", "query")
        if location == "body":
            schema = _resolve(spec, param.get("schema", {}))
            required = set(schema.get("required") or ())
            for prop_name, prop in (schema.get("properties") or {}).items():
                prop = _resolve(spec, prop)
                snake = to_snake(prop_name)
                if snake in seen:
                    continue
                seen.add(snake)
                params.append(
                    (
                        snake,
                        prop_name,
                        "body",
                        prop_name in required,
                        None,
                        prop.get("type"),
                        prop.get("description") or "",
                    )
                )
            continue
        snake = to_snake(param.get("name", ""))
        if not snake or snake in seen:
            continue
        seen.add(snake)
        params.append(
            (
                snake,
                param["name"],
                location,
                bool(param.get("required", False)),
                param.get("default"),
                param.get("type"),
                param.get("description") or "",
            )
        )
    return params


def _returns_array(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> bool:
    ok = (operation.get("responses") or {}).get("200")
    if not isinstance(ok, Mapping):
        return False
    schema = _resolve(spec, ok.get("schema") or {})
    return isinstance(schema, Mapping) and schema.get("type") == "array"


def digest_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Reduce a parsed Swagger spec to the compact model that method building needs.

    Parameters
    ----------
    spec : Mapping
        The parsed ``/endpoints`` document (only ``paths`` and the ``$ref`` targets are read).

    Returns
    -------
    dict
        ``{"format": FORMAT_VERSION, "resources": {resource: [operation tuple, ...]}}``,
        made of plain tuples, strings, numbers and None only.

    Examples
    --------
    >>> spec = {"paths": {"/files/{id}": {"get": {"summary": "Get a file", "parameters": [
    ...     {"name": "id", "in": "path", "required": True, "type": "integer"}],
    ...     "responses": {"200": {"description": "ok"}}}}}}
    >>> digest_spec(spec)["resources"]["files"][0][:3]
    ('get', '/files/{id}', 'get')
    """
    resources: dict[str, list[tuple[Any, ...]]] = {}
    for resource, path, item in _resource_paths(spec):
        resources.setdefault(resource, []).extend(_digest_path(spec, path, item))
    return {
        "format": FORMAT_VERSION,
        "resources": {k: tuple(v) for k, v in resources.items()},
        "platform": platform_extension(spec),
    }


def platform_extension(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What the server says it offers beyond the Civis API (``x-civis-platform`` at the
    spec's root, served by civis-platform; absent from Civis's own spec).

    Examples
    --------
    >>> platform_extension({"x-civis-platform": {"tableFormats": ["csv", "parquet"]}})
    {'tableFormats': ['csv', 'parquet']}
    >>> platform_extension({"paths": {}})
    {}
    """
    found = spec.get(PLATFORM_EXTENSION)
    return dict(found) if isinstance(found, Mapping) else {}


def server_platform(client: Any) -> Mapping[str, Any]:
    """The `platform_extension` of the spec a client was built from ({} for Civis, or
    for an object that is no client of ours).

    Examples
    --------
    >>> class Model: platform = {"longPolling": True}
    >>> class Client: _model = Model()
    >>> server_platform(Client()), server_platform(object())
    ({'longPolling': True}, {})
    """
    platform: Mapping[str, Any] = getattr(getattr(client, "_model", None), "platform", None) or {}
    return platform


def _resource_paths(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in (spec.get("paths") or {}).items():
        resource = resource_name(path)
        if resource not in EXCLUDED_RESOURCES and isinstance(item, Mapping):
            yield resource, path, item


def _operations_of(item: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for verb in VERBS:
        operation = item.get(verb)
        if isinstance(operation, Mapping):
            yield verb, operation


def _is_skipped(operation: Mapping[str, Any]) -> bool:
    return "deprecated" in (operation.get("summary") or "").lower()


def _digest_path(
    spec: Mapping[str, Any], path: str, item: Mapping[str, Any]
) -> Iterator[tuple[Any, ...]]:
    for verb, operation in _operations_of(item):
        params = _digest_params(spec, operation.get("parameters"))
        query_names = {p[0] for p in params if p[2] == "query"}
        iterable = verb == "get" and {"limit", "page_num"} <= query_names
        names = method_names(verb, path, returns_array=_returns_array(spec, operation))
        warning = operation.get("x-deprecation-warning")
        yield (
            verb,
            path,
            names.name,
            names.alias,
            cli_command_name(verb, path),
            _is_skipped(operation),
            warning if isinstance(warning, str) else None,
            operation.get("summary") or "",
            operation.get("description") or "",
            iterable,
            tuple(params),
        )


class LazyDigest(Mapping[str, tuple[tuple[Any, ...], ...]]):
    """Digested operations per resource, computed on first access from a spec mapping.

    Used for specs given as dicts, which are not cached: a client that only touches
    two resources digests only those.

    Examples
    --------
    >>> spec = {"paths": {"/users/me": {"get": {"summary": "Me", "parameters": [],
    ...     "responses": {"200": {"description": "ok"}}}}}}
    >>> digest = LazyDigest(spec)
    >>> list(digest), digest["users"][0][2]
    (['users'], 'get_me')
    """

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        self._paths: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for resource, path, item in _resource_paths(spec):
            self._paths.setdefault(resource, []).append((path, item))
        self._done: dict[str, tuple[tuple[Any, ...], ...]] = {}

    def __getitem__(self, resource: str) -> tuple[tuple[Any, ...], ...]:
        ops = self._done.get(resource)
        if ops is None:
            ops = tuple(
                op
                for path, item in self._paths[resource]
                for op in _digest_path(self._spec, path, item)
            )
            self._done[resource] = ops
        return ops

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def has_client_methods(self, resource: str) -> bool:
        """Whether any operation of ``resource`` is not skipped (without digesting it)."""
        return any(
            not _is_skipped(op)
            for _, item in self._paths[resource]
            for _, op in _operations_of(item)
        )


class SpecModel:
    """Read-only access to a digested spec, plus the per-spec caches built from it.

    Instances are shared by every client built from the same spec content (keyed by its
    hash), so everything cached here must be immutable once published.

    Examples
    --------
    >>> spec = {"paths": {"/users/me": {"get": {"summary": "Who am I", "parameters": [],
    ...     "responses": {"200": {"description": "ok"}}}}}}
    >>> model = SpecModel(digest_spec(spec), key="example")
    >>> model.resource_names()
    ('users',)
    >>> [(op.name, op.alias) for op in model.operations("users")]
    [('get_me', 'list_me')]
    """

    def __init__(self, data: Mapping[str, Any], key: str) -> None:
        self.key = key
        self._raw: Mapping[str, tuple[tuple[Any, ...], ...]] = data["resources"]
        # The server's civis-platform extensions (see `platform_extension`); {} for Civis.
        self.platform: Mapping[str, Any] = data.get("platform") or {}
        self._views: dict[str, tuple[Operation, ...]] = {}
        self._lock = threading.Lock()
        # Filled by civis._spec.build; guarded by _lock.
        self.resource_classes: dict[str, type] = {}
        self.client_classes: dict[type, type] = {}  # keyed by the client class extended

    def resource_names(self) -> tuple[str, ...]:
        """All resource names, in spec order."""
        return tuple(self._raw)

    def client_resource_names(self) -> tuple[str, ...]:
        """Resources with at least one client method (skipped operations do not count)."""
        raw = self._raw
        if isinstance(raw, LazyDigest):
            return tuple(name for name in raw if raw.has_client_methods(name))
        return tuple(name for name, ops in raw.items() if any(not op[5] for op in ops))

    def operations(self, resource: str) -> tuple[Operation, ...]:
        """The operations of one resource, as read-only views (built once)."""
        views = self._views.get(resource)
        if views is None:
            views = tuple(
                Operation._make((*op[:10], tuple(Parameter._make(p) for p in op[10])))
                for op in self._raw[resource]
            )
            self._views[resource] = views
        return views
