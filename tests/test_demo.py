"""The embedded demo data: real formats, believable volumes and geography, deterministic."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ruralaction.definition import DEFAULT_DEFINITION
from ruralaction.incidents import demo as demo_module
from ruralaction.incidents.demo import DemoSummary, default_end_month, write_demo

END = "2026-09"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
EXPORT_HEADER = (
    "Occurrence Reference,Date Committed,Offence Group,Longitude,Latitude,Location Description,"
    "LSOA Code,LSOA Name,Premises Type,Description,Wildlife Flag,Outcome"
)
CRIME_TYPES = {
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
}
OUTCOMES = {  # values police.uk publishes (2024 style)
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Awaiting court outcome",
    "Action to be taken by another organisation",
    "Local resolution",
    "Offender given a caution",
    "Further action is not in the public interest",
    "Further investigation is not in the public interest",
    "Formal action is not in the public interest",
    "Suspect charged as part of another case",
    "Offender given penalty notice",
}
DISTRICTS = {
    "Corby",
    "Daventry",
    "East Northamptonshire",
    "Kettering",
    "Northampton",
    "South Northamptonshire",
    "Wellingborough",
}
DEFINITION = tomllib.loads(DEFAULT_DEFINITION.read_text("utf-8"))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoSummary:
    start = time.perf_counter()
    summary = write_demo(tmp_path_factory.mktemp("demo"), end_month=END)
    seconds = time.perf_counter() - start
    print(
        f"\nwrite_demo(years=3): {seconds:.2f} s, {summary.n_incidents:,} police.uk rows, "
        f"{summary.n_force_export:,} force-export rows, {summary.n_wards} wards"
    )
    return summary


@pytest.fixture(scope="module")
def again(tmp_path_factory) -> DemoSummary:
    return write_demo(tmp_path_factory.mktemp("again"), end_month=END)


@pytest.fixture(scope="module")
def police(demo) -> pd.DataFrame:
    files = sorted((demo.data_dir / "police_uk").rglob("*.csv"))
    return pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False).assign(file=f.name) for f in files], ignore_index=True
    )


@pytest.fixture(scope="module")
def export(demo) -> pd.DataFrame:
    files = sorted((demo.data_dir / "force_export").glob("*.csv"))
    return pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False).assign(file=f.name) for f in files], ignore_index=True
    )


@pytest.fixture(scope="module")
def lookup(demo) -> pd.DataFrame:
    return pd.read_csv(demo.data_dir / "ruc" / "demo_ruc_2011.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def wards(demo) -> gpd.GeoDataFrame:
    return gpd.read_file(demo.data_dir / "boundaries" / "wards" / "demo_wards.geojson")


def ward_of(lon: pd.Series, lat: pd.Series, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Index of the ward each point lies in, -1 outside every ward or without coordinates."""
    x = pd.to_numeric(lon, errors="coerce").to_numpy()
    y = pd.to_numeric(lat, errors="coerce").to_numpy()
    out = np.full(len(x), -1)
    ok = np.isfinite(x) & np.isfinite(y)
    codes, uniq = pd.factorize(x[ok] + 1j * y[ok])
    found = np.full(len(uniq), -1)
    point_idx, ward_idx = shapely.STRtree(wards.geometry.values).query(
        shapely.points(uniq.real, uniq.imag), predicate="within"
    )
    found[point_idx] = ward_idx
    out[ok] = found[codes]
    return out


@pytest.fixture(scope="module")
def police_ward(police, wards) -> np.ndarray:
    return ward_of(police["Longitude"], police["Latitude"], wards)


# --------------------------------------------------------------------------- API and files


def test_summary_describes_what_was_written(demo, police, export):
    assert len(demo.months) == 36
    assert (demo.months[0], demo.months[-1]) == ("2023-10", END)
    assert demo.n_incidents == len(police)
    assert demo.n_force_export == len(export)
    assert 80 <= demo.n_wards <= 110
    assert all(f.is_file() for f in demo.files)
    assert demo.files[-1].name == "demo.json"


