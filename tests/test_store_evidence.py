"""The evidence's count tables asked of the classified store (DuckDB over Parquet) equal the
in-memory path on the real police.uk files in ../shared/data (skipped when absent): covered
months, rural crime per ward and month, in-scope crime per category, the calendar, rural and
urban side by side, and the hotspots' counts per cell (Gi* and emerging patterns alike).

The in-memory path here is the one the pages took before they asked the store: ``from_frame``
over the classified frame and every incident given its hexagon cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ruralaction.incidents.pipeline import load_data_dir
from ruralaction.incidents.store import Store, geography_folder_files
from ruralaction.measures import hotspots, rural_urban
from ruralaction.measures import store_evidence as se
from ruralaction.measures.counts import CountTable, area_positions, covered_months, from_frame, month_code
from ruralaction.measures.coverage import coverage
from ruralaction.measures.filters import Filters
from ruralaction.measures.store_queries import StoreView
from ruralaction.permissions import Actor, Role

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)
#: Fewer random relocations than the page draws: the same counts give the same p-values either way.
DRAWS = 999


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Every real month with the real boundaries in a store, the same read into memory, and both
    views: over the Parquet files and over the in-memory frame (a read-only data directory)."""
    store = Store(tmp_path_factory.mktemp("evidence_store"))
    files = sorted((SHARED / "police_uk").glob("*-street.csv"))
    assert store.add_incidents(files, actor=ADMIN, geography=geography_folder_files(SHARED)).accepted
    memory = load_data_dir(store.path("ours"))
    views = {
        "parquet": StoreView.of(store.versions.current_dir(), "ours"),
        "frame": StoreView.from_frame(memory.incidents),
    }
    return memory, views


@pytest.fixture(scope="module")
def covered(real):
    memory, _ = real
    return covered_months(coverage(memory.incidents))


@pytest.fixture(scope="module")
def grid(real):
    memory, _ = real
    g = hotspots.grid_for_area(memory.geography.wards.geometry)
    return g, hotspots.neighbour_graph(g)


def assert_tables_equal(got: CountTable, expected: CountTable) -> None:
    pd.testing.assert_index_equal(got.areas, expected.areas)
    assert got.months == expected.months
    np.testing.assert_array_equal(got.covered, expected.covered)
    np.testing.assert_array_equal(got.counts, expected.counts)
    assert got.counts.dtype == expected.counts.dtype


@pytest.mark.parametrize("kind", ["parquet", "frame"])
def test_covered_months_are_the_months_with_any_incident(real, covered, kind):
    _, views = real
    assert se.covered_months(views[kind]) == covered
    assert len(covered) >= 9


@pytest.mark.parametrize("kind", ["parquet", "frame"])
def test_ward_category_and_calendar_tables_equal_the_in_memory_tables(real, covered, kind):
    memory, views = real
    df = memory.incidents
    codes = pd.Index(memory.geography.wards["ward_code"].astype(str), name="ward_code")
    pos = area_positions(df, "ward_code", codes)
    rural = df["is_rural_crime"].to_numpy(dtype=bool)
    cats = df["rural_category"]
    cat_codes = cats.cat.codes.to_numpy()

    got = se.ward_tables(views[kind], codes, covered)

    assert_tables_equal(got.rural, from_frame(df, rural, pos, codes, covered))
    assert list(got.categories) == [str(c) for c in cats.cat.categories]
    for i, c in enumerate(cats.cat.categories):
        assert_tables_equal(
            got.categories[str(c)], from_frame(df, (cat_codes >= 0) & (cat_codes == i), pos, codes, covered)
        )
    names = pd.Index(list(got.categories), name="category")
    assert_tables_equal(got.calendar, from_frame(df, rural, np.where(rural, cat_codes, -1), names, covered))
    assert got.rural.counts.sum() > 1000 and got.calendar.counts.sum() >= got.rural.counts.sum()


