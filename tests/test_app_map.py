"""The Map and Local area pages under Streamlit's ``AppTest``, on the demo data.

One app per module (the demo loads once): each test moves the shared sidebar filters or the URL
and checks the figures on the page move with them, then resets.

:func:`v2_pages` makes AppTest treat the app as an ``st.navigation`` app from the first run, as a
real server does (a guard from when the pages lived in a ``pages/`` folder, which AppTest takes
for legacy page discovery).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from tiny_county import write_tiny_county

from dashboard.state import DEMO_LABEL
from ruralaction.measures.trends import TABLE_ROWS

APP = str(Path(__file__).resolve().parent.parent / "app.py")


class _V2PagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False  # as after the first st.navigation of a real server


@pytest.fixture(scope="module", autouse=True)
def v2_pages():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test_module, "PagesManager", _V2PagesManager)
        yield


def ward_codes(demo_dir: Path) -> dict[str, str]:
    """Ward name -> code of the demo's boundary file."""
    path = next((demo_dir / "boundaries").rglob("*.geojson"))
    return {f["properties"]["WD13NM"]: f["properties"]["WD13CD"] for f in json.loads(path.read_text())["features"]}


@pytest.fixture(scope="module")
def data_root(demo_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("app_map")
    shutil.copytree(demo_dir, root / "demo")
    return root


@pytest.fixture(scope="module")
def codes(demo_dir) -> dict[str, str]:
    return ward_codes(demo_dir)


class App:
    """One AppTest with ``RURALACTION_DATA_DIR`` set on every run."""

    def __init__(self, root: Path):
        self.mp = pytest.MonkeyPatch()
        self.mp.setenv("RURALACTION_DATA_DIR", str(root))
        self.at = AppTest.from_file(APP, default_timeout=60)
        self.run()

    def run(self) -> AppTest:
        self.at.run()
        assert not self.at.exception, [e.message for e in self.at.exception]
        return self.at

    def page(self, path: str, **query) -> AppTest:
        self.at.switch_page(path)
        self.at.query_params.clear()
        self.at.query_params.update(query)
        return self.run()

    def reset(self) -> None:
        self.at.button(key=next(b.key for b in self.at.sidebar.button if b.label == "Reset filters")).click()
        self.run()

    def metric(self, label: str) -> str:
        return next(m.value for m in self.at.metric if m.label == label)

    def number(self, label: str) -> int:
        return int(self.metric(label).replace(",", ""))


@pytest.fixture(scope="module")
def app(data_root):
    a = App(data_root)
    yield a
    a.mp.undo()


@pytest.fixture
def map_page(app):
    app.page("dashboard/pages/map.py")
    yield app
    app.reset()


def deck_layers(at: AppTest) -> list[str]:
    return [layer["id"] for layer in json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]]


# ----------------------------------------------------------------------------- the map


def test_map_renders_the_demo_labelled_as_demo(map_page):
    at = map_page.at
    assert [t.value for t in at.title] == ["Rural crime map"]
    assert any(DEMO_LABEL in w.value for w in at.main.warning)
    assert any(DEMO_LABEL in w.value for w in at.sidebar.warning)
    assert map_page.number("Rural crimes shown") > 1000
    # place names above the data, the demo's partner actions on top
    assert deck_layers(at) == ["outlines", "hotspots", "place-labels", "actions"]
    assert "Rural Action (visible) action" in " ".join(h.value for h in at.get("html"))
    assert [s.value for s in at.main.subheader][-1] == "The same data as a table"
    ward_table, crime_table = (d.value for d in at.dataframe)
    assert ward_table["crimes"].sum() <= map_page.number("Rural crimes shown")
    shown = map_page.number("Rural crimes shown")
    assert shown > TABLE_ROWS and len(crime_table) == TABLE_ROWS, "the table holds the newest crimes"
    assert crime_table["Month"].is_monotonic_decreasing
    assert f"The newest {TABLE_ROWS:,} of {shown:,} crimes; the download has all of them." in [
        c.value for c in at.caption
    ]
    assert at.query_params == {}


