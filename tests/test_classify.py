"""The rural-crime classifier: every rule, the order of evidence, and the reasons in words."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from policeuk import row, write

from ruralaction.definition import load_definition
from ruralaction.geography.boundaries import build_geography, locate
from ruralaction.incidents.classify import classify, farm_location_pattern
from ruralaction.incidents.loader import load_incidents

DEF = load_definition()

# Four unit squares side by side (lon -1.0..-0.6, lat 52.0..52.1):
#   W1 Rural Village (class in the ward lookup, E1)     lon -1.0..-0.9
#   W2 Market Town   (class in the ward lookup, C1)     lon -0.9..-0.8
#   W3 New Ward      (no ward class; LSOAs inside it: rural L3 covers 3/4, urban L4 1/4)
#   W4 Blank Ward    (no class anywhere; falls back to the row's LSOA)
WARDS = {
    "W1": ("Rural Village", -1.0),
    "W2": ("Market Town", -0.9),
    "W3": ("New Ward", -0.8),
    "W4": ("Blank Ward", -0.7),
}


def square(x0, y0, w, h):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]]}


@pytest.fixture(scope="module")
def geo(tmp_path_factory):
    d = tmp_path_factory.mktemp("geo")
    wards = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"WD13CD": code, "WD13NM": name}, "geometry": square(x, 52.0, 0.1, 0.1)}
            for code, (name, x) in WARDS.items()
        ],
    }
    (d / "wards.geojson").write_text(json.dumps(wards))
    lsoas = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"LSOA11CD": "L3", "LSOA11NM": "Town 003A"},
                "geometry": square(-0.8, 52.0, 0.075, 0.1),
            },
            {
                "type": "Feature",
                "properties": {"LSOA11CD": "L4", "LSOA11NM": "Town 004A"},
                "geometry": square(-0.725, 52.0, 0.025, 0.1),
            },
            {
                "type": "Feature",
                "properties": {"LSOA11CD": "L9", "LSOA11NM": "Far 009A"},
                "geometry": square(-0.5, 52.0, 0.1, 0.1),
            },
        ],
    }
    (d / "lsoas.geojson").write_text(json.dumps(lsoas))
    (d / "ward_ruc.csv").write_text(
        "WD11CD,WD11NM,RUC11\nW1,Rural Village,Rural village and dispersed\nW2,Market Town,Urban city and town\n"
    )
    (d / "lsoa_ruc.csv").write_text(
        "lsoa,LSOA11NM,RUC11CD,RUC11,OBJECTID\nL3,Town 003A,E1,Rural village and dispersed,0\n"
        "L4,Town 004A,C1,Urban city and town,1\nLR,Rural 001A,D1,Rural town and fringe,2\n"
        "LU,Urban 001A,C1,Urban city and town,3\nL9,Far 009A,E1,Rural village and dispersed,4\n"
    )
    return build_geography(DEF, [d / "wards.geojson", d / "lsoas.geojson"], [d / "ward_ruc.csv", d / "lsoa_ruc.csv"])


def run(tmp_path, rows, geo, **kw):
    loaded = load_incidents([write(tmp_path / "f.csv", rows)])
    assert loaded.summary.rows_rejected == 0
    return classify(loaded.incidents, geo, kw.get("definition", DEF))


def test_ward_class_derived_from_lsoas_and_said(geo):
    w = geo.wards.set_index("ward_code")
    assert w.loc["W1", ["ruc_code", "class_basis"]].tolist() == ["E1", "ward lookup"]
    assert w.loc["W2", ["ruc_code", "class_basis"]].tolist() == ["C1", "ward lookup"]
    assert w.loc["W3", ["ruc_code", "class_basis"]].tolist() == ["E1", "ward (derived from LSOAs)"]
    assert pd.isna(w.loc["W4", "ruc_code"])
    assert any("derived from the 2011 LSOAs" in n and "New Ward" in n for n in geo.notes)


@pytest.mark.parametrize(
    ("crime_type", "expected"),
    [
        ("Burglary", "burglary"),
        ("Theft from the person", "theft from the person"),
        ("Vehicle crime", "vehicle crime"),
        ("Robbery", "robbery"),
        ("Criminal damage and arson", "criminal damage"),
        ("Shoplifting", None),
        ("Anti-social behaviour", None),
        ("Other theft", None),
    ],
)
def test_category_mapping(tmp_path, geo, crime_type, expected):
    df = run(tmp_path, [row("a", lon="-0.95", lat="52.05", crime_type=crime_type)], geo)
    got = df["rural_category"].iloc[0]
    assert (pd.isna(got) and expected is None) or got == expected


def test_order_of_evidence_and_reasons(tmp_path, geo):
    rows = [
        row("rural-ward", lon="-0.95", lat="52.05", lsoa_code="LU"),  # ward class wins over LSOA code
        row("urban-ward", lon="-0.85", lat="52.05", lsoa_code="LR"),
        row("derived", lon="-0.79", lat="52.05", lsoa_code="LU"),  # W3: derived ward class (rural)
        row("lsoa-code", lon="-0.65", lat="52.05", lsoa_code="LR"),  # W4 has no class: LSOA by code
        row("lsoa-poly", lon="-0.45", lat="52.05", lsoa_code="E01999999"),  # no ward; 2021-style code not in lookup
        row("nothing", lon="-0.65", lat="52.05", lsoa_code="E01999999"),  # W4, unknown LSOA, no LSOA polygon class
        row("shop", lon="-0.95", lat="52.05", crime_type="Shoplifting"),
        row("farm-urban", lon="-0.85", lat="52.05", location="On or near Manor Farm", crime_type="Vehicle crime"),
        row("farm-street", lon="-0.85", lat="52.05", location="On or near Home Farm Close"),
        row("no-loc", lon="", lat="", location="No Location", lsoa_code="LR", lsoa_name="Rural 001A"),
    ]
    df = run(tmp_path, rows, geo).set_index("crime_id")
    expect = {
        "rural-ward": (True, "ward lookup", True, "Burglary in a rural ward (Rural Village)", "W1"),
        "urban-ward": (False, "ward lookup", False, "Urban ward, not at a farm", "W2"),
        "derived": (True, "ward (derived from LSOAs)", True, "Burglary in a rural ward (New Ward)", "W3"),
        "lsoa-code": (True, "LSOA lookup", True, "Burglary in a rural ward (Blank Ward)", "W4"),
        "lsoa-poly": (True, "LSOA boundary", False, "Outside the county", None),
        "nothing": (pd.NA, "unknown", False, "Rural-urban class unknown, not at a farm", "W4"),
        "shop": (True, "ward lookup", False, "Out of scope: shoplifting", "W1"),
        "farm-urban": (False, "farm (location text); ward lookup", True, "Vehicle crime at a farm location", "W2"),
        "farm-street": (False, "ward lookup", False, "Urban ward, not at a farm", "W2"),
        "no-loc": (True, "LSOA lookup", False, "Location unknown, so not counted as the county's rural crime", None),
    }
    for cid, (rural, basis, is_rural, reason, ward) in expect.items():
        r = df.loc[cid]
        assert (r["in_rural_ward"] is pd.NA and rural is pd.NA) or r["in_rural_ward"] == rural, cid
        assert r["rural_basis"] == basis, cid
        assert bool(r["is_rural_crime"]) == is_rural, cid
        assert r["rural_reason"] == reason, cid
        assert (pd.isna(r["ward_code"]) and ward is None) or r["ward_code"] == ward, cid
    assert df.loc["lsoa-poly", "in_county"] == False  # noqa: E712  (point in no ward of the county)
    assert pd.isna(df.loc["no-loc", "in_county"])
    assert df.loc["farm-urban", "at_farm"] and not df.loc["farm-street", "at_farm"]


def test_farm_and_rural_together(tmp_path, geo):
    df = run(
        tmp_path,
        [row("a", lon="-0.95", lat="52.05", location="On or near Glebe Farm", crime_type="Criminal damage and arson")],
        geo,
    )
    assert df["rural_reason"].iloc[0] == "Criminal damage at a farm location in a rural ward (Rural Village)"
    assert df["rural_basis"].iloc[0] == "farm (location text); ward lookup"


@pytest.mark.parametrize(
    ("text", "farm"),
    [
        ("On or near Manor Farm", True),
        ("On or near Lodge Farm, Brixworth", True),
        ("On or near Hall Farm Barns", True),
        ("On or near Home Farm Close", False),
        ("On or near Farm Road", False),
        ("On or near Manor Farm Road", False),
        ("On or near Farm Lane", False),
        ("On or near Farmbrook Court", False),
        ("On or near Barn Owl Close", False),
        ("On or near Farmers Close", False),
        ("On or near Parking Area", False),
    ],
)
def test_farm_location_text(text, farm):
    assert bool(farm_location_pattern(DEF).search(text)) is farm


def test_premises_type_decides_over_location(tmp_path):
    header = (
        "Occurrence Reference",
        "Date Committed",
        "Offence Group",
        "Longitude",
        "Latitude",
        "Location Description",
        "Premises Type",
        "Description",
        "Wildlife Flag",
    )
    rows = [
        ["A", "01/05/2024 10:00", "Burglary", "-0.95", "52.05", "Church Lane", "Farm building", "Tools stolen", "N"],
        [
            "B",
            "01/05/2024 10:00",
            "Burglary",
            "-0.95",
            "52.05",
            "On or near Manor Farm",
            "Dwelling",
            "Door forced",
            "N",
        ],
        ["C", "01/05/2024 10:00", "Criminal damage", "-0.95", "52.05", "Field", "Field", "Badger sett dug out", "N"],
        ["D", "01/05/2024 10:00", "Other crime", "-0.95", "52.05", "Field", "Field", "Dogs after hares", "Y"],
        ["E", "01/05/2024 10:00", "Other crime", "-0.95", "52.05", "Field", "Field", "Fuel taken", "N"],
    ]
    loaded = load_incidents([write(tmp_path / "x.csv", rows, header=header)])
    df = classify(loaded.incidents, None, DEF).set_index("crime_id")
    assert df.loc["A", "at_farm"] and df.loc["A", "rural_basis"].startswith("farm (premises type)")
    assert not df.loc["B", "at_farm"]  # premises type says dwelling; location text is not consulted
    assert df.loc["C", "rural_category"] == "wildlife crime"  # keyword beats the crime-type mapping
    assert df.loc["D", "rural_category"] == "wildlife crime"  # the export's flag
    assert pd.isna(df.loc["E", "rural_category"])
    # Without boundaries, in_county comes from the definition's bounding box.
    assert df["in_county"].all()


def test_wildlife_keyword_in_context_column(tmp_path, geo):
    df = run(
        tmp_path,
        [
            row("a", lon="-0.95", lat="52.05", crime_type="Other crime", context="Suspected hare coursing"),
            row("b", lon="-0.95", lat="52.05", crime_type="Other crime", context="Deerfield Road parking"),
        ],
        geo,
    )
    assert df["rural_category"].iloc[0] == "wildlife crime" and pd.isna(df["rural_category"].iloc[1])
    assert df["rural_reason"].iloc[0] == "Wildlife crime in a rural ward (Rural Village)"


def test_farm_points_layer(tmp_path, geo):
    farms = tmp_path / "farms.geojson"
    farms.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Top Farm"},
                        "geometry": {"type": "Point", "coordinates": [-0.85, 52.05]},
                    }
                ],
            }
        )
    )
    g = build_geography(DEF, farms=[farms])
    near, far = row("near", lon="-0.8505", lat="52.0502"), row("far", lon="-0.86", lat="52.05")  # ~40 m vs ~680 m
    loaded = load_incidents([write(tmp_path / "f.csv", [near, far])])
    df = classify(loaded.incidents, g, DEF).set_index("crime_id")
    assert df.loc["near", "at_farm"] and not df.loc["far", "at_farm"]
    assert df.loc["near", "rural_basis"].startswith("farm (farm points)")


def test_configured_rural_wards_override(tmp_path, geo):
    from dataclasses import replace

    d = replace(DEF, extra_rural_wards=frozenset({"W2"}))
    g = build_geography(d)
    g.wards = geo.wards.assign(ruc_code=np.where(geo.wards["ward_code"] == "W2", "E1", geo.wards["ruc_code"]))
    df = classify(load_incidents([write(tmp_path / "f.csv", [row("a", lon="-0.85", lat="52.05")])]).incidents, g, d)
    assert df["is_rural_crime"].iloc[0]


def test_locate_handles_nan_boundary_and_outside(geo):
    lon = np.array([-0.95, np.nan, -0.9, 5.0])
    lat = np.array([52.05, 52.05, 52.05, 52.05])
    idx = locate(lon, lat, geo.wards.geometry)
    assert idx[0] == 0 and idx[1] == -1 and idx[2] in (0, 1) and idx[3] == -1


def test_classify_empty_frame(geo):
    from ruralaction.incidents.loader import empty_incidents

    df = classify(empty_incidents(), geo, DEF)
    assert df.empty and "rural_reason" in df.columns