@pytest.mark.parametrize("kind", ["parquet", "frame"])
def test_rural_and_urban_side_table_equals_the_in_memory_one(real, covered, kind):
    memory, views = real
    df = memory.incidents
    expected = rural_urban.side_table(df, df["is_rural_crime"].to_numpy(dtype=bool), covered)
    got = se.side_table(views[kind], covered)
    assert_tables_equal(got, expected)
    assert (got.counts.sum(axis=1) > 0).all()
    den = rural_urban.Denominators({"Rural": 1000.0, "Urban": 2000.0}, {"Rural": 50.0, "Urban": 10.0})
    pd.testing.assert_frame_equal(rural_urban.side_by_side(got, den), rural_urban.side_by_side(expected, den))


def _memory_cell_counts(df, wards, grid, f, blocks):
    """The hotspot counts as the Map computed them in memory: every incident's cell."""
    cell = hotspots.assign_cells(df["longitude"].to_numpy(float), df["latitude"].to_numpy(float), grid)
    mask = f.apply(df, wards)
    cells = cell[mask]
    counts = np.bincount(cells[cells >= 0], minlength=grid.n)
    codes = df["month"].to_numpy()[mask].astype("datetime64[M]").astype(np.int64)
    block_of = {month_code(m): i for i, b in enumerate(blocks) for m in b}
    pos = pd.Series(codes).map(block_of).fillna(-1).to_numpy(dtype=np.int64)
    ok = (pos >= 0) & (cells >= 0)
    by_step = np.bincount(pos[ok] * grid.n + cells[ok], minlength=len(blocks) * grid.n).reshape(len(blocks), grid.n)
    return counts, by_step


@pytest.mark.parametrize(
    "f",
    [
        Filters(),
        Filters(month_from="2024-02", month_to="2024-03", categories=("burglary", "vehicle crime")),
        Filters(reason="ward", month_from="2019-01"),
        Filters(reason="ward", district="Daventry"),
    ],
    ids=["all", "months and categories", "rural wards from a month", "district"],
)
def test_hotspot_counts_gi_star_and_emerging_equal_the_in_memory_path(real, covered, grid, f):
    memory, views = real
    g, graph = grid
    df, wards = memory.incidents, memory.geography.wards
    blocks = [[m] for m in covered]  # one step per covered month: enough steps for emerging patterns
    counts, by_step = _memory_cell_counts(df, wards, g, f, blocks)
    assert counts.sum() > 0
    got_counts, got_steps = se.cell_counts(views["parquet"], g, f, wards, blocks)
    np.testing.assert_array_equal(got_counts, counts)
    np.testing.assert_array_equal(got_steps, by_step)
    frame_counts, frame_steps = se.cell_counts(views["frame"], g, f, wards, blocks)
    np.testing.assert_array_equal(frame_counts, counts)
    np.testing.assert_array_equal(frame_steps, by_step)
    # the statistics on them are the same
    got, expected = hotspots.gi_star(g, got_counts, graph, draws=DRAWS), hotspots.gi_star(g, counts, graph, draws=DRAWS)
    pd.testing.assert_frame_equal(got.cells, expected.cells)
    assert (got.total, got.status, got.words) == (expected.total, expected.status, expected.words)
    steps = [b[0] for b in blocks]
    em_got, em = hotspots.emerging(g, got_steps, steps, graph), hotspots.emerging(g, by_step, steps, graph)
    pd.testing.assert_frame_equal(em_got.cells, em.cells)
    assert (em_got.status, em_got.words) == (em.status, em.words)


def test_no_blocks_give_no_steps(real, grid):
    _, views = real
    g, _ = grid
    counts, by_step = se.cell_counts(views["parquet"], g, Filters(), None, [])
    assert by_step.shape == (0, g.n) and counts.sum() > 0


def test_an_empty_store_gives_empty_tables():
    view = StoreView((), ("burglary", "robbery"))
    covered = se.covered_months(view)
    assert covered == []
    t = se.ward_tables(view, ["E05000001", "E05000002"], covered)
    assert t.rural.counts.shape == (2, 0) and list(t.categories) == ["burglary", "robbery"]
    assert se.side_table(view, covered).counts.shape == (2, 0)
    g = hotspots.HexGrid.from_axial(np.array([0, 1]), np.array([0, 0]))
    counts, by_step = se.cell_counts(view, g, Filters(), None, [["2024-01"]])
    assert counts.tolist() == [0, 0] and by_step.tolist() == [[0, 0]]