def test_layout_is_the_real_pipelines(demo):
    root = demo.data_dir
    written = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    expected = {f"police_uk/{m}/{m}-northamptonshire-street.csv" for m in demo.months}
    expected |= {f"force_export/{y}-wildlife-export.csv" for y in ("2023", "2024", "2025", "2026")}
    expected |= {"boundaries/wards/demo_wards.geojson", "ruc/demo_ruc_2011.csv", "demo.json"}
    assert written == expected  # and nothing else: no database, no stray files
    assert {p.relative_to(root).as_posix() for p in demo.files} == expected


def test_marker_labels_the_data_as_demo(demo):
    marker = json.loads((demo.data_dir / "demo.json").read_text("utf-8"))
    assert marker["demo"] is True
    assert marker["seed"] == 2026
    assert marker["months"] == demo.months
    assert dt.datetime.fromisoformat(marker["generated"]).tzinfo is not None


def test_same_seed_gives_byte_identical_files(demo, again):
    compared = 0
    for path in demo.files:
        rel = path.relative_to(demo.data_dir)
        if rel.name == "demo.json":
            continue
        assert (again.data_dir / rel).read_bytes() == path.read_bytes(), rel
        compared += 1
    assert compared == len(demo.files) - 1
    first, second = (json.loads((s.data_dir / "demo.json").read_text("utf-8")) for s in (demo, again))
    first.pop("generated"), second.pop("generated")
    assert first == second


def test_seed_changes_incidents_but_not_geography(demo, tmp_path):
    other = write_demo(tmp_path, seed=7, years=1, end_month=END)
    rel_csv = f"police_uk/{END}/{END}-northamptonshire-street.csv"
    assert (tmp_path / rel_csv).read_bytes() != (demo.data_dir / rel_csv).read_bytes()
    for rel in ("boundaries/wards/demo_wards.geojson", "ruc/demo_ruc_2011.csv"):
        assert (tmp_path / rel).read_bytes() == (demo.data_dir / rel).read_bytes()
    assert other.months == demo.months[-12:]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 11, 25), "2026-09"),
        (dt.date(2026, 2, 1), "2025-12"),
        (dt.date(2026, 1, 31), "2025-11"),
    ],
)
def test_default_end_month_is_two_months_back(today, expected):
    assert default_end_month(today) == expected


@pytest.mark.parametrize("kwargs", [{"end_month": "2026-13"}, {"end_month": "Sept 2026"}, {"years": 0}])
def test_bad_arguments_are_refused(tmp_path, kwargs):
    with pytest.raises(ValueError):
        write_demo(tmp_path, **{"end_month": END, **kwargs})
    assert not any(tmp_path.rglob("*.csv"))


def test_refuses_to_mix_with_real_data(tmp_path):
    real = tmp_path / "police_uk" / "2024-01" / "2024-01-northamptonshire-street.csv"
    real.parent.mkdir(parents=True)
    real.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_demo(tmp_path, years=1, end_month=END)
    assert real.read_text("utf-8") == HEADER + "\n"
    assert not (tmp_path / "demo.json").exists()


