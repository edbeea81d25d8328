"""Places people know: the basemap setting, place labels, parishes, postcodes and the search.

Parish and postcode files are written by the tests in the exact ONS layouts
(``places_fixtures.py``) over the real Northamptonshire wards and police.uk files in
../shared/data.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from places_fixtures import SHARED, write_nspl, write_onspd, write_parishes

from ruralaction.concerns.search import build_index, search
from ruralaction.definition import load_definition
from ruralaction.geography import basemap as bm
from ruralaction.geography.boundaries import GeographyError, build_geography
from ruralaction.geography.gazetteer import place_labels, read_open_names
from ruralaction.geography.parishes import UNPARISHED, parish_wards
from ruralaction.geography.postcodes import NEEDS_LOOKUP, read_postcodes
from ruralaction.measures import maplayers
from ruralaction.permissions import Actor, Role

ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)  # data writes need an admin

pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
WARDS = SHARED / "boundaries" / "wards_by_lad" / "E07000151.json"


@pytest.fixture(scope="module")
def geo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parishes")
    # Daventry's 2012 wards take their rural-urban class from the 2011 LSOAs inside them
    lsoas = SHARED / "boundaries" / "lsoa_by_lad" / "E07000151.json"
    return build_geography(
        load_definition(), [write_parishes(folder)], [SHARED / "ruc" / "ruc_2011.csv"], wards=[WARDS], lsoas=[lsoas]
    )


# --------------------------------------------------------------------------- basemap


def test_basemap_none_means_no_tile_request_and_labels_still_drawn(geo):
    none = bm.basemap_from_env({"RURALACTION_BASEMAP": "none"})
    labels = maplayers.label_layer(place_labels(geo.wards, geo.parishes))
    d = json.loads(maplayers.deck([labels], maplayers.view_for(None), none).to_json())
    assert maplayers.tile_sources(maplayers.deck([labels], maplayers.view_for(None), none)) == []
    assert d["mapStyle"] == "__MAP_STYLE__"  # pydeck's "no basemap": Streamlit draws no map under it
    assert not any(layer["@@type"] in ("TileLayer", "MVTLayer", "BitmapLayer") for layer in d["layers"])
    names = {x["n"] for x in d["layers"][0]["data"]}
    assert {"Pitsford", "Moulton", "Brixworth", "Long Buckby"} <= names


def test_basemap_tiles_style_and_attribution_come_from_configuration():
    env = {
        "RURALACTION_BASEMAP": "https://maps.example.gov.uk/{z}/{x}/{y}.png",
        "RURALACTION_BASEMAP_ATTRIBUTION": "© Council",
    }
    b = bm.basemap_from_env(env, base_path="/crime")
    d = maplayers.deck([], maplayers.view_for(None), b)
    assert maplayers.tile_sources(d) == ["/crime/basemap/style.json"]
    src = b.style()["sources"]["basemap"]
    assert src["tiles"] == [env["RURALACTION_BASEMAP"]] and src["attribution"] == "© Council"
    assert b.third_party and "IP address" in b.caption()
    default = bm.basemap_from_env({})
    assert default.style()["sources"]["basemap"]["attribution"] == bm.OSM_ATTRIBUTION
    style = bm.basemap_from_env({"RURALACTION_BASEMAP": "https://tiles.example.org/styles/liberty"})
    assert maplayers.tile_sources(maplayers.deck([], maplayers.view_for(None), style)) == [
        "https://tiles.example.org/styles/liberty"
    ]
    with pytest.raises(bm.BasemapError, match="does not exist"):
        bm.basemap_from_env({"RURALACTION_BASEMAP": "/nowhere/county.pmtiles"})
    with pytest.raises(bm.BasemapError, match="not understood"):
        bm.basemap_from_env({"RURALACTION_BASEMAP": "satellite please"})


def test_self_hosted_pmtiles_are_served_by_the_app(tmp_path):
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    path = tmp_path / "county.pmtiles"
    png = b"\x89PNG\r\n\x1a\n" + b"tile-8-127-84"
    with write(str(path)) as w:
        w.write_tile(zxy_to_tileid(8, 127, 84), png)
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_zoom": 8,
                "max_zoom": 8,
                "min_lon_e7": -12000000,
                "min_lat_e7": 519000000,
                "max_lon_e7": -3000000,
                "max_lat_e7": 527000000,
                "center_zoom": 8,
                "center_lon_e7": -9000000,
                "center_lat_e7": 523000000,
            },
            {"attribution": "© OpenStreetMap contributors (county extract)"},
        )
    b = bm.basemap_from_env({"RURALACTION_BASEMAP": str(path)})
    assert b.kind == "pmtiles" and not b.third_party
    style = b.style("https://crime.example.gov.uk")
    assert style["sources"]["basemap"]["tiles"] == ["https://crime.example.gov.uk/basemap/tiles/{z}/{x}/{y}"]
    assert style["sources"]["basemap"]["attribution"].endswith("(county extract)")
    archive = bm.open_pmtiles(path)
    assert archive.tile(8, 127, 84) == png and archive.content_type == "image/png"
    assert archive.tile(9, 254, 168) is None and archive.tile(8, 999, 84) is None


# --------------------------------------------------------------------------- parishes


@pytest.mark.parametrize(("fmt", "year"), [("gpkg", 21), ("zip", 23)])
def test_parishes_read_in_every_ons_format(tmp_path, fmt, year):
    g = build_geography(load_definition(), [write_parishes(tmp_path, fmt, year)])
    assert list(g.parishes["parish_name"]) == ["Pitsford", "Brixworth", "Moulton"]
    assert g.parishes.crs.to_epsg() == 4326 and g.wards is None


def test_every_incident_gets_its_parish_on_real_data(geo):
    from ruralaction.incidents.pipeline import run

    files = sorted((SHARED / "police_uk").glob("2024-0[1-2]-*.csv"))
    df = run(files, geo, load_definition()).incidents
    pitsford = df["parish_name"] == "Pitsford"
    assert pitsford.sum() > 0
    lon, lat = df.loc[pitsford, "longitude"], df.loc[pitsford, "latitude"]
    assert lon.between(-0.915, -0.865).all() and lat.between(52.292, 52.318).all()
    assert (df.loc[pitsford, "parish_code"] == "E04006901").all()
    # inside the county's (Daventry's) wards but in no parish: named so, with no code
    unparished = df["parish_name"] == UNPARISHED
    assert unparished.sum() > 0 and df.loc[unparished, "parish_code"].isna().all()
    assert df.loc[unparished, "in_county"].all()
    # outside the wards loaded: no parish at all, never "unparished"
    assert df.loc[~df["in_county"].fillna(False).astype(bool), "parish_name"].isna().all()


def test_which_wards_a_parish_spans(geo):
    spans = parish_wards(geo.parishes, geo.wards)
    pitsford = spans[spans["parish_code"] == "E04006901"]
    assert len(pitsford) >= 2 and "Brixworth" in set(pitsford["ward_name"])
    assert pitsford["share"].sum() == pytest.approx(1.0, abs=0.03)
    assert pitsford["share"].is_monotonic_decreasing


# --------------------------------------------------------------------------- postcodes and search


def test_postcode_lookups_in_onspd_and_nspl_layouts(tmp_path):
    for write in (write_onspd, write_nspl):
        pc = read_postcodes(write(tmp_path / f"{write.__name__}.csv"))
        assert list(pc.table["postcode"]) == ["NN3 7AA", "NN6 9AA", "NN6 9AB", "NN6 9AD", "NN6 9DA"]
        assert pc.table.loc[pc.table["postcode"] == "NN6 9AB", "ward_code"].item() == "E05009016"
        assert pc.table.loc[pc.table["postcode"] == "NN6 9AB", "parish_code"].item() == "E04006901"
        assert len(pc.starting("nn6 9")) == 4 and len(pc.starting("NN69AB")) == 1 and len(pc.starting("NN6")) == 4
        assert pc.starting("NN3 8").empty


def test_a_bad_postcode_row_refuses_the_file_naming_line_and_column(tmp_path):
    path = write_onspd(tmp_path / "onspd.csv")
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("52.302519", "fifty-two")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(GeographyError, match=r"onspd\.csv, line 4, column lat: 'fifty-two' is not a latitude"):
        read_postcodes(path)
    (tmp_path / "x.csv").write_text("postcode_district,latitude\nNN6,52\n")
    with pytest.raises(GeographyError, match="needs the columns pcds"):
        read_postcodes(tmp_path / "x.csv")


def test_one_search_finds_postcodes_villages_parishes_and_wards(geo, tmp_path):
    no_lookup = build_index(geo.wards, geo.parishes)
    assert search("NN6 9AB", no_lookup).message == NEEDS_LOOKUP
    assert "ONS Open Geography Portal" in NEEDS_LOOKUP and "ONSPD" in NEEDS_LOOKUP

    index = build_index(geo.wards, geo.parishes, postcodes=read_postcodes(write_onspd(tmp_path / "p.csv")))
    hit = search("Pitsford", index).place
    assert hit.kind == "parish" and hit.parish_code == "E04006901"
    assert search("pitsfrod", index).place.parish_code == "E04006901"  # a close spelling
    # Brixworth is a parish and a ward: the parish (the village) is meant
    assert search("brixworth", index).place.kind == "parish"
    assert search("Long Buckby", index).place.ward_code == "E05009019"
    sector = search("NN6 9", index)
    assert sector.place.kind == "postcode" and sector.place.parish_code == "E04006901"
    assert "(4 postcodes), mostly in Pitsford parish" in sector.message  # the terminated one is left out
    minx, miny, maxx, maxy = sector.place.bounds
    assert minx < -0.899 and maxx > -0.889 and miny < 52.3025 and maxy > 52.3216
    unit = search("nn69ab", index)
    assert unit.place.name == "NN6 9AB" and unit.place.ward_code == "E05009016"
    assert "No postcode starting 'NN3 8'" in search("NN3 8", index).message
    assert search("Atlantis", index).place is None


def test_open_names_places_label_and_search_without_a_header(geo, tmp_path):
    from ruralaction.geography.gazetteer import OPEN_NAMES_HEADER

    def row(name, local_type, x, y):
        r = dict.fromkeys(OPEN_NAMES_HEADER, "")
        return r | {
            "ID": f"osgb{name}",
            "NAME1": name,
            "TYPE": "populatedPlace",
            "LOCAL_TYPE": local_type,
            "GEOMETRY_X": x,
            "GEOMETRY_Y": y,
        }

    rows = [
        row("Pitsford", "Village", "475460", "267870"),
        row("Holcot", "Village", "479500", "269600"),
        row("Pitsford Water", "Other Settlement", "478000", "270000"),
    ]
    rows.append(dict(rows[0]) | {"NAME1": "Pitsford Road", "TYPE": "transportNetwork", "LOCAL_TYPE": "Named Road"})
    path = tmp_path / "SP66.csv"
    pd.DataFrame(rows)[list(OPEN_NAMES_HEADER)].to_csv(path, header=False, index=False)
    places = read_open_names(path)
    assert list(places["name"]) == ["Pitsford", "Holcot", "Pitsford Water"]
    assert places["lon"].between(-0.95, -0.8).all() and places["lat"].between(52.29, 52.34).all()
    labels = place_labels(geo.wards, geo.parishes, places)
    # one "Pitsford": the village, not also its parish
    assert (labels["name"] == "Pitsford").sum() == 1 and labels.loc[
        labels["name"] == "Pitsford", "kind"
    ].item() == "village"
    holcot = search("Holcot", build_index(geo.wards, geo.parishes, places)).place
    assert holcot.kind == "village" and holcot.ward_code is not None
    bad = path.read_text().replace("479500", "x479")
    (tmp_path / "bad.csv").write_text(bad)
    with pytest.raises(GeographyError, match="line 2, column GEOMETRY_X"):
        read_open_names(tmp_path / "bad.csv")


def test_parish_assignment_is_vectorised_not_per_row():
    # 200k points against the fixture parishes in well under a second (a per-row loop takes minutes)
    import time

    from places_fixtures import parish_frame

    from ruralaction.geography.parishes import assign_parishes

    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-0.95, -0.82, 200_000), rng.uniform(52.27, 52.37, 200_000)
    parishes = parish_frame().rename(columns={"PAR23CD": "parish_code", "PAR23NM": "parish_name"})
    t = time.perf_counter()
    codes, names = assign_parishes(lon, lat, parishes)
    assert time.perf_counter() - t < 5
    assert set(names.categories) == {"Pitsford", "Brixworth", "Moulton", UNPARISHED}
    assert (codes.isna() == (names == UNPARISHED)).all()


# --------------------------------------------------------------------------- the command line and the printable summary


def test_load_geography_takes_parishes_and_postcodes(tmp_path, capsys):
    from ruralaction.cli import main
    from ruralaction.incidents.store import Store

    geo = tmp_path / "geo"
    write_parishes(geo / "parishes", "zip")
    write_onspd(geo / "ONSPD_NOV_2025_NN.csv")
    (geo / "wards").mkdir()
    (geo / "wards" / "E07000151.json").write_bytes(WARDS.read_bytes())
    data = tmp_path / "data"
    police = SHARED / "police_uk" / "2024-01-northamptonshire-street.csv"
    assert main(["load", str(police), "--geography", str(geo), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Added parish file Parishes_December_2023_Boundaries_EW_BGC.zip." in out
    assert "Added postcode lookup file ONSPD_NOV_2025_NN.csv." in out
    assert (Store(data).path("ours") / "postcodes" / "ONSPD_NOV_2025_NN.csv").is_file()
    df = Store(data).load("ours").incidents
    assert (df["parish_name"] == "Moulton").sum() > 0 and (df["parish_name"] == UNPARISHED).sum() > 0
    # a bad postcode file is refused whole, naming the line, and nothing of it is kept
    bad = tmp_path / "bad" / "nspl.csv"
    bad.parent.mkdir()
    write_nspl(bad)
    bad.write_text(bad.read_text().replace("NN6 9AD", "NOT A PC"))
    with pytest.raises(GeographyError, match=r"nspl\.csv, line 4, column pcds: 'NOT A PC' is not a postcode"):
        Store(data).add_geography(bad.name, bad.read_bytes(), actor=ADMIN)
    assert not (Store(data).path("ours") / "postcodes" / "nspl.csv").exists()


def test_printable_summary_carries_the_area_map_offline(geo):
    import io

    from PIL import Image

    from ruralaction.incidents.pipeline import run
    from ruralaction.measures import area_report
    from ruralaction.measures.filters import Filters, options
    from ruralaction.measures.parish_report import parish_areas_km2, parish_rural, parish_summary
    from ruralaction.reports.staticmap import area_map_png

    files = [SHARED / "police_uk" / "2024-01-northamptonshire-street.csv"]
    df = run(files, geo, load_definition()).incidents
    assert df["parish_code"].notna().any()
    spans = parish_wards(geo.parishes, geo.wards)
    rural = parish_rural(spans, geo.wards, load_definition().rural_classes)
    s = parish_summary(
        df,
        geo.parishes,
        "E04006903",
        parish_areas_km2(geo.parishes),
        rural,
        load_definition().rural_classes,
        Filters(),
        options(df, geo.wards),
    )
    assert s.area == "parish" and s.ward_name == "Moulton" and s.crimes > 0
    assert "ward" not in s.comparison.words and s.comparison.county_rate is not None
    features, _ = maplayers.polygon_features(geo.parishes, "parish_code", "parish_name")
    outline = next(f for f in features if f["properties"]["code"] == "E04006903")
    mask = (df["parish_code"] == "E04006903").to_numpy() & df["is_rural_crime"].to_numpy()
    points = df.loc[mask, ["longitude", "latitude", "rural_category"]].set_axis(["lon", "lat", "category"], axis=1)
    offline = bm.basemap_from_env({"RURALACTION_BASEMAP": "none"})
    png = area_map_png(outline, points, None, place_labels(geo.wards, geo.parishes), offline)
    img = Image.open(io.BytesIO(png))
    assert img.size == (900, 560)
    pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    assert (np.abs(pixels - [27, 94, 32]).sum(axis=1) < 30).sum() > 500  # the boundary, drawn thick
    assert mask.sum() > 0
    page = area_report.summary_html(s, png, "Map of Moulton")
    assert "<img class='map' alt='Map of Moulton' src='data:image/png;base64," in page
    assert "Rural parish" in page or "parish of unknown" in page or "Urban parish" in page
    assert "parish code E04006903" in page


def test_county_map_of_slides_and_pack_names_its_places(geo):
    import shapely

    from ruralaction.progress import charts

    wards = geo.wards.assign(district=np.where(geo.wards["ward_name"].str.startswith("Abbey"), "Daventry", "Rural"))
    shapes = charts.ward_shapes(wards)
    assert sorted(shapes.places["name"]) == ["Daventry", "Rural"]
    x, y = shapes.places.set_index("name").loc["Daventry", ["x", "y"]]
    abbey = wards[wards["district"] == "Daventry"].to_crs("EPSG:27700").union_all()
    assert abbey.contains(shapely.Point(x, y))  # the label sits inside its district


def test_slides_and_pack_map_draws_on_self_hosted_tiles_in_the_grid(geo, tmp_path):
    from places_fixtures import write_pmtiles

    from ruralaction.measures.periods import parse_period
    from ruralaction.progress import charts

    shapes = charts.ward_shapes(geo.wards)
    rates = pd.DataFrame(
        {
            "ward_code": geo.wards["ward_code"],
            "ward_name": geo.wards["ward_name"],
            "district": None,
            "rural": True,
            "crimes": np.arange(len(geo.wards)),
            "area_km2": 10.0,
            "per_km2_year": np.arange(len(geo.wards)) / 10,
        }
    )
    period = parse_period("2024")
    plain = charts.map_chart(shapes, rates, period, basemap=bm.basemap_from_env({"RURALACTION_BASEMAP": "none"}))
    assert not plain.fig.layout.images and plain.fig.data[0].fillcolor.startswith("#")
    extract = write_pmtiles(tmp_path / "county.pmtiles", zooms=range(6, 11), close=())
    tiled = charts.map_chart(shapes, rates, period, basemap=bm.basemap_from_env({"RURALACTION_BASEMAP": str(extract)}))
    (image,) = tiled.fig.layout.images
    assert image.layer == "below" and image.xref == "x" and image.source.startswith("data:image/png;base64,")
    assert image.sizex > 30_000 and image.sizey > 30_000  # metres of the grid: Daventry's wards and a margin
    assert tiled.fig.data[0].fillcolor.startswith("rgba(")  # see-through wards over the tiles
    assert any(a.text == "Test extract" for a in tiled.fig.layout.annotations)


def test_the_app_serves_the_style_and_the_self_hosted_tiles(tmp_path, monkeypatch):
    import gzip
    import io

    from PIL import Image
    from places_fixtures import write_pmtiles
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from dashboard import basemap_web

    client = TestClient(Starlette(routes=basemap_web.routes()), base_url="https://crime.example.gov.uk")
    monkeypatch.setenv("RURALACTION_BASEMAP", "none")
    assert client.get("/basemap/style.json").status_code == 404  # nothing to serve, nothing fetched

    monkeypatch.setenv(
        "RURALACTION_BASEMAP", str(write_pmtiles(tmp_path / "raster.pmtiles", zooms=range(8, 9), close=()))
    )
    style = client.get("/basemap/style.json").json()
    src = style["sources"]["basemap"]
    assert src["type"] == "raster" and src["tiles"] == ["https://crime.example.gov.uk/basemap/tiles/{z}/{x}/{y}"]
    assert src["bounds"] == pytest.approx([-1.35, 51.97, -0.33, 52.65]) and src["attribution"] == "Test extract"
    tile = client.get("/basemap/tiles/8/127/84")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png" and tile.content[:4] == b"\x89PNG"
    for z, x, y in ((8, 0, 0), (30, 1, 1)):  # not in the extract: a transparent tile, never a broken image
        empty = client.get(f"/basemap/tiles/{z}/{x}/{y}")
        assert empty.status_code == 200 and empty.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(empty.content)).getextrema()[3] == (0, 0)

    vector = tmp_path / "vector.pmtiles"
    mvt = gzip.compress(b"\x1a\x00")  # an (empty) Mapbox vector tile, stored gzipped as Protomaps does
    with write(str(vector)) as w:
        w.write_tile(zxy_to_tileid(8, 127, 84), mvt)
        w.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_zoom": 0,
                "max_zoom": 8,
                "min_lon_e7": -13500000,
                "min_lat_e7": 519700000,
                "max_lon_e7": -3300000,
                "max_lat_e7": 526500000,
                "center_zoom": 8,
                "center_lon_e7": -9000000,
                "center_lat_e7": 523000000,
            },
            {"attribution": "© OpenStreetMap; Protomaps"},
        )
    monkeypatch.setenv("RURALACTION_BASEMAP", str(vector))
    style = client.get("/basemap/style.json").json()
    assert style["sources"]["basemap"]["type"] == "vector"
    assert {lyr.get("source-layer") for lyr in style["layers"]} >= {"earth", "water", "roads"}
    assert not any(lyr["type"] == "symbol" for lyr in style["layers"])  # no text: no font server needed
    tile = client.get("/basemap/tiles/8/127/84")
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert tile.headers["content-encoding"] == "gzip" and tile.content == b"\x1a\x00"  # the client un-gzips
    assert client.get("/basemap/tiles/8/0/0").status_code == 204  # an empty vector tile
