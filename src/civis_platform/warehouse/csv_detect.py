"""`detect_csv`: what the files/preprocess/csv job reports as a file's ``detectedInfo``.

The official client's ``civis_file_to_table`` reads ``detectedInfo{includeHeader,
columnDelimiter, compression, tableColumns[{name, sqlType}]}`` and builds its import
from it, so the rules here are the same ones the warehouses use when they infer column
types on import (`VALUE_PATTERNS` in `_types`): a file detected here and then imported
with ``columns=None`` gets the same types.

Only a sample is read (``sample_bytes`` of CSV text, cut at the last full line), so
detection costs the same for a kilobyte or a terabyte.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from ._types import INFERENCE_ORDER, VALUE_PATTERNS, varchar_type
from .base import Column

__all__ = ["DEFAULT_SAMPLE_BYTES", "DELIMITER_NAMES", "DetectedInfo", "detect_csv"]

DEFAULT_SAMPLE_BYTES = 1 << 20
DELIMITER_NAMES: dict[str, Literal["comma", "tab", "pipe"]] = {
    ",": "comma",
    "\t": "tab",
    "|": "pipe",
}
_GZIP_MAGIC = b"\x1f\x8b"
_COMPILED = {name: re.compile(pattern) for name, pattern in VALUE_PATTERNS.items()}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .\-]*$")


@dataclass(frozen=True)
class DetectedInfo:
    """Detected facts about a CSV file, named as in Civis's ``detectedInfo``.

    Examples:
        >>> info = detect_csv(io.BytesIO(b"id,name\\n1,ann\\n"))
        >>> info.include_header, info.column_delimiter, info.compression
        (True, 'comma', 'none')
        >>> [(c.name, c.sql_type) for c in info.table_columns]
        [('id', 'integer'), ('name', 'character varying(16)')]
    """

    include_header: bool
    column_delimiter: Literal["comma", "tab", "pipe"]
    compression: Literal["none", "gzip"]
    table_columns: list[Column] = field(default_factory=list)

    @property
    def delimiter(self) -> str:
        """The delimiter character (``,``, tab or ``|``)."""
        return {name: char for char, name in DELIMITER_NAMES.items()}[self.column_delimiter]

    def to_json(self) -> dict[str, object]:
        """The camelCase ``detectedInfo`` object of the Files API."""
        return {
            "includeHeader": self.include_header,
            "columnDelimiter": self.column_delimiter,
            "compression": self.compression,
            "tableColumns": [{"name": c.name, "sqlType": c.sql_type} for c in self.table_columns],
        }


def _read_sample(stream: BinaryIO, sample_bytes: int) -> tuple[bytes, bool, bool]:
    """(text sample cut at a line end, is gzip, whether the sample is the whole file)."""
    head = stream.read(2)
    compressed = head == _GZIP_MAGIC
    rest = stream.read(sample_bytes if not compressed else max(sample_bytes // 4, 1 << 16))
    raw = head + rest
    if compressed:
        # Decompress only what the sample needs; a truncated gzip member is fine here.
        decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        data = decoder.decompress(raw, sample_bytes)
        complete = decoder.eof and not stream.read(1)
    else:
        data = raw
        complete = not stream.read(1)
    if not complete:
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else data
    return data, compressed, complete


def _pick_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most, equally many, fields."""
    lines = [line for line in text.splitlines()[:20] if line]
    best, best_score = ",", (-1, 0)
    for char in DELIMITER_NAMES:
        counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=char)]
        if not counts:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent if counts[0] > 1 else 0, counts[0])
        if score > best_score:
            best, best_score = char, score
    return best


def _value_type(value: str) -> str | None:
    """The narrowest inferable type of one value (``None`` for text)."""
    for name in INFERENCE_ORDER:
        if _COMPILED[name].fullmatch(value):
            return name
    return None


def _column_type(values: list[str]) -> str:
    present = [v for v in values if v != ""]
    if not present:
        return varchar_type(0)
    for name in INFERENCE_ORDER:
        if all(_COMPILED[name].fullmatch(v) for v in present):
            return name
    return varchar_type(max(len(v.encode()) for v in present))


def _looks_like_header(first: list[str], body: list[list[str]]) -> bool:
    """Header heuristics: typed data below text names, or unique identifier-like names."""
    if not first or any(f == "" for f in first):
        return False
    if any(_value_type(f) is not None for f in first):
        return False  # a number, date or boolean is data, not a column name
    for i in range(len(first)):
        if any(_value_type(row[i]) is not None for row in body if i < len(row) and row[i]):
            return True  # a name over typed values
    unique = len(set(first)) == len(first)
    return unique and all(_IDENTIFIER.match(f) for f in first)


def detect_csv(
    stream: BinaryIO,
    *,
    sample_bytes: int = DEFAULT_SAMPLE_BYTES,
    delimiter: str | None = None,
    header: bool | None = None,
) -> DetectedInfo:
    """Detect compression, delimiter, header and column types of a CSV stream.

    ``delimiter`` and ``header``, when given, are taken as facts instead of being
    detected (a user who says "tab" or "no header" knows the file), and the columns
    are read accordingly.

    Reads at most about ``sample_bytes`` (of decompressed text). Types follow the
    import inference: ``boolean``, ``integer``, ``bigint``, ``double precision``,
    ``date``, ``timestamp without time zone``, else ``character varying(n)`` with n
    rounded up to a power of two. Integers written with leading zeros stay text.

    Examples:
        >>> import gzip
        >>> data = gzip.compress(b"zip|when\\n02134|2024-01-02\\n90210|2024-02-03\\n")
        >>> info = detect_csv(io.BytesIO(data))
        >>> info.compression, info.column_delimiter, info.include_header
        ('gzip', 'pipe', True)
        >>> [c.sql_type for c in info.table_columns]
        ['character varying(16)', 'date']
    """
    data, compressed, _ = _read_sample(stream, sample_bytes)
    text = data.decode("utf-8-sig", errors="replace")
    if delimiter is None:
        delimiter = _pick_delimiter(text)
    elif delimiter not in DELIMITER_NAMES:
        raise ValueError(f"unsupported CSV delimiter {delimiter!r}")
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
    if not rows:
        return DetectedInfo(
            True if header is None else header,
            DELIMITER_NAMES[delimiter],
            "gzip" if compressed else "none",
        )
    first, body = rows[0], rows[1:]
    if header is None:
        header = _looks_like_header(first, body)
    data_rows = body if header else rows
    width = len(first)
    names = (
        [name.strip() or f"column_{i + 1}" for i, name in enumerate(first)]
        if header
        else [f"column_{i + 1}" for i in range(width)]
    )
    columns = [
        Column(names[i], _column_type([row[i] if i < len(row) else "" for row in data_rows]))
        for i in range(width)
    ]
    return DetectedInfo(
        include_header=header,
        column_delimiter=DELIMITER_NAMES[delimiter],
        compression="gzip" if compressed else "none",
        table_columns=columns,
    )
