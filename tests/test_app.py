"""The app (``app.py`` and the Overview page) under Streamlit's ``AppTest``: no browser.

Each app run points ``RURALACTION_DATA_DIR`` at its own folder, so the process-wide
``st.cache_resource`` caches (keyed on the folder and its data version) never mix runs up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tiny_county import TINY_EXPECTED, write_tiny_county

from dashboard.state import DEMO_LABEL
from ruralaction.incidents.store import Store

APP = Path(__file__).resolve().parent.parent / "app.py"


def run_app(data_dir) -> AppTest:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RURALACTION_DATA_DIR", str(data_dir))
        return AppTest.from_file(str(APP), default_timeout=60).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def first_start(tmp_path_factory):
    """The app started on an empty data directory (it writes the demo there)."""
    root = tmp_path_factory.mktemp("empty")
    return root, run_app(root)


@pytest.fixture(scope="module")
def tiny_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_app")
    write_tiny_county(root / "ours")
    return run_app(root)


def test_first_start_makes_the_demo_and_shows_it(first_start):
    root, at = first_start
    assert not at.exception
    demo = Store(root).path("demo")
    assert (demo / "demo.json").is_file() and any((demo / "police_uk").rglob("*.csv"))
    assert Store(root).active() == "demo" and not Store(root).path("ours").exists()
    m = metrics(at)
    assert int(m["Rural crimes"].replace(",", "")) > 0
    assert m["Months covered"] == "36"
    assert m["Rural share of in-scope"].endswith("%")
    assert [s.value for s in at.subheader][:3] == ["Rural crimes by month", "Why they count", "Top wards"]
    assert at.get("plotly_chart"), "the monthly chart is drawn"


def test_demo_is_labelled_on_the_page_and_in_the_sidebar(first_start):
    _, at = first_start
    assert any(DEMO_LABEL in w.value for w in at.main.warning)
    assert any(DEMO_LABEL in w.value for w in at.sidebar.warning)


def test_tiny_county_shows_the_hand_counted_numbers(tiny_app):
    at = tiny_app
    assert not at.exception
    m = metrics(at)
    assert m["Rural crimes"] == str(TINY_EXPECTED["rural_crimes"])
    assert m["Rural share of in-scope"] == "88%"  # 7 of 8
    assert m["Incidents loaded"] == "11" and m["In the county"] == "9" and m["No location"] == "1"
    assert m["Latest month"] == "Mar 2024" and m["Months covered"] == "2"


def test_tiny_county_is_not_labelled_demo_and_flags_the_missing_month(tiny_app):
    at = tiny_app
    assert not any(DEMO_LABEL in w.value for w in at.warning)
    assert any("February 2024" in w.value for w in at.main.warning)


def test_tiny_county_tables_and_rejected_rows(tiny_app):
    evidence, wards, rejected = (d.value for d in tiny_app.dataframe)
    by_cat = evidence.set_index("category")
    assert by_cat.loc["Burglary"].tolist() == [2, 1, 0, 3]  # a1, c5 in Brixworth; a3 at Manor Farm in Castle
    assert by_cat["total"].to_dict() == {
        "Burglary": 3,
        "Theft from the person": 0,
        "Vehicle crime": 1,
        "Robbery": 1,
        "Criminal damage": 1,
        "Wildlife crime": 1,
    }
    assert wards[["ward_name", "crimes"]].values.tolist() == [["Brixworth", 6], ["Castle", 1]]
    assert len(rejected) == 1 and rejected.iloc[0]["column"] == "Month"
    labels = [b.label for b in tiny_app.get("download_button")]
    assert [x for x in labels if "rejected" in x] == ["Download rejected rows (CSV)"]
    lines = " ".join(md.value for md in tiny_app.markdown)
    assert "12 read \\= 11 loaded \\+ 1 rejected" in lines


def test_own_boundaries_without_incidents_show_the_demo_unmixed(tmp_path):
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    for csv in (root / "ours" / "police_uk").rglob("*.csv"):
        csv.unlink()
    at = run_app(root)
    assert not at.exception
    assert any(DEMO_LABEL in w.value for w in at.sidebar.warning)
    store = Store(root)
    assert not any((store.path("ours") / "police_uk").rglob("*.csv")), "nothing is written into our own data"
    assert (store.path("demo") / "demo.json").is_file() and not (store.path("ours") / "demo.json").exists()
    assert (store.path("ours") / "boundaries").is_dir(), "our own boundaries are kept"
