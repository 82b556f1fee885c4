"""Resource classes built from a `SpecModel`: once per spec and resource, on first access.

Every generated method is a plain function with a real ``__signature__`` that binds its
arguments (`signature.bind_arguments`) and hands ``(operation, arguments)`` to the
client's ``_call_operation``; it never touches HTTP itself.  Classes are cached on the
model, so all clients built from the same spec share them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from civis._spec.model import Operation, SpecModel
from civis._spec.signature import bind_arguments, build_signature

__all__ = ["Resource", "client_class_for", "resource_class"]


class Resource:
    """Base class of generated API resources (``client.files``, ``client.scripts``, ...).

    Examples
    --------
    >>> import civis
    >>> client = civis.APIClient()  # doctest: +SKIP
    >>> isinstance(client.files, Resource)  # doctest: +SKIP
    True
    """

    _resource_name = ""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<civis resource {self._resource_name!r}>"


def _render_doc(op: Operation, resource: str, note: str | None) -> str:
    lines = [
        op.summary or f"{op.verb.upper()} {op.path}",
        "",
        f"API URL: ``{op.verb.upper()} {op.path}``",
    ]
    if note:
        lines += ["", ".. warning::", f"    {note}"]
    if op.description and op.description != op.summary:
        lines += ["", op.description]
    if op.params or op.iterable:
        lines += ["", "Parameters", "----------"]
        for p in op.params:
            lines.append(f"{p.name} : {p.type or 'any'}{'' if p.required else ', optional'}")
            if p.description:
                lines.append(f"    {p.description}")
        if op.iterable:
            lines += [
                "iterator : bool, optional",
                "    If True, return a PaginatedResponse over every page.",
            ]
    lines += [
        "",
        "Examples",
        "--------",
        ">>> import civis",
        ">>> client = civis.APIClient()",
        f">>> client.{resource}.{op.name}(...)  # doctest: +SKIP",
    ]
    return "\n".join(lines)


def _make_method(
    op: Operation, resource: str, name: str, warning: str | None
) -> Callable[..., Any]:
    required = tuple(p.name for p in op.params if p.required)
    known = frozenset(p.name for p in op.params) | ({"iterator"} if op.iterable else frozenset())

    if warning is None:

        def method(self: Resource, *args: Any, **kwargs: Any) -> Any:
            arguments = bind_arguments(name, required, known, args, kwargs)
            return self._client._call_operation(op, arguments)
    else:

        def method(self: Resource, *args: Any, **kwargs: Any) -> Any:
            warnings.warn(warning, FutureWarning, stacklevel=2)
            arguments = bind_arguments(name, required, known, args, kwargs)
            return self._client._call_operation(op, arguments)

    method.__name__ = name
    method.__qualname__ = f"{resource.title()}.{name}"
    method.__signature__ = build_signature(op)  # type: ignore[attr-defined]
    method.__doc__ = _render_doc(op, resource, warning)
    return method


def resource_class(model: SpecModel, resource: str) -> type[Resource]:
    """Return the class for one resource of ``model``, building it on first use.

    Examples
    --------
    >>> from civis._spec.loader import load_spec_mapping
    >>> spec = {"paths": {"/files/{id}": {"get": {"summary": "Get", "parameters": [
    ...     {"name": "id", "in": "path", "required": True, "type": "integer"}],
    ...     "responses": {"200": {"description": "ok"}}}}}}
    >>> cls = resource_class(load_spec_mapping(spec), "files")
    >>> cls.__name__, [n for n in vars(cls) if not n.startswith("_")]
    ('Files', ['get'])
    """
    cls = model.resource_classes.get(resource)
    if cls is not None:
        return cls
    namespace: dict[str, Any] = {"_resource_name": resource, "__module__": __name__}
    for op in model.operations(resource):
        if op.skipped:
            continue
        deprecation = op.deprecation_warning
        namespace[op.name] = _make_method(op, resource, op.name, deprecation)
        if op.alias:
            note = (
                f"``{resource}.{op.alias}`` is a deprecated name; "
                f"use ``{resource}.{op.name}`` instead (same method)."
            )
            if deprecation:
                note = f"{note} {deprecation}"
            namespace[op.alias] = _make_method(op, resource, op.alias, note)
    namespace["__doc__"] = f"The ``{resource}`` API resource (generated from the spec)."
    built = type(resource.title(), (Resource,), namespace)
    with model._lock:
        return model.resource_classes.setdefault(resource, built)


class _LazyResource:
    """A class attribute that builds the resource on first access, then caches it on the
    instance (a non-data descriptor: later lookups hit the instance ``__dict__``)."""

    def __init__(self, model: SpecModel, name: str) -> None:
        self._model = model
        self._name = name
        self.__doc__ = f"The ``{name}`` API resource."

    def __get__(self, client: Any, owner: type | None = None) -> Any:
        if client is None:
            return self
        resource = resource_class(self._model, self._name)(client)
        client.__dict__[self._name] = resource
        return resource


def client_class_for(model: SpecModel, base: type) -> type:
    """Return ``base``'s subclass carrying one lazy attribute per resource of ``model``.

    The subclass keeps ``base``'s name, so ``type(client).__name__`` stays ``APIClient``;
    the resources are class attributes, so `dir` and ``mock.create_autospec`` see them.

    Examples
    --------
    >>> from civis._spec.loader import load_spec_mapping
    >>> spec = {"paths": {"/users/me": {"get": {"summary": "Me", "parameters": [],
    ...     "responses": {"200": {"description": "ok"}}}}}}
    >>> class Base:
    ...     pass
    >>> cls = client_class_for(load_spec_mapping(spec), Base)
    >>> cls.__name__, "users" in dir(cls)
    ('Base', True)
    """
    # type(existing_client)(...) must not stack one spec's resources on another's.
    base = base.__dict__.get("_spec_base", base)
    cls = model.client_classes.get(base)
    if cls is not None:
        return cls
    namespace: dict[str, Any] = {
        name: _LazyResource(model, name) for name in model.client_resource_names()
    }
    namespace["_spec_base"] = base
    namespace["__module__"] = base.__module__
    namespace["__qualname__"] = base.__qualname__
    namespace["__doc__"] = base.__doc__
    cls = type(base.__name__, (base,), namespace)
    with model._lock:
        return model.client_classes.setdefault(base, cls)
