"""Models of the shares sub-resource, shared by every shareable resource."""

from __future__ import annotations

from pydantic import Field

from civis_platform.api._models import RequestModel, ResponseModel


class ShareUsersUpdate(RequestModel):
    """Body of ``PUT /{resource}/{id}/shares/users``."""

    user_ids: list[int]
    permission_level: str
    share_email_body: str | None = None
    send_shared_email: bool | None = None


class ShareGroupsUpdate(RequestModel):
    """Body of ``PUT /{resource}/{id}/shares/groups``."""

    group_ids: list[int]
    permission_level: str
    share_email_body: str | None = None
    send_shared_email: bool | None = None


class ShareGrantee(ResponseModel):
    """A user or group holding a share."""

    id: int | None = None
    name: str | None = None


class ShareBucket(ResponseModel):
    """The users and groups at one permission level."""

    users: list[ShareGrantee] = Field(default_factory=list)
    groups: list[ShareGrantee] = Field(default_factory=list)


class Shares(ResponseModel):
    """Who can see an object, by level (owners hold ``manage``)."""

    readers: ShareBucket | None = None
    writers: ShareBucket | None = None
    owners: ShareBucket | None = None
    total_user_shares: int | None = None
    total_group_shares: int | None = None
