"""Find the CivisML templates through their aliases (no ids or names are hard-coded).

Aliases ``civis-civisml-{training,prediction,registration}`` name the latest version,
``...-vX-Y`` the version ``"vX.Y"`` and any other suffix a special version (e.g. ``dev``).
The answer is kept on the client it was asked with, so each client asks once.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, ClassVar

from civis.base import CivisAPIError

__all__ = ["TEMPLATE_KINDS", "template_ids", "template_versions"]

TEMPLATE_KINDS = ("training", "prediction", "registration")
_ALIAS = re.compile(r"civis-civisml-(training|prediction|registration)(?:-(.+))?")
_VERSION = re.compile(r"v(\d+)-(\d+)")
_CACHE_ATTRIBUTE = "_civisml_template_ids"

Versions = dict[str | None, dict[str, int | None]]


class _NoTemplates:
    """Stands in for the HTTP answer of the official client's fake 404."""

    status_code = 404
    reason = "Not Found"
    text = "No CivisML template IDs are accessible."
    content = text.encode()
    headers: ClassVar[dict[str, str]] = {}
    url = ""

    def json(self) -> dict[str, Any]:
        return {"error": "not_found", "errorDescription": self.text, "code": 404}


def _version_of(suffix: str | None) -> str | None:
    if suffix is None:
        return None
    match = _VERSION.fullmatch(suffix)
    return f"v{match.group(1)}.{match.group(2)}" if match else suffix


def _parse_aliases(aliases: Any) -> Versions:
    versions: Versions = {}
    for alias in aliases:
        match = _ALIAS.fullmatch(str(alias.get("alias") or ""))
        if match is None:
            continue
        kind, suffix = match.groups()
        ids = versions.setdefault(_version_of(suffix), dict.fromkeys(TEMPLATE_KINDS))
        ids[kind] = int(alias.get("object_id"))
    return versions


def template_versions(client: Any) -> Versions:
    """``{version: {"training": id, "prediction": id, "registration": id or None}}``.

    Raises
    ------
    CivisAPIError
        No CivisML template alias is visible to this user (a 404).
    """
    cached = getattr(client, _CACHE_ATTRIBUTE, None)
    if isinstance(cached, dict):
        return cached
    versions = _parse_aliases(client.aliases.list(object_type="template_script", iterator=True))
    if not versions:
        raise CivisAPIError(_NoTemplates())
    # A mock client with spec_set refuses the attribute: it asks again next time.
    with contextlib.suppress(AttributeError):
        setattr(client, _CACHE_ATTRIBUTE, versions)
    return versions


def template_ids(client: Any, version: str | None = None) -> dict[str, int | None]:
    """The training, prediction and registration template ids of one CivisML version.

    Raises
    ------
    ValueError
        ``version`` is not one the aliases name.

    Examples
    --------
    >>> template_ids(client)  # doctest: +SKIP
    {'training': 11219, 'prediction': 11220, 'registration': 11221}
    """
    versions = template_versions(client)
    if version not in versions:
        known = sorted(str(v) for v in versions if v is not None)
        raise ValueError(
            f"civisml_version {version!r} is not available; "
            f"available versions: {known} (or None for the latest)"
        )
    return dict(versions[version])
