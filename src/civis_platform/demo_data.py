"""Demo data: deterministic synthetic tables for the tour in `examples/`.

The 2017 client tour reads a table of daily Chicago transit ridership, lists the
five-column tables of the ``public`` schema, and so on. None of that data ships with
the platform, so this module makes look-alike tables from a fixed seed: the same bytes
on every machine and every run, so the tour's printed figures are stable.

Everything is built column-wise with numpy and pyarrow (no Python loop per row): the
729,000-row ridership table takes a fraction of a second. `seed_demo_data` writes the
tables into any `Warehouse`, replacing what is there, so seeding twice is harmless.

Tables (all in ``public``):

=====================================  =====  ===========================================
table                                  cols   what
=====================================  =====  ===========================================
``cta_ridership_daily``                5      station_id, stationname, date, daytype, rides
``cta_ridership_daily_pasttwoyears``   5      the same rows for the last two years
``iris``                               5      150 flowers, three species
``cta_stations``                       4      one row per station: id, name, line, opened
=====================================  =====  ===========================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from civis_platform.warehouse import Warehouse

__all__ = [
    "DEMO_SCHEMA",
    "DEMO_SEED",
    "DEMO_TABLES",
    "FIRST_DAY",
    "LAST_DAY",
    "cta_ridership_daily",
    "cta_ridership_daily_pasttwoyears",
    "cta_stations",
    "demo_tables",
    "iris",
    "seed_demo_data",
]

DEMO_SCHEMA = "public"
DEMO_SEED = 2017  # the tour's year; any fixed value keeps outputs stable
FIRST_DAY = dt.date(2001, 1, 1)
LAST_DAY = dt.date(2014, 12, 31)  # whole years, so monthly totals are never partial
PAST_TWO_YEARS_FROM = dt.date(2013, 1, 1)

# (name, line, opened, closed): opened/closed None means open for the whole period.
# Names are those of real Chicago 'L' stations, to make the tour read naturally; the
# ridership figures are invented.
_Station = tuple[str, str, dt.date | None, dt.date | None]
_LOOP = {
    "Clark/Lake",
    "State/Lake",
    "Randolph/Wabash",
    "Madison/Wabash",
    "Adams/Wabash",
    "Harold Washington Library-State/Van Buren",
    "LaSalle/Van Buren",
    "Quincy/Wells",
    "Washington/Wells",
    "Washington/Dearborn",
    "Monroe/Dearborn",
    "Jackson/Dearborn",
    "Lake/State",
    "Monroe/State",
    "Jackson/State",
    "Washington/State",
    "Randolph/Wells",
    "LaSalle",
    "Clinton-Forest Park",
    "Grand/State",
    "Chicago/State",
    "Merchandise Mart",
}


def _line(line: str, names: str) -> list[_Station]:
    return [(name.strip(), line, None, None) for name in names.split(";")]


STATIONS: list[_Station] = [
    *_line(
        "Red",
        "Howard; Jarvis; Morse; Loyola; Granville; Thorndale; Bryn Mawr; Berwyn;"
        " Argyle; Lawrence; Wilson; Sheridan; Addison-North Main; Belmont-North Main;"
        " Fullerton; North/Clybourn; Clark/Division; Chicago/State; Grand/State;"
        " Lake/State; Monroe/State; Jackson/State; Harrison; Roosevelt;"
        " Cermak-Chinatown; Sox-35th-Dan Ryan; 47th-Dan Ryan; Garfield-Dan Ryan;"
        " 63rd-Dan Ryan; 69th; 79th; 87th; 95th/Dan Ryan",
    ),
    *_line(
        "Blue",
        "O'Hare Airport; Rosemont; Cumberland; Harlem-O'Hare; Jefferson Park;"
        " Montrose-O'Hare; Irving Park-O'Hare; Addison-O'Hare; Belmont-O'Hare;"
        " Logan Square; California/Milwaukee; Western/Milwaukee; Damen/Milwaukee;"
        " Division/Milwaukee; Chicago/Milwaukee; Grand/Milwaukee; Clark/Lake;"
        " Washington/Dearborn; Monroe/Dearborn; Jackson/Dearborn; LaSalle;"
        " Clinton-Forest Park; UIC-Halsted; Racine; Illinois Medical District;"
        " Western-Forest Park; Kedzie-Homan-Forest Park; Pulaski-Forest Park;"
        " Cicero-Forest Park; Austin-Forest Park; Oak Park-Forest Park;"
        " Harlem-Forest Park; Forest Park",
    ),
    *_line(
        "Brown",
        "Kimball; Kedzie-Brown; Francisco; Rockwell; Western-Brown; Damen-Brown;"
        " Montrose-Brown; Irving Park-Brown; Addison-Brown; Paulina; Southport;"
        " Wellington; Diversey; Armitage; Sedgwick; Chicago/Franklin; Merchandise Mart;"
        " Washington/Wells; Quincy/Wells; LaSalle/Van Buren;"
        " Harold Washington Library-State/Van Buren; Adams/Wabash; Madison/Wabash;"
        " Randolph/Wabash; State/Lake",
    ),
    *_line(
        "Green",
        "Harlem/Lake; Oak Park-Lake; Ridgeland; Austin-Lake; Central-Lake;"
        " Laramie; Cicero-Lake; Pulaski-Lake; Conservatory; Kedzie-Lake; California-Lake;"
        " Ashland-Lake; Clinton-Lake; 35th-Bronzeville-IIT; Indiana; 43rd;"
        " 47th-South Elevated; 51st; Garfield-South Elevated; King Drive; Cottage Grove;"
        " Halsted/63rd; Ashland/63rd",
    ),
    *_line(
        "Orange",
        "Halsted-Orange; Ashland-Orange; 35th/Archer; Western-Orange;"
        " Kedzie-Midway; Pulaski-Orange; Midway",
    ),
    *_line(
        "Pink",
        "Polk; 18th; Damen-Cermak; Western-Cermak; California-Cermak;"
        " Kedzie-Cermak; Central Park; Pulaski-Cermak; Kostner; Cicero-Cermak;"
        " 54th/Cermak",
    ),
    *_line(
        "Purple", "Linden; Central-Evanston; Noyes; Foster; Davis; Dempster; Main; South Boulevard"
    ),
    *_line("Yellow", "Dempster-Skokie"),
    # Stations that opened or closed during the period: their rows start or stop there.
    ("Oakton-Skokie", "Yellow", dt.date(2012, 4, 30), None),
    ("Morgan-Lake", "Green", dt.date(2012, 5, 24), None),
    ("Washington/State", "Red", None, dt.date(2006, 10, 23)),
    ("Randolph/Wells", "Brown", None, dt.date(2012, 1, 1)),
]

DEMO_TABLES = (
    "cta_ridership_daily",
    "cta_ridership_daily_pasttwoyears",
    "iris",
    "cta_stations",
)


# pyarrow imports pandas (about 0.8 s) the first time `pa.array` or `pa.scalar` converts
# Python or numpy values, to check for pandas types. These helpers build arrays from raw
# buffers instead, so seeding a server never pays for pandas.


def _arrow(
    values: np.ndarray,
    dtype: type[np.generic],
    arrow_type: pa.DataType,
    valid: np.ndarray | None = None,
) -> pa.Array:
    """A numpy column as an Arrow array of a fixed-width type; ``valid`` marks non-nulls."""
    data = np.ascontiguousarray(values, dtype=dtype)
    bitmap = None
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(valid.astype(bool), bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(data), [bitmap, pa.py_buffer(data)])


def _strings(values: list[str]) -> pa.Array:
    """A list of Python strings as an Arrow string array (offsets and UTF-8 data)."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def _indices(values: np.ndarray) -> pa.Array:
    return _arrow(values, np.int64, pa.int64())


