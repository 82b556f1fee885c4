"""Our generated API surface equals the official client's, method by method.

Both clients are built from the same reference spec; the official one runs in its own
virtual environment (``official_dump.py``) and reports every method's parameters and the
warnings a call emits.  Parameter names, kinds, positional order and defaults must match,
and so must the set of deprecated aliases and methods that warn.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import pytest
from official_surface import candidate_spec_paths, official_surface_for

from civis.client import APIClient

pytestmark = pytest.mark.official


@pytest.fixture(scope="module", params=candidate_spec_paths(), ids=lambda p: p.parent.name)
def spec_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


@pytest.fixture(scope="module")
def official_surface(spec_path: Path) -> dict[str, Any]:
    return official_surface_for(spec_path)


@pytest.fixture(scope="module")
def ours(spec_path: Path) -> dict[str, Any]:
    client = APIClient(local_api_spec=str(spec_path), api_key="none")
    # Calls go nowhere: we only observe binding and warnings.
    client._call_operation = lambda op, arguments: None  # type: ignore[method-assign]
    surface: dict[str, Any] = {}
    for res_name in client._model.client_resource_names():
        resource = getattr(client, res_name)
        methods = {}
        for name in dir(type(resource)):
            if name.startswith("_"):
                continue
            method = getattr(resource, name)
            sig = inspect.signature(method)
            params = [(p.name, p.kind.name, repr(p.default)) for p in sig.parameters.values()]
            args = [0 for p in sig.parameters.values() if p.default is inspect.Parameter.empty]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                method(*args)
            methods[name] = {"params": params, "warnings": [w.category.__name__ for w in caught]}
        surface[res_name] = methods
    return surface


def test_same_resources(ours: dict[str, Any], official_surface: dict[str, Any]) -> None:
    assert sorted(ours) == sorted(official_surface)
    assert len(ours) == 41


def test_same_method_names(ours: dict[str, Any], official_surface: dict[str, Any]) -> None:
    ours_names = {(r, m) for r, ms in ours.items() for m in ms}
    official_names = {(r, m) for r, ms in official_surface.items() for m in ms}
    assert ours_names - official_names == set()
    assert official_names - ours_names == set()
    assert len(ours_names) == 909


def test_same_parameters_kinds_order_defaults(
    ours: dict[str, Any], official_surface: dict[str, Any]
) -> None:
    mismatches = []
    for res, methods in official_surface.items():
        for name, official in methods.items():
            mine = ours.get(res, {}).get(name)
            expected = [tuple(p) for p in official["params"]]
            got = [tuple(p) for p in mine["params"]] if mine else None
            if got != expected:
                mismatches.append((res, name, expected, got))
    assert mismatches == []


def test_same_warning_methods(ours: dict[str, Any], official_surface: dict[str, Any]) -> None:
    def warned(surface: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
        return {
            (r, m, tuple(w[0] if isinstance(w, list) else w for w in info["warnings"]))
            for r, ms in surface.items()
            for m, info in ms.items()
            if info["warnings"]
        }

    assert warned(ours) == warned(official_surface)
    aliases = {(r, m) for r, m, _ in warned(ours) if m.startswith("list")}
    assert len(aliases) == 19


def test_deprecated_aliases_name_their_replacement(reference_spec_path: Path) -> None:
    client = APIClient(local_api_spec=str(reference_spec_path), api_key="none")
    client._call_operation = lambda op, arguments: None  # type: ignore[method-assign]
    with pytest.warns(FutureWarning, match=r"users\.get_me"):
        client.users.list_me()
    with pytest.warns(FutureWarning, match=r"endpoints\.get\b"):
        client.endpoints.list()
