"""Table I/O benchmark: a pandas DataFrame into a warehouse table and back.

`civis.io.dataframe_to_civis(df, db, table).result()` (write) and
`civis.io.read_civis(table, db, return_as="pandas")` (read) on 1,000,000 rows x 5 columns
(int, text, date, text, int), the official client (civis==2.10.1) beside ours (as it
runs by default, with Parquet, and forced onto CSV) against the same server process, and
beside the raw engine: DuckDB in-process writing the same frame (`CREATE TABLE ... AS
SELECT * FROM df`) into a database file and reading it back with `.df()`. That is the
floor: no HTTP, no files, no CSV.

Writes its figures to docs/PERFORMANCE.md (section `io`). Sizes come from the command
line or from BENCH_IO_ROWS / BENCH_IO_ROUNDS; `--quick` is a seconds-long smoke run.
"""

from __future__ import annotations

import argparse
import os
import textwrap
from dataclasses import dataclass, field

from _harness import (
    OURS,
    interpreters,
    machine_note,
    median,
    platform_server,
    run_snippet,
    update_performance_doc,
)

DEFAULT_ROWS = 1_000_000
DEFAULT_ROUNDS = 3
QUICK_ROWS = 2_000
DATABASE = "Civis Database"
DIRECTIONS = ("write", "read")
CSV_OURS = "ours (CSV)"

# The frame, built the same way in every interpreter (both have numpy and pandas):
# a unique id, a name out of 1,000, a day in 2001-2014, a one-letter code, a count.
BUILD_FRAME = textwrap.dedent("""
    import numpy as np, pandas as pd

    def build_frame(rows):
        rng = np.random.default_rng(2017)
        names = np.array([f"station {i:03d}" for i in range(1000)])
        days = np.datetime64("2001-01-01") + rng.integers(0, 5113, rows).astype("timedelta64[D]")
        return pd.DataFrame({
            "id": np.arange(rows, dtype=np.int64),
            "stationname": names[rng.integers(0, len(names), rows)],
            "date": pd.to_datetime(days),
            "daytype": np.array(["W", "A", "U"])[rng.integers(0, 3, rows)],
            "rides": rng.integers(0, 20_000, rows),
        })
""")

# One client: each round writes its own table (replacing a leftover one), reads it back,
# checks the shape, and drops it. Parameters arrive as ROWS, ROUNDS and DATABASE. `bench`
# runs one round per fresh interpreter (as a script would), so no round is warmed up.
CLIENT_ROUNDS = BUILD_FRAME + textwrap.dedent("""
    import json, time, civis

    df = build_frame(ROWS)
    client = civis.APIClient()
    write, read = [], []
    for r in range(ROUNDS):
        table = f"scratch.bench_io_{r}"
        t = time.perf_counter()
        civis.io.dataframe_to_civis(
            df, DATABASE, table, existing_table_rows="drop", client=client
        ).result()
        write.append(time.perf_counter() - t)
        t = time.perf_counter()
        back = civis.io.read_civis(table, DATABASE, return_as="pandas", client=client)
        read.append(time.perf_counter() - t)
        assert back.shape == df.shape, (back.shape, df.shape)
        civis.io.query_civis(f"DROP TABLE {table}", DATABASE, client=client).result()
    dtypes = {name: str(dtype) for name, dtype in back.dtypes.items()}
    print(json.dumps({"write": write, "read": read, "dtypes": dtypes}))
""")

# The floor: the same frame through DuckDB in-process, into a database file as the
# server's warehouse is.
RAW_ROUNDS = BUILD_FRAME + textwrap.dedent("""
    import json, os, tempfile, time, duckdb

    df = build_frame(ROWS)
    write, read = [], []
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(os.path.join(tmp, "raw.duckdb"))
        for r in range(ROUNDS):
            t = time.perf_counter()
            con.execute(f"CREATE TABLE bench_io_{r} AS SELECT * FROM df")
            write.append(time.perf_counter() - t)
            t = time.perf_counter()
            back = con.execute(f"SELECT * FROM bench_io_{r}").df()
            read.append(time.perf_counter() - t)
            assert back.shape == df.shape
            con.execute(f"DROP TABLE bench_io_{r}")
        con.close()
    print(json.dumps({"write": write, "read": read}))
""")

