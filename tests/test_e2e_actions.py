"""End to end: a partner signs in on the Actions page in headless Chromium, adds an action and
sees it listed; text they typed shows as text. One ``streamlit run app.py`` for the module, on
the tiny county and a fresh SQLite database with one account.
"""

from __future__ import annotations

import re

import pytest
from test_e2e_browser import (  # noqa: F401  (fixtures used by pytest-playwright)
    APP_IDLE,
    ARTIFACTS,
    ROOT,
    browser_context_args,
    browser_type_launch_args,
    serve,
    wait_healthy,
)
from tiny_county import write_tiny_county

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "pc@police.example", "correct horse battery staple"
TITLE = '<img src=x onerror="window.__pwned=1"> Gate checks at Manor Farm'


@pytest.fixture(scope="module")
def actions_url(tmp_path_factory):
    """Base URL of ``streamlit run app.py`` on the tiny county with one Police editor account."""
    from ruralaction.actions import Actor, add_user, open_database

    data = tmp_path_factory.mktemp("e2e_actions")
    write_tiny_county(data / "ours")
    db_url = f"sqlite:///{data / 'actions.db'}"
    engine = open_database(db_url)
    add_user(engine, Actor.system_actor("tests"), EMAIL, "editor", "Police", password=PASSWORD, name="PC Jones")
    engine.dispose()
    log = tmp_path_factory.mktemp("e2e_actions_log") / "streamlit.log"
    with serve(log, RURALACTION_DATA_DIR=str(data), RURALACTION_DB_URL=db_url) as url:
        yield url
        assert PASSWORD not in log.read_text(errors="replace"), "the password reached the server log"


def idle(page) -> None:
    page.locator(APP_IDLE).wait_for(timeout=60_000)


def test_a_partner_signs_in_adds_an_action_and_sees_it_listed(actions_url, page):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

    page.goto(actions_url)
    idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Actions").click()
    idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Actions", exact=True)).to_be_visible()
    expect(main.get_by_text("No actions are recorded yet.")).to_be_visible()

    main.get_by_text("Sign in", exact=True).first.click()
    main.get_by_label("Email").fill(EMAIL)
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Sign in").click()
    expect(main.get_by_text("Signed in as")).to_contain_text("PC Jones")
    idle(page)

    main.get_by_label("What was done").fill(TITLE)
    wards = main.get_by_test_id("stMultiSelect").filter(has_text="Ward(s)")
    wards.get_by_role("combobox").fill("Brix")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    main.get_by_role("button", name="Add action").click()
    expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text("Added action 1: " + TITLE)
    idle(page)

    expect(
        page.get_by_test_id("stMetric").filter(has_text="Actions").first.get_by_test_id("stMetricValue")
    ).to_have_text("1")
    grid = main.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    # the grid draws on a canvas; its accessible table (hidden from view) holds the cell text
    expect(grid.get_by_test_id("glide-cell-2-0")).to_have_text(TITLE)  # columns: #, date, action, status, visible, ward
    expect(grid.get_by_test_id("glide-cell-3-0")).to_have_text("completed")
    expect(grid.get_by_test_id("glide-cell-5-0")).to_have_text("Brixworth")

    choose = main.get_by_role("combobox", name="Action", exact=True)
    choose.scroll_into_view_if_needed()  # a click that must scroll first does not open the list
    choose.click()
    page.get_by_role("option", name=re.compile("Gate checks at Manor Farm")).click()
    idle(page)
    expect(main.get_by_role("heading", name=TITLE)).to_be_visible()  # the markup shows as text
    assert page.evaluate("() => window.__pwned") is None
    assert main.locator("img[src='x']").count() == 0

    height = main.evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(1000, int(height))})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "actions.png"), full_page=True)
    assert not errors, f"browser console errors: {errors}"
