"""``/groups``: groups and their members."""

from __future__ import annotations

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.services import groups as svc


class GroupMemberListItem(ResponseModel):
    """A member as listed in ``GET /groups``."""

    id: int | None = None
    name: str | None = None
    username: str | None = None
    initials: str | None = None
    online: bool | None = None


class GroupMember(GroupMemberListItem):
    """A member as shown in one group."""

    email: str | None = None
    primary_group_id: int | None = None
    active: bool | None = None


class _GroupBase(ResponseModel):
    """The leading properties a group shows in lists and alone, in the reference's order."""

    id: int | None = None
    name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    description: str | None = None
    slug: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    member_count: int | None = None
    total_member_count: int | None = None


class GroupListItem(_GroupBase):
    """A row of ``GET /groups``."""

    last_updated_by_id: int | None = None
    created_by_id: int | None = None
    members: list[GroupMemberListItem] = Field(default_factory=list)


class Group(_GroupBase):
    """One group."""

    default_otp_required_for_login: bool | None = None
    role_ids: list[int] = Field(default_factory=list)
    default_time_zone: str | None = None
    default_jobs_label: str | None = None
    default_notebooks_label: str | None = None
    default_services_label: str | None = None
    last_updated_by_id: int | None = None
    created_by_id: int | None = None
    members: list[GroupMember] = Field(default_factory=list)


class GroupPatch(RequestModel):
    """Body of ``PATCH /groups/{id}``."""

    name: str | None = None
    description: str | None = None
    slug: str | None = None
    organization_id: int | None = None
    default_otp_required_for_login: bool | None = None
    role_ids: list[int] | None = None
    default_time_zone: str | None = None
    default_jobs_label: str | None = None
    default_notebooks_label: str | None = None
    default_services_label: str | None = None


class GroupCreate(GroupPatch):
    """Body of ``POST /groups`` and ``PUT /groups/{id}``."""

    name: str


class GroupListQuery(PagedQuery):
    """Filters of ``GET /groups``."""

    query: str | None = None
    permission: str | None = None
    include_members: bool | None = None
    organization_id: int | None = None
    user_ids: list[int] | None = None


groups = Resource("groups")
groups.op(
    "get",
    "/groups/",
    "List groups",
    svc.list_groups,
    query=GroupListQuery,
    response=GroupListItem,
    array=True,
)
groups.op(
    "post",
    "/groups/",
    "Create a group (admins only)",
    svc.create_group,
    body=GroupCreate,
    body_name="GroupCreate",
    response=Group,
    status=201,
)
groups.op("get", "/groups/{id}", "Show a group", svc.get_group, response=Group)
groups.op(
    "put",
    "/groups/{id}",
    "Replace a group's attributes",
    svc.update_group,
    body=GroupCreate,
    body_name="GroupReplace",
    response=Group,
)
groups.op(
    "patch",
    "/groups/{id}",
    "Update some of a group's attributes",
    svc.update_group,
    body=GroupPatch,
    body_name="GroupPatch",
    body_required=False,
    response=Group,
)
groups.op(
    "put", "/groups/{id}/members/{user_id}", "Add a user to a group", svc.add_member, response=Group
)
groups.op(
    "delete",
    "/groups/{id}/members/{user_id}",
    "Remove a user from a group",
    svc.remove_member,
    status=204,
)
