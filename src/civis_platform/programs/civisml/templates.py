"""The CivisML templates as data, for the template library to seed at ``init``.

Each entry is a template script backed by a container script that runs one CivisML
program in the default runtime image. The official client finds them only through
their ``civis-civisml-*`` aliases (``object_type=template_script``), and turns on its
modern behaviour for template ids above 10583 (contract 6.1: feather uploads,
``VALIDATION_DATA``/``N_JOBS``, ``TARGET_COLUMN`` for prediction), so the ids are fixed.

Examples:
    >>> [t.alias for t in TEMPLATES]
    ['civis-civisml-training', 'civis-civisml-prediction', 'civis-civisml-registration']
    >>> all(t.id > 10583 for t in TEMPLATES)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civis_platform.programs.containers import DEFAULT_IMAGE


@dataclass(frozen=True)
class TemplateEntry:
    """One CivisML template: id, name, alias, the command it runs, and its params."""

    id: int
    name: str
    alias: str
    program: str
    params: tuple[dict[str, Any], ...]
    image: str = DEFAULT_IMAGE
    required_resources: tuple[tuple[str, int], ...] = (("cpu", 1000), ("memory", 4096))

    @property
    def command(self) -> str:
        return f"python -m civis_platform.programs.civisml {self.program}"

    @property
    def note(self) -> str:
        return (
            f"CivisML {self.program}: python -m civis_platform.programs.civisml {self.program} "
            "in the default image. See docs/ml.md for its arguments and outputs."
        )

    def container(self) -> dict[str, Any]:
        """The backing container script's configuration."""
        return {
            "docker_command": self.command,
            "docker_image_name": self.image,
            "params": [dict(p) for p in self.params],
            "required_resources": dict(self.required_resources),
        }


def _param(name: str, type_: str = "string", default: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": name,
        "type": type_,
        "required": False,
        "default": default,
        **extra,
    }


_DATA = (
    _param("TABLE_NAME"),
    _param("CIVIS_FILE_ID", "integer"),
    _param("DB", "database"),
    _param("WHERESQL"),
    _param("LIMITSQL"),
    _param("PRIMARY_KEY"),
    _param("N_JOBS", "integer"),
    _param("DEBUG", "bool", False),
)

TRAINING = TemplateEntry(
    id=11219,
    name="CivisML Training",
    alias="civis-civisml-training",
    program="train",
    params=(
        *_DATA,
        _param("MODEL", default="sparse_logistic"),
        _param("TARGET_COLUMN"),
        _param("EXCLUDE_COLS"),
        _param("PARAMS", default="{}"),
        _param("CVPARAMS", default="{}"),
        _param("CALIBRATION"),
        _param("ETL"),
        _param("FIT_PARAMS"),
        _param("OOSTABLE"),
        _param("OOSDB", "database"),
        _param("IF_EXISTS", default="fail"),
        _param("VALIDATION_DATA", default="train"),
        _param("DEPENDENCIES"),
        _param("GIT_CRED", "credential_custom"),
        _param("REQUIRED_CPU", "integer"),
        _param("REQUIRED_MEMORY", "integer"),
        _param("REQUIRED_DISK_SPACE", "integer"),
    ),
)
PREDICTION = TemplateEntry(
    id=11220,
    name="CivisML Prediction",
    alias="civis-civisml-prediction",
    program="predict",
    params=(
        *_DATA,
        _param("TRAIN_JOB", "integer"),
        _param("TRAIN_RUN", "integer"),
        _param("TARGET_COLUMN"),
        _param("OUTPUT_TABLE"),
        _param("OUTPUT_DB", "database"),
        _param("IF_EXISTS", default="fail"),
        _param("MANIFEST", "integer"),
        _param("CPU", "integer"),
        _param("MEMORY", "integer"),
        _param("DISK_SPACE", "integer"),
    ),
)
REGISTRATION = TemplateEntry(
    id=11221,
    name="CivisML Registration",
    alias="civis-civisml-registration",
    program="register",
    params=(
        _param("MODEL_FILE_ID"),
        _param("SKIP_MODEL_CHECK", "bool", False),
        _param("TARGET_COLUMN"),
        _param("FEATURE_COLUMNS"),
        _param("DEPENDENCIES"),
        _param("GIT_CRED", "credential_custom"),
        _param("DEBUG", "bool", False),
    ),
)
TEMPLATES = (TRAINING, PREDICTION, REGISTRATION)
