"""Column type inference over Arrow batches of CSV text, shared by both engines.

While a CSV streams into a warehouse, the engine hands each parsed batch (all columns
as text) to a `TypeStats`, which keeps, per column, the set of types every value seen
so far fits (`VALUE_PATTERNS`, tested with Arrow's vectorised RE2) and the longest
value in bytes. Types only ever drop out, so a column costs regular expressions only
while it still fits something: a text column stops costing anything after its first
batch, and a column of integers costs one pattern per batch (a value that fits
``integer`` fits ``bigint`` and ``double precision`` too).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ._types import IMPLIED_TYPES, INFERENCE_ORDER, VALUE_PATTERNS, varchar_type
from .base import Column

__all__ = ["TypeStats"]

_ANCHORED = {name: f"^(?:{pattern})$" for name, pattern in VALUE_PATTERNS.items()}
_CHECK_ORDER = list(IMPLIED_TYPES)  # most specific first, so implied types come free


class TypeStats:
    """Running type inference for ``width`` text columns.

    Examples:
        >>> stats = TypeStats(2)
        >>> stats.update(pa.record_batch([pa.array(["1", "", None]), pa.array(["007", "x", "y"])],
        ...                              names=["a", "b"]))
        >>> stats.columns(["a", "b"])
        [Column(name='a', sql_type='integer', nullable=True), \
Column(name='b', sql_type='character varying(16)', nullable=True)]
    """

    def __init__(self, width: int) -> None:
        self.alive: list[set[str]] = [set(INFERENCE_ORDER) for _ in range(width)]
        self.max_bytes: list[int | None] = [None] * width

    def update(self, batch: pa.RecordBatch, *, first_column: int = 0) -> None:
        """Fold a batch in; its columns from ``first_column`` on are the CSV's columns."""
        for i, alive in enumerate(self.alive):
            column = batch.column(first_column + i)
            longest = pc.max(pc.binary_length(column)).as_py()
            if longest is not None:
                current = self.max_bytes[i]
                self.max_bytes[i] = longest if current is None else max(current, longest)
            if alive:
                self._narrow(column, alive)

    @staticmethod
    def _narrow(column: pa.Array, alive: set[str]) -> None:
        blank = pc.fill_null(pc.equal(column, ""), True)  # NULL and '' fit every type
        if pc.all(blank).as_py():
            return
        proven: set[str] = set()
        for name in _CHECK_ORDER:
            if name not in alive or name in proven:
                continue
            fits = pc.or_(
                blank, pc.fill_null(pc.match_substring_regex(column, _ANCHORED[name]), False)
            )
            if pc.all(fits).as_py():
                proven.update((name, *IMPLIED_TYPES[name]))
            else:
                alive.discard(name)

    def columns(self, names: list[str]) -> list[Column]:
        """The inferred columns: the first type of `INFERENCE_ORDER` every value fits,
        else ``character varying(n)`` (also for columns with no value at all)."""
        result = []
        for name, alive, longest in zip(names, self.alive, self.max_bytes, strict=True):
            fitting = [t for t in INFERENCE_ORDER if t in alive]
            # `longest` is 0 or None when no value was anything but NULL or '': text.
            sql_type = fitting[0] if fitting and longest else varchar_type(longest or 0)
            result.append(Column(name, sql_type))
        return result
