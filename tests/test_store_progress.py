"""The Progress, Present, Region and Data pages' numbers from the classified store in SQL equal
the in-memory numbers, on the real police.uk files: the scorecard (every score, its rows and its
tables), the progress map's rates, the region table, trend and border crimes, and the Data
page's coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from progress_helpers import action, actions

from ruralaction.incidents import columnar
from ruralaction.incidents.store import Store, geography_folder_files
from ruralaction.measures import region as rg
from ruralaction.measures import store_progress as sp
from ruralaction.measures.coverage import coverage
from ruralaction.measures.periods import loaded_months, parse_period
from ruralaction.measures.store_queries import StoreView
from ruralaction.measures.trends import ward_areas_km2
from ruralaction.permissions import Actor, Role
from ruralaction.progress import aims, charts
from ruralaction.progress.config import load_progress_config
from ruralaction.progress.scorecard import Scorecard, build_scorecard

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)
READ_AT = dt.datetime(2024, 6, 1, 9, 30)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Every real month with the real boundaries and lookups in a classified store: its view,
    and its rows read into memory as the pages read them until now (``state.classified()``)."""
    store = Store(tmp_path_factory.mktemp("real_progress"))
    files = sorted((SHARED / "police_uk").glob("*-street.csv"))
    assert store.add_incidents(files, actor=ADMIN, geography=geography_folder_files(SHARED)).accepted
    folder = store.versions.current_dir()
    return StoreView.of(folder, "ours"), columnar.read_classified(folder, "ours")


def _busiest_ward(df: pd.DataFrame) -> str:
    return str(df.loc[df["is_rural_crime"], "ward_code"].value_counts().index[0])


def _acts(ward: str) -> pd.DataFrame:
    return actions(
        [
            action("2018-06-10", visible=True, lead="Police", support="NFU", wards=(ward,)),
            action("2019-01-10", visible=False, lead="Fire and Rescue", wards=(ward, "W9")),
            action("2024-02-01", visible=True, lead="NFU", status="in progress", wards=(ward,)),
        ]
    )


def assert_same_scorecard(got: Scorecard, expected: Scorecard, view: StoreView | None = None) -> None:
    """Every score, table and series the same; a score from the store holds the first
    ``DETAIL_ROWS`` of its rows, says how many there are and reads all of them (``view``)."""
    for a, b in zip(got.scores, expected.scores, strict=True):
        assert b.rows_total is None and b.rows_all is None, "a scorecard from memory holds all its rows"
        assert a.n_rows == len(b.rows), a.key
        pd.testing.assert_frame_equal(a.rows, b.rows.head(sp.DETAIL_ROWS), obj=a.key)
        if a.rows_all is not None:
            assert view is not None and a.rows_total == len(b.rows)
            pd.testing.assert_frame_equal(sp.crime_rows(view, a.rows_all), b.rows, obj=f"all rows of {a.key}")
        else:
            assert a.rows_total is None
        assert dataclasses.replace(a, rows=None, rows_total=None, rows_all=None) == dataclasses.replace(b, rows=None)
    for name in ("categories", "priorities", "trend", "actions_monthly"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)
    rest = {f.name: None for f in dataclasses.fields(Scorecard) if f.name in ("scores", "categories", "priorities")}
    rest |= {"trend": None, "actions_monthly": None}
    assert dataclasses.replace(got, **rest) == dataclasses.replace(expected, **rest)


@pytest.mark.parametrize(
    ("spec", "baseline", "in_ward"),
    [("12m-2024-04", None, False), ("2018-19", "2023-24", True), ("2019", "2024-25", False)],
    ids=["rolling year, county", "financial year, a ward", "calendar year, county"],
)
def test_the_scorecard_from_the_store_is_the_scorecard_from_memory(real, spec, baseline, in_ward):
    view, data = real
    df = data.incidents
    cfg = load_progress_config()
    if baseline:
        cfg = dataclasses.replace(cfg, baseline_period=baseline)
    ward = _busiest_ward(df) if in_ward else None
    kw = {
        "read_at": READ_AT,
        "ward": ward,
        "ward_names": {ward: "Busy"} if ward else {},
        "county": data.definition.county,
        "wildlife_category": data.definition.wildlife_category,
        "concerns_note": "No concerns recorded yet.",
    }
    period = parse_period(spec)
    expected = build_scorecard(df, _acts(ward or "W1"), None, period, cfg, **kw)
    got = build_scorecard(view, _acts(ward or "W1"), None, period, cfg, **kw)
    assert_same_scorecard(got, expected, view)
    assert expected.score("rural_crime").detail_text.split()[0] not in ("0", "—"), "the real crimes are counted"
    assert sp.loaded_months(view) == loaded_months(df)
    crimes = got.score("rural_crime")
    assert crimes.rows_all == sp.CrimeRows(period, ward) and len(crimes.rows) == min(crimes.n_rows, sp.DETAIL_ROWS)
    # the real files hold fewer crimes a year than DETAIL_ROWS: a score that keeps 7 of them
    few = build_scorecard(view, _acts(ward or "W1"), None, period, cfg, **kw, detail_rows=7)
    kept, every = few.score("rural_crime"), expected.score("rural_crime").rows
    assert len(every) > 7 and kept.n_rows == len(every)
    pd.testing.assert_frame_equal(kept.rows, every.head(7))
    pd.testing.assert_frame_equal(sp.crime_rows(view, kept.rows_all), every)


