"""End to end: presentation mode on a projector-sized headless Chromium, against one
``streamlit run app.py`` for the module (the demo data, a database of its own).

The projected page is opened from the address (``?present=1&interval=3``) and never touched
again: an action added through the library while it is open must show in its actions count
within the refresh interval, without a reload, and the slides must move on by themselves.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from test_e2e_browser import (  # noqa: F401  (fixtures used by pytest-playwright)
    ARTIFACTS,
    ROOT,
    browser_context_args,
    browser_type_launch_args,
    serve,
    wait_healthy,
)

from dashboard.state import DEMO_LABEL

pytestmark = pytest.mark.browser

INTERVAL_S = 3
TITLE = "Joint fire & security visits <b>Brook Farm</b>"
#: Streamlit's frontend probes ``/<page>/_stcore/...`` for a base path on a page URL; not app errors.
BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


@pytest.fixture(scope="module")
def projector(demo_dir, tmp_path_factory):
    """Base URL of the app on the demo, its database URL and one demo ward (code, name)."""
    data = tmp_path_factory.mktemp("e2e_present")
    shutil.copytree(demo_dir, data / "demo")
    ward = next(
        f["properties"]
        for f in json.loads(next((data / "demo" / "boundaries").rglob("*.geojson")).read_text())["features"]
        if f["properties"].get("RUC11CD", "").startswith("E")
    )
    db_url = f"sqlite:///{data / 'actions.db'}"
    log = tmp_path_factory.mktemp("e2e_present_log") / "streamlit.log"
    # the presentation's 10 s floor lowered for this server, so the test takes seconds, not a minute
    with serve(
        log, RURALACTION_DATA_DIR=str(data), RURALACTION_DB_URL=db_url, RURALACTION_PRESENT_MIN_SECONDS=str(INTERVAL_S)
    ) as url:
        yield url, db_url, (ward["WD13CD"], ward["WD13NM"])


def add_action_elsewhere(db_url: str, ward: tuple[str, str]) -> None:
    """What a partner's save on another device does: one action, through the library."""
    from ruralaction.actions import ActionInput, Actor, add_action, open_database

    engine = open_database(db_url)
    try:
        add_action(
            engine,
            Actor.system_actor("another device"),
            ActionInput(
                title=TITLE,
                wards=(ward[0],),
                lead_partner="Fire and Rescue",
                issue="Burglary",
                action_type="Fire-safety visit",
                status="completed",
                completed_on=dt.date.today(),
                visible=True,
                supporting_partners=("Police",),
            ),
            {ward[0]: ward[1]},
            dataset="demo",
        )
    finally:
        engine.dispose()


def test_an_action_saved_elsewhere_appears_on_the_projector_without_a_reload(projector, page):
    from playwright.sync_api import expect

    url, db_url, ward = projector
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not BASE_PATH_PROBE.search(m.location.get("url", ""))
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else elsewhere.append(r.url))
    page.set_viewport_size({"width": 1920, "height": 1080})  # a projector

    page.goto(f"{url}/?present=1&interval={INTERVAL_S}&slide=scorecard")
    expect(page).to_have_url(re.compile(r"/presentation\?.*present=1"), timeout=60_000)
    count = page.locator(".ra-count")
    expect(count).to_have_text(re.compile(r"^\d[\d,]*$"), timeout=60_000)
    expect(page.locator(".ra-programme")).to_have_text("Rural Action · Northamptonshire")
    expect(page.locator(".ra-demo")).to_have_text(DEMO_LABEL)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # a projector view: no sidebar
    expect(page.locator(".ra-foot")).to_contain_text("Data as of: crime data to Sep 2026")

    scorecard = page.locator(".ra-title[data-slide='scorecard']")
    if scorecard.count():  # still on the first slide: keep its picture
        expect(page.locator(".ra-tile")).to_have_count(9)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "present-scorecard-1920x1080.png"))

    before = int(count.inner_text().replace(",", ""))
    page.evaluate("window.__not_reloaded = true")
    add_action_elsewhere(db_url, ward)
    # refreshed within the interval (plus a rerun's time), by the fragment alone
    expect(count).to_have_text(f"{before + 1:,}", timeout=(INTERVAL_S + 6) * 1000)
    assert page.evaluate("window.__not_reloaded") is True

    # nobody touches the screen: the slides move on to the latest actions, the new one first
    latest = page.locator(".ra-title[data-slide='actions']")
    expect(latest).to_be_visible(timeout=(len("map trend scorecard actions".split()) + 1) * INTERVAL_S * 1000 + 5000)
    first_row = page.locator("table.ra-list tbody tr").first
    expect(first_row).to_contain_text(TITLE)  # typed markup shows as text
    assert page.locator("table.ra-list b").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "present-latest-actions-1920x1080.png"))
    expect(page.locator(".ra-title[data-slide='map']")).to_be_visible(timeout=(INTERVAL_S + 5) * 1000)
    expect(page.locator(".ra-title[data-slide='map']")).to_be_visible()
    page.wait_for_function("document.querySelector('.js-plotly-plot .scatterlayer') !== null", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "present-map-1920x1080.png"))
    assert page.evaluate("window.__not_reloaded") is True
    assert not errors, f"browser console errors: {errors}"
    assert not elsewhere, f"requests to other sites: {elsewhere}"