@pytest.mark.parametrize(
    ("key", "value", "param"),
    [
        ("filters_months", ("2026-01", "2026-09"), {"from": "2026-01"}),
        ("filters_cat", ["burglary"], {"cat": "burglary"}),
        ("filters_reason", "farm", {"reason": "farm"}),
        ("filters_district", "Daventry", {"district": "Daventry"}),
    ],
)
def test_each_sidebar_filter_changes_the_figures_and_the_url(map_page, key, value, param):
    before = map_page.number("Rural crimes shown")
    _widget(map_page.at, key).set_value(value)
    map_page.run()
    after = map_page.number("Rural crimes shown")
    assert 0 < after < before
    assert map_page.at.query_params == param


def test_actions_layer_follows_the_toggle_and_the_area(map_page, codes):
    at = map_page.at
    points = len(json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][-1]["data"])
    _widget(at, "filters_district").set_value("Daventry")
    map_page.run()
    fewer = len(json.loads(map_page.at.get("deck_gl_json_chart")[0].proto.json)["layers"][-1]["data"])
    assert 0 < fewer < points
    map_page.at.toggle(key="map_show_actions").set_value(False)
    map_page.run()
    assert "actions" not in deck_layers(map_page.at)
    map_page.at.toggle(key="map_show_actions").set_value(True)
    map_page.run()


def _widget(at: AppTest, key: str):
    for kind in ("select_slider", "multiselect", "radio", "selectbox"):
        for w in getattr(at, kind):
            if w.key == key:
                return w
    raise KeyError(key)


def test_ward_filter_zooms_in_and_links_to_its_local_area_page(map_page, codes):
    brixworth = codes["Brixworth"]
    _widget(map_page.at, "filters_ward").set_value(brixworth)
    at = map_page.run()
    assert at.query_params == {"ward": brixworth}
    assert 0 < map_page.number("Rural crimes shown") < 1000
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert spec["initialViewState"]["zoom"] > 11  # one ward, not the county
    link = at.get("page_link")[0].proto
    assert link.label == "Open the local area page for Brixworth" and f"ward={brixworth}" in link.query_string


def test_layers_switch_and_points_have_the_snap_point_note(map_page):
    at = map_page.at
    at.get("button_group")[0].set_value("wards")
    map_page.run()
    assert deck_layers(at) == ["wards", "place-labels", "actions"]
    at.get("button_group")[0].set_value("points")
    map_page.run()
    assert deck_layers(at)[0] == "outlines" and deck_layers(at)[-1] == "actions"
    assert all(i.startswith("points-") for i in deck_layers(at)[1:-2]) and deck_layers(at)[-2] == "place-labels"
    assert any("snap points" in c.value for c in at.caption)
    at.get("button_group")[0].set_value("hotspots")
    map_page.run()


def test_url_filters_open_the_map_as_shared(app, codes):
    app.page("dashboard/pages/map.py", cat="robbery,burglary", reason="ward", **{"from": "2025-01"})
    shown = app.number("Rural crimes shown")
    assert 0 < shown < 5000
    assert app.at.multiselect(key="filters_cat").value == ["burglary", "robbery"]  # the definition's order
    assert app.at.radio(key="filters_reason").value == "ward"
    app.reset()
    assert app.number("Rural crimes shown") > shown and app.at.query_params == {}


def test_junk_in_the_url_is_ignored(app):
    app.page("dashboard/pages/map.py", ward="<img src=x onerror=alert(1)>", reason="all", cat="arson", to="2024-13")
    assert app.at.query_params == {}  # each bad value dropped, the URL tidied
    full = app.number("Rural crimes shown")
    app.page("dashboard/pages/map.py")
    assert app.number("Rural crimes shown") == full


# ----------------------------------------------------------------------------- the local area page


