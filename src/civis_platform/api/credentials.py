"""``/credentials``: owned, shareable secrets (passwords never leave the server)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.services import credentials as svc


class CredentialOwner(ResponseModel):
    """The owner as embedded in a credential."""

    id: int | None = None
    name: str | None = None
    username: str | None = None
    initials: str | None = None
    online: bool | None = None


class Credential(ResponseModel):
    """A credential (list rows and single objects have the same shape)."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    username: str | None = None
    description: str | None = None
    owner: str | None = None
    user: CredentialOwner | None = None
    remote_host_id: int | None = None
    remote_host_name: str | None = None
    state: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    default: bool | None = None
    oauth: bool | None = None
    provider: str | None = None
    provider_metadata: dict[str, Any] | None = None


class CredentialCreate(RequestModel):
    """Body of ``POST /credentials`` and ``PUT /credentials/{id}``."""

    name: str | None = None
    type: str
    description: str | None = None
    username: str
    password: str
    remote_host_id: int | None = None
    user_id: int | None = None
    state: str | None = None
    system_credential: bool | None = None
    default: bool | None = None
    oauth: bool | None = None


class CredentialPatch(RequestModel):
    """Body of ``PATCH /credentials/{id}``."""

    name: str | None = None
    type: str | None = None
    description: str | None = None
    username: str | None = None
    password: str | None = None
    remote_host_id: int | None = None
    user_id: int | None = None
    state: str | None = None
    system_credential: bool | None = None
    default: bool | None = None
    oauth: bool | None = None


class CredentialListQuery(PagedQuery):
    """Filters of ``GET /credentials``; ``type`` may be comma-separated."""

    type: str | None = None
    remote_host_id: int | None = None
    default: bool | None = None
    system_credentials: bool | None = None
    users: str | None = None
    name: str | None = None
    provider: str | None = None


class CredentialTypes(ResponseModel):
    """The accepted credential types."""

    types: list[str] = Field(default_factory=list)


credentials = Resource("credentials")
credentials.op(
    "get",
    "/credentials/types",
    "List the credential types",
    svc.list_types,
    response=CredentialTypes,
)
credentials.op(
    "get",
    "/credentials/",
    "List credentials",
    svc.list_credentials,
    query=CredentialListQuery,
    response=Credential,
    array=True,
)
credentials.op(
    "post",
    "/credentials/",
    "Create a credential",
    svc.create_credential,
    body=CredentialCreate,
    body_name="CredentialCreate",
    response=Credential,
    status=201,
)
credentials.op(
    "put",
    "/credentials/{id}",
    "Replace a credential",
    svc.update_credential,
    body=CredentialCreate,
    body_name="CredentialReplace",
    response=Credential,
)
credentials.op(
    "patch",
    "/credentials/{id}",
    "Update some attributes of a credential",
    svc.update_credential,
    body=CredentialPatch,
    body_name="CredentialPatch",
    body_required=False,
    response=Credential,
)
credentials.op(
    "get", "/credentials/{id}", "Show a credential", svc.get_credential, response=Credential
)
credentials.op(
    "delete", "/credentials/{id}", "Delete a credential", svc.delete_credential, status=204
)
credentials.shares(svc.KIND, level_noun="a credential")
credentials.transfer(svc.KIND)
