"""Dump the official client's generated API surface as JSON (run with the official venv).

Usage: ``.venv-official/bin/python tests/civis/official_dump.py SPEC_PATH``.  It builds the
official ``APIClient`` from ``SPEC_PATH``, then, for every resource and method, records the
``inspect.signature`` parameters and which warnings a call emits.  Calls never reach the
network: the request layer of the official ``Endpoint`` is replaced by a stub first.
"""

from __future__ import annotations

import inspect
import json
import sys
import warnings


def main(spec_path: str) -> None:
    import civis
    from civis.base import Endpoint

    # Stub the request layer so that calling a method only exercises the generated wrapper.
    Endpoint._call_api = lambda self, *a, **k: None  # type: ignore[method-assign]
    client = civis.APIClient(local_api_spec=spec_path, api_key="none")
    out: dict[str, dict[str, object]] = {}
    for res_name, endpoint in sorted(vars(client).items()):
        if not isinstance(endpoint, Endpoint):
            continue
        methods: dict[str, object] = {}
        for name in dir(type(endpoint)):
            if name.startswith("_") or name in vars(Endpoint):
                continue
            method = getattr(endpoint, name)
            sig = inspect.signature(method)
            params = [(p.name, p.kind.name, repr(p.default)) for p in sig.parameters.values()]
            args = [0 for p in sig.parameters.values() if p.default is inspect.Parameter.empty]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                method(*args)
            warned = [(w.category.__name__, str(w.message)) for w in caught]
            methods[name] = {"params": params, "warnings": warned}
        out[res_name] = methods
    json.dump(out, sys.stdout, sort_keys=True)


def main_cli() -> None:
    """Dump the official CLI's generated groups and commands (spec from ~/.civis_api_spec.json,
    so run with HOME pointing at a directory holding the spec under that name)."""
    import civis.cli.__main__ as official_cli

    root = official_cli.generate_cli()
    out: dict[str, dict[str, object]] = {}
    for group_name, group in sorted(root.commands.items()):
        commands = getattr(group, "commands", None)
        if commands is None:
            continue
        out[group_name] = {
            name: [(p.name, type(p).__name__, list(p.opts)) for p in command.params]
            for name, command in commands.items()
        }
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    if sys.argv[1] == "--cli":
        main_cli()
    else:
        main(sys.argv[1])