# Where the server's time goes: its warehouse's own stages, in-process, on the same frame.
# A read is a SQL export to a CSV (or Parquet) file; a write loads the uploaded file into
# a table.
STAGES = (
    "export, gzip CSV",
    "export, plain CSV",
    "export, Parquet",
    "export, Arrow stream",
    "load CSV, types inferred",
    "load Parquet",
)
STAGE_ROUNDS = BUILD_FRAME + textwrap.dedent("""
    import json, os, tempfile, time
    import pyarrow as pa
    from civis_platform.warehouse import CsvFormat, open_warehouse

    df = build_frame(ROWS)
    table = pa.Table.from_pandas(df, preserve_index=False)
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        wh = open_warehouse(f"duckdb://{tmp}/stages.duckdb")
        wh.write_arrow("scratch", "t", pa.RecordBatchReader.from_batches(table.schema,
                                                                        table.to_batches()))
        for r in range(ROUNDS):
            for stage, compression in (("export, gzip CSV", "gzip"),
                                       ("export, plain CSV", "none")):
                with open(os.path.join(tmp, f"{r}.{compression}"), "wb") as sink:
                    t = time.perf_counter()
                    wh.export_csv("SELECT * FROM scratch.t", sink,
                                  CsvFormat(compression=compression))
                    times.setdefault(stage, []).append(time.perf_counter() - t)
            for stage, export, suffix in (("export, Parquet", wh.export_parquet, "parquet"),
                                          ("export, Arrow stream", wh.export_arrow, "arrows")):
                with open(os.path.join(tmp, f"{r}.{suffix}"), "wb") as sink:
                    t = time.perf_counter()
                    export("SELECT * FROM scratch.t", sink)
                    times.setdefault(stage, []).append(time.perf_counter() - t)
            with open(os.path.join(tmp, f"{r}.none"), "rb") as source:
                t = time.perf_counter()
                wh.import_csv("scratch", "u", [source], existing_table_rows="drop")
                times.setdefault("load CSV, types inferred", []).append(time.perf_counter() - t)
            with open(os.path.join(tmp, f"{r}.parquet"), "rb") as source:
                t = time.perf_counter()
                wh.import_parquet("scratch", "v", [source], existing_table_rows="drop")
                times.setdefault("load Parquet", []).append(time.perf_counter() - t)
        wh.close()
    print(json.dumps(times))
""")


def snippet(body: str, rows: int, rounds: int) -> str:
    """A snippet's code with its parameters bound at the top."""
    return f"ROWS, ROUNDS, DATABASE = {rows!r}, {rounds!r}, {DATABASE!r}\n{body}"


