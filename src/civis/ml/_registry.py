"""List CivisML models and share them (with the files, projects and JSON values their
runs made), as ``civis.ml.list_models`` and ``put/delete_models_shares_*``."""

from __future__ import annotations

import warnings
from typing import Any

from civis.base import CivisAPIError
from civis.client import client_or_default
from civis.ml._pipeline import SENTINEL
from civis.ml._templates import template_versions

__all__ = [
    "delete_models_shares_groups",
    "delete_models_shares_users",
    "list_models",
    "put_models_shares_groups",
    "put_models_shares_users",
]

_JOB_TYPES = {
    "train": ("training", "registration"),
    "predict": ("prediction",),
    None: ("training", "registration", "prediction"),
}
# Endpoint groups of the objects a model's runs output, by output objectType.
_OUTPUT_RESOURCES = {"File": "files", "Project": "projects", "JSONValue": "json_values"}


def list_models(
    job_type: str | None = "train", author: Any = SENTINEL, client: Any = None, **kwargs: Any
) -> Any:
    """The CivisML custom scripts of one kind, newest first.

    Parameters
    ----------
    job_type : {"train", "predict", None}
        Training (and registration) jobs, prediction jobs, or both.
    author : int or None
        By default the current user; None lists every author's.
    client : APIClient, optional
    **kwargs
        More filters for ``GET /scripts/custom`` (``status``, ``archived``, ``limit``...).

    Raises
    ------
    ValueError
        An unknown ``job_type``.

    Examples
    --------
    >>> [m.id for m in list_models()]  # doctest: +SKIP
    [7072360, 7072358, 7072357]
    """
    if job_type not in _JOB_TYPES:
        raise ValueError(f"job_type must be 'train', 'predict' or None, not {job_type!r}")
    client = client_or_default(client)
    if author is SENTINEL:
        author = client.users.get_me().id
    ids = sorted(
        {
            tid
            for ids in template_versions(client).values()
            for kind in _JOB_TYPES[job_type]
            if (tid := ids[kind]) is not None
        }
    )
    kwargs.setdefault("order_dir", "desc")
    return client.scripts.list_custom(
        from_template_id=", ".join(str(i) for i in ids),
        author=None if author is None else str(author),
        **kwargs,
    )


def _share_options(share_email_body: Any, send_shared_email: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if share_email_body != "DEFAULT":
        options["share_email_body"] = share_email_body
    if send_shared_email != "DEFAULT":
        options["send_shared_email"] = send_shared_email
    return options


def _run_outputs(client: Any, job_id: int) -> list[Any]:
    outputs: list[Any] = []
    for run in client.scripts.list_containers_runs(job_id, iterator=True):
        outputs.extend(client.scripts.list_containers_runs_outputs(job_id, run.id, iterator=True))
    return outputs


def _each_output(client: Any, job_id: int, method: str, *args: Any, **options: Any) -> None:
    """Call ``<resource>.<method>(object_id, *args)`` for every output of every run."""
    for output in _run_outputs(client, job_id):
        resource = _OUTPUT_RESOURCES.get(output.get("object_type"))
        if resource is None:
            continue
        endpoint = getattr(getattr(client, resource), method)
        call_args = list(args)
        if resource == "projects" and method.startswith("put") and call_args[-1] == "read":
            call_args[-1] = "write"  # runs must be able to add to a shared project
        try:
            endpoint(output.get("object_id"), *call_args, **options)
        except CivisAPIError as err:
            warnings.warn(
                f"Could not change the shares of {output.get('object_type')} "
                f"{output.get('object_id')} of model {job_id}: {err}",
                stacklevel=3,
            )


def put_models_shares_users(
    id: int,
    user_ids: list[int],
    permission_level: str,
    client: Any = None,
    share_email_body: Any = "DEFAULT",
    send_shared_email: Any = "DEFAULT",
) -> Any:
    """Share a model (and its runs' outputs) with users; the script's new shares.

    Examples
    --------
    >>> put_models_shares_users(7072357, [923], "read")  # doctest: +SKIP
    """
    client = client_or_default(client)
    shares = client.scripts.put_containers_shares_users(
        id, user_ids, permission_level, **_share_options(share_email_body, send_shared_email)
    )
    _each_output(
        client, id, "put_shares_users", user_ids, permission_level, send_shared_email=False
    )
    return shares


def put_models_shares_groups(
    id: int,
    group_ids: list[int],
    permission_level: str,
    client: Any = None,
    share_email_body: Any = "DEFAULT",
    send_shared_email: Any = "DEFAULT",
) -> Any:
    """Share a model (and its runs' outputs) with groups; the script's new shares.

    Examples
    --------
    >>> put_models_shares_groups(7072357, [10], "read")  # doctest: +SKIP
    """
    client = client_or_default(client)
    shares = client.scripts.put_containers_shares_groups(
        id, group_ids, permission_level, **_share_options(share_email_body, send_shared_email)
    )
    _each_output(
        client, id, "put_shares_groups", group_ids, permission_level, send_shared_email=False
    )
    return shares


def delete_models_shares_users(id: int, user_id: int, client: Any = None) -> None:
    """Stop sharing a model (and its runs' outputs) with a user.

    Examples
    --------
    >>> delete_models_shares_users(7072357, 923)  # doctest: +SKIP
    """
    client = client_or_default(client)
    client.scripts.delete_containers_shares_users(id, user_id)
    _each_output(client, id, "delete_shares_users", user_id)


def delete_models_shares_groups(id: int, group_id: int, client: Any = None) -> None:
    """Stop sharing a model (and its runs' outputs) with a group.

    Examples
    --------
    >>> delete_models_shares_groups(7072357, 10)  # doctest: +SKIP
    """
    client = client_or_default(client)
    client.scripts.delete_containers_shares_groups(id, group_id)
    _each_output(client, id, "delete_shares_groups", group_id)
