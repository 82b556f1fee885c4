"""Pure naming rules: API path and verb to resource and method names; case conversion.

Two rules name a GET operation.  The *legacy* rule calls a GET ``list_*`` when its last path
segment is static.  The *current* rule calls it ``list_*`` only when it answers with an
array (the spec's 200 schema has ``type: array``, or the path is one of
``GET_PATHS_WITH_ARRAY_RESPONSE``, where the live API answers with an array although its
spec says object), and ``get_*`` otherwise.  For the paths in
``LEGACY_PATHS_WITH_LIST_NAME`` the client also keeps the legacy ``list_*`` name as a
deprecated alias.  The CLI always names commands with the legacy rule.

Both tables were derived by observing which names the official client generates for each
GET path of the reference spec; paths are written without leading or trailing ``/``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "EXCLUDED_RESOURCES",
    "GET_PATHS_WITH_ARRAY_RESPONSE",
    "LEGACY_PATHS_WITH_LIST_NAME",
    "MethodNames",
    "cli_command_name",
    "cli_param_name",
    "method_names",
    "resource_name",
    "to_camel",
    "to_snake",
]

# Resources the client never exposes.
EXCLUDED_RESOURCES = frozenset({"feature_flags"})

GET_PATHS_WITH_ARRAY_RESPONSE = frozenset(
    {
        "credentials/types",
        "databases/{id}/users",
        "jobs/{id}/parents",
        "jobs/{id}/children",
        "scripts/{id}/history",
        "notebooks/{id}/git/commits",
        "reports/{id}/git/commits",
        "workflows/{id}/git/commits",
        "scripts/sql/{id}/git/commits",
        "scripts/javascript/{id}/git/commits",
        "scripts/python3/{id}/git/commits",
        "scripts/r/{id}/git/commits",
    }
)

_SHARES_RESOURCES = (
    "aliases",
    "credentials",
    "enhancements/civis-data-match",
    "enhancements/cass-ncoa",
    "enhancements/geocode",
    "enhancements/identity-resolution",
    "files",
    "groups",
    "imports",
    "jobs",
    "json_values",
    "match_targets",
    "media/spot_orders",
    "media/optimizations",
    "media/ratecards",
    "models",
    "notebooks",
    "permission_sets",
    "projects",
    "remote_hosts",
    "reports",
    "reports/services",
    "reports/sql",
    "scripts/sql",
    "scripts/containers",
    "scripts/python3",
    "scripts/r",
    "scripts/dbt",
    "scripts/javascript",
    "scripts/custom",
    "services",
    "storage_hosts",
    "templates/reports",
    "templates/scripts",
    "workflows",
)

LEGACY_PATHS_WITH_LIST_NAME = frozenset(
    {f"{prefix}/{{id}}/shares" for prefix in _SHARES_RESOURCES}
    | {
        f"{prefix}/{{id}}/git"
        for prefix in (
            "notebooks",
            "reports",
            "workflows",
            "scripts/sql",
            "scripts/javascript",
            "scripts/python3",
            "scripts/r",
        )
    }
    | {
        "clusters/kubernetes/instance_configs/{instance_config_id}/historical_graphs",
        "clusters/kubernetes/instance_configs/{instance_config_id}/historical_metrics",
        "databases/{id}/advanced-settings",
        "endpoints",
        "git_repos/{id}/refs",
        "groups/{id}/child_groups",
        "models/{id}/schedules",
        "notebooks/{id}/update-links",
        "notifications",
        "permission_sets/{id}/resources/{name}/shares",
        "predictions/{id}/schedules",
        "search",
        "usage/llm/organization/{org_id}/summary",
        "users/me",
    }
)

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")
_SNAKE_PART = re.compile(r"_([a-z0-9])")


@lru_cache(maxsize=8192)  # API keys repeat endlessly across responses
def to_snake(name: str) -> str:
    """Convert a camelCase API name to snake_case, exactly as the official client does.

    Examples
    --------
    >>> to_snake("fileUrl")
    'file_url'
    >>> to_snake("HTTPResponse")
    'http_response'
    >>> to_snake("Content-Type")
    'content-_type'
    """
    if name.islower() or not any(c.isupper() for c in name):
        return name
    return _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


def to_camel(name: str) -> str:
    """Convert a snake_case name to lower camelCase.

    Examples
    --------
    >>> to_camel("file_url")
    'fileUrl'
    >>> to_camel("id")
    'id'
    """
    return _SNAKE_PART.sub(lambda m: m.group(1).upper(), name)


class MethodNames(NamedTuple):
    """The name a client method gets, and its deprecated legacy alias (or None)."""

    name: str
    alias: str | None


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def resource_name(path: str) -> str:
    """Return the resource (client attribute) an API path belongs to.

    Examples
    --------
    >>> resource_name("/match_targets/{id}")
    'match_targets'
    >>> resource_name("/git-repos/")
    'git_repos'
    """
    return path.strip("/").split("/", 1)[0].lower().replace("-", "_")


def _name(verb: str, segments: list[str], *, as_list: bool) -> str:
    elems: list[str] = []
    previous_was_param = False
    previous = ""
    for segment in segments:
        if _is_param(segment):
            # Two params in a row: the first one's name tells the methods apart.
            if previous_was_param:
                elems.append(previous[1:-1])
            previous_was_param = True
        else:
            elems.append(segment)
            previous_was_param = False
        previous = segment
    prefix = "list" if as_list else verb
    return "_".join([prefix, *elems]).replace("-", "_")


def method_names(verb: str, path: str, *, returns_array: bool) -> MethodNames:
    """Name the client method for one operation, plus its deprecated alias if it has one.

    Parameters
    ----------
    verb : str
        The HTTP verb, lowercase (``get``, ``post``, ...).
    path : str
        The spec path, e.g. ``/scripts/containers/{id}/runs``.
    returns_array : bool
        Whether the spec's 200 response schema is an array.

    Examples
    --------
    >>> method_names("get", "/scripts/containers/{id}/runs", returns_array=True)
    MethodNames(name='list_containers_runs', alias=None)
    >>> method_names("get", "/users/me", returns_array=False)
    MethodNames(name='get_me', alias='list_me')
    >>> method_names("post", "/files/", returns_array=False)
    MethodNames(name='post', alias=None)
    """
    stripped = path.strip("/")
    segments = stripped.split("/")[1:]
    if verb != "get":
        return MethodNames(_name(verb, segments, as_list=False), None)
    is_array = returns_array or stripped in GET_PATHS_WITH_ARRAY_RESPONSE
    name = _name("get", segments, as_list=is_array)
    legacy_list = not segments or not _is_param(segments[-1])
    alias = None
    if legacy_list and not is_array and stripped in LEGACY_PATHS_WITH_LIST_NAME:
        alias = _name("get", segments, as_list=True)
    return MethodNames(name, alias)


_CAPITAL_RUN = re.compile(r"([A-Z]+)")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def cli_param_name(name: str) -> str:
    """Name a CLI argument or option as the official CLI does.

    Its rule differs from `to_snake`: every run of capitals starts one new word.

    Examples
    --------
    >>> cli_param_name("expiresAt")
    'expires-at'
    >>> cli_param_name("provideAPIKey")
    'provide-apikey'
    >>> cli_param_name("page_num")
    'page-num'
    """
    return _NON_ALNUM.sub("-", _CAPITAL_RUN.sub(r"_\1", name).lower())


def cli_command_name(verb: str, path: str) -> str:
    """Name the CLI command for one operation (legacy rule, ``-`` between words).

    Examples
    --------
    >>> cli_command_name("get", "/users/me")
    'list-me'
    >>> cli_command_name("get", "/files/{id}")
    'get'
    >>> cli_command_name("post", "/scripts/containers/{id}/runs")
    'post-containers-runs'
    >>> cli_command_name("post", "/enhancements/civis-data-match/")
    'post-civis-data-match-'
    """
    # Unlike the client, the CLI keeps a trailing "/" as an empty last segment, so
    # "/enhancements/civis-data-match/" names "post-civis-data-match-".
    parts = path.lower().lstrip("/").split("/", 1)
    segments = parts[1].split("/") if len(parts) > 1 and parts[1] else []
    legacy_list = verb == "get" and (not segments or not _is_param(segments[-1]))
    return _name(verb, segments, as_list=legacy_list).replace("_", "-")
