"""Signatures and argument binding of generated methods."""

from __future__ import annotations

import inspect

import pytest

from civis._spec.model import Operation, Parameter
from civis._spec.signature import bind_arguments, build_signature


def _param(name: str, location: str, required: bool, default: object = None) -> Parameter:
    return Parameter(name, name, location, required, default, "integer", "")


OP = Operation(
    "post",
    "/scripts/containers/{id}/runs/{run_id}/outputs",
    "post_containers_runs_outputs",
    None,
    "post-containers-runs-outputs",
    False,
    None,
    "",
    "",
    False,
    (
        _param("id", "path", True),
        _param("run_id", "path", True),
        _param("object_type", "body", True),
        _param("note", "body", False),
        _param("object_id", "body", True),
        _param("mode", "query", False, default="fast"),
    ),
)


def test_required_positional_in_spec_order_then_keyword_only() -> None:
    sig = build_signature(OP, with_self=False)
    assert [(p.name, p.kind) for p in sig.parameters.values()] == [
        ("id", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("run_id", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("object_type", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("object_id", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("note", inspect.Parameter.KEYWORD_ONLY),
        ("mode", inspect.Parameter.KEYWORD_ONLY),
    ]
    assert sig.parameters["mode"].default == "fast"
    assert sig.parameters["note"].default is None


def test_iterator_only_for_iterable_operations() -> None:
    assert "iterator" not in build_signature(OP).parameters
    iterable = OP._replace(iterable=True, verb="get")
    assert list(build_signature(iterable).parameters)[-1] == "iterator"
    assert next(iter(build_signature(iterable).parameters)) == "self"


REQUIRED = ("id", "run_id", "object_type", "object_id")
KNOWN = frozenset({*REQUIRED, "note", "mode"})


def test_bind_keeps_only_passed_arguments() -> None:
    assert bind_arguments("m", REQUIRED, KNOWN, (1, 2, "File"), {"object_id": 3, "note": None}) == {
        "id": 1,
        "run_id": 2,
        "object_type": "File",
        "object_id": 3,
        "note": None,
    }


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((1, 2, "File", 3, "x"), {}, "positional"),
        ((1, 2, "File", 3), {"id": 5}, "multiple values"),
        ((1, 2, "File", 3), {"notes": 1}, "unexpected keyword"),
        ((1, 2), {"object_type": "File"}, "missing required argument.*object_id"),
    ],
)
def test_bind_errors(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        bind_arguments("m", REQUIRED, KNOWN, args, kwargs)
