"""Map data built on the server (``ruralaction.measures.maplayers``): hexagon aggregation, payload size,
plain-text tooltips that cannot run markup, the legend's escaping, and the partner-actions slot."""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from ruralaction.measures import maplayers as ml
from ruralaction.measures import trends
from ruralaction.measures.filters import Filters

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def index(tiny):
    return ml.build_index(tiny.incidents, tiny.geography.wards)


def layer_json(layer) -> dict:
    return json.loads(ml.deck([layer], ml.view_for(None)).to_json())["layers"][0]


# ----------------------------------------------------------------------------- hexagons


def test_points_at_hexagon_centres_fall_in_that_hexagon():
    q = np.array([0, 3, -2, 5])
    r = np.array([0, -1, 4, 2])
    cx = 800 * math.sqrt(3) * (q + r / 2)
    cy = 800 * 1.5 * r
    assert [a.tolist() for a in ml.hex_cells(cx, cy, 800)] == [q.tolist(), r.tolist()]


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 700_000), st.floats(0, 1_300_000))
def test_each_point_is_in_the_nearest_hexagon(x, y):
    q, r = ml.hex_cells(np.array([x]), np.array([y]), 800.0)
    corners_x, corners_y = ml.hex_corners(q, r, 800.0)
    hexagon = shapely.Polygon(np.c_[corners_x[0], corners_y[0]])
    assert hexagon.buffer(1e-6).contains(shapely.Point(x, y))


def test_index_gives_each_incident_a_hexagon_and_no_location_none(tiny, index):
    df = tiny.incidents
    located = np.isfinite(df["longitude"].to_numpy())
    assert (index.cell[located] >= 0).all() and (index.cell[~located] == -1).all()
    # The tiny county has three distinct places inside Northamptonshire-ish plus Cheshire.
    assert len(index.cell_polygons) == len(np.unique(index.cell[located]))
    for cell, lon, lat in zip(index.cell[located], df["longitude"][located], df["latitude"][located]):
        assert shapely.Polygon(index.cell_polygons[cell]).buffer(1e-5).contains(shapely.Point(lon, lat))
    assert index.cell_area_km2 == pytest.approx(3 * math.sqrt(3) / 2 * 0.64)


def test_density_counts_the_filtered_crimes_per_hexagon(tiny, index):
    df = tiny.incidents
    layer, legend = ml.density_layer(index, df, Filters().apply(df))
    rows = layer.data
    counts = sorted(int(r["t"].split(" ")[0]) for r in rows)
    assert counts == [1, 6]  # Brixworth's six at one snap point, Castle's farm burglary at another
    assert all(len(r["polygon"]) == 6 and len(r["f"]) == 4 for r in rows)
    assert legend[0].label == "None (not drawn)"
    layer, _ = ml.density_layer(index, df, Filters(ward="W2").apply(df))
    assert [r["t"].splitlines()[0] for r in layer.data] == ["1 rural crime in this 1.7 km² hexagon"]


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    """n rural crimes at 2,000 snap points around Northamptonshire, with the columns maps use."""
    rng = np.random.default_rng(seed)
    px, py = rng.uniform(-1.3, -0.4, 2000), rng.uniform(52.0, 52.6, 2000)
    pick = rng.integers(0, 2000, n)
    lon, lat = px[pick], py[pick]
    lon[::97] = np.nan  # some crimes have no location
    cats = pd.Categorical.from_codes(
        rng.integers(0, 6, n),
        categories=[
            "burglary",
            "theft from the person",
            "vehicle crime",
            "robbery",
            "criminal damage",
            "wildlife crime",
        ],
    )
    return pd.DataFrame(
        {
            "longitude": lon,
            "latitude": lat,
            "rural_category": cats,
            "is_rural_crime": np.ones(n, bool),
            "month": pd.Timestamp("2024-01-01"),
            "location": pd.Categorical(["On or near Mill Lane"] * n),
            "last_outcome": pd.Categorical([None] * n),
            "ward_name": pd.Categorical(["One"] * n),
            "rural_reason": pd.Categorical(["Burglary in a rural ward (One)"] * n),
        }
    )


def test_hotspot_payload_does_not_grow_with_the_number_of_crimes():
    small, big = synthetic(2_000), synthetic(200_000)
    sizes = []
    for df in (small, big):
        index = ml.build_index(df, None)
        layer, _ = ml.density_layer(index, df, np.ones(len(df), bool))
        assert sum(int(r["t"].split(" ")[0].replace(",", "")) for r in layer.data) == int(df["longitude"].notna().sum())
        sizes.append(ml.payload_bytes(ml.deck([layer], ml.view_for(None))))
    assert sizes[1] < 2 * sizes[0] and sizes[1] < 1_000_000  # 100x the crimes, about the same bytes


