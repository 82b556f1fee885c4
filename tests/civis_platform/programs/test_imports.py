"""The import programs' pure rules, by table: paths, sync modes, text checks, types.

The programs' runs themselves are driven over HTTP in ``tests/civis_platform/api``
(``test_preprocess_csv.py``, ``test_imports_csv.py``, ``test_dbsync.py``).
"""

from __future__ import annotations

import gzip
import io
from typing import Any

import pytest

from civis_platform.programs.imports import (
    _text_sample,
    check_csv_text,
    check_row_widths,
    loosen_type,
    split_table_path,
    sync_mode,
)
from civis_platform.runner.host import ProgramError


@pytest.mark.parametrize(
    "path, expected",
    [
        ("a.b", ("a", "b")),
        ("a.b.c", ("a", "b.c")),
        ('"a"."b"', ("a", "b")),
        (" s.t ", ("s", "t")),
    ],
)
def test_split_table_path(path: str, expected: tuple[str, str]) -> None:
    assert split_table_path(path, "source.path") == expected


@pytest.mark.parametrize("path", ["", "table", ".t", "s.", None])
def test_split_table_path_refuses(path: Any) -> None:
    with pytest.raises(ProgramError, match=r"source\.path must be schema\.table"):
        split_table_path(path, "source.path")


@pytest.mark.parametrize(
    "options, expected",
    [
        ({}, ("drop", None)),
        ({"existing_table_rows": "append"}, ("append", None)),
        ({"existing_table_rows": "upsert", "identity_column": "a, b"}, ("upsert", ["a", "b"])),
        ({"wipe_destination_table": True}, ("drop", None)),
        ({"wipe_destination_table": True, "existing_table_rows": "truncate"}, ("truncate", None)),
        ({"identity_column": "id"}, ("upsert", ["id"])),
        ({"identity_column": ""}, ("drop", None)),
    ],
)
def test_sync_mode(options: dict[str, Any], expected: tuple[str, list[str] | None]) -> None:
    assert sync_mode(options) == expected


def test_sync_mode_refuses_unknown_modes() -> None:
    with pytest.raises(ProgramError, match="existing_table_rows must be one of"):
        sync_mode({"existing_table_rows": "merge"})


@pytest.mark.parametrize(
    "data, complete, force, expected",
    [
        (b"a,b\n1,2\n", True, False, ("a,b\n1,2\n", "utf-8")),
        (b"\xef\xbb\xbfa\n", True, False, ("a\n", "utf-8")),
        (b"a,b\n1,2\n3,", False, False, ("a,b\n1,2\n", "utf-8")),  # cut at a line end
        (b"caf\xe9\n", True, True, ("caf\u00e9\n", "cp1252")),  # not UTF-8, forced
        (b"\x81x\n", True, True, ("x\n", "cp1252")),  # undefined in cp1252: dropped
        (b"a\n\xe2\x98", False, False, ("a\n", "utf-8")),  # a character cut by the end
    ],
)
def test_check_csv_text(
    data: bytes, complete: bool, force: bool, expected: tuple[str, str]
) -> None:
    assert check_csv_text(data, complete, 1, force=force) == expected


@pytest.mark.parametrize(
    "data, force, message",
    [
        (b"", False, "is empty"),
        (b"  \n", False, "is empty"),
        (b"a\x00b", True, "binary data"),
        (b"caf\xe9\n", False, "not UTF-8"),
    ],
)
def test_check_csv_text_refuses(data: bytes, force: bool, message: str) -> None:
    with pytest.raises(ProgramError, match=message):
        check_csv_text(data, True, 1, force=force)


@pytest.mark.parametrize(
    "text, delimiter",
    [("a,b\n1,2\n", ","), ('a,b\n"x\ny",2\n', ","), ("a\tb\n1\t2\n\n", "\t"), ("", ",")],
)
def test_check_row_widths_accepts(text: str, delimiter: str) -> None:
    check_row_widths(text, delimiter, 1)


def test_check_row_widths_names_the_line() -> None:
    with pytest.raises(ProgramError, match="line 3 has 1 fields, but line 1 has 2"):
        check_row_widths("a,b\n1,2\n3\n", ",", 9)


@pytest.mark.parametrize(
    "given, loosened",
    [
        ("character varying(16)", "character varying"),
        ("VARCHAR(3)", "character varying"),
        ("text", "character varying"),
        ("integer", "bigint"),
        ("date", "date"),
        ("real", "double precision"),
        ("numeric(10,2)", "numeric(10,2)"),
    ],
)
def test_loosen_type(given: str, loosened: str) -> None:
    assert loosen_type(given) == loosened


def test_text_sample_reads_gzip_and_plain() -> None:
    data = b"a,b\n" * 10
    assert _text_sample(io.BytesIO(gzip.compress(data)), 1) == (data, True, True)
    assert _text_sample(io.BytesIO(data), 1) == (data, True, False)
    with pytest.raises(ProgramError, match="not a valid gzip file"):
        _text_sample(io.BytesIO(gzip.compress(data)[:12]), 1)