def test_regenerating_replaces_an_earlier_demo(tmp_path):
    write_demo(tmp_path, years=1, end_month=END)
    newer = write_demo(tmp_path, years=1, end_month="2026-06")
    months = sorted(p.name for p in (tmp_path / "police_uk").iterdir())
    assert months == newer.months == [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
    assert sorted(p.name for p in (tmp_path / "force_export").iterdir()) == [
        "2025-wildlife-export.csv",
        "2026-wildlife-export.csv",
    ]


def test_a_run_that_failed_half_way_can_be_run_again(tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(demo_module, "_force_export_frame", disk_full)
    with pytest.raises(OSError):
        write_demo(tmp_path, years=1, end_month=END)
    assert any((tmp_path / "police_uk").rglob("*.csv"))  # half-written
    monkeypatch.undo()
    summary = write_demo(tmp_path, years=1, end_month=END)
    marker = json.loads((tmp_path / "demo.json").read_text("utf-8"))
    assert marker["files"] == sorted(p.relative_to(tmp_path).as_posix() for p in summary.files[:-1])


# --------------------------------------------------------------------------- police.uk files


def test_police_uk_files_have_the_real_header_and_encoding(demo):
    files = sorted((demo.data_dir / "police_uk").rglob("*.csv"))
    assert len(files) == 36
    for f in files:
        raw = f.read_bytes()
        assert raw.split(b"\n", 1)[0].decode("utf-8") == HEADER
        assert b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
        month = f.parent.name
        assert pd.read_csv(f, usecols=["Month"])["Month"].eq(month).all()


def test_volume_and_seasonal_pattern(police):
    per_month = police.groupby("Month").size()
    per_year = police.groupby(police["Month"].str[:4]).size()
    assert per_month.between(4800, 7000).all()
    assert per_year[["2024", "2025"]].between(60_000, 80_000).all()
    cal = per_month.index.str[5:]
    summer = per_month[cal.isin(["06", "07", "08"])].mean()
    winter = per_month[cal.isin(["12", "01", "02"])].mean()
    assert summer > 1.05 * winter


def test_all_fourteen_crime_types_in_a_realistic_mix(police):
    share = police["Crime type"].value_counts(normalize=True)
    assert set(share.index) == CRIME_TYPES
    assert 0.30 <= share["Violence and sexual offences"] <= 0.42
    assert 0.14 <= share["Anti-social behaviour"] <= 0.21
    assert share.min() >= 0.002
    assert share.idxmax() == "Violence and sexual offences"


def test_asb_has_no_id_or_outcome_and_crimes_have_both(police):
    asb = police["Crime type"] == "Anti-social behaviour"
    assert (police.loc[asb, "Crime ID"] == "").all()
    assert (police.loc[asb, "Last outcome category"] == "").all()
    ids = police.loc[~asb, "Crime ID"]
    assert ids.str.fullmatch(r"[0-9a-f]{64}").all() and ids.is_unique
    outcomes = police.loc[~asb, "Last outcome category"]
    assert set(outcomes) <= OUTCOMES
    assert {"Under investigation", "Awaiting court outcome", "Local resolution", "Offender given a caution"} <= set(
        outcomes
    )


def test_latest_months_are_mostly_still_under_investigation(police):
    crimes = police[police["Crime type"] != "Anti-social behaviour"]
    share = crimes.groupby("Month")["Last outcome category"].apply(lambda s: (s == "Under investigation").mean())
    assert share[END] > 0.35 > share.iloc[:-6].max()


def test_constant_columns(police):
    assert (police["Reported by"] == "Northamptonshire Police").all()
    assert (police["Falls within"] == "Northamptonshire Police").all()
    assert (police["Context"] == "").all()


def test_coordinates_have_six_decimals_and_unmapped_rows_are_blank(police):
    mapped = police["Longitude"] != ""
    assert police.loc[mapped, "Longitude"].str.fullmatch(r"-\d\.\d{6}").all()
    assert police.loc[mapped, "Latitude"].str.fullmatch(r"5\d\.\d{6}").all()
    lost = police[~mapped]
    assert (lost["Latitude"] == "").all() and (lost["Location"] == "No Location").all()
    assert (lost["LSOA code"] == "").all() and (lost["LSOA name"] == "").all()
    per_month = lost.groupby("Month").size().reindex(police["Month"].unique(), fill_value=0)
    assert 1 <= per_month.mean() <= 10 and (per_month > 0).mean() > 0.8


def test_out_of_county_rows_are_kept_with_their_own_lsoas(police, lookup, police_ward):
    away = police[(police["Longitude"] != "") & (police_ward < 0)]
    per_month = away.groupby("Month").size()
    assert len(per_month) == 36 and per_month.between(10, 70).all()
    assert not away["LSOA code"].isin(lookup["LSOA11CD"]).any()
    assert away["LSOA code"].str.fullmatch(r"E0\d{7}").all()
    assert away["LSOA name"].str.fullmatch(r"[A-Z][A-Za-z .,'-]+ \d{3}[A-Z]").all()
    assert {"Milton Keynes", "Bedford", "Rugby"} <= set(away["LSOA name"].str[:-5])


def test_in_county_lsoas_are_the_lookups(police, lookup, police_ward):
    in_lookup = police["LSOA code"].isin(lookup["LSOA11CD"])
    assert (in_lookup == (police_ward >= 0)).all()  # a row is in a demo ward exactly when its LSOA is a demo LSOA
    names = lookup.set_index("LSOA11CD")["LSOA11NM"]
    assert (police.loc[in_lookup, "LSOA name"] == police.loc[in_lookup, "LSOA code"].map(names)).all()


def test_each_lsoa_lies_in_one_ward_of_its_district(police, wards, police_ward):
    inside = police_ward >= 0
    rows = pd.DataFrame({"lsoa": police.loc[inside, "LSOA name"], "ward": police_ward[inside]})
    assert (rows.groupby("lsoa")["ward"].nunique() == 1).all()
    district = rows["lsoa"].str[:-5]
    assert (district == wards["LAD13NM"].to_numpy()[rows["ward"]]).all()


def test_incidents_share_a_pool_of_snap_points(police):
    mapped = police[police["Longitude"] != ""]
    points = mapped.groupby(["Longitude", "Latitude"]).size()
    assert 1_000 <= len(points) <= 8_000
    assert points.mean() > 20
    assert (mapped.groupby(["Longitude", "Latitude"])["Location"].nunique() == 1).all()


def test_location_texts_are_police_uk_style(police):
    loc = police["Location"]
    assert (loc.str.startswith("On or near ") | (loc == "No Location")).all()
    snap_types = {
        "Parking Area",
        "Supermarket",
        "Petrol Station",
        "Sports/Recreation Area",
        "Further/Higher Educational Building",
        "Shopping Area",
        "Nightclub",
        "Theatre/Concert Hall",
        "Police Station",
        "Hospital",
    }
    assert {f"On or near {t}" for t in snap_types} <= set(loc)
    assert {"On or near High Street", "On or near Church Lane", "On or near Station Road"} <= set(loc)
    share = loc.value_counts(normalize=True)
    assert share.iloc[0] < 0.08  # no single text swamps the data (real: Supermarket ~4%)


def test_rural_wards_exist_and_urban_areas_dominate(police, lookup):
    ruc = police["LSOA code"].map(lookup.set_index("LSOA11CD")["RUC11CD"]).dropna()
    share = ruc.value_counts(normalize=True)
    assert share["C1"] > 0.6
    assert 0.1 < share.get("D1", 0) + share.get("E1", 0) < 0.35
    assert share.get("E1", 0) > 0.03


def test_farms_are_rural_and_farm_named_streets_exist(police, lookup):
    loc = police["Location"].str.removeprefix("On or near ")
    farm = loc.str.fullmatch(r".*\b(Farm|Barns|Stables)")
    assert farm.sum() > 300
    ruc = police["LSOA code"].map(lookup.set_index("LSOA11CD")["RUC11CD"])
    assert ruc[farm].isin(["D1", "E1"]).mean() > 0.75
    targeted = police["Crime type"].isin(["Burglary", "Vehicle crime", "Criminal damage and arson"])
    assert targeted[farm].mean() > 2 * targeted.mean()  # over-represented at farms
    assert loc.isin(["Home Farm Close", "Farm Road", "Manor Farm Road"]).any()


def test_farm_texts_agree_with_the_classifier():
    classify = pytest.importorskip("ruralaction.incidents.classify")
    from ruralaction.definition import load_definition

    pattern = classify.farm_location_pattern(load_definition())
    for name in demo_module.FARMS:
        assert pattern.search(f"On or near {name}"), name
    for name in (*demo_module.FARM_STREETS, *demo_module.STREETS):
        assert not pattern.search(f"On or near {name}"), name


def test_rural_hotspots_stand_out(police, wards, police_ward):
    targeted = police["Crime type"].isin(["Burglary", "Vehicle crime", "Criminal damage and arson"])
    rural = wards["RUC11CD"].isin(["D1", "E1"]) | wards["RUC11CD"].isna()
    counts = pd.Series(police_ward[targeted.to_numpy() & (police_ward >= 0)]).value_counts()
    per_rural_ward = counts.reindex(np.flatnonzero(rural), fill_value=0).sort_values(ascending=False)
    top = set(wards["WD13NM"].to_numpy()[per_rural_ward.index[:7]])
    assert len(top & set(demo_module.HOTSPOT_WARDS)) >= 4


# --------------------------------------------------------------------------- boundaries and lookup


def test_wards_geojson_reads_with_valid_polygons_in_the_county(wards):
    assert wards.crs.to_epsg() == 4326
    assert list(wards.columns) == ["WD13CD", "WD13NM", "LAD13NM", "RUC11CD", "RUC11", "demo", "geometry"]
    assert wards.geometry.is_valid.all() and (wards.geom_type == "Polygon").all()
    b = DEFINITION["county"]["bounds"]
    x0, y0, x1, y1 = wards.total_bounds
    assert b["min_lon"] <= x0 and x1 <= b["max_lon"] and b["min_lat"] <= y0 and y1 <= b["max_lat"]
    assert x1 - x0 > 0.9 and y1 - y0 > 0.6  # spans the county, not a corner of it
    assert wards["WD13CD"].is_unique and wards["WD13CD"].str.fullmatch(r"E059\d{5}").all()
    assert wards["WD13NM"].is_unique and set(wards["LAD13NM"]) == DISTRICTS
    assert wards["demo"].astype(bool).all()


def test_wards_tile_the_outline_without_overlaps(wards):
    area = wards.to_crs(27700).area
    union = wards.to_crs(27700).union_all().area
    assert area.sum() == pytest.approx(union, rel=1e-6)
    outline = gpd.GeoSeries([demo_module.county_outline()], crs=4326).to_crs(27700).area.iloc[0]
    assert union == pytest.approx(outline, rel=1e-3)
    assert 2_000e6 < union < 3_000e6  # Northamptonshire is ~2,360 km2


def test_ward_classes_are_believable(wards):
    names = {"C1": "Urban city and town", "D1": "Rural town and fringe", "E1": "Rural village and dispersed"}
    classed = wards[wards["RUC11CD"].notna()]
    assert (classed["RUC11"] == classed["RUC11CD"].map(names)).all()
    assert 3 <= wards["RUC11CD"].isna().sum() <= 8
    assert wards["RUC11CD"].isna().eq(wards["RUC11"].isna()).all()
    town = wards.set_index("WD13NM")["RUC11CD"]
    assert town["Northampton Castle"] == town["Kettering William Knibb"] == town["Corby Central"] == "C1"
    assert town["Brixworth"] in {"D1", "E1"} and town["Oundle"] in {"D1", "E1"}
    assert (wards["RUC11CD"] == "C1").sum() > 30 and wards["RUC11CD"].isin(["D1", "E1"]).sum() > 30


def test_unclassified_wards_fall_back_to_rural_lsoas(police, wards, lookup, police_ward):
    unclassified = np.flatnonzero(wards["RUC11CD"].isna())
    rows = np.isin(police_ward, unclassified)
    assert rows.sum() > 100
    ruc = police.loc[rows, "LSOA code"].map(lookup.set_index("LSOA11CD")["RUC11CD"])
    assert ruc.isin(["D1", "E1"]).all()


def test_lsoa_lookup_has_the_ons_format(demo, lookup):
    first = (demo.data_dir / "ruc" / "demo_ruc_2011.csv").read_bytes().split(b"\n", 1)[0]
    assert first == b"LSOA11CD,LSOA11NM,RUC11CD,RUC11"
    assert lookup["LSOA11CD"].is_unique and lookup["LSOA11CD"].str.fullmatch(r"E019\d{5}").all()
    assert lookup["LSOA11NM"].is_unique
    assert (
        lookup["LSOA11NM"]
        .str.fullmatch(
            r"(Corby|Daventry|East Northamptonshire|Kettering|Northampton|"
            r"South Northamptonshire|Wellingborough) \d{3}[A-E]"
        )
        .all()
    )
    assert set(lookup["RUC11CD"]) == {"C1", "D1", "E1"}
    assert 150 <= len(lookup) <= 550


@pytest.mark.skipif(not SHARED.exists(), reason="shared public data not present")
def test_demo_codes_cannot_collide_with_real_ones(wards, lookup):
    real_lsoas = pd.read_csv(SHARED / "ruc" / "ruc_2011.csv", usecols=["lsoa"])["lsoa"]
    real_wards = pd.read_csv(SHARED / "ruc" / "ruc11_wards_2011.csv", usecols=["WD11CD"])["WD11CD"]
    assert not lookup["LSOA11CD"].isin(real_lsoas).any()
    assert not wards["WD13CD"].isin(real_wards).any()


# --------------------------------------------------------------------------- force export


def test_force_export_has_the_mapped_columns(demo, export):
    mapping = DEFINITION["formats"]["force_export"]
    for f in sorted((demo.data_dir / "force_export").glob("*.csv")):
        assert f.read_bytes().split(b"\n", 1)[0].decode("utf-8") == EXPORT_HEADER
    assert set(mapping["columns"].values()) <= set(EXPORT_HEADER.split(","))
    when = pd.to_datetime(export["Date Committed"], format=mapping["datetime_format"])
    assert when.min() >= pd.Timestamp("2023-10-01") and when.max() < pd.Timestamp("2026-10-01")
    assert (when.dt.year.astype(str) + "-wildlife-export.csv" == export["file"]).all()


def test_force_export_values(export, lookup, wards):
    per_year = export.groupby(export["Date Committed"].str[6:10]).size()
    assert per_year[["2024", "2025"]].between(200, 500).all()
    ref = export["Occurrence Reference"]
    assert ref.is_unique and ref.str.fullmatch(r"NP-\d{2}-\d{6}").all()
    assert (ref.str[3:5] == export["Date Committed"].str[8:10]).all()
    known = CRIME_TYPES | set(DEFINITION["formats"]["force_export"]["crime_types"])
    assert set(export["Offence Group"]) <= known
    assert {"Wildlife crime", "Hare coursing", "Poaching", "Criminal damage", "Theft from person"} <= set(
        export["Offence Group"]
    )
    assert set(export["Wildlife Flag"]) == {"Y", "N"}
    assert {"Farm", "Farm building", "Agricultural land", "Field", "Woodland", "Dwelling", "Stable"} == set(
        export["Premises Type"]
    )
    assert export["LSOA Code"].isin(lookup["LSOA11CD"]).all()
    assert (ward_of(export["Longitude"], export["Latitude"], wards) >= 0).all()
    ruc = export["LSOA Code"].map(lookup.set_index("LSOA11CD")["RUC11CD"])
    assert ruc.isin(["D1", "E1"]).mean() > 0.8


def test_force_export_text_needs_escaping_and_flags_match_keywords(export):
    desc = export["Description"]
    assert desc.str.contains("<").any() and desc.str.contains("&").any() and desc.str.contains('"').any()
    words = "|".join(re.escape(k) for k in sorted(DEFINITION["wildlife"]["keywords"], key=len, reverse=True))
    keyword = desc.str.contains(rf"\b(?:{words})\b", case=False)
    flagged = export["Wildlife Flag"] == "Y"
    assert not keyword[~flagged].any()  # only real wildlife crime reads as wildlife crime
    assert keyword[flagged].mean() > 0.8
    assert set(export.loc[flagged, "Offence Group"]) == {"Wildlife crime", "Hare coursing", "Poaching"}


def test_hare_coursing_is_an_autumn_and_winter_crime(export):
    month = export.loc[export["Offence Group"] == "Hare coursing", "Date Committed"].str[3:5].astype(int)
    assert month.isin([8, 9, 10, 11, 12, 1, 2, 3]).mean() > 0.85


# --------------------------------------------------------------------------- the real loader


def test_the_real_loader_reads_the_demo_without_rejections(demo):
    loader = pytest.importorskip("ruralaction.incidents.loader")
    police = loader.load_incidents([demo.data_dir / "police_uk"])
    assert len(police.rejected) == 0, police.rejected.head().to_string()
    assert len(police.incidents) == demo.n_incidents and police.summary.balanced
    export = loader.load_incidents([demo.data_dir / "force_export"])
    assert len(export.rejected) == 0, export.rejected.head().to_string()
    assert len(export.incidents) == demo.n_force_export
    assert export.incidents["wildlife_flag"].sum() > 100
    assert export.incidents["occurred_at"].notna().all()


def test_the_real_loader_reads_both_sources_together(demo):
    loader = pytest.importorskip("ruralaction.incidents.loader")
    both = loader.load_incidents([demo.data_dir / "police_uk", demo.data_dir / "force_export"])
    assert len(both.rejected) == 0
    assert len(both.incidents) == demo.n_incidents + demo.n_force_export
    assert both.summary.rows_replaced == 0  # yearly export files never replace police.uk months