def test_points_refuse_more_than_the_limit_and_drop_missing_locations():
    df = synthetic(ml.POINTS_MAX + 1)
    with pytest.raises(ValueError, match="too many to draw as points"):
        ml.point_rows(df, np.ones(len(df), bool))
    rows = ml.point_rows(df, np.arange(len(df)) < 1000)
    assert len(rows) == 1000 - len(range(0, 1000, 97)) and rows[["lon", "lat"]].notna().all().all()


def test_point_payload_at_the_limit_stays_under_five_megabytes():
    df = synthetic(ml.POINTS_MAX).assign(
        location=pd.Categorical(["On or near Parking Area off Church Lane"] * ml.POINTS_MAX),
        last_outcome=pd.Categorical(["Investigation complete; no suspect identified"] * ml.POINTS_MAX),
        rural_reason=pd.Categorical(
            ["Criminal damage at a farm location in a rural ward (Crick and West Haddon)"] * ml.POINTS_MAX
        ),
    )
    layers, _ = ml.point_layers(df, np.ones(len(df), bool))
    size = ml.payload_bytes(ml.deck(layers, ml.view_for(None)))
    assert 2_000_000 < size <= 5_000_000


def test_each_category_has_its_own_colour_and_shape_in_its_own_layer():
    df = synthetic(600)
    layers, legend = ml.point_layers(df, np.ones(len(df), bool))
    specs = [layer_json(layer) for layer in layers]
    assert len({s["id"] for s in specs}) == 6 and len({s["getIcon"] for s in specs}) == 6
    assert len({tuple(s["getColor"]) for s in specs}) == 6
    assert all(s["sizeUnits"] == "pixels" for s in specs)  # a constant, not a pydeck "@@=" expression
    assert [i.label for i in legend][:2] == ["Burglary", "Theft from the person"]
    assert len({i.glyph for i in legend}) == 6


def test_the_icon_atlas_is_an_inline_png_with_every_shape():
    from PIL import Image

    url = ml.icon_atlas()
    assert url.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert img.size == (64 * len(ml.SHAPES), 64)
    alpha = np.asarray(img)[..., 3]
    assert all(alpha[:, i * 64 : (i + 1) * 64].max() == 255 for i in range(len(ml.SHAPES)))  # no shape is blank


# ----------------------------------------------------------------------------- text, never markup


def test_tooltips_are_plain_text_so_markup_in_the_data_stays_text(tiny):
    df = tiny.incidents.copy()
    df["location"] = df["location"].cat.add_categories([XSS])
    df.loc[df["crime_id"] == "a1", "location"] = XSS
    layers, _ = ml.point_layers(df, Filters(ward="W1").apply(df))
    d = ml.deck(layers, ml.view_for(None))
    assert set(d._tooltip) == {"text", "style"}  # deck.gl sets a text tooltip with innerText, never innerHTML
    tips = [row["t"] for layer in layers for row in layer.data]
    assert any(XSS in t for t in tips), "the text is shown as it is, not dropped"
    sent = [row["t"] for layer in json.loads(d.to_json())["layers"] for row in layer["data"]]
    assert any(t.startswith(f"Burglary\nJan 2024\n{XSS}\n") for t in sent)  # what the browser receives


def test_ward_names_with_markup_stay_text_in_tooltips(tiny, index):
    wards = tiny.geography.wards.assign(ward_name=[XSS, "Castle"])
    idx = ml.build_index(tiny.incidents, wards)
    rates = trends.area_rates(
        tiny.incidents, Filters().apply(tiny.incidents), wards, trends.ward_areas_km2(wards), 3, ["E1"]
    )
    layer, _ = ml.ward_layer(idx, rates)
    tip = layer.data[0]["properties"]["t"]
    assert tip.startswith(XSS + "\nrural ward\n6 rural crimes: ")


def test_legend_html_escapes_every_text():
    html = ml.legend_html("Wards <b>", [ml.LegendItem("#000000", XSS, "<")])
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "Wards &lt;b&gt;" in html


# ----------------------------------------------------------------------------- wards, classes, view


