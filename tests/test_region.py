"""The region of neighbouring forces (``ruralaction.measures.region``) and the Region page.

The county's side is the real Northamptonshire file and ward boundaries under ../shared/data; the
neighbour's crimes are a police.uk street file the test writes in the real layout, with points
placed by hand: one in Market Harborough (Leicestershire, about 1.5 km over the county border),
one in Leicester (about 20 km over it).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from policeuk import row, write
from streamlit.testing.v1 import AppTest
from tiny_county import write_tiny_county

from ruralaction.definition import load_definition
from ruralaction.geography.boundaries import BNG, build_geography, find_geography_files
from ruralaction.incidents.pipeline import run
from ruralaction.measures import region as rg

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOME, LEICS = "Northamptonshire Police", "Leicestershire Police"
HARBOROUGH = ("-0.921", "52.478")
LEICESTER = ("-1.133", "52.636")

real = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")


def definition_with(tmp_path: Path, region: str):
    text = load_definition().path.read_text("utf-8")
    head = text[: text.index("[region]")]
    tail = text[text.index("# Input formats other than") :]
    p = tmp_path / "definition.toml"
    p.write_text(head + region + "\n" + tail, encoding="utf-8")
    return load_definition(p)


def test_the_shipped_definition_names_the_county_first_then_its_neighbours():
    reg = rg.load_region(load_definition())
    assert reg.home == HOME and reg.names[0] == HOME
    assert LEICS in reg.neighbours and HOME not in reg.neighbours
    assert reg.border_distance_m == 3000


def test_without_a_region_section_the_region_is_the_county_alone(tmp_path):
    d = definition_with(tmp_path, "")
    reg = rg.load_region(d)
    assert reg.names == [HOME] and reg.neighbours == []


def test_a_wrong_region_setting_is_named_with_its_line(tmp_path):
    d = definition_with(tmp_path, '[region]\nborder_distance_m = "far"\n')
    with pytest.raises(rg.RegionConfigError) as err:
        rg.load_region(d)
    assert "region.border_distance_m" in str(err.value) and "line" in str(err.value)
    d = definition_with(tmp_path, '[region]\nforces = [{ name = "A" }, { name = "A" }]\n')
    with pytest.raises(rg.RegionConfigError, match="'A' twice"):
        rg.load_region(d)


@pytest.fixture(scope="module")
def county_and_neighbour(tmp_path_factory):
    d = load_definition()
    found = find_geography_files(SHARED)
    geo = build_geography(d, found["boundaries"], found["lookups"])
    folder = tmp_path_factory.mktemp("leics")
    theirs = write(
        folder / "2024-01-leicestershire-street.csv",
        [
            row("l1", "2024-01", *HARBOROUGH, lsoa_code="E01025900", lsoa_name="Harborough 010A", force=LEICS),
            row(
                "l2",
                "2024-01",
                *LEICESTER,
                lsoa_code="E01013000",
                lsoa_name="Leicester 020A",
                force=LEICS,
                crime_type="Shoplifting",
            ),
        ],
    )
    done = run([SHARED / "police_uk" / "2024-01-northamptonshire-street.csv", theirs], geo, d)
    return done.incidents, geo.wards


@real
def test_forces_side_by_side_on_real_files(county_and_neighbour):
    df, wards = county_and_neighbour
    reg = rg.Region("r", HOME, (rg.Force(HOME), rg.Force(LEICS), rg.Force("Lincolnshire Police")), 3000)
    table = rg.region_table(df, wards, reg).set_index("force")
    ours = df[df["falls_within"] == HOME]
    assert table.loc[HOME, "crimes"] == len(ours) == 5613  # every row of the real file (SOURCES.md)
    assert table.loc[HOME, "rural_crimes"] == int(ours["is_rural_crime"].sum())
    # The county's wards cover Northamptonshire: ONS gives 2,364 km² (Standard Area Measurements).
    assert table.loc[HOME, "area_km2"] == pytest.approx(2364, rel=0.01)
    rate = table.loc[HOME, "rural_crimes"] * 12 / table.loc[HOME, "area_km2"] * 100
    assert table.loc[HOME, "rural_per_100km2_year"] == pytest.approx(rate, abs=0.01)
    # The neighbour has data but no boundaries: counted, not rated, and said so.
    assert table.loc[LEICS, "crimes"] == 2 and table.loc[LEICS, "months"] == 1
    assert pd.isna(table.loc[LEICS, "rural_per_100km2_year"]) and "no ward boundaries" in table.loc[LEICS, "note"]
    assert table.loc["Lincolnshire Police", "months"] == 0
    assert "no files" in table.loc["Lincolnshire Police", "note"]
    trend = rg.region_trend(df, reg)
    assert set(trend["force"]) == {HOME, LEICS}  # no row for a force with no data


@real
def test_border_wards_show_the_neighbours_crimes_within_the_distance(county_and_neighbour):
    df, wards = county_and_neighbour
    for metres in (3000, 500, 30_000):
        reg = rg.Region("r", HOME, (rg.Force(HOME), rg.Force(LEICS)), metres)
        got = rg.border_crimes(df, wards, reg)
        assert set(got["neighbour"]) <= {LEICS}
        # Checked another way: each point's distance to each ward polygon, in metres.
        w = wards.to_crs(BNG)
        expected: dict[str, int] = {}
        for lon, lat in (HARBOROUGH, LEICESTER):
            pt = gpd.GeoSeries(gpd.points_from_xy([float(lon)], [float(lat)]), crs="EPSG:4326").to_crs(BNG).iloc[0]
            near = w.loc[w.geometry.distance(pt) <= metres, "ward_code"]
            for code in near:
                expected[code] = expected.get(code, 0) + 1
        assert dict(zip(got["ward_code"], got["crimes"], strict=True)) == expected
        if metres == 3000:
            assert expected and got["crimes"].sum() == len(expected)  # Market Harborough only, near a few wards
            assert set(got["ward_name"]) >= {"Welland"}
        if metres == 500:
            assert got.empty  # Market Harborough is more than 500 m from the county
        if metres == 30_000:
            assert got["crimes"].max() == 2  # Leicester too, for the wards nearest it


def test_the_region_page_compares_the_forces_and_lists_border_crimes(tmp_path):
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    near, far = ("-0.95", "52.12"), ("-0.95", "52.30")  # about 2 km and 22 km north of Brixworth (W1)
    write(
        root / "ours" / "police_uk" / "2024-01" / "2024-01-leicestershire-street.csv",
        [row("n1", "2024-01", *near, force=LEICS), row("n2", "2024-01", *far, force=LEICS, location="=cmd|calc")],
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RURALACTION_DATA_DIR", str(root))
        at = AppTest.from_file(APP, default_timeout=60).run()
        at.switch_page("dashboard/pages/region.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Rural crime across the region"]
    forces = at.dataframe[0].value.set_index("Force")
    assert list(forces.index)[:2] == [HOME, LEICS]
    assert forces.loc[LEICS, "All crimes"] == "2" and forces.loc[HOME, "All crimes"] == "11"
    # a force with no files shows "—", not 0 crimes, and the line under the table says why
    assert forces.loc["Lincolnshire Police", "All crimes"] == "—"
    assert any(c.value.startswith("No files loaded yet") and "Lincolnshire Police" in c.value for c in at.caption)
    border = at.dataframe[1].value
    assert border[["ward_name", "neighbour", "crimes"]].values.tolist() == [["Brixworth", LEICS, 1]]
    assert [b.proto.label for b in at.get("download_button")] == ["Border crimes (CSV)"]
    assert any("within 3 km" in c.value for c in at.caption)
