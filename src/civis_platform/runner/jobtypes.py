"""The job-type table: every fact about a kind of job, declared once.

A job's ``type`` column holds a `JobType.key`. The table says which Civis ``type``
string the API reports for it, which resource serves it (its path and the run field
that points back at the job), which program runs it, whether that program runs users'
own code (then it runs sandboxed, `runner.sandbox`, or on Dask), what its typed
configuration is, and how often a run whose worker was lost is retried. Adding a job
type is one entry in `JOB_TYPES`.

Programs are named by ``"module:function"`` and imported on first use, so importing the
table (and so the run engine) imports no program, and no program can register itself as
a side effect of being imported.

Examples:
    >>> JOB_TYPES["container"].civis_type
    'JobTypes::ContainerDocker'
    >>> JOB_TYPES.keys_for_civis_type("JobTypes::SqlRunner")
    ('sql',)
    >>> JOB_TYPES["container"].user_code, JOB_TYPES["sql"].user_code
    (True, False)
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobType:
    """One kind of job (see the module docstring)."""

    key: str
    civis_type: str
    label: str
    program: str  # "package.module:function"
    path: str | None = None  # the resource below the API root that serves it
    parent_field: str | None = None  # the run field naming the job (``containerId``...)
    script_type: str | None = None  # its name in ``GET /scripts?type=`` (scripts only)
    user_code: bool = False
    config: str | None = None  # "package.module:Model", the typed configuration
    retries: int = 0  # requeues of a run whose worker was lost (0: it fails)


@dataclass(frozen=True)
class JobTypes(Mapping[str, JobType]):
    """An immutable table of job types by key, with lazy program lookup."""

    types: tuple[JobType, ...]
    _by_key: dict[str, JobType] = field(init=False, repr=False, compare=False)
    _loaded: dict[str, Callable[..., Any]] = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key = {t.key: t for t in self.types}
        if len(by_key) != len(self.types):
            raise ValueError("job type keys must be unique")
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_loaded", {})
        object.__setattr__(self, "_lock", threading.Lock())

    def __getitem__(self, key: str) -> JobType:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def with_types(self, *extra: JobType) -> JobTypes:
        """This table plus ``extra`` entries (tests declare throwaway job types)."""
        return JobTypes(self.types + tuple(extra))

    def civis_type(self, key: str) -> str:
        """The Civis ``type`` string of a key (the key itself when unknown)."""
        job_type = self._by_key.get(key)
        return job_type.civis_type if job_type is not None else key

    def keys_for_civis_type(self, civis_type: str) -> tuple[str, ...]:
        """The keys whose jobs the API reports as ``civis_type``."""
        return tuple(t.key for t in self.types if t.civis_type == civis_type)

    def user_code_keys(self) -> frozenset[str]:
        """Keys of the job types whose programs run users' own code."""
        return frozenset(t.key for t in self.types if t.user_code)

    def scripts(self) -> tuple[JobType, ...]:
        """The job types ``GET /scripts`` lists."""
        return tuple(t for t in self.types if t.script_type is not None)

    def select(self, names: Iterable[str]) -> frozenset[str]:
        """Keys named by a worker's setting: keys, ``user-code``, ``platform`` or ``all``.

        Examples:
            >>> sorted(JOB_TYPES.select(["user-code"]))
            ['container', 'custom', 'python3']
        """
        chosen: set[str] = set()
        for name in names:
            if name == "all":
                chosen |= set(self)
            elif name == "user-code":
                chosen |= self.user_code_keys()
            elif name == "platform":
                chosen |= set(self) - self.user_code_keys()
            elif name in self._by_key:
                chosen.add(name)
            else:
                raise ValueError(
                    f"unknown job type {name!r} (known: {', '.join(self)}, user-code, "
                    "platform, all)"
                )
        return frozenset(chosen)

    def program(self, key: str) -> Callable[..., Any]:
        """The program of a key, imported on first use."""
        with self._lock:
            loaded = self._loaded.get(key)
            if loaded is None:
                loaded = load_object(self[key].program)
                self._loaded[key] = loaded
            return loaded

    def config_model(self, key: str) -> Any:
        """The typed configuration model of a key, or None for a plain JSON object."""
        spec = self[key].config
        return None if spec is None else load_object(spec)


def load_object(path: str) -> Any:
    """The object a ``"module:attribute"`` path names.

    Examples:
        >>> load_object("json:dumps").__name__
        'dumps'
    """
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"not a module:attribute path: {path!r}")
    return getattr(importlib.import_module(module), name)


_PROGRAMS = "civis_platform.programs"

JOB_TYPES = JobTypes(
    (
        JobType(
            key="sql",
            civis_type="JobTypes::SqlRunner",
            label="SQL script",
            program=f"{_PROGRAMS}.sql:run_sql_script",
            path="scripts/sql",
            parent_field="sql_id",
            script_type="sql",
        ),
        JobType(
            key="query",
            civis_type="JobTypes::Query",
            label="Query",
            program=f"{_PROGRAMS}.sql:run_query",
            path="queries",
            parent_field="query_id",
        ),
        JobType(
            key="container",
            civis_type="JobTypes::ContainerDocker",
            label="Container script",
            program=f"{_PROGRAMS}.containers:prepare_container",
            path="scripts/containers",
            parent_field="container_id",
            script_type="containers",
            user_code=True,
            config=f"{_PROGRAMS}.containers:ContainerConfig",
        ),
        JobType(
            key="python3",
            civis_type="JobTypes::PythonDocker",
            label="Python script",
            program=f"{_PROGRAMS}.python:prepare_python",
            path="scripts/python3",
            parent_field="python_id",
            script_type="python3",
            user_code=True,
            config=f"{_PROGRAMS}.python:PythonConfig",
        ),
        JobType(
            key="custom",
            civis_type="Custom",
            label="Custom script",
            program=f"{_PROGRAMS}.custom:prepare_custom",
            path="scripts/custom",
            parent_field="custom_id",
            script_type="custom",
            user_code=True,
        ),
        JobType(
            key="csv_preprocess",
            civis_type="JobTypes::CsvPreprocess",
            label="Preprocess CSV",
            program=f"{_PROGRAMS}.imports:run_preprocess",
            path="files/preprocess/csv",
            retries=1,  # it only writes a new file: safe to run again
        ),
        JobType(
            key="csv_import",
            civis_type="JobTypes::CsvImport",
            label="CSV Import",
            program=f"{_PROGRAMS}.imports:run_csv_import",
            path="imports/files/csv",
            parent_field="csv_import_id",
        ),
        JobType(
            key="dbsync",
            civis_type="JobTypes::Import",  # what the reference's examples show for /imports
            label="Import",
            program=f"{_PROGRAMS}.imports:run_dbsync",
            path="imports",
            parent_field="import_id",
        ),
    )
)
