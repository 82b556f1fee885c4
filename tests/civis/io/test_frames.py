"""dataframe_to_file / file_to_dataframe with pandas and polars.

Every test here checks an outcome, so all run against the real server (`real_client`);
none needs the Civis fake.
"""

from __future__ import annotations

import gzip
import io
from typing import Any

import pandas as pd
import polars as pl
import pytest
from io_helpers import download, file_name

from civis.io import dataframe_to_file, file_to_civis, file_to_dataframe
from civis.io._frames import _write_csv


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zip": ["02139", "00501", None],
            "n": [1, 2, 3],
            "x": [1.0, 0.1, float("nan")],
            "text": ['say "hi"', "a,b", "line\nbreak"],
        }
    )


@pytest.mark.parametrize("kws", [{}, {"index": False}])
def test_fast_writer_matches_pandas_to_csv(
    frame: pd.DataFrame, tmp_path: Any, kws: dict[str, Any]
) -> None:
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    _write_csv(frame, str(ours), dict(kws))
    frame.to_csv(theirs, **kws)
    assert pd.read_csv(ours).equals(pd.read_csv(theirs))
    assert ours.read_text().splitlines()[0] == theirs.read_text().splitlines()[0]


def test_pandas_round_trip(real_client: Any, frame: pd.DataFrame) -> None:
    client = real_client
    file_id = dataframe_to_file(frame, index=False, client=client)
    assert file_name(client, file_id) == "data.csv"
    back = file_to_dataframe(file_id, client=client, dtype={"zip": str})
    pd.testing.assert_frame_equal(back, frame)


def test_pandas_default_keeps_the_index_like_to_csv(real_client: Any, frame: pd.DataFrame) -> None:
    client = real_client
    file_id = dataframe_to_file(frame, client=client)
    back = file_to_dataframe(file_id, client=client, index_col=0, dtype={"zip": str})
    pd.testing.assert_frame_equal(back, frame)


def test_pandas_kwargs_fall_back_to_to_csv(real_client: Any, frame: pd.DataFrame) -> None:
    file_id = dataframe_to_file(frame, name="semi.csv", client=real_client, sep=";", index=False)
    assert download(real_client, file_id).startswith(b"zip;n;x;text")
    assert file_name(real_client, file_id) == "semi.csv"


def test_polars_round_trip(real_client: Any) -> None:
    client = real_client
    df = pl.DataFrame({"zip": ["02139", None], "n": [1, 2], "x": [1.5, None]})
    file_id = dataframe_to_file(df, name="p.csv", client=client)
    back = file_to_dataframe(
        file_id, return_as="polars", client=client, schema_overrides={"zip": pl.String}
    )
    assert back.equals(df)


def test_compression_inferred_from_the_name(real_client: Any) -> None:
    client = real_client
    payload = gzip.compress(b"a,b\n1,x\n2,y\n")
    file_id = file_to_civis(io.BytesIO(payload), "data.csv.gz", client=client)
    expected = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    pd.testing.assert_frame_equal(file_to_dataframe(file_id, client=client), expected)
    polars_df = file_to_dataframe(file_id, return_as="polars", client=client)
    assert polars_df.to_pandas().equals(expected)


def test_bad_return_as(real_client: Any) -> None:
    file_id = file_to_civis(io.BytesIO(b"a\n1\n"), "t.csv", client=real_client)
    with pytest.raises(ValueError, match="return_as"):
        file_to_dataframe(file_id, return_as="arrow", client=real_client)


@pytest.mark.parametrize(
    "text",
    [
        b"a,b,c,d,e,f\n01,2020-01-01,x,True,1.5,\n02,2020-01-02,,False,,q\n",
        b"a,a,\n1,2,3\n",  # duplicate and empty names: pandas renames them
        b"t,n,b\n2020-01-01 10:00,,True\n2020-01-02 11:00,,\n",  # timestamps, nulls
        b"x\n",  # header only
        b"i,s\n" + b"".join(b"%d,s%d\n" % (i, i) for i in range(5000)),
        b"a;b\n1;2\n",
    ],
)
def test_file_to_dataframe_reads_as_pandas_does(real_client: Any, text: bytes) -> None:
    client = real_client
    file_id = file_to_civis(io.BytesIO(text), "t.csv", client=client)
    expected = pd.read_csv(io.BytesIO(text))
    pd.testing.assert_frame_equal(file_to_dataframe(file_id, client=client), expected)