def test_ward_layer_colours_by_rate_and_says_why(tiny, index):
    df = tiny.incidents
    wards = tiny.geography.wards
    rates = trends.area_rates(df, Filters().apply(df), wards, trends.ward_areas_km2(wards), 3, ["E1"])
    layer, legend = ml.ward_layer(index, rates)
    by_code = {f["properties"]["ward_code"]: f["properties"] for f in layer.data}
    assert by_code["W1"]["t"].splitlines()[1:3] == [
        "rural ward",
        f"6 rural crimes: {rates['per_km2_year'][0]:,.2f} per km² a year",
    ]
    assert by_code["W2"]["t"].splitlines()[1] == "urban ward"
    assert by_code["W1"]["f"] != by_code["W2"]["f"]  # 6 crimes and 1 are in different classes
    assert legend[0].label == "None"


def test_class_breaks_and_classes():
    assert ml.class_breaks(np.array([0, 0, np.nan])) == []
    breaks = ml.class_breaks(np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))  # quantiles of 1..10: 1 + 9 x 0.2 ...
    assert breaks == [2.8, 4.6, 6.4, 8.2, 10.0]
    assert ml.classify_values(np.array([0, 1, 2.8, 2.9, 10, np.nan]), breaks).tolist() == [-1, 0, 0, 1, 4, -1]
    assert ml.class_breaks(np.array([3, 3, 3])) == [3.0]  # classes are distinct
    assert [i.label for i in ml.class_legend(breaks, integer=True)] == ["None", "1–2", "3–4", "5–6", "7–8", "9–10"]
    assert [i.label for i in ml.class_legend([0.5, 1.1])] == ["None", "up to 0.5", "0.5 to 1.1"]


def test_view_fits_the_bounds():
    bounds = (-1.35, 51.97, -0.33, 52.65)  # Northamptonshire
    v = ml.view_for(bounds, width_px=900, height_px=600)
    world = 512 * 2**v.zoom  # deck.gl pixels around the world at this zoom
    width = (bounds[2] - bounds[0]) / 360 * world
    merc = [math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi) * world for lat in bounds[1::2]]
    height = merc[1] - merc[0]
    assert width <= 900 and height <= 600
    assert width > 700 or height > 450  # and is not needlessly small


def test_deck_has_no_basemap_and_compact_json(tiny, index):
    d = ml.deck([ml.outline_layer(index), None], ml.view_for(index.bounds))
    spec = json.loads(d.to_json())
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec  # Streamlit draws no tiles
    assert len(spec["layers"]) == 1 and "\n" not in d.to_json()
    assert ml.payload_bytes(d) == len(d.to_json().encode())


# ----------------------------------------------------------------------------- actions slot and selection


def test_actions_layer_is_empty_until_there_are_actions():
    assert ml.actions_layer(None) is None
    assert ml.actions_layer(pd.DataFrame({"lon": [], "lat": [], "title": []})) is None
    actions = pd.DataFrame(
        {
            "lon": [-0.95, np.nan, -0.85],
            "lat": [52.05, 52.0, 52.06],
            "title": ["Gate locks fitted", "No place", XSS],
            "partner": ["Farm Watch", "NFU", None],
        }
    )
    layer = ml.actions_layer(actions)
    spec = layer_json(layer)
    assert spec["id"] == "actions" and len(spec["data"]) == 2
    assert spec["data"][0]["t"] == "Action: Gate locks fitted\nFarm Watch"
    assert spec["data"][1]["t"] == f"Action: {XSS}\n"
    assert spec["data"][0]["c"] == list(ml.ACTION_RGBA[False]) and spec["data"][0]["s"] == 20


def test_visible_actions_get_the_rural_action_marker():
    actions = pd.DataFrame(
        {"lon": [-0.95, -0.85], "lat": [52.05, 52.06], "title": ["Signs", "Patrol"], "visible": [True, False]}
    )
    data = layer_json(ml.actions_layer(actions))["data"]
    assert [d["t"] for d in data] == ["Rural Action: Signs", "Action: Patrol"]
    assert data[0]["c"] == list(ml.ACTION_RGBA[True]) and data[0]["s"] > data[1]["s"]
    assert data[0]["c"] != data[1]["c"]


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"selection": {"indices": {"wards": [0]}, "objects": {"wards": [{"properties": {"ward_code": "W1"}}]}}}, "W1"),
        ({"selection": {"objects": {"outlines": [{"properties": {"ward_code": "W2"}}]}}}, "W2"),
        ({"selection": {"objects": {"hotspots": [{"t": "6 crimes"}]}}}, None),
        ({"selection": {"objects": {}}}, None),
        (None, None),
        ({"selection": {"objects": {"wards": [{"properties": {"ward_code": 5}}]}}}, None),
    ],
)
def test_selected_ward_reads_the_chart_selection(event, code):
    assert ml.selected_ward(event) == code