def test_a_figures_crimes_come_in_the_order_of_memory_with_many_forces(real, tmp_path):
    """Two forces' files for the same months: the rows read from the store (all, or the newest)
    are in memory's order (newest month first, then as loaded), not one force before the other
    by name or by file; the same from Parquet files and from a frame."""
    view, data = real
    df = data.incidents
    twin = df.assign(reported_by="Another Police", crime_id=df["crime_id"].astype(object).radd("B-"))
    both = pd.concat([twin, df], ignore_index=True)
    for c in ("location", "last_outcome", "ward_name", "rural_reason", "ward_code"):
        both[c] = both[c].astype("category")
    both["rural_category"] = pd.Categorical(both["rural_category"], categories=df["rural_category"].cat.categories)
    period = parse_period("12m-2024-04")
    mem = build_scorecard(both, _acts("W1"), None, period, load_progress_config(), read_at=READ_AT)
    rows = mem.score("rural_crime").rows
    frame_view = StoreView.from_frame(both)
    spec = sp.CrimeRows(period)
    pd.testing.assert_frame_equal(sp.crime_rows(frame_view, spec), rows)
    for limit in (5, len(rows) // 2, len(rows) + 1):
        pd.testing.assert_frame_equal(sp.crime_rows(frame_view, spec, limit), rows.head(limit))
    twins = []
    for i, f in enumerate(view.files):  # the twin force's files, loaded before the real ones
        t = pq.read_table(f)
        text = pa.large_string()
        ids = pc.binary_join_element_wise(pa.scalar("B-", text), t["crime_id"].cast(text), pa.scalar("", text))
        t = t.set_column(t.schema.get_field_index("crime_id"), "crime_id", ids)
        pq.write_table(t, tmp_path / f"twin-{i}.parquet")
        twins.append(str(tmp_path / f"twin-{i}.parquet"))
    file_view = StoreView((*twins, *view.files), view.categories)
    for limit in (None, 5, len(rows) // 2):
        expected = rows if limit is None else rows.head(limit)
        pd.testing.assert_frame_equal(sp.crime_rows(file_view, spec, limit), expected)
    twin_first = rows["Crime ID"].str.startswith("B-")
    assert twin_first.iloc[0] and not twin_first.is_monotonic_decreasing, "each month: the twin's, then the real"


def test_text_priorities_from_the_store_match_memory(real):
    """A force export's description text (police.uk has none): keyword priorities are counted the
    same from the store's SQL as in memory."""
    _, data = real
    df = data.incidents.copy()
    every = np.arange(len(df)) % 7 == 0
    words = np.where(np.arange(len(df)) % 2 == 0, "red DIESEL siphoned", "quad bike taken\u00a0")
    df["description"] = pd.Series(np.where(every, words, None), dtype="str")
    period, cfg = parse_period("12m-2024-04"), load_progress_config()
    assert any(p.keywords for p in cfg.priorities)
    expected = build_scorecard(df, _acts("W1"), None, period, cfg, read_at=READ_AT)
    text_view = StoreView.from_frame(df)
    got = build_scorecard(text_view, _acts("W1"), None, period, cfg, read_at=READ_AT)
    assert_same_scorecard(got, expected, text_view)
    keyed = [p.name for p in cfg.priorities if p.keywords and p.has_crime_measure]
    measured = expected.priorities.set_index("priority").loc[keyed]
    assert measured["measured"].all() and measured["crimes"].sum() > 0, "the text is read"
    blank = df.assign(description=pd.Series(np.where(every, " \u00a0\t", None), dtype="str"))
    assert not sp.has_text(StoreView.from_frame(blank), [period, period.previous()])


#: Texts on the edge of a whole word, in any case and script.
EDGES = (
    "quad-bike gone",
    "quadbike",
    "QUAD BIKE.",
    "the quad\nbike",
    "éfuel",
    "fuel_can",
    "_fuel",
    "(Fuel)",
    "fuel2",
    "2fuel",
    "tractors",
    "Tractor's wheel",
    "GPS\n",
    "heating\noil",
    "heating  oil",
    "ſheep",
    "Sheep\u00a0worrying",
    "lambé",
    "λlamb",
    "lamb λ",
    "it's 'tack'",
    "",
    " ",
)


def test_keywords_are_matched_in_sql_as_in_memory(real):
    """The priorities' keywords on texts on the edge of a word: the store's SQL (RE2) counts the
    crimes Python's ``re`` counts, crime by crime, and the scorecards agree."""
    _, data = real
    df = data.incidents.copy()
    texts = np.array([*EDGES, None], dtype=object)
    df["description"] = pd.Series(texts[np.arange(len(df)) % len(texts)], dtype="str")
    df["context"] = pd.Series(texts[::-1][np.arange(len(df)) % 5], dtype="str")
    cfg = load_progress_config()
    sets = [p.keywords for p in cfg.priorities if p.keywords]
    assert sets and all(map(sp.keywords_in_sql, sets))
    view, cols = StoreView.from_frame(df), set(df.columns)
    for kws in sets:
        sql = view.query(f"SELECT {sp._mentions(kws, cols)} AS hit FROM rows ORDER BY rowid")["hit"].to_numpy()
        py = aims._keyword_mask(df, np.ones(len(df), dtype=bool), kws)
        assert sql.any() and (sql == py).all(), [t for t, a, b in zip(df["description"], sql, py) if a != b][:5]
    for spec in ("12m-2024-04", "2019"):
        expected = build_scorecard(df, _acts("W1"), None, parse_period(spec), cfg, read_at=READ_AT)
        assert_same_scorecard(
            build_scorecard(view, _acts("W1"), None, parse_period(spec), cfg, read_at=READ_AT), expected, view
        )
    assert not sp.keywords_in_sql(["fuel", "£"]) and not sp.keywords_in_sql(["-oil"])
    # a keyword not bounded by word characters: its crimes are read and matched in Python
    odd = dataclasses.replace(
        cfg,
        priorities=[
            dataclasses.replace(p, keywords=(*p.keywords, "'tack'")) if p.keywords else p for p in cfg.priorities
        ],
    )
    period = parse_period("12m-2024-04")
    expected = build_scorecard(df, _acts("W1"), None, period, odd, read_at=READ_AT)
    assert_same_scorecard(build_scorecard(view, _acts("W1"), None, period, odd, read_at=READ_AT), expected, view)


def test_the_progress_map_from_the_store_is_the_map_from_memory(real):
    view, data = real
    wards = data.geography.wards
    areas = ward_areas_km2(wards)
    for spec in ("12m-2024-04", "2018-19", "12m-2019-01"):
        period = parse_period(spec)
        expected = charts.map_data(data.incidents, None, wards, areas, period, data.definition.rural_classes)
        got = charts.map_data(view, None, wards, areas, period, data.definition.rural_classes)
        pd.testing.assert_frame_equal(got, expected)
        assert expected["crimes"].sum() > 100


def _regions(wards: pd.DataFrame) -> list[rg.Region]:
    """The real files are one force's: a home force given one district's wards, with that force
    as its neighbour, borders real crimes; a named neighbour without files has none."""
    real_force = "Northamptonshire Police"
    district = str(wards["district"].value_counts().index[-1])
    return [
        rg.Region("Test", "Home", (rg.Force("Home", (district,)), rg.Force(real_force)), border_distance_m=2500),
        rg.Region("Test", real_force, (rg.Force(real_force), rg.Force("Leicestershire Police"))),
    ]


def test_the_region_from_the_store_is_the_region_from_memory(real):
    view, data = real
    df, wards = data.incidents, data.geography.wards
    for region in _regions(wards):
        pd.testing.assert_frame_equal(rg.ward_forces(view, wards, region), rg.ward_forces(df, wards, region))
        pd.testing.assert_frame_equal(rg.region_table(view, wards, region), rg.region_table(df, wards, region))
        pd.testing.assert_frame_equal(rg.region_trend(view, region), rg.region_trend(df, region))
        pd.testing.assert_frame_equal(rg.border_crimes(view, wards, region), rg.border_crimes(df, wards, region))
    border = rg.border_crimes(df, wards, _regions(wards)[0])
    assert border["crimes"].sum() > 1000 and border["rural_category_crimes"].sum() > 0
    assert rg.region_table(df, wards, _regions(wards)[1])["crimes"].iloc[0] == len(df)


def test_the_data_pages_coverage_from_the_store_is_coverage_from_memory(real):
    view, data = real
    today = dt.date(2026, 12, 2)
    got, expected = sp.coverage(view, today), coverage(data.incidents, today)
    pd.testing.assert_frame_equal(got.by_force, expected.by_force)
    pd.testing.assert_frame_equal(got.per_month, expected.per_month)
    rest = {"by_force": None, "per_month": None}
    assert dataclasses.replace(got, **rest) == dataclasses.replace(expected, **rest)
    assert got.gaps and got.rows == len(data.incidents) > 50_000
    empty = coverage(data.incidents.iloc[:0], today)
    assert dataclasses.replace(sp.coverage(StoreView.from_frame(data.incidents.iloc[:0]), today), **rest) == (
        dataclasses.replace(empty, **rest)
    )
