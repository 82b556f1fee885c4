"""``/files/preprocess/csv``: CSV preprocessing jobs (their runs go through ``/jobs``).

A sibling of the ``files`` resource in ``api/files.py``: routes are grouped by path when
installed and in the spec, so two `Resource` objects may share a first segment.
"""

from __future__ import annotations

from civis_platform.api._generic import Resource
from civis_platform.api._models import RequestModel, ResponseModel
from civis_platform.services import preprocess as svc


class PreprocessCsvUpdate(RequestModel):
    """Body of ``PUT /files/preprocess/csv/{id}``."""

    file_id: int
    in_place: bool | None = None
    detect_table_columns: bool | None = None
    force_character_set_conversion: bool | None = None
    include_header: bool | None = None
    column_delimiter: str | None = None


class PreprocessCsvCreate(PreprocessCsvUpdate):
    """Body of ``POST /files/preprocess/csv``: the ``PUT`` body and ``hidden``."""

    hidden: bool | None = None


class PreprocessCsvPatch(RequestModel):
    """Body of ``PATCH /files/preprocess/csv/{id}``."""

    file_id: int | None = None
    in_place: bool | None = None
    detect_table_columns: bool | None = None
    force_character_set_conversion: bool | None = None
    include_header: bool | None = None
    column_delimiter: str | None = None


class PreprocessCsv(ResponseModel):
    """A preprocess job."""

    id: int | None = None
    file_id: int | None = None
    in_place: bool | None = None
    detect_table_columns: bool | None = None
    force_character_set_conversion: bool | None = None
    include_header: bool | None = None
    column_delimiter: str | None = None
    hidden: bool | None = None


files_preprocess = Resource("files")
base = "/files/preprocess/csv"
files_preprocess.op(
    "post",
    base,
    "Create a Preprocess CSV",
    svc.create_preprocess,
    body=PreprocessCsvCreate,
    body_name="PreprocessCsvCreateRequest",
    response=PreprocessCsv,
    status=201,
)
files_preprocess.op(
    "get", f"{base}/{{id}}", "Get a Preprocess CSV", svc.get_preprocess, response=PreprocessCsv
)
files_preprocess.op(
    "put",
    f"{base}/{{id}}",
    "Replace all attributes of this Preprocess CSV",
    svc.replace_preprocess,
    body=PreprocessCsvUpdate,
    body_name="PreprocessCsvUpdateRequest",
    response=PreprocessCsv,
)
files_preprocess.op(
    "patch",
    f"{base}/{{id}}",
    "Update some attributes of this Preprocess CSV",
    svc.update_preprocess,
    body=PreprocessCsvPatch,
    body_name="PreprocessCsvPatchRequest",
    body_required=False,
    response=PreprocessCsv,
)
files_preprocess.archive_and_delete(
    svc.set_archived, svc.archive_preprocess, PreprocessCsv, noun="Preprocess CSV", prefix=base
)
