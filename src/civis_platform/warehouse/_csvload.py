"""One CSV load, inside a warehouse's transaction: stage, infer, check, insert.

`SqlWarehouse.import_csv` drives a `CsvLoad`: every source is copied as text into a
staging table (``__row`` then ``c0, c1, ...``) by the engine's own fast path, which
also feeds the rows to a `TypeStats` when types are to be inferred; then plain SQL,
written once here for both engines, finds values that do not fit (naming their line
and column) and inserts the cast rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from . import _csv
from ._inference import TypeStats
from ._sqltext import quote_ident
from ._types import canonical_type, is_text_type
from .base import Column, CsvImportError, WarehouseError

if TYPE_CHECKING:
    from ._sql import SqlWarehouse

__all__ = ["CsvLoad", "Staged", "cast_select_from"]


@dataclass(frozen=True)
class Staged:
    """Where one CSV source landed in the staging table: first row number and count."""

    source: int
    first_row: int
    rows: int
    header: bool


def cast_select_from(source: str, target: list[Column]) -> str:
    """SELECT of text columns ``c0, c1, ...`` of ``source`` (a table or a table function)
    cast to ``target``: text as is, other types from their text with '' as NULL.

    Examples:
        >>> print(cast_select_from("s", [Column("n", "integer"), Column("t", "varchar")]))
        SELECT CAST(NULLIF(c0, '') AS integer) AS "n", c1 AS "t" FROM s
    """
    exprs = []
    for i, column in enumerate(target):
        name = quote_ident(column.name)
        if is_text_type(column.sql_type):
            exprs.append(f"c{i} AS {name}")
        else:
            sql_type = canonical_type(column.sql_type)
            exprs.append(f"CAST(NULLIF(c{i}, '') AS {sql_type}) AS {name}")
    return f"SELECT {', '.join(exprs)} FROM {source}"


@dataclass
class CsvLoad:
    """The state of one `import_csv`: the engine, its cursor, the staging table.

    Used as ``names = load.stage(...)``; ``columns = load.infer(names)`` when no
    columns were given; ``load.insert(...)``; ``load.drop()`` (see
    `SqlWarehouse.import_csv`).
    """

    engine: SqlWarehouse
    cur: Any
    staging: str = field(default_factory=lambda: f"__staging_{uuid.uuid4().hex[:12]}")
    staged: list[Staged] = field(default_factory=list)
    stats: TypeStats | None = None

    @property
    def total_rows(self) -> int:
        """Rows staged from all sources."""
        return sum(s.rows for s in self.staged)

    def drop(self) -> None:
        """Drop the staging table (a rollback would drop it too)."""
        self.cur.execute(f"DROP TABLE {self.staging}")

    def stage(
        self,
        sources: Sequence[BinaryIO],
        columns: list[Column] | None,
        header: bool,
        delimiter: str,
        compression: str,
        *,
        infer: bool = False,
    ) -> list[str]:
        """Stage every source in order; return the column names (header or generated).

        With ``infer``, the engine also feeds every row to a `TypeStats` on the way.
        """
        cur, staging = self.cur, self.staging
        names: list[str] | None = None
        staged: list[Staged] = []
        next_row = 1
        for index, source in enumerate(sources):
            stream = _csv.open_source(source, compression)
            fields, raw, rest = _csv.split_first_record(stream, delimiter)
            if fields is None:
                staged.append(Staged(index, next_row, 0, header))
                continue
            if names is None:
                if header:
                    names = [f.strip() or f"column_{i + 1}" for i, f in enumerate(fields)]
                else:
                    names = [f"column_{i + 1}" for i in range(len(fields))]
                if columns is not None and header is False:
                    names = [c.name for c in columns] if len(columns) == len(names) else names
                self.engine._create_staging(cur, staging, names)
                if infer:
                    self.stats = TypeStats(len(names))
            elif len(fields) != len(names):
                raise CsvImportError(
                    f"source {index + 1}, line 1: expected {len(names)} columns, "
                    f"found {len(fields)}"
                )
            data = rest if header else _csv.reattach(raw, rest)
            try:
                rows = self.engine._stage_csv(
                    cur,
                    staging,
                    names,
                    data,
                    delimiter,
                    next_row,
                    1 if header else 0,
                    self.stats,
                )
            except WarehouseError as exc:
                raise CsvImportError(f"source {index + 1}: {exc}") from exc
            except Exception as exc:
                translated = self.engine._translate(exc)
                if translated is None:
                    raise
                raise CsvImportError(f"source {index + 1}: {translated}") from exc
            staged.append(Staged(index, next_row, rows, header))
            next_row += rows
        if names is None:
            raise CsvImportError("the CSV sources are empty")
        self.staged = staged
        return names

    def infer(self, names: list[str]) -> list[Column]:
        """The column types inferred while staging (`stage` with ``infer=True``)."""
        if self.stats is None:
            raise RuntimeError("stage() was called without infer=True")
        return self.stats.columns(names)

    def insert(self, insert: str, target: list[Column], max_errors: int) -> int:
        """Insert the staged rows cast to ``target``; return how many were rejected.

        Checking every value costs a scan; where the engine has savepoints we first try
        the plain INSERT and check only if it fails (to name the line and column, or to
        skip up to ``max_errors`` rows).
        """
        cur = self.cur
        savepoint = self.engine._savepoint(cur)
        if savepoint is not None:
            try:
                with savepoint:
                    cur.execute(insert + self.cast_select(target, checked=False))
                return 0
            except Exception as exc:
                if self.engine._translate(exc) is None:
                    raise
        rejected = self._check_values(target, max_errors)
        cur.execute(insert + self.cast_select(target, checked=rejected > 0))
        return rejected

    def value_checks(self, target: list[Column]) -> list[str]:
        """Per column, SQL true when the staged value fits the target column's type."""
        checks = []
        for i, column in enumerate(target):
            col = f"c{i}"
            if is_text_type(column.sql_type):
                valid = self.engine._sql_is_valid(col, column.sql_type)
                checks.append(f"({col} IS NULL OR {valid})")
            else:
                valid = self.engine._sql_is_valid(f"NULLIF({col}, '')", column.sql_type)
                checks.append(f"(NULLIF({col}, '') IS NULL OR {valid})")
        return checks

    def cast_select(self, target: list[Column], *, checked: bool = True) -> str:
        """SELECT of the staged rows cast to ``target``; ``checked`` skips bad rows."""
        select = cast_select_from(self.staging, target)
        if not checked or not target:
            return select
        return f"{select} WHERE {' AND '.join(self.value_checks(target))}"

    def _check_values(self, target: list[Column], max_errors: int) -> int:
        """Count rows whose values do not fit; raise if more than ``max_errors``."""
        cur, staging, staged = self.cur, self.staging, self.staged
        checks = self.value_checks(target)
        if not checks:
            return 0
        all_ok = " AND ".join(checks)
        cur.execute(f"SELECT count(*), min(__row) FROM {staging} WHERE NOT ({all_ok})")
        bad, first = cur.fetchone()
        if not bad or bad <= max_errors:
            return int(bad or 0)
        cols = ", ".join(f"c{i}" for i in range(len(target)))
        cur.execute(f"SELECT {', '.join(checks)}, {cols} FROM {staging} WHERE __row = {first}")
        row = cur.fetchone()
        oks, values = row[: len(target)], row[len(target) :]
        position = next(i for i, ok in enumerate(oks) if not ok)
        column = target[position]
        source = next(s for s in reversed(staged) if s.first_row <= first)
        line = first - source.first_row + 1 + (1 if source.header else 0)
        raise CsvImportError(
            f"source {source.source + 1}, line {line}, column {column.name!r}: "
            f"{values[position]!r} is not a valid {column.sql_type} "
            f"({bad} bad rows, max_errors={max_errors})"
        )
