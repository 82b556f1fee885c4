"""Models of the sub-resources every Civis object repeats: shares, archive, projects,
and the logs and outputs of runs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainSerializer, WrapValidator, create_model

from civis_platform.api._models import QueryModel, RequestModel, ResponseModel


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


class ArchiveUpdate(RequestModel):
    """Body of ``PUT /{resource}/{id}/archive``."""

    status: bool


class UserSummary(ResponseModel):
    """The small user object Civis embeds (authors, owners, members)."""

    id: int | None = None
    name: str | None = None
    username: str | None = None
    initials: str | None = None
    online: bool | None = None


class ProjectListItem(ResponseModel):
    """A project as listed, also the rows of ``GET /{resource}/{id}/projects``."""

    id: int | None = None
    author: UserSummary | None = None
    name: str | None = None
    description: str | None = None
    users: list[UserSummary] = Field(default_factory=list)
    auto_share: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    archived: bool | None = None


class ObjectProjectsQuery(QueryModel):
    """Filter of ``GET /{resource}/{id}/projects``."""

    hidden: bool | None = None


class TransferUpdate(RequestModel):
    """Body of ``PUT /{resource}/{id}/transfer``."""

    user_id: int
    include_dependencies: bool
    email_body: str | None = None
    send_email: bool | None = None


class TransferDependency(ResponseModel):
    """An object the transferred one depends on."""

    object_type: str | None = None
    fco_type: str | None = None
    id: int | None = None
    name: str | None = None
    permission_level: str | None = None
    description: str | None = None
    shared: bool | None = None


class Transfer(ResponseModel):
    """Result of a transfer."""

    dependencies: list[TransferDependency] = Field(default_factory=list)


def _keep(value: Any, _handler: Any) -> Any:
    return value


# A JSONValue output's ``value`` is any JSON value, returned as stored (spec: string).
RawJSON = Annotated[str | None, WrapValidator(_keep), PlainSerializer(lambda v: v, return_type=Any)]


class JobOutput(ResponseModel):
    """One output of a run."""

    object_type: str | None = None
    object_id: int | None = None
    name: str | None = None
    link: str | None = None
    value: RawJSON = None


class RunLog(ResponseModel):
    """One log line."""

    id: int | None = None
    created_at: str | None = None
    message: str | None = None
    level: str | None = None


class CancelAnswer(ResponseModel):
    """The answer of ``POST /imports/{id}/cancel`` and ``POST /scripts/{id}/cancel``."""

    id: int | None = None
    state: str | None = None
    is_cancel_requested: bool | None = None


class LogQuery(QueryModel):
    """``GET /{resource}/{id}/runs/{run_id}/logs``: lines after ``last_id``, at most ``limit``."""

    last_id: int | None = None
    limit: int | None = None


def run_model(
    name: str, parent_field: str, doc: str, **extra: tuple[Any, Any]
) -> type[ResponseModel]:
    """A run as a typed job shows it (``JobKind.run_view``): ``id``, the field naming its
    job (``parent_field``), its state and times, then the ``extra`` fields in order.

    Examples:
        >>> QueryRun = run_model("QueryRun", "query_id", "A run of a query.")
        >>> list(QueryRun.model_fields)[:3]
        ['id', 'query_id', 'state']
    """
    fields: dict[str, Any] = {
        "id": (int | None, None),
        parent_field: (int | None, None),
        "state": (str | None, None),
        "is_cancel_requested": (bool | None, None),
        "created_at": (str | None, None),
        "started_at": (str | None, None),
        "finished_at": (str | None, None),
        "error": (str | None, None),
    }
    model: type[ResponseModel] = create_model(  # type: ignore[call-overload]
        name, __base__=ResponseModel, __doc__=doc, **fields, **extra
    )
    return model
