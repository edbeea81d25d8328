"""Tests over the real public files in ../shared/data (skipped when that folder is absent).

Expected figures come from ../shared/data/SOURCES.md, which was written independently of this
code by reading the files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from ruralaction.definition import load_definition
from ruralaction.geography.boundaries import build_geography, find_geography_files
from ruralaction.incidents.pipeline import run

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
DEF = load_definition()
ROWS = {  # file -> rows excluding header, from SOURCES.md
    "2018-10": 6705,
    "2018-11": 6616,
    "2018-12": 6196,
    "2019-01": 6420,
    "2019-02": 6270,
    "2024-01": 5613,
    "2024-02": 5410,
    "2024-03": 6181,
    "2024-04": 6018,
}


def files(prefix: str) -> list[Path]:
    return sorted((SHARED / "police_uk").glob(f"{prefix}*-street.csv"))


@pytest.fixture(scope="module")
def geo_files():
    return find_geography_files(SHARED)


@pytest.fixture(scope="module")
def full_geo(geo_files):
    return build_geography(DEF, geo_files["boundaries"], geo_files["lookups"])


@pytest.fixture(scope="module")
def lsoa_geo(geo_files):
    return build_geography(DEF, [p for p in geo_files["boundaries"] if "lsoa_by_lad" in p.parts], geo_files["lookups"])


@pytest.fixture(scope="module")
def all_2024(full_geo):
    return run(files("2024"), full_geo, DEF)


def test_every_row_of_every_real_file_is_accounted_for():
    result = run(files("20"), None, DEF)
    s = result.summary
    per_file = {Path(f.source).name[:7]: f for f in s.files}
    for month, n in ROWS.items():
        f = per_file[month]
        with open(SHARED / "police_uk" / f"{month}-northamptonshire-street.csv", newline="", encoding="utf-8") as fh:
            assert sum(1 for _ in csv.reader(fh)) - 1 == n  # the figure in SOURCES.md is right
        assert f.rows_read == n and f.rows_loaded + f.rows_rejected == n
    assert s.balanced and s.rows_read == sum(ROWS.values())
    assert s.rows_rejected == 0 and not s.errors
    df = result.incidents
    asb = df["crime_type"] == "Anti-social behaviour"
    assert df.loc[asb, "crime_id"].isna().all() and df.loc[~asb, "crime_id"].notna().all()
    # Shared Crime IDs inside one file are distinct records, and all are kept.
    dup = df[~asb].duplicated(["source_file", "crime_id"], keep=False)
    assert dup.sum() > 100


def test_lsoa_rule_agrees_with_ons_lookup_row_for_row(lsoa_geo):
    df = run(files("201"), lsoa_geo, DEF).incidents
    lookup = pd.read_csv(SHARED / "ruc" / "ruc_2011.csv", dtype=str).set_index("lsoa")["RUC11CD"]
    expected = df["lsoa_code"].astype(str).map(lookup)
    has = expected.notna()
    assert has.sum() == len(df)  # every 2011-era LSOA code is in the lookup
    assert (df.loc[has, "rural_basis"].astype(str).str.endswith("LSOA lookup")).all()
    assert (df.loc[has, "in_rural_ward"].astype(bool) == expected[has].isin(["D1", "D2", "E1", "E2"])).all()
    in_county = df[df["in_county"].fillna(False)]
    assert len(in_county) == 32_081
    split = in_county["lsoa_code"].astype(str).map(lookup).value_counts().to_dict()
    assert split == {"C1": 26_045, "D1": 3_929, "E1": 2_107}
    assert int(in_county["in_rural_ward"].sum()) == 3_929 + 2_107


def test_2021_lsoa_codes_fall_back_to_2011_lsoa_polygons(lsoa_geo):
    df = run(files("2024"), lsoa_geo, DEF).incidents
    in_county = df[df["in_county"].fillna(False)]
    assert len(in_county) == 23_062
    by_polygon = in_county[in_county["rural_basis"] == "LSOA boundary"]
    assert len(by_polygon) == 2_972 and by_polygon["lsoa_code"].nunique() == 40
    assert in_county["in_rural_ward"].notna().all()  # none left unknown


def test_wards_decide_first_and_daventry_2012_wards_are_derived(full_geo, all_2024):
    w = full_geo.wards
    assert len(w) == 146
    derived = w[w["class_basis"] == "ward (derived from LSOAs)"]
    assert len(derived) == 16 and derived["ward_code"].between("E05009012", "E05009027").all()
    assert w["ruc_code"].notna().all()
    df = all_2024.incidents
    in_county = df[df["in_county"].fillna(False)]
    assert in_county["ward_code"].notna().all()
    assert set(in_county["rural_basis"].astype(str).str.replace(r"^farm \([^)]*\); ", "", regex=True)) <= {
        "ward lookup",
        "ward (derived from LSOAs)",
    }
    brixworth = in_county[in_county["ward_code"] == "E05009016"]
    assert len(brixworth) and (brixworth["ward_name"] == "Brixworth").all() and brixworth["in_rural_ward"].all()


def test_out_of_county_rows_flagged_not_counted(all_2024):
    df = all_2024.incidents
    outside = df[df["in_county"] == False]  # noqa: E712
    assert len(outside) == len(df) - 23_062 > 0
    assert not outside["is_rural_crime"].any()
    assert (
        outside["lsoa_name"]
        .astype(str)
        .str.contains("Amber Valley|Milton Keynes|Bedford|Harborough|Aylesbury|Cherwell")
        .any()
    )


def test_rural_crime_counts_are_consistent(all_2024):
    df = all_2024.incidents
    rural = df[df["is_rural_crime"]]
    assert len(rural) > 500
    assert rural["rural_category"].notna().all() and rural["in_county"].all()
    assert (rural["at_farm"] | rural["in_rural_ward"].fillna(False)).all()
    assert rural["rural_reason"].astype(str).str.contains(r"in a rural ward \(|at a farm location").all()
    assert set(df.loc[df["crime_type"] == "Shoplifting", "rural_reason"].astype(str)) == {"Out of scope: shoplifting"}


def test_genuine_farm_location_found_and_farm_streets_not(all_2024):
    loc = all_2024.incidents["location"].astype(str)
    farm = all_2024.incidents["at_farm"]
    assert not farm[loc.str.contains(r"Farm (?:Close|Road|Way|Lane|Court|Crescent|Drive)$")].any()
    assert farm[loc.str.contains("Farm$")].all()
