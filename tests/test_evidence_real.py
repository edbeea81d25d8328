"""The evidence on the real public files in ../shared/data (skipped when absent): Northamptonshire
police.uk 2018-10..2019-02 and 2024-01..04 with the real ward/LSOA boundaries, and an ONS LSOA
population table written by the test in the ONS layout for the real LSOA codes.

What must hold: months without files are never zeros, nine months are honestly too little to
model a season, hotspots come out only where the numbers carry them, and residents per ward add
up to the residents per LSOA.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ruralaction.definition import load_definition
from ruralaction.geography.boundaries import build_geography, find_geography_files
from ruralaction.geography.population import PopulationError, read_population, ward_population
from ruralaction.incidents.pipeline import run
from ruralaction.measures import hotspot_layers, hotspots, seasonal
from ruralaction.measures.counts import CountTable, area_positions, covered_months, from_frame
from ruralaction.measures.coverage import coverage
from ruralaction.measures.trends import MIN_COUNT
from ruralaction.progress import impact

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")


@pytest.fixture(scope="module")
def real():
    definition = load_definition()
    found = find_geography_files(SHARED)
    geo = build_geography(definition, found["boundaries"], found["lookups"])
    return run(sorted((SHARED / "police_uk").glob("*-street.csv")), geo, definition)


@pytest.fixture(scope="module")
def covered(real):
    return covered_months(coverage(real.incidents))


@pytest.fixture(scope="module")
def ward_table(real, covered):
    df, wards = real.incidents, real.geography.wards
    codes = pd.Index(wards["ward_code"].astype(str))
    return from_frame(df, df["is_rural_crime"].to_numpy(bool), area_positions(df, "ward_code", codes), codes, covered)


def test_coverage_has_the_gap_and_it_is_not_zero(covered, ward_table):
    assert covered == [
        "2018-10",
        "2018-11",
        "2018-12",
        "2019-01",
        "2019-02",
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert len(ward_table.months) == 67 and int(ward_table.covered.sum()) == 9
    assert ward_table.counts[:, ~ward_table.covered].sum() == 0


def test_nine_months_are_too_little_to_model_a_season(ward_table):
    county = CountTable(
        pd.Index(["county"]), ward_table.months, ward_table.covered, ward_table.counts.sum(0, keepdims=True)
    )
    ex = seasonal.expected_counts(county)
    assert list(ex.frame["month"]) == ward_table.covered_months  # 2019-03..2023-12 are not assessed
    assert (ex.frame["status"] == "too little history").all() and not ex.frame["flag"].any()
    words = seasonal.month_words(ex.frame.iloc[-1])
    assert words.startswith("April 2024: ") and "Too little history to model the season: 8 other months" in words
    cal = seasonal.calendar(county)
    assert seasonal.calendar_words(cal)[0].startswith("Too little history for a typical year")
    # 2024 alone: four months
    only = CountTable(
        county.areas, county.months, county.covered & (np.array(county.months) >= "2024-01"), county.counts
    )
    assert (seasonal.expected_counts(only).frame["history"] == 3).all()


def test_hotspots_on_the_real_hexagons(real):
    df, wards = real.incidents, real.geography.wards
    grid = hotspots.grid_for_area(wards.geometry)
    assert 1_300 < grid.n < 1_900  # Northamptonshire's ~2,360 km² in 1.66 km² cells, plus a margin
    cell = hotspots.assign_cells(df["longitude"].to_numpy(float), df["latitude"].to_numpy(float), grid)
    in_county = df["in_county"].to_numpy(dtype=bool, na_value=False)
    assert (cell[in_county] >= 0).mean() > 0.99  # county crimes fall in the grid
    rural = df["is_rural_crime"].to_numpy(bool)
    counts = np.bincount(cell[rural & (cell >= 0)], minlength=grid.n)
    res = hotspots.gi_star(grid, counts)
    assert res.status == "ok" and res.total == counts.sum()
    hot = res.hot
    assert (hot["around"] >= MIN_COUNT).all()
    assert (hot["z"] > 0).all() and hot["confidence"].isin([90, 95, 99]).all()
    # Nine months of rural crime sit in single places (villages) rather than in clusters of
    # neighbouring hexagons: the normal approximation would call them hotspots (z > 8), the
    # conditional randomization does not, and the words say where the crime is instead.
    assert res.cells["z"].max() > 8
    if hot.empty:
        assert "No cluster of neighbouring hexagons stands out" in res.words
        assert f"the busiest hexagons hold {int(counts.max()):,}" in res.words
    else:
        assert "significant hotspot" in res.words
        assert hotspot_layers.table(grid, res)["Centre latitude"].between(51.9, 52.7).all()
    # emerging: blocks of three covered months around the gap give two steps: too few
    em = hotspots.emerging(grid, np.vstack([counts, counts]), ["2018-12", "2024-02"])
    assert em.status == "too few steps" and "at least 6" in em.words


def test_an_action_across_the_gap_is_not_compared(real, ward_table):
    wards = real.geography.wards
    kind = pd.Series(wards["ruc_code"].isin(list(real.definition.rural_classes)).to_numpy(), index=ward_table.areas)
    cat = real.incidents["rural_category"]
    codes = ward_table.areas
    df = real.incidents
    burglary = from_frame(
        df,
        (cat == "burglary").to_numpy(bool),
        area_positions(df, "ward_code", codes),
        codes,
        ward_table.covered_months,
    )
    gap = impact.evaluate(burglary, ["E05009016"], dt.date(2024, 1, 20), kind, months=6, category="burglary")
    assert gap.status == "incomplete" and "missing: Jul 2023" in gap.sentence
    one = impact.evaluate(burglary, ["E05009016"], dt.date(2024, 2, 20), kind, months=1, category="burglary")
    assert one.status in ("too few", "measured", "no comparison")
    if one.status == "too few":
        assert one.verdict == "too few crimes to tell"


def _ons_csv(path: Path, codes: list[str], residents: list[int], layout: str) -> Path:
    """An ONS 'Lower layer Super Output Area population estimates' table saved as CSV."""
    if layout == "2021":
        title = [
            "Mid-2022 population estimates for 2021 Lower layer Super Output Areas (LSOAs) in England and Wales",
            "Source: Office for National Statistics",
            "",
        ]
        header = "LAD 2021 Code,LAD 2021 Name,LSOA 2021 Code,LSOA 2021 Name,Total,F0,F1,M0,M1"
        rows = [
            f'E06000062,West Northamptonshire,{c},Somewhere {i:03d}A,"{n:,}",5,6,7,8'
            for i, (c, n) in enumerate(zip(codes, residents))
        ]
    else:
        title = []
        header = "LSOA Code,LSOA Name,LA Code (2018 boundaries),All Ages,0,1,2"
        rows = [f"{c},Somewhere {i:03d}A,E07000151,{n},1,2,3" for i, (c, n) in enumerate(zip(codes, residents))]
    path.write_text("\n".join([*title, header, *rows]) + "\n", encoding="utf-8-sig")
    return path


@pytest.mark.parametrize("layout", ["2021", "2011"])
def test_population_per_ward_adds_up_on_the_real_boundaries(real, tmp_path, layout):
    lsoas = real.geography.lsoas
    codes = lsoas["lsoa_code"].astype(str).tolist()
    rng = np.random.default_rng(1)
    residents = rng.integers(1_000, 3_000, len(codes)).tolist()
    pop = read_population(_ons_csv(tmp_path / "pop.csv", codes, residents, layout))
    assert len(pop) == len(codes) and int(pop.sum()) == sum(residents)
    wp = ward_population(pop, real.geography.wards, lsoas)
    assert wp.frame["population"].sum() == pytest.approx(sum(residents), rel=0.002)
    assert wp.frame["complete"].mean() > 0.95
    # a population file lacking one LSOA: wards it covers are marked incomplete, not undercounted
    part = pop.drop(codes[0])
    wp2 = ward_population(part, real.geography.wards, lsoas)
    assert (~wp2.frame["complete"]).sum() >= 1 and any("no full population figure" in n for n in wp2.notes)


def test_a_bad_population_row_refuses_the_file_naming_line_and_column(tmp_path):
    p = _ons_csv(tmp_path / "pop.csv", ["E01027000", "E01027001"], [1500, 1600], "2021")
    text = p.read_text(encoding="utf-8-sig").replace('"1,600"', "n/a")
    p.write_text(text, encoding="utf-8")
    with pytest.raises(PopulationError) as err:
        read_population(p)
    assert "pop.csv was not used: line 6, column 'Total': 'n/a' is not a whole number of residents" in str(err.value)
    q = tmp_path / "other.csv"
    q.write_text("code,people\nE01027000,5\n")
    with pytest.raises(PopulationError, match="not an ONS LSOA population table"):
        read_population(q)
