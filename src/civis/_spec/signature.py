"""One real `inspect.Signature` per operation, and a fast argument binder that matches it.

Required arguments are POSITIONAL_OR_KEYWORD in spec order (path params as listed, then
the body's required properties in ``properties`` order); everything optional is
KEYWORD_ONLY with the spec default (None almost always).  List endpoints that take both
``limit`` and ``page_num`` also take ``iterator``.  The library and user code call
required arguments positionally, so this order is part of the public contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from civis._spec.model import Operation

if TYPE_CHECKING:
    import inspect

__all__ = ["bind_arguments", "build_signature"]

_ANNOTATIONS: dict[str | None, Any] = {
    "integer": int,
    "number": float,
    "string": str,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def build_signature(operation: Operation, *, with_self: bool = True) -> inspect.Signature:
    """Build the signature of the method generated for ``operation``.

    Examples
    --------
    >>> from civis._spec.model import Operation, Parameter
    >>> op = Operation("get", "/scripts/{id}/runs", "list_runs", None, "list-runs", False,
    ...     None, "", "", True, (Parameter("id", "id", "path", True, None, "integer", ""),
    ...     Parameter("limit", "limit", "query", False, None, "integer", ""),
    ...     Parameter("page_num", "page_num", "query", False, None, "integer", "")))
    >>> str(build_signature(op, with_self=False))
    '(id: int, *, limit: int = None, page_num: int = None, iterator: bool = None)'
    """
    import inspect  # ~10 ms to import; only needed once a resource is first used

    kw, pos, empty = (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.empty,
    )
    params = [inspect.Parameter("self", pos)] if with_self else []
    optional = []
    for p in operation.params:
        annotation = _ANNOTATIONS.get(p.type, empty)
        if p.required:
            params.append(inspect.Parameter(p.name, pos, annotation=annotation))
        else:
            optional.append(inspect.Parameter(p.name, kw, default=p.default, annotation=annotation))
    params.extend(optional)
    if operation.iterable:
        params.append(inspect.Parameter("iterator", kw, default=None, annotation=bool))
    return inspect.Signature(params, __validate_parameters__=False)


def bind_arguments(
    name: str,
    required: tuple[str, ...],
    known: frozenset[str],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """Bind a call's arguments to parameter names; only what the caller passed is kept.

    Raises
    ------
    TypeError
        Too many positional arguments, a repeated or unknown keyword, or a missing
        required argument.

    Examples
    --------
    >>> bind_arguments("post", ("name",), frozenset({"name", "expires_at"}),
    ...                ("a.csv",), {"expires_at": None})
    {'name': 'a.csv', 'expires_at': None}
    >>> bind_arguments("post", ("name",), frozenset({"name"}), (), {"nam": 1})
    Traceback (most recent call last):
    ...
    TypeError: post() got an unexpected keyword argument(s) {'nam'}
    """
    if len(args) > len(required):
        raise TypeError(
            f"{name}() takes {len(required)} positional argument(s) but {len(args)} were given"
        )
    bound = dict(zip(required, args, strict=False))
    for key, value in kwargs.items():
        if key in bound:
            raise TypeError(f"{name}() got multiple values for argument {key!r}")
        bound[key] = value
    unknown = set(kwargs) - known
    if unknown:
        raise TypeError(f"{name}() got an unexpected keyword argument(s) {unknown}")
    if len(args) < len(required):
        missing = [r for r in required[len(args) :] if r not in kwargs]
        if missing:
            raise TypeError(f"{name}() missing required argument(s): {', '.join(missing)}")
    return bound