def _station_ids(count: int, rng: np.random.Generator) -> np.ndarray:
    """Five-digit ids in the 40000s, as the CTA numbers its stations, in no name order."""
    return (40_000 + 10 * rng.permutation(count) + 10).astype(np.int32)


def _holidays(years: range) -> set[dt.date]:
    """The days the CTA runs a Sunday schedule besides Sundays (daytype 'U')."""

    def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last_weekday(year: int, month: int, weekday: int) -> dt.date:
        last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)

    days: set[dt.date] = set()
    for year in years:
        days |= {
            dt.date(year, 1, 1),
            last_weekday(year, 5, 0),  # Memorial Day
            dt.date(year, 7, 4),
            nth_weekday(year, 9, 0, 1),  # Labor Day
            nth_weekday(year, 11, 3, 4),  # Thanksgiving
            dt.date(year, 12, 25),
        }
    return days


def _calendar() -> tuple[np.ndarray, np.ndarray]:
    """Every day of the period (datetime64[D]) and its daytype code (0 W, 1 A, 2 U)."""
    days = np.arange(
        np.datetime64(FIRST_DAY, "D"), np.datetime64(LAST_DAY, "D") + 1, dtype="datetime64[D]"
    )
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (3)
    code = np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
    holidays = np.array(
        sorted(_holidays(range(FIRST_DAY.year, LAST_DAY.year + 1))), dtype="datetime64[D]"
    )
    code[np.isin(days, holidays)] = 2
    return days, code