@dataclass
class Result:
    """Median seconds per direction for each contender, and any contender's failure."""

    rows: int
    rounds: int
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    dtypes: dict[str, dict[str, str]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    load: float = 0.0  # the 1-minute load average when the run ended


def _medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {direction: median(samples[direction]) for direction in DIRECTIONS}


def _run(
    name: str,
    python: str,
    code: str,
    env: dict[str, str],
    result: Result,
    samples: dict[str, dict[str, list[float]]],
) -> None:
    """One round of one contender; its times join ``samples``, a failure ``result``."""
    try:
        out = run_snippet(python, code, env)
    except RuntimeError as error:  # the snippet's traceback, for the report
        result.failures[name] = str(error)
        return
    for direction in DIRECTIONS:
        samples.setdefault(name, {}).setdefault(direction, []).extend(out[direction])
    if "dtypes" in out:
        result.dtypes[name] = out["dtypes"]


def bench(rows: int, rounds: int) -> Result:
    """Run every contender ``rounds`` times, interleaved, so that load from other work on
    a shared machine falls on all of them alike. A client that fails is recorded and
    not run again; the others go on."""
    result = Result(rows, rounds)
    samples: dict[str, dict[str, list[float]]] = {}
    # "ours" as a user gets it (Parquet with civis-platform), ours forced onto the official
    # wire format (CSV), the official client, and the raw engine.
    contenders = {**interpreters(), CSV_OURS: OURS, "raw": OURS}
    with platform_server(rate_limit="100000000") as server:
        env = {"CIVIS_API_ENDPOINT": server.base_url, "CIVIS_API_KEY": server.api_key}
        for _ in range(rounds):
            for name, python in contenders.items():
                if name in result.failures:
                    continue
                body = RAW_ROUNDS if name == "raw" else CLIENT_ROUNDS
                extra = {"CIVIS_TABLE_FORMAT": "csv" if name == CSV_OURS else "auto"}
                _run(name, python, snippet(body, rows, 1), {**env, **extra}, result, samples)
    result.seconds = {name: _medians(by) for name, by in samples.items()}
    stages = run_snippet(OURS, snippet(STAGE_ROUNDS, rows, rounds))
    result.stages = {stage: median(stages[stage]) for stage in STAGES}
    result.load = os.getloadavg()[0]
    return result


def _cell(seconds: dict[str, dict[str, float]], name: str, direction: str) -> str:
    value = seconds.get(name, {}).get(direction)
    return "failed" if value is None else f"{value:.2f} s"


def _ratio(seconds: dict[str, dict[str, float]], top: str, bottom: str, direction: str) -> str:
    a, b = seconds.get(top, {}).get(direction), seconds.get(bottom, {}).get(direction)
    return "n/a" if a is None or b is None else f"{a / b:.1f}x"


def _goal(result: Result) -> list[str]:
    s = result.seconds
    lines = []
    for direction in DIRECTIONS:
        off, ours, raw = (s.get(n, {}).get(direction) for n in ("official", "ours", "raw"))
        faster = "n/a" if off is None or ours is None else ("yes" if off / ours >= 3 else "NO")
        near = "n/a" if ours is None or raw is None else ("yes" if ours / raw <= 2 else "NO")
        lines.append(
            f"- {direction}: ours at least 3x faster than official: {faster}; "
            f"ours within 2x of raw DuckDB: {near}."
        )
    return lines


def report(result: Result) -> str:
    s = result.seconds
    lines = [
        "## Table I/O: a DataFrame into a table and back (`bench/io.py`)",
        "",
        f"{machine_note()} {result.rows:,} rows x 5 columns (int64, text, datetime, text, "
        f"int64); {result.rounds} rounds, contenders interleaved, median per round; load "
        f"average {result.load:.1f} at the end. Write is "
        "`dataframe_to_civis(df, db, table, existing_table_rows='drop').result()`; read is "
        "`read_civis(table, db, return_as='pandas')`, each round in a fresh interpreter. Both "
        "clients talk to one "
        "`civis-platform serve` process on loopback; raw is DuckDB in-process "
        "(`CREATE TABLE t AS SELECT * FROM df`, then `SELECT * FROM t` `.df()`) on a file.",
        "",
        "Ours writes the frame as Parquet and reads an Arrow IPC stream, because the server "
        "offers them (`x-civis-platform` in its spec); `ours (CSV)` is our client with "
        "`CIVIS_TABLE_FORMAT=csv`, on the official client's wire format (CSV files, the "
        "same REST calls).",
        "",
        "| direction | official civis 2.10.1 | ours (CSV) | ours | raw DuckDB "
        "| official / ours | ours / raw |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for direction in DIRECTIONS:
        lines.append(
            f"| {direction} | {_cell(s, 'official', direction)}"
            f" | {_cell(s, CSV_OURS, direction)} | {_cell(s, 'ours', direction)}"
            f" | {_cell(s, 'raw', direction)} | {_ratio(s, 'official', 'ours', direction)}"
            f" | {_ratio(s, 'ours', 'raw', direction)} |"
        )
    for name, dtypes in result.dtypes.items():
        shown = ", ".join(f"{column} {dtype}" for column, dtype in dtypes.items())
        lines += ["", f"Columns read back by {name}: {shown}."]
    if result.stages:
        lines += [
            "",
            "The server's own warehouse stages on the same frame (in-process, DuckDB, median):",
            "",
            "| stage | seconds |",
            "|---|---:|",
        ]
        lines += [f"| {stage} | {sec:.2f} s |" for stage, sec in result.stages.items()]
    lines += [
        "",
        "Goals: ours at least 3x faster than the official client in each direction, "
        "and within 2x of the raw engine.",
        "",
        *_goal(result),
    ]
    for name, error in result.failures.items():
        lines += [
            "",
            f"The {name} client failed; last lines of its error:",
            "",
            "```",
            *error.strip().splitlines()[-12:],
            "```",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=int(os.environ.get("BENCH_IO_ROWS", DEFAULT_ROWS))
    )
    parser.add_argument(
        "--rounds", type=int, default=int(os.environ.get("BENCH_IO_ROUNDS", DEFAULT_ROUNDS))
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, one round, docs left alone"
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print the section without updating docs/PERFORMANCE.md",
    )
    args = parser.parse_args()
    rows, rounds = (QUICK_ROWS, 1) if args.quick else (args.rows, args.rounds)
    result = bench(rows, rounds)
    text = report(result)
    print(text)
    for name, error in result.failures.items():
        print(f"\n===== {name} client traceback =====\n{error}")
    if not (args.quick or args.no_write):
        update_performance_doc("io", text)
    if result.failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
