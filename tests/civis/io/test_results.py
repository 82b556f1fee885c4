"""Reading export CSVs: the streaming gzip decoder and the typed Arrow conversion."""

from __future__ import annotations

import gzip
import io
import zlib

import pandas as pd
import pytest

from civis.io._results import GzipReader, read_arrow, to_pandas, to_polars


def test_gzip_reader_many_members_small_reads() -> None:
    payload = b"".join(f"{i},{'x' * (i % 50)}\n".encode() for i in range(50_000))
    members = b"".join(
        gzip.compress(payload[i : i + 70_000]) for i in range(0, len(payload), 70_000)
    )
    reader = io.BufferedReader(GzipReader(io.BytesIO(members)), 4096)
    out = bytearray()
    while chunk := reader.read(1000):
        out += chunk
    assert bytes(out) == payload


def test_gzip_reader_zlib_and_passthrough() -> None:
    assert GzipReader(io.BytesIO(zlib.compress(b"abc"))).read() == b"abc"
    raw = gzip.compress(b"abc")
    assert GzipReader(io.BytesIO(raw), decode=False).read() == raw
    assert GzipReader(io.BytesIO(b"")).read() == b""


@pytest.mark.parametrize(
    "plain",
    [
        b"x y\n1\n",
        b"x?,b\n1,2\n",
        b"x^a,b\n1,2\n",
        b"x}\n1\n",
        b"x^\n",
        b"x^abc,1\n" * 400_000,  # longer than the sniffed head
    ],
)
def test_uncompressed_csv_that_starts_like_zlib_passes_through(plain: bytes) -> None:
    # "x" then one of " ?^}" is also a zlib header: exports asked for uncompressed (our
    # loopback policy) whose first column is named so must not be inflated.
    assert GzipReader(io.BytesIO(plain)).read() == plain


@pytest.mark.parametrize("size", [10, 30_000_000])  # whole stream in the head, or not
def test_zlib_streams_of_any_size_still_inflate(size: int) -> None:
    payload = (b"x y,1\n" * (size // 6 + 1))[:size]
    assert GzipReader(io.BytesIO(zlib.compress(payload, 1))).read() == payload


def test_null_and_empty_string_stay_apart() -> None:
    csv = b'a,b\n"",1\n,2\n"x",\n'
    table = read_arrow(
        io.BytesIO(csv),
        [{"name": "a", "sql_type": "VARCHAR"}, {"name": "b", "sql_type": "BIGINT"}],
        None,
    )
    assert table.column("a").to_pylist() == ["", None, "x"]
    df = to_pandas(
        table, [{"name": "a", "sql_type": "VARCHAR"}, {"name": "b", "sql_type": "BIGINT"}]
    )
    assert df["a"][0] == "" and pd.isna(df["a"][1])
    assert df["b"].dtype == pd.Int64Dtype()
    assert to_polars(table)["a"].to_list() == ["", None, "x"]


def test_inferred_types_follow_read_csv() -> None:
    csv = b"n,m,s,flag,empty\n1,1,007,true,\n2,,x,false,\n"
    table = read_arrow(io.BytesIO(csv), None, None)
    df = to_pandas(table, None)
    expected = pd.read_csv(io.BytesIO(csv))
    assert df["n"].dtype == "int64" and df["m"].dtype == "float64"
    assert df["s"].tolist() == ["007", "x"]  # mixed column: text
    assert df["flag"].dtype == bool
    assert df["empty"].dtype == expected["empty"].dtype == "float64"
    assert df["empty"].isna().all()


def test_t_and_f_only_for_declared_booleans() -> None:
    csv = b"b,c\nt,t\nf,f\n"
    typed = read_arrow(io.BytesIO(csv), [{"name": "b", "sql_type": "BOOLEAN"}], None)
    assert typed.column("b").to_pylist() == [True, False]
    assert read_arrow(io.BytesIO(csv), None, None).column("b").to_pylist() == ["t", "f"]


def test_duplicate_column_names_survive() -> None:
    table = read_arrow(io.BytesIO(b"a,a\n1,2\n"), None, None)
    df = to_pandas(table, None)
    assert list(df.columns) == ["a", "a"] and df.iloc[0].tolist() == [1, 2]