def test_local_area_lists_the_actions_taken_there(app, data_root):
    from ruralaction.actions import list_actions, open_database

    acts = list_actions(open_database(f"sqlite:///{data_root / 'ruralaction.db'}"), dataset="demo")
    code, n = acts["ward_codes"].explode().value_counts().index[0], acts["ward_codes"].explode().value_counts().iloc[0]
    at = app.page("dashboard/pages/local_area.py", ward=code)
    assert app.number("Actions") == n
    table = next(d.value for d in at.dataframe if "lead_partner" in d.value.columns)
    assert len(table) == n
    from ruralaction.concerns import ward_concern_counts

    raised = ward_concern_counts(open_database(f"sqlite:///{data_root / 'ruralaction.db'}"), "demo", code)
    shown = [d.value for d in at.dataframe if "category_label" in d.value.columns]
    assert (len(shown[0]) if shown else 0) == len(raised)
    app.reset()


def test_ward_in_the_url_opens_that_wards_page(app, codes):
    at = app.page("dashboard/pages/local_area.py", ward=codes["Brixworth"])
    assert [t.value for t in at.title] == ["Brixworth"]
    assert any(DEMO_LABEL in w.value for w in at.main.warning)
    assert app.number("Rural crimes") > 0
    assert {"How it is changing", "Compared with the county", "What stands out", "Outcomes", "Download"} <= {
        s.value for s in at.subheader
    }
    assert {"What partners did in Brixworth", "What residents raised in Brixworth"} <= {s.value for s in at.subheader}
    assert at.get("plotly_chart")
    changes = " ".join(m.value for m in at.markdown)
    assert "12 months to Sep 2026 against the 12 before" in changes
    assert "county\\'s rural\\-ward average" in changes
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download these numbers (CSV)",  # the "Is this month unusual?" section's expected counts
        "This ward's crimes (CSV)",
        "Summary (CSV)",
        "Print-friendly summary (HTML)",
    ]
    assert at.selectbox(key="filters_ward").value == codes["Brixworth"]  # the sidebar follows the URL
    app.reset()


def test_local_area_figures_follow_the_filters(app, codes):
    app.page("dashboard/pages/local_area.py", ward=codes["Crick and West Haddon"])
    everything = app.number("Rural crimes")
    _widget(app.at, "filters_cat").set_value(["vehicle crime"])
    app.run()
    assert 0 < app.number("Rural crimes") < everything
    assert app.at.query_params == {"ward": codes["Crick and West Haddon"], "cat": "vehicle crime"}
    app.reset()


def test_the_page_picker_changes_ward(app, codes):
    app.page("dashboard/pages/local_area.py", ward=codes["Brixworth"])
    app.at.selectbox(key="local_area_ward").set_value(codes["Flore"])
    at = app.run()
    assert [t.value for t in at.title] == ["Flore"]
    assert at.query_params == {"ward": codes["Flore"]}
    app.reset()


def test_no_or_unknown_ward_asks_for_one(app):
    for query in ({}, {"ward": "E05999999"}):
        at = app.page("dashboard/pages/local_area.py", **query)
        assert [t.value for t in at.title] == ["Local area"]
        assert any("Choose a ward" in i.value for i in at.info)
        assert at.query_params == {}


def test_overview_keeps_the_filters_out_of_the_way(app):
    at = app.page("dashboard/pages/overview.py")
    assert [e.proto.label for e in at.sidebar.expander] == ["Filters (used on the Map and Local area pages)"]


def test_with_one_month_of_data_a_changed_filter_stays_changed(tmp_path):
    """One month loaded: no month slider is drawn, and the other filters must still keep what
    the user chose (they were put back to the link's values on every run)."""
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    shutil.rmtree(root / "ours" / "police_uk" / "2024-03")
    app = App(root)
    try:
        at = app.page("dashboard/pages/map.py")
        assert not [s for s in at.sidebar.select_slider if s.key == "filters_months"]
        at.sidebar.radio(key="filters_reason").set_value("farm")
        at = app.run()
        assert at.sidebar.radio(key="filters_reason").value == "farm"
        at = app.run()  # and on the run after, when the link has caught up
        assert at.sidebar.radio(key="filters_reason").value == "farm"
        assert at.query_params.get("reason") in ("farm", ["farm"])
    finally:
        app.mp.undo()
