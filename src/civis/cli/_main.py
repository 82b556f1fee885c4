"""Click groups built lazily from the spec model; one command per spec operation."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from civis._spec.model import Operation, SpecModel
from civis._spec.naming import cli_param_name

__all__ = ["cli", "main"]

_CLICK_TYPES: dict[str | None, Any] = {
    "integer": click.INT,
    "number": click.FLOAT,
    "boolean": click.BOOL,
    "string": click.STRING,
}
_FILE_TYPES = ("object", "array")


def _http(ctx: click.Context) -> Any:
    """The HTTP client of this invocation (kept in the click context, not globally)."""
    meta = ctx.meta
    if "civis.http" not in meta:
        from civis._http import HTTPClient
        from civis.base import get_base_url

        api_key = os.environ.get("CIVIS_API_KEY")
        if not api_key:
            raise click.ClickException("set CIVIS_API_KEY to use the civis command line")
        meta["civis.http"] = HTTPClient(api_key, base_url=get_base_url(), user_agent="civis-cli")
    return meta["civis.http"]


def _model(ctx: click.Context) -> SpecModel:
    """The spec model of this invocation: from the disk cache, or downloaded once."""
    meta = ctx.meta
    if "civis.model" not in meta:
        import requests

        from civis._spec.loader import load_downloaded_spec
        from civis.client import download_spec

        http = _http(ctx)
        try:
            meta["civis.model"] = load_downloaded_spec(
                lambda: download_spec(http),
                base_url=http.base_url,
                api_key=http._api_key,
                api_version="1.0",
            )
        except (requests.RequestException, ValueError) as exc:
            raise click.ClickException(f"could not load the API spec: {exc}") from exc
    model: SpecModel = meta["civis.model"]
    return model


def _read_yaml_file(path: str) -> Any:
    import yaml

    with open(path) as fh:
        return yaml.safe_load(fh)


def _print(data: Any, json_output: bool) -> None:
    if json_output:
        click.echo(json.dumps(data, indent=2))
    else:
        import yaml

        click.echo(yaml.safe_dump(data, default_flow_style=False), nl=False)


def _invoke(ctx: click.Context, op: Operation, values: dict[str, Any], json_output: bool) -> None:
    path = op.path
    query: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for p in op.params:
        value = values.get(_dest(p.spec_name))
        if value is None:
            continue
        if p.type in _FILE_TYPES:
            value = _read_yaml_file(value)
        if p.location == "path":
            path = path.replace("{" + p.spec_name + "}", str(value))
        elif p.location == "query":
            query[p.spec_name + ("[]" if isinstance(value, list) else "")] = value
        elif p.location == "body":
            body[p.spec_name] = value  # the CLI sends the spec's own (camelCase) keys
    verb = op.verb.upper()
    send_json = bool(body) or verb in ("POST", "PUT", "PATCH")
    response = _http(ctx).request(verb, path, params=query or None, json=body, send_json=send_json)
    if not 200 <= response.status_code < 300:
        from civis.base import CivisAPIError

        click.echo(str(CivisAPIError(response)), err=True)
        sys.exit(1)
    data = response.json() if response.content else {}
    _print(data, json_output)


def _dest(spec_name: str) -> str:
    """The Python name click passes a parameter's value under."""
    return cli_param_name(spec_name).replace("-", "_").strip("_") or "value"


def _command(op: Operation) -> click.Command:
    params: list[click.Parameter] = []
    help_lines = (
        [op.summary, "", op.description, "", op.path]
        if op.description
        else [op.summary, "", op.path]
    )
    # As in the official CLI: path and query params in spec order, body props by name.
    ordered = [p for p in op.params if p.location != "body"] + sorted(
        (p for p in op.params if p.location == "body"), key=lambda p: p.spec_name
    )
    for p in ordered:
        kind = _CLICK_TYPES.get(p.type, click.STRING)
        if p.type in _FILE_TYPES:
            kind = click.Path(exists=True, dir_okay=False)
        dest = _dest(p.spec_name)
        if p.required:
            params.append(click.Argument([dest], type=kind))
            help_lines += ["", f"{dest.upper()} ({p.type}) - {p.description}"]
        else:
            params.append(
                click.Option(
                    [f"--{cli_param_name(p.spec_name)}", dest],
                    type=kind,
                    help=p.description or None,
                )
            )
    params.append(
        click.Option(["--json-output"], is_flag=True, help="output in JSON instead of YAML")
    )

    @click.pass_context
    def callback(ctx: click.Context, json_output: bool, **values: Any) -> None:
        _invoke(ctx, op, values, json_output)

    return click.Command(
        op.cli_name,
        params=params,
        callback=callback,
        help="\n".join(help_lines),
        short_help=op.summary,
    )


class _ResourceGroup(click.Group):
    """The commands of one resource, built only when listed or invoked."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource.replace("_", "-"), help=f"Manage {resource}")
        self._resource = resource

    def _operations(self, ctx: click.Context) -> dict[str, Operation]:
        ops: dict[str, Operation] = {}
        for op in _model(ctx).operations(self._resource):
            ops[op.cli_name] = op  # a duplicate name: the last one wins, as officially
        return ops

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._operations(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        op = self._operations(ctx).get(cmd_name)
        return _command(op) if op else None


class _RootGroup(click.Group):
    """Top level: one group per resource of the spec."""

    def _resources(self, ctx: click.Context) -> dict[str, str]:
        return {name.replace("_", "-"): name for name in _model(ctx).resource_names()}

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            generated = list(self._resources(ctx))
        except click.ClickException as exc:
            click.echo(f"(API commands unavailable: {exc.format_message()})", err=True)
            generated = []
        return sorted({*generated, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        builtin = super().get_command(ctx, cmd_name)
        if builtin is not None:
            return builtin
        resource = self._resources(ctx).get(cmd_name)
        return _ResourceGroup(resource) if resource else None


@click.group(cls=_RootGroup)
@click.version_option(package_name="civis-platform", prog_name="civis")
def cli() -> None:
    """Command line access to the Civis API; commands come from the API spec."""


def main() -> None:
    """Entry point of the ``civis`` script.

    Examples
    --------
    >>> main()  # doctest: +SKIP
    """
    cli()
