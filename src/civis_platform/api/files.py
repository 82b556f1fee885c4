"""``/files``: the declared routes and their request and response models.

File contents move over the storage routes (`api.storage`), whose presigned URLs the
services here hand out.
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel, RequestModel, ResponseModel
from civis_platform.api._subresources import UserSummary
from civis_platform.services import files as svc

# ------------------------------------------------------------------------- models


class _FileBody(RequestModel):
    """Bodies where ``expiresAt: null`` means "never expires", not "not given"."""

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_not_given(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kept = {k: v for k, v in data.items() if v is not None}
        for key in ("expires_at", "expiresAt"):
            if key in data and data[key] is None:
                kept["expires_at"] = None
                kept.pop("expiresAt", None)
        return kept


class FileCreate(_FileBody):
    """Body of ``POST /files``."""

    name: str
    expires_at: str | None = None
    description: str | None = None


class MultipartCreate(_FileBody):
    """Body of ``POST /files/multipart``."""

    name: str
    expires_at: str | None = None
    description: str | None = None
    num_parts: int


class FileReplace(_FileBody):
    """Body of ``PUT /files/{id}`` (``expiresAt`` may be null: never expires)."""

    name: str
    expires_at: str | None
    description: str | None = None


class FilePatch(_FileBody):
    """Body of ``PATCH /files/{id}``."""

    name: str | None = None
    expires_at: str | None = None
    description: str | None = None


class _FileBase(ResponseModel):
    """The leading properties every file answer shares, in the reference's order."""

    id: int | None = None
    name: str | None = None
    created_at: str | None = None
    file_size: int | None = None
    expires_at: str | None = None
    description: str | None = None


class FilePost(_FileBase):
    """Answer of ``POST /files``: where and how to upload the contents."""

    upload_url: str | None = None
    upload_fields: dict[str, Any] | None = None
    my_permission_level: str | None = None


class MultipartPost(_FileBase):
    """Answer of ``POST /files/multipart``: one upload URL per part."""

    upload_urls: list[str] | None = None


class File(_FileBase):
    """A file; ``fileUrl`` is null until uploaded and once expired."""

    author: UserSummary | None = None
    download_url: str | None = None
    file_url: str | None = None
    detected_info: dict[str, Any] | None = None
    my_permission_level: str | None = None


class FileQuery(QueryModel):
    """Query of ``GET /files/{id}``."""

    link_expires_at: str | None = None
    inline: bool | None = None


class DependenciesQuery(QueryModel):
    """Query of ``GET /files/{id}/dependencies``."""

    user_id: int | None = None


class Dependency(ResponseModel):
    """An object this one depends on (files depend on nothing)."""

    object_type: str | None = None
    fco_type: str | None = None
    id: int | None = None
    name: str | None = None
    permission_level: str | None = None
    description: str | None = None
    shareable: bool | None = None


files = Resource("files")
files.op(
    "post",
    "/files/",
    "Initiate an upload of a file into the platform",
    svc.create_file,
    body=FileCreate,
    body_name="FileCreate",
    response=FilePost,
    status=201,
)
files.op(
    "post",
    "/files/multipart",
    "Initiate a multipart upload",
    svc.create_multipart,
    body=MultipartCreate,
    body_name="FileMultipartCreate",
    response=MultipartPost,
    status=201,
)
files.op(
    "post",
    "/files/multipart/{id}/complete",
    "Complete a multipart upload",
    svc.complete_multipart,
    status=204,
)
files.op(
    "get",
    "/files/{id}",
    "Get details about a file",
    svc.get_file,
    query=FileQuery,
    response=File,
)
files.op(
    "put",
    "/files/{id}",
    "Update details about a file",
    svc.update_file,
    body=FileReplace,
    body_name="FileReplace",
    response=File,
)
files.op(
    "patch",
    "/files/{id}",
    "Update details about a file",
    svc.update_file,
    body=FilePatch,
    body_name="FilePatch",
    body_required=False,
    response=File,
)
files.op(
    "get",
    "/files/{id}/dependencies",
    "List dependent objects for this object",
    svc.list_dependencies,
    query=DependenciesQuery,
    response=Dependency,
    array=True,
)
files.shares(svc.KIND, level_noun="a file")
files.transfer(svc.KIND)
files.projects(svc.KIND)
