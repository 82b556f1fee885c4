"""``/users``: profiles, the caller's own view, and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import (
    CamelKeyedMap,
    PagedQuery,
    RequestModel,
    ResponseModel,
    request_model,
)
from civis_platform.services import users as svc


class GroupRef(ResponseModel):
    """A group as embedded in a user."""

    id: int | None = None
    name: str | None = None
    slug: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None


class UserListItem(ResponseModel):
    """A row of ``GET /users``."""

    id: int | None = None
    user: str | None = None
    name: str | None = None
    email: str | None = None
    active: bool | None = None
    primary_group_id: int | None = None
    groups: list[GroupRef] = Field(default_factory=list)
    created_at: str | None = None
    current_sign_in_at: str | None = None
    updated_at: str | None = None
    last_seen_at: str | None = None
    suspended: bool | None = None
    created_by_id: int | None = None
    last_updated_by_id: int | None = None


class User(ResponseModel):
    """A user's full profile."""

    id: int | None = None
    user: str | None = None
    name: str | None = None
    email: str | None = None
    active: bool | None = None
    primary_group_id: int | None = None
    groups: list[GroupRef] = Field(default_factory=list)
    city: str | None = None
    state: str | None = None
    time_zone: str | None = None
    initials: str | None = None
    department: str | None = None
    title: str | None = None
    github_username: str | None = None
    prefers_sms_otp: bool | None = None
    vpn_enabled: bool | None = None
    sso_disabled: bool | None = None
    otp_required_for_login: bool | None = None
    exempt_from_org_sms_otp_disabled: bool | None = None
    sms_otp_allowed: bool | None = None
    robot: bool | None = None
    phone: str | None = None
    organization_slug: str | None = None
    organization_sso_disable_capable: bool | None = Field(
        default=None, alias="organizationSSODisableCapable"
    )
    organization_login_type: str | None = None
    organization_sms_otp_disabled: bool | None = None
    my_permission_level: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_seen_at: str | None = None
    suspended: bool | None = None
    created_by_id: int | None = None
    last_updated_by_id: int | None = None
    unconfirmed_email: str | None = None
    account_status: str | None = None


class UserMe(ResponseModel):
    """The caller's own view of themselves."""

    id: int | None = None
    name: str | None = None
    email: str | None = None
    username: str | None = None
    initials: str | None = None
    last_checked_announcements: str | None = None
    feature_flags: dict[str, Any] = Field(default_factory=dict)
    roles: list[str] = Field(default_factory=list)
    preferences: dict[str, Any] = Field(default_factory=dict)
    custom_branding: str | None = None
    primary_group_id: int | None = None
    groups: list[GroupRef] = Field(default_factory=list)
    organization_name: str | None = None
    organization_slug: str | None = None
    organization_default_theme_id: int | None = None
    created_at: str | None = None
    sign_in_count: int | None = None
    assuming_role: bool | None = None
    role_assumer: dict[str, Any] | None = None
    assuming_admin: bool | None = None
    assuming_admin_expiration: str | None = None
    superadmin_mode_expiration: str | None = None
    disable_non_compliant_fedramp_features: bool | None = None
    persona_role: str | None = None
    created_by_id: int | None = None
    last_updated_by_id: int | None = None


class _UserFields(RequestModel):
    """The attributes a user is created and updated with (required as when creating)."""

    name: str
    email: str
    active: bool | None = None
    primary_group_id: int
    city: str | None = None
    state: str | None = None
    time_zone: str | None = None
    initials: str | None = None
    department: str | None = None
    title: str | None = None
    prefers_sms_otp: bool | None = None
    group_ids: list[int] | None = None
    vpn_enabled: bool | None = None
    sso_disabled: bool | None = None
    otp_required_for_login: bool | None = None
    exempt_from_org_sms_otp_disabled: bool | None = None
    robot: bool | None = None


class UserCreate(_UserFields):
    """Body of ``POST /users``."""

    user: str
    send_email: bool | None = None


class _UserUpdateOnly(RequestModel):
    """What only an update sets, after the shared attributes."""

    phone: str | None = None
    password: str | None = None
    account_status: str | None = None


UserUpdate = request_model(
    "UserUpdate", "Body of ``PATCH /users/{id}``.", _UserFields, _UserUpdateOnly, optional=True
)


