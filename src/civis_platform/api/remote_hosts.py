"""``/remote_hosts``: hosts that credentials authenticate against."""

from __future__ import annotations

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel, RequestModel, ResponseModel
from civis_platform.api.credentials import CredentialOwner
from civis_platform.services import remote_hosts as svc


class RemoteHostListItem(ResponseModel):
    """A row of ``GET /remote_hosts``."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    url: str | None = None


class RemoteHost(ResponseModel):
    """One remote host."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    url: str | None = None
    description: str | None = None
    my_permission_level: str | None = None
    user: CredentialOwner | None = None
    created_at: str | None = None
    updated_at: str | None = None


class RemoteHostCreate(RequestModel):
    """Body of ``POST /remote_hosts``."""

    name: str
    url: str
    type: str


class RemoteHostReplace(RequestModel):
    """Body of ``PUT /remote_hosts/{id}``."""

    name: str
    type: str
    url: str
    description: str


class RemoteHostPatch(RequestModel):
    """Body of ``PATCH /remote_hosts/{id}``."""

    name: str | None = None
    type: str | None = None
    url: str | None = None
    description: str | None = None


class RemoteHostListQuery(QueryModel):
    """Filter of ``GET /remote_hosts``."""

    type: str | None = None


remote_hosts = Resource("remote_hosts")
remote_hosts.op(
    "get",
    "/remote_hosts/",
    "List remote hosts",
    svc.list_remote_hosts,
    query=RemoteHostListQuery,
    response=RemoteHostListItem,
    array=True,
)
remote_hosts.op(
    "post",
    "/remote_hosts/",
    "Register a remote host",
    svc.create_remote_host,
    body=RemoteHostCreate,
    body_name="RemoteHostCreate",
    response=RemoteHost,
    status=201,
)
remote_hosts.op(
    "get", "/remote_hosts/{id}", "Show a remote host", svc.get_remote_host, response=RemoteHost
)
remote_hosts.op(
    "put",
    "/remote_hosts/{id}",
    "Replace a remote host",
    svc.update_remote_host,
    body=RemoteHostReplace,
    body_name="RemoteHostReplace",
    response=RemoteHost,
)
remote_hosts.op(
    "patch",
    "/remote_hosts/{id}",
    "Update some attributes of a remote host",
    svc.update_remote_host,
    body=RemoteHostPatch,
    body_name="RemoteHostPatch",
    body_required=False,
    response=RemoteHost,
)
remote_hosts.shares(svc.KIND, level_noun="a remote host")
