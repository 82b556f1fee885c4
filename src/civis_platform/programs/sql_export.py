"""A SQL script's export: the result of its last query as CSV files with run outputs.

One file (``csv_settings`` as Civis reads them: header and gzip by default), or, with
``force_multifile`` (or when the single file outgrows ``max_file_size``), parts without
a header plus a JSON manifest listing them, which ``civis_to_multifile_csv`` reads as
the run's first output. Rows stream from the warehouse to a spool file and from there
to the blob store: memory stays constant whatever the size of the result.

Every CSV file carries ``detectedInfo`` (header, delimiter, compression and the result's
columns with their SQL types), so a client can parse it with the right types.

``fileFormat`` (a civis-platform extension of ``csv_settings``, see docs/data.md)
``"parquet"`` or ``"arrow"`` exports one Parquet file or Arrow IPC stream instead, with
the same ``tableColumns``.

Examples:
    >>> parse_csv_settings({"column_delimiter": "pipe", "compression": "none"}).delimiter
    '|'
    >>> parse_csv_settings({"column_delimiter": "semicolon"})
    Traceback (most recent call last):
    ...
    ValueError: columnDelimiter must be one of comma, tab, pipe.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pyarrow as pa

from civis_platform.runner.host import Host
from civis_platform.warehouse import CsvFormat, Warehouse, sql_type_of_arrow

DELIMITERS = {"comma": ",", "tab": "\t", "pipe": "|"}
COMPRESSIONS = ("gzip", "zip", "none")
# fileFormat (a civis-platform extension): the typed formats' file name suffixes. Arrow
# is the IPC stream format, whose registered suffix is .arrows.
TYPED_SUFFIXES = {"parquet": ".parquet", "arrow": ".arrows"}
FILE_FORMATS = ("csv", *TYPED_SUFFIXES)
MB = 1 << 20
# A forced multifile export without ``max_file_size`` splits at this size.
DEFAULT_PART_SIZE_MB = 1024
MAX_PART_SIZE_MB = 1 << 20


@dataclass(frozen=True)
class ExportSettings:
    """Parsed ``csv_settings`` (``max_file_size`` in MB, as Civis takes it)."""

    include_header: bool = True
    compression: str = "gzip"
    column_delimiter: str = "comma"
    unquoted: bool = False
    force_multifile: bool = False
    filename_prefix: str | None = None
    max_file_size: int | None = None
    file_format: str = "csv"

    @property
    def delimiter(self) -> str:
        """The delimiter character."""
        return DELIMITERS[self.column_delimiter]

    def as_dict(self) -> dict[str, Any]:
        """The settings with their defaults filled in, as the script shows them."""
        return {
            "include_header": self.include_header,
            "compression": self.compression,
            "column_delimiter": self.column_delimiter,
            "unquoted": self.unquoted,
            "force_multifile": self.force_multifile,
            "filename_prefix": self.filename_prefix,
            "max_file_size": self.max_file_size,
            "file_format": self.file_format,
        }


def _flag(settings: Mapping[str, Any], name: str, field: str, default: bool) -> bool:
    value = settings.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be a boolean.")
    return value


def parse_csv_settings(settings: Mapping[str, Any] | None) -> ExportSettings:
    """`ExportSettings` from a ``csv_settings`` map (snake_case keys, nulls = defaults).

    Raises ``ValueError`` naming the camelCase field on a bad value.
    """
    settings = settings or {}
    compression = settings.get("compression") or "gzip"
    if compression not in COMPRESSIONS:
        raise ValueError("compression must be one of gzip, zip, none.")
    delimiter = settings.get("column_delimiter") or "comma"
    if delimiter not in DELIMITERS:
        raise ValueError("columnDelimiter must be one of comma, tab, pipe.")
    prefix = settings.get("filename_prefix")
    if prefix is not None and (not isinstance(prefix, str) or "/" in prefix):
        raise ValueError("filenamePrefix must be a file name prefix (no '/').")
    size = settings.get("max_file_size")
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PART_SIZE_MB
    ):
        raise ValueError(f"maxFileSize must be a whole number of MB from 1 to {MAX_PART_SIZE_MB}.")
    file_format = settings.get("file_format") or "csv"
    if file_format not in FILE_FORMATS:
        raise ValueError(f"fileFormat must be one of {', '.join(FILE_FORMATS)}.")
    force_multifile = _flag(settings, "force_multifile", "forceMultifile", False)
    if file_format != "csv" and force_multifile:
        raise ValueError(f"forceMultifile is not available with fileFormat {file_format}.")
    return ExportSettings(
        include_header=_flag(settings, "include_header", "includeHeader", True),
        compression=compression,
        column_delimiter=delimiter,
        unquoted=_flag(settings, "unquoted", "unquoted", False),
        force_multifile=force_multifile,
        filename_prefix=prefix or None,
        max_file_size=size,
        file_format=file_format,
    )


def result_columns(warehouse: Warehouse, sql: str) -> list[dict[str, str]]:
    """The result's columns with their SQL types (``tableColumns`` of ``detectedInfo``).

    The query is planned, not run: ``LIMIT 0`` around it yields the schema and no rows.
    """
    reader = warehouse.read_arrow(f"SELECT * FROM ({sql}\n) AS __q LIMIT 0")
    schema: pa.Schema = reader.schema
    reader.read_all()  # drain, so the warehouse releases its cursor
    return [{"name": f.name, "sqlType": sql_type_of_arrow(f.type)} for f in schema]


def _suffix(compression: str) -> str:
    return {"gzip": ".csv.gz", "zip": ".csv.zip", "none": ".csv"}[compression]


def _zip(path: Path, arcname: str) -> Path:
    """``path`` zipped into ``path.zip`` (one member, deflated, streamed from disk)."""
    zipped = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, arcname)
    return zipped


class SqlExport:
    """Exports one query's result for one run into files, and records the outputs."""

    def __init__(self, run: Host, warehouse: Warehouse, settings: ExportSettings) -> None:
        self.run = run
        self.warehouse = warehouse
        self.settings = settings
        self.base = settings.filename_prefix or f"sql_script_{run.job_id}_run_{run.run_id}"

    def _format(self, include_header: bool) -> CsvFormat:
        # A zip is made from the plain CSV afterwards; the engines write gzip or none.
        compression: Literal["gzip", "none"] = (
            "gzip" if self.settings.compression == "gzip" else "none"
        )
        return CsvFormat(
            include_header=include_header,
            delimiter=self.settings.delimiter,
            compression=compression,
            unquoted=self.settings.unquoted,
        )

    def _detected(self, include_header: bool, columns: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "includeHeader": include_header,
            "columnDelimiter": self.settings.column_delimiter,
            "compression": self.settings.compression,
            "tableColumns": columns,
        }

    def _store(self, path: Path, name: str, detected: dict[str, Any] | None) -> int:
        zipped = self.settings.compression == "zip" and self.settings.file_format == "csv"
        if zipped and detected is not None:
            path = _zip(path, name.removesuffix(".zip"))
        # The spool is in the blob store's staging folder: storing it is a rename.
        return self.run.owner.store_file(
            name=name,
            source=path,
            detected_info=detected,
        )

    def export(self, sql: str) -> int:
        """Export ``sql``'s result; returns the number of rows written."""
        columns = result_columns(self.warehouse, sql)
        limit = (self.settings.max_file_size or DEFAULT_PART_SIZE_MB) * MB
        with tempfile.TemporaryDirectory(
            prefix=f"civis-export-{self.run.run_id}-",
            dir=self.run.owner.staging_dir(),
        ) as tmp:
            if self.settings.file_format != "csv":
                return self._export_typed(sql, columns, Path(tmp) / "export.typed")
            if not self.settings.force_multifile:
                spool = Path(tmp) / "export.csv"
                with open(spool, "wb") as sink:
                    result = self.warehouse.export_csv(
                        sql, sink, self._format(self.settings.include_header)
                    )
                if self.run.is_cancel_requested():
                    return result.row_count  # cancelled meanwhile: record nothing
                too_big = self.settings.max_file_size is not None and (spool.stat().st_size > limit)
                if not too_big:
                    name = self.base + _suffix(self.settings.compression)
                    detected = self._detected(self.settings.include_header, columns)
                    file_id = self._store(spool, name, detected)
                    self.run.add_output("File", file_id, name)
                    self.run.log(f"Exported {result.row_count} rows to file {file_id} ({name}).")
                    return result.row_count
                spool.unlink()
                self.run.log("The export is larger than maxFileSize: splitting it into parts.")
            return self._export_parts(sql, columns, Path(tmp), limit)

    def _export_typed(self, sql: str, columns: list[dict[str, str]], spool: Path) -> int:
        """One Parquet file or Arrow IPC stream (``fileFormat``): typed, compressed inside,
        so the CSV settings (header, delimiter, quoting, compression, file size) do not
        apply."""
        export = (
            self.warehouse.export_parquet
            if self.settings.file_format == "parquet"
            else self.warehouse.export_arrow
        )
        with open(spool, "wb") as sink:
            result = export(sql, sink)
        if self.run.is_cancel_requested():
            return result.row_count  # cancelled meanwhile: record nothing
        name = self.base + TYPED_SUFFIXES[self.settings.file_format]
        file_id = self._store(spool, name, {"tableColumns": columns})
        self.run.add_output("File", file_id, name)
        self.run.log(f"Exported {result.row_count} rows to file {file_id} ({name}).")
        return result.row_count

    def _export_parts(self, sql: str, columns: list[dict[str, str]], tmp: Path, limit: int) -> int:
        def open_part(index: int) -> BinaryIO:
            return open(tmp / f"part{index:05d}.csv", "wb")

        parts = self.warehouse.export_csv_parts(sql, open_part, self._format(False), limit)
        if self.run.is_cancel_requested():
            return sum(p.row_count for p in parts)  # cancelled meanwhile: record nothing
        entries: list[dict[str, Any]] = []
        for part in parts:
            name = f"{self.base}_{part.index:05d}{_suffix(self.settings.compression)}"
            file_id = self._store(
                tmp / f"part{part.index:05d}.csv", name, self._detected(False, columns)
            )
            url, signed, size = self.run.owner.file_links(file_id)
            entries.append(
                {"id": file_id, "name": name, "size": size, "url": url, "url_signed": signed}
            )
        manifest = {
            "query": sql,
            "header": [c["name"] for c in columns],
            "entries": entries,
            "unquoted": self.settings.unquoted,
            "compression": self.settings.compression,
            "delimiter": self.settings.delimiter,
        }
        manifest_path = tmp / "manifest.json"
        manifest_path.write_text(json.dumps(manifest))
        manifest_name = f"{self.base}_manifest.json"
        manifest_id = self._store(manifest_path, manifest_name, None)
        # The manifest is the first output: civis_to_multifile_csv reads output[0].
        self.run.add_output("File", manifest_id, manifest_name)
        for entry in entries:
            self.run.add_output("File", int(entry["id"]), str(entry["name"]))
        rows = sum(p.row_count for p in parts)
        self.run.log(
            f"Exported {rows} rows to {len(parts)} files; manifest {manifest_id} ({manifest_name})."
        )
        return rows
