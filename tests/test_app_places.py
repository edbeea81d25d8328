"""Places in the app (AppTest): the basemap in the map spec, place labels, search, parishes on
the Local area page and its map in the printable summary.

One app for the module, on real data: Daventry's real wards and the real January and February 2024
police.uk files, with parish boundaries and a postcode extract the tests write in the ONS layouts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from places_fixtures import SHARED, WARDS_DAVENTRY, write_onspd, write_parishes
from streamlit.testing.v1 import AppTest
from test_app_map import APP, v2_pages  # noqa: F401 - the module fixture that makes AppTest a v2 app

from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role

pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
PITSFORD = "E04006901"
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("app_places")
    ours = root / "ours"
    (ours / "police_uk" / "1").mkdir(parents=True)
    for month in ("2024-01", "2024-02"):  # two months: with one, the sidebar has no month slider
        shutil.copy(SHARED / "police_uk" / f"{month}-northamptonshire-street.csv", ours / "police_uk" / "1")
    (ours / "boundaries").mkdir()
    shutil.copy(WARDS_DAVENTRY, ours / "boundaries" / "E07000151.json")
    write_parishes(ours / "boundaries")
    (ours / "ruc").mkdir()
    shutil.copy(SHARED / "ruc" / "ruc11_wards_2011.csv", ours / "ruc")
    (root / "settings.json").write_text(json.dumps({"active": "ours"}))
    return root


@pytest.fixture(scope="module")
def app(root):
    mp = pytest.MonkeyPatch()
    mp.setenv("RURALACTION_DATA_DIR", str(root))
    mp.setenv("RURALACTION_BASEMAP", "none")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    yield at
    mp.undo()


def _go(at: AppTest, page: str, **query) -> AppTest:
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _decks(at: AppTest) -> list[dict]:
    return [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]


def _search(at: AppTest, key: str, text: str) -> AppTest:
    at.text_input(key=key).input(text).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_map_without_a_basemap_requests_no_tiles_but_shows_places(app):
    at = _go(app, "dashboard/pages/map.py")
    spec = _decks(at)[0]
    assert spec["mapStyle"] == "__MAP_STYLE__"  # no style, no tile layer: the browser fetches no tile
    assert not any(lyr["@@type"] in ("TileLayer", "MVTLayer", "BitmapLayer") for lyr in spec["layers"])
    labels = next(lyr for lyr in spec["layers"] if lyr["id"] == "place-labels")
    assert {"Pitsford", "Brixworth", "Long Buckby"} <= {x["n"] for x in labels["data"]}
    assert any("No background map is configured" in c.value for c in at.caption)


def test_map_colours_by_parish(app):
    at = _go(app, "dashboard/pages/map.py")
    at.segmented_control(key="map_layer").set_value("parishes").run()
    assert not at.exception
    layer = next(lyr for lyr in _decks(at)[0]["layers"] if lyr["id"] == "parishes")
    tips = {f["properties"]["name"]: f["properties"]["t"] for f in layer["data"]}
    assert set(tips) == {"Pitsford", "Brixworth", "Moulton"} and "per km² a year" in tips["Pitsford"]
    at.segmented_control(key="map_layer").set_value("hotspots").run()


def test_map_carries_the_configured_tiles_and_attribution(app, monkeypatch):
    monkeypatch.setenv("RURALACTION_BASEMAP", "https://tiles.example.gov.uk/{z}/{x}/{y}.png")
    monkeypatch.setenv("RURALACTION_BASEMAP_ATTRIBUTION", "© Example Council")
    at = _go(app, "dashboard/pages/map.py")
    assert _decks(at)[0]["mapStyle"] == "/basemap/style.json"
    assert any("© Example Council" in c.value and "IP address" in c.value for c in at.caption)
    monkeypatch.setenv("RURALACTION_BASEMAP", "/srv/missing/county.pmtiles")  # a broken setting: said, not fatal
    at = _go(app, "dashboard/pages/map.py")
    assert _decks(at)[0]["mapStyle"] == "__MAP_STYLE__"
    assert any("background map is not shown" in c.value and "does not exist" in c.value for c in at.caption)
    monkeypatch.setenv("RURALACTION_BASEMAP", "https://tiles.example.gov.uk/{z}/{x}/{y}.png")
    from dashboard.basemap_web import current

    src = current().style("http://localhost:8501")["sources"]["basemap"]
    assert (
        src["tiles"] == ["https://tiles.example.gov.uk/{z}/{x}/{y}.png"] and src["attribution"] == "© Example Council"
    )


def test_search_on_the_map_zooms_to_the_parish_and_links_its_page(app):
    at = _go(app, "dashboard/pages/map.py")
    county = _decks(at)[0]["initialViewState"]
    at = _search(at, "map_search", "Pitsford")
    view = _decks(at)[0]["initialViewState"]
    focus = next(lyr for lyr in _decks(at)[0]["layers"] if lyr["id"] == "focus")
    assert focus["data"][0]["properties"]["name"] == "Pitsford"  # the parish searched for, outlined
    assert view["zoom"] > county["zoom"] + 1.5
    assert abs(view["latitude"] - 52.305) < 0.02 and abs(view["longitude"] + 0.89) < 0.03
    link = next(p for p in at.get("page_link") if "Pitsford" in p.proto.label)
    assert f"parish={PITSFORD}" in link.proto.page or PITSFORD in json.dumps(str(link.proto))


def test_a_postcode_without_a_lookup_says_where_to_get_one(app):
    at = _go(app, "dashboard/pages/map.py")
    at = _search(at, "map_search", "NN6 9AB")
    text = " ".join(c.value for c in at.caption)
    assert "postcode lookup" in text and "ONS Open Geography Portal" in text


def test_local_area_for_a_parish_from_its_link(app):
    at = _go(app, "dashboard/pages/local_area.py", parish=PITSFORD)
    assert at.title[0].value == "Pitsford"
    caption = at.caption[0].value
    assert "parish code" in caption and "Brixworth" in caption and " and " in caption  # the wards it spans
    assert at.metric[0].label == "Rural crimes"
    deck = _decks(at)[0]
    assert any(lyr["id"] == "focus" for lyr in deck["layers"])
    assert any(m.label == "County rural-parish average" for m in at.metric)


def test_a_ward_chosen_in_the_sidebar_takes_over_from_the_parish(app):
    at = _go(app, "dashboard/pages/local_area.py", parish=PITSFORD)
    assert at.title[0].value == "Pitsford"
    at.selectbox(key="filters_ward").set_value("E05009019").run()  # Long Buckby
    assert not at.exception
    assert at.title[0].value == "Long Buckby" and "parish" not in at.query_params
    at.selectbox(key="filters_ward").set_value("").run()


def test_local_area_search_opens_a_postcode_s_parish(root, app):
    extract = root.parent / "onspd_extract.csv"
    write_onspd(extract)
    Store(root).add_geography(extract.name, extract.read_bytes(), actor=ADMIN)  # a new data version
    at = _go(app, "dashboard/pages/local_area.py")
    at = _search(at, "local_area_search", "nn6 9")
    assert at.query_params.get("parish") in (PITSFORD, [PITSFORD])
    assert at.title[0].value == "Pitsford"


def test_data_page_says_which_places_are_loaded(app):
    at = _go(app, "dashboard/pages/data.py")
    line = next(c.value for c in at.caption if "Places loaded now" in c.value)
    assert "3 parishes" in line and "a postcode lookup of 5 postcodes" in line, line