class UserMeUpdate(RequestModel):
    """Body of ``PATCH /users/me``; preference keys may be snake_case or camelCase."""

    preferences: CamelKeyedMap | None = None
    last_checked_announcements: datetime | None = None


class UserListQuery(PagedQuery):
    """Filters of ``GET /users``."""

    feature_flag: str | None = None
    account_status: str | None = None
    query: str | None = None
    group_id: int | None = None
    group_ids: list[int] | None = None
    organization_id: int | None = None
    exclude_groups: bool | None = None


class ApiKeyConstraint(ResponseModel):
    """A route restriction on a key (none are enforced yet)."""

    constraint: str | None = None
    constraint_type: str | None = None
    get_allowed: bool | None = None
    head_allowed: bool | None = None
    post_allowed: bool | None = None
    put_allowed: bool | None = None
    patch_allowed: bool | None = None
    delete_allowed: bool | None = None


class ApiKeyListItem(ResponseModel):
    """A row of ``GET /users/{id}/api_keys``."""

    id: int | None = None
    name: str | None = None
    expires_at: str | None = None
    created_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None
    scopes: list[str] = Field(default_factory=list)
    use_count: int | None = None
    expired: bool | None = None
    active: bool | None = None
    constraint_count: int | None = None


class ApiKey(ResponseModel):
    """One API key (never its token)."""

    id: int | None = None
    name: str | None = None
    expires_at: str | None = None
    created_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None
    scopes: list[str] = Field(default_factory=list)
    use_count: int | None = None
    expired: bool | None = None
    active: bool | None = None
    constraints: list[ApiKeyConstraint] = Field(default_factory=list)


class ApiKeyCreated(ApiKey):
    """A new key, carrying its token this one time."""

    token: str | None = None


class ApiKeyConstraintCreate(RequestModel):
    """A requested route restriction."""

    constraint: str | None = None
    constraint_type: str
    get_allowed: bool | None = None
    head_allowed: bool | None = None
    post_allowed: bool | None = None
    put_allowed: bool | None = None
    patch_allowed: bool | None = None
    delete_allowed: bool | None = None


class ApiKeyCreate(RequestModel):
    """Body of ``POST /users/{id}/api_keys``."""

    expires_in: int
    constraints: list[ApiKeyConstraintCreate] | None = None
    name: str


users = Resource("users")
users.op(
    "get",
    "/users/",
    "List users",
    svc.list_users,
    query=UserListQuery,
    response=UserListItem,
    array=True,
)
users.op(
    "post",
    "/users/",
    "Create a user (admins only)",
    svc.create_user,
    body=UserCreate,
    body_name="UserCreate",
    response=User,
)
users.op("get", "/users/me", "Show the calling user", svc.get_me, response=UserMe)
users.op(
    "patch",
    "/users/me",
    "Update the calling user's preferences",
    svc.patch_me,
    body=UserMeUpdate,
    body_name="UserMeUpdate",
    body_required=False,
    response=UserMe,
)
users.op("get", "/users/{id}", "Show a user", svc.get_user, response=User)
users.op(
    "patch",
    "/users/{id}",
    "Update a user (admins only)",
    svc.patch_user,
    body=UserUpdate,
    body_name="UserUpdate",
    body_required=False,
    response=User,
)
users.op(
    "get",
    "/users/{id}/api_keys",
    "List a user's API keys",
    svc.list_api_keys,
    query=PagedQuery,
    response=ApiKeyListItem,
    array=True,
    path_types={"id": "string"},
)
users.op(
    "post",
    "/users/{id}/api_keys",
    "Mint an API key",
    svc.create_api_key,
    body=ApiKeyCreate,
    body_name="ApiKeyCreate",
    response=ApiKeyCreated,
    path_types={"id": "string"},
)
users.op(
    "get",
    "/users/{id}/api_keys/{key_id}",
    "Show an API key",
    svc.get_api_key,
    response=ApiKey,
    path_types={"id": "string"},
)
users.op(
    "delete",
    "/users/{id}/api_keys/{key_id}",
    "Revoke an API key",
    svc.revoke_api_key,
    response=ApiKey,
    path_types={"id": "string"},
)
