"""The Progress page and presentation mode under Streamlit's ``AppTest``, on the demo data with
its demo actions and concerns (seeded by the app into a database of its own).

AppTest cannot run a fragment's timer; what it can check is that the slideshow fragment asks
the browser to rerun it every N seconds: the ``auto_rerun`` message Streamlit sends for
``st.fragment(run_every=N)``, captured here as it is queued.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from dashboard.state import DEMO_LABEL
from ruralaction.measures.periods import financial_year, loaded_months
from ruralaction.progress.aims import rural_crime

APP = str(Path(__file__).resolve().parent.parent / "app.py")


class _V2PagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False  # as after the first st.navigation of a real server


@pytest.fixture(scope="module")
def app(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("app_progress")
    shutil.copytree(demo_dir, root / "demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test_module, "PagesManager", _V2PagesManager)
        mp.setenv("RURALACTION_DATA_DIR", str(root))
        mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'actions.db'}")
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        yield at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def demo_incidents(demo_dir):
    from ruralaction.incidents.pipeline import load_data_dir

    return load_data_dir(demo_dir).incidents


def expected_crimes(df, period) -> str:
    """Rural crimes in ``period``, counted by the library directly."""
    c, _ = rural_crime(df, df["is_rural_crime"].to_numpy(), period, financial_year(2024), loaded_months(df))
    return f"{c.crimes:,}"


def test_the_progress_page_scores_the_period_chosen(app, demo_incidents):
    at = app
    at.switch_page("dashboard/pages/progress.py")
    at.query_params.clear()
    run(at)
    assert at.title[0].value == "Progress against the three aims"
    assert any(DEMO_LABEL in w.value for w in at.warning)
    assert at.selectbox(key="progress_period").value == "2025-26"  # the latest full financial year
    first = metrics(at)
    assert len(first) == 9
    crime = "Rural crime against the baseline year"
    assert first[crime] == expected_crimes(demo_incidents, financial_year(2025))
    statuses = [h.proto.body for h in at.get("html") if "ra-status" in h.proto.body]
    assert len(statuses) == 9 and all(
        any(w in s for w in ("On track", "At risk", "Off track", "Not rated")) for s in statuses
    )
    captions = " ".join(c.value for c in at.caption)
    # every figure states its period and "data as of" (captions are markdown-escaped)
    assert captions.count("**Period:**") == 9 and captions.count("**Period:** Financial year 2025\\-26") == 7
    assert captions.count("**Period:** Last quarter of 2025\\-26") == 2
    assert captions.count("Data as of\\: crime data to Sep 2026") >= 2 and captions.count("Data as of\\: actions") == 6
    assert at.query_params["period"] == "2025-26"

    at.selectbox(key="progress_period").set_value("2024-25")
    run(at)
    second = metrics(at)
    assert second[crime] == expected_crimes(demo_incidents, financial_year(2024)) != first[crime]
    assert second["Actions completed per month"] != first["Actions completed per month"]
    assert at.query_params["period"] == "2024-25"

    at.radio(key="progress_kind").set_value("r12")
    run(at)
    assert at.selectbox(key="progress_period").value == "12m-2026-09"
    assert "12 months to Sep 2026" in " ".join(c.value for c in at.caption)
    at.radio(key="progress_kind").set_value("fy")
    run(at)


def test_a_wards_scorecard_does_not_rate_county_targets(app, demo_dir):
    import json

    feature = json.loads(next((demo_dir / "boundaries").rglob("*.geojson")).read_text())["features"][40]["properties"]
    code, name = feature["WD13CD"], feature["WD13NM"]
    at = app
    at.switch_page("dashboard/pages/progress.py")
    run(at)
    at.selectbox(key="progress_ward").set_value(code)
    run(at)
    assert at.query_params["ward"] == code
    assert at.caption[0].value.startswith(f"**{name}**")
    statuses = [h.proto.body for h in at.get("html") if "ra-status" in h.proto.body]
    county_only = [s for s in statuses if "The target is for the whole county" in s]
    assert len(county_only) == 3 and all("Not rated" in s for s in county_only)
    statuses = [h.proto.body for h in at.get("html") if "ra-status" in h.proto.body]
    assert sum("The target is for the whole county" in s for s in statuses) == 3
    at.selectbox(key="progress_ward").select_index(0)
    run(at)


@pytest.fixture
def auto_reruns(monkeypatch):
    """Every ``auto_rerun`` message queued while the app runs: (interval, fragment id)."""
    seen: list[tuple[float, str]] = []
    original = ForwardMsgQueue.enqueue

    def enqueue(self, msg):
        if msg.WhichOneof("type") == "auto_rerun":
            seen.append((msg.auto_rerun.interval, msg.auto_rerun.fragment_id))
        return original(self, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", enqueue)
    return seen


@pytest.mark.parametrize("slide", ["map", "trend", "scorecard", "actions"])
def test_the_presentation_draws_each_slide_in_a_fragment_set_to_refresh(app, auto_reruns, slide):
    at = app
    at.switch_page("dashboard/pages/present.py")
    at.query_params.clear()
    at.query_params.update({"interval": "20", "slide": slide})
    run(at)
    bodies = [h.proto.body for h in at.get("html")]
    header = next(b for b in bodies if "ra-title" in b)
    assert f"data-slide='{slide}'" in header and "Rural Action · Northamptonshire" in header
    assert DEMO_LABEL in header
    footer = next(b for b in bodies if "ra-foot" in b)
    assert "Data as of: crime data to Sep 2026" in footer and "12 months to Sep 2026" in footer
    assert "ra-count" in footer
    assert auto_reruns and {i for i, _ in auto_reruns} == {10.0}  # 20 s slides, refreshed every 10 s
    if slide == "scorecard":
        tiles = next(b for b in bodies if "ra-grid" in b)
        assert tiles.count("class='ra-tile'") == 9 and "Aim 3: Action broader than the police" in tiles
    elif slide in ("map", "trend"):
        assert len(at.get("plotly_chart")) == 1
    else:
        assert any("ra-list" in b for b in bodies)


def test_present_1_in_the_apps_address_opens_the_presentation(app, auto_reruns):
    at = app
    at.switch_page("dashboard/pages/overview.py")
    at.query_params.clear()
    at.query_params.update({"present": "1", "interval": "12", "paused": "1", "slide": "actions"})
    run(at)
    header = next(h.proto.body for h in at.get("html") if "ra-title" in h.proto.body)
    assert "data-slide='actions'" in header and "paused" in header
    assert at.toggle(key="present_paused").value is True
    assert {i for i, _ in auto_reruns} == {12.0}