def _station_profiles(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per station: typical weekday rides, and how much of that comes at weekends.

    Downtown (Loop) stations are busy on weekdays and quiet at weekends; neighbourhood
    stations are the other way round, which gives `groupby` results some texture.
    """
    loop = np.array([name in _LOOP for name, *_ in STATIONS])
    base = rng.lognormal(mean=np.log(2_800), sigma=0.6, size=len(STATIONS))
    base = np.where(loop, base * 2.5, base)
    weekend = np.where(
        loop, rng.uniform(0.2, 0.35, len(STATIONS)), rng.uniform(0.45, 0.75, len(STATIONS))
    )
    return base, weekend


def _open_mask(days: np.ndarray) -> np.ndarray:
    """(stations, days) booleans: was the station open that day?"""
    mask = np.ones((len(STATIONS), len(days)), dtype=bool)
    for i, (_, _, opened, closed) in enumerate(STATIONS):
        if opened is not None:
            mask[i] &= days >= np.datetime64(opened, "D")
        if closed is not None:
            mask[i] &= days < np.datetime64(closed, "D")
    return mask


def _ridership_columns(seed: int) -> dict[str, np.ndarray]:
    """The ridership table as numpy columns, ordered by date then by station."""
    rng = np.random.default_rng(seed)
    ids = _station_ids(len(STATIONS), rng)
    base, weekend = _station_profiles(rng)
    days, code = _calendar()
    years = (days - np.datetime64(FIRST_DAY, "D")).astype(np.float64) / 365.25
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.float64)
    # Busier in autumn and spring terms, quieter in January; about 1.5 % growth a year.
    season = 1 + 0.08 * np.sin(2 * np.pi * (day_of_year - 80) / 365.25)
    trend = 1.015**years
    # Saturday (code 1) keeps the station's weekend share, Sunday/holiday (2) 80 % of it.
    level = np.where(
        code[None, :] == 0, 1.0, weekend[:, None] * np.where(code[None, :] == 1, 1.0, 0.8)
    )
    noise = rng.lognormal(mean=0.0, sigma=0.07, size=(len(STATIONS), len(days)))
    rides = base[:, None] * level * (season * trend)[None, :] * noise
    # Day-major order: transpose so one day's stations are adjacent, then drop closed days.
    mask = _open_mask(days).T
    day_index, station_index = np.nonzero(mask)
    return {
        "station_id": ids[station_index],
        "station_index": station_index,
        "date": days[day_index],
        "daytype": code[day_index],
        "rides": np.rint(rides.T[mask]).astype(np.int32),
    }


def cta_ridership_daily(seed: int = DEMO_SEED) -> pa.Table:
    """Daily rides per 'L' station, 2001-2014: about 730,000 rows, five columns.

    Examples:
        >>> table = cta_ridership_daily()
        >>> table.num_rows, table.column_names
        (728999, ['station_id', 'stationname', 'date', 'daytype', 'rides'])
        >>> table.slice(0, 1).to_pylist()[0]["date"]
        datetime.date(2001, 1, 1)
    """
    cols = _ridership_columns(seed)
    names = _strings([name for name, *_ in STATIONS])
    daytypes = _strings(["W", "A", "U"])
    return pa.table(
        {
            "station_id": _arrow(cols["station_id"], np.int32, pa.int32()),
            "stationname": names.take(_indices(cols["station_index"])),
            # date32 is days since 1970-01-01, which is what datetime64[D] holds.
            "date": _arrow(cols["date"].astype(np.int64), np.int32, pa.date32()),
            "daytype": daytypes.take(_indices(cols["daytype"])),
            "rides": _arrow(cols["rides"], np.int32, pa.int32()),
        }
    )


def cta_ridership_daily_pasttwoyears(daily: pa.Table | None = None) -> pa.Table:
    """The rows of `cta_ridership_daily` from 2013 on (pass the table to avoid rebuilding).

    Examples:
        >>> cta_ridership_daily_pasttwoyears().num_rows
        104390
    """
    daily = cta_ridership_daily() if daily is None else daily
    # The rows are in date order, so the last two years are one zero-copy slice.
    dates = daily["date"].combine_chunks()
    days = np.frombuffer(dates.buffers()[1], dtype=np.int32)
    days = days[dates.offset : dates.offset + len(dates)]
    since = np.datetime64(PAST_TWO_YEARS_FROM, "D").astype(np.int64)
    return daily.slice(int(np.searchsorted(days, since)))


def cta_stations(seed: int = DEMO_SEED) -> pa.Table:
    """One row per station (four columns: id, name, line, opening date if in the period).

    Examples:
        >>> cta_stations().num_rows, cta_stations().num_columns
        (145, 4)
    """
    ids = _station_ids(len(STATIONS), np.random.default_rng(seed))
    opened = np.array([s[2] or "NaT" for s in STATIONS], dtype="datetime64[D]")
    return pa.table(
        {
            "station_id": _arrow(ids, np.int32, pa.int32()),
            "stationname": _strings([s[0] for s in STATIONS]),
            "line": _strings([s[1] for s in STATIONS]),
            "opened": _arrow(
                opened.astype(np.int64), np.int32, pa.date32(), valid=~np.isnat(opened)
            ),
        }
    )


# Per species: means and standard deviations of sepal length, sepal width, petal length,
# petal width (cm), near the classic measurements so plots and models behave as expected.
_IRIS = {
    "setosa": ((5.0, 3.4, 1.5, 0.25), (0.35, 0.38, 0.17, 0.1)),
    "versicolor": ((5.9, 2.8, 4.3, 1.3), (0.52, 0.31, 0.47, 0.2)),
    "virginica": ((6.6, 3.0, 5.55, 2.0), (0.64, 0.32, 0.55, 0.27)),
}


def iris(seed: int = DEMO_SEED, per_species: int = 50) -> pa.Table:
    """A synthetic iris table: four measurements in cm (one decimal) and the species.

    Examples:
        >>> table = iris()
        >>> table.num_rows, table.column_names[-1]
        (150, 'species')
    """
    rng = np.random.default_rng(seed)
    parts = [
        np.clip(rng.normal(means, sds, size=(per_species, 4)), 0.1, None)
        for means, sds in _IRIS.values()
    ]
    values = np.round(np.vstack(parts), 1)
    species = _strings(list(_IRIS)).take(_indices(np.repeat(np.arange(len(_IRIS)), per_species)))
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return pa.table(
        {
            **{
                name: _arrow(values[:, i], np.float64, pa.float64())
                for i, name in enumerate(columns)
            },
            "species": species,
        }
    )


def demo_tables(seed: int = DEMO_SEED) -> dict[str, pa.Table]:
    """Every demo table by name (in `DEMO_TABLES` order), built once.

    Examples:
        >>> list(demo_tables()) == list(DEMO_TABLES)
        True
    """
    daily = cta_ridership_daily(seed)
    builders: dict[str, Callable[[], pa.Table]] = {
        "cta_ridership_daily": lambda: daily,
        "cta_ridership_daily_pasttwoyears": lambda: cta_ridership_daily_pasttwoyears(daily),
        "iris": lambda: iris(seed),
        "cta_stations": lambda: cta_stations(seed),
    }
    return {name: builders[name]() for name in DEMO_TABLES}


def seed_demo_data(
    warehouse: Warehouse, *, schema: str = DEMO_SCHEMA, seed: int = DEMO_SEED
) -> dict[str, int]:
    """Write the demo tables into ``schema``, replacing tables of the same names.

    Each table is replaced atomically (``existing_table_rows="drop"``), so seeding again
    leaves exactly the same data. Returns the rows written per table.

    Examples:
        >>> import tempfile
        >>> from civis_platform.warehouse import open_warehouse
        >>> wh = open_warehouse(f"duckdb://{tempfile.mkdtemp()}/w.duckdb")
        >>> seed_demo_data(wh)["iris"]
        150
        >>> wh.close()
    """
    written: dict[str, int] = {}
    for name, table in demo_tables(seed).items():
        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
        written[name] = warehouse.write_arrow(schema, name, reader, existing_table_rows="drop")
    return written
