"""End to end: a resident sends a concern on the Get involved page in headless Chromium — first
with a missing field (the message shows beside it, nothing is stored), then complete (the
reference shows) — and an admin who signs in finds it in the queue. One ``streamlit run app.py``
for the module, on the tiny county and a fresh SQLite database with one admin account.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from test_e2e_actions import sign_in as sign_in_on_the_sign_in_page
from test_e2e_actions import unexpected
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

ADMIN, PASSWORD = "admin@pcc.example", "correct horse battery staple"
NAME, EMAIL = "Zebedee <b>Quillfeather</b>", "zebedee@privacy.example"
DESCRIPTION = '<img src=x onerror="window.__pwned=1"> Rubbish dumped in the gateway on Back Lane'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, database URL) of ``streamlit run app.py`` on the tiny county with one admin."""
    from ruralaction.actions import Actor, add_user, open_database

    data = tmp_path_factory.mktemp("e2e_get_involved")
    write_tiny_county(data / "ours")
    db_url = f"sqlite:///{data / 'actions.db'}"
    engine = open_database(db_url)
    add_user(engine, Actor.system_actor("tests"), ADMIN, "admin", password=PASSWORD, name="Ada Admin")
    engine.dispose()
    log = tmp_path_factory.mktemp("e2e_get_involved_log") / "streamlit.log"
    with serve(log, RURALACTION_DATA_DIR=str(data), RURALACTION_DB_URL=db_url) as url:
        yield url, db_url
        text = log.read_text(errors="replace")
        assert PASSWORD not in text and EMAIL not in text, "a secret or personal detail reached the server log"


def idle(page) -> None:
    page.locator(APP_IDLE).wait_for(timeout=60_000)


def stored(db_url: str) -> list[tuple]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT reference, name, email, ward_name, category FROM concerns")).all()
    finally:
        engine.dispose()


def shot(page, name: str) -> None:
    height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(1000, int(height))})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_a_resident_sends_a_concern_and_an_admin_finds_it_in_the_queue(server, page):
    from playwright.sync_api import expect

    url, db_url = server
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if unexpected(r) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

    page.goto(url)
    idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Get involved").click()
    idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Get involved")).to_be_visible()

    # everything but the name
    main.get_by_label("Email").fill(EMAIL)
    main.get_by_label("…or type your village, town or postcode").fill("brixworth village")
    main.get_by_label("…or type your village, town or postcode").press("Enter")
    expect(main.get_by_text("'brixworth village' is in Brixworth.")).to_be_visible()
    idle(page)
    category = main.get_by_test_id("stSelectbox").filter(has_text="What is it about?")
    # mid-screen, so its list opens in view (the safe-reporting notice above the form pushes it to the bottom)
    category.evaluate("e => e.scrollIntoView({block: 'center'})")
    category.get_by_role("combobox").fill("Fly")
    page.keyboard.press("Enter")
    main.get_by_role("textbox", name="What is happening? *").fill(DESCRIPTION)
    main.get_by_test_id("stCheckbox").filter(has_text="I agree").locator("label").click()
    main.get_by_role("button", name="Send concern").click()
    idle(page)
    expect(main.get_by_text("Tell us your name.")).to_be_visible()
    expect(main.get_by_text("1 thing to fix, marked below.")).to_be_visible()
    assert stored(db_url) == []
    shot(page, "get_involved_missing_name.png")

    main.get_by_label("Your name *").fill(NAME)
    main.get_by_role("button", name="Send concern").click()
    idle(page)
    success = main.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text(re.compile(r"Your reference is RA-\d{4}-\d{6}"))
    rows = stored(db_url)
    assert len(rows) == 1 and rows[0][1:] == (NAME, EMAIL, "Brixworth", "fly-tipping")
    expect(success).to_contain_text(rows[0][0])
    expect(main.get_by_label("Your name *")).to_have_value("")
    shot(page, "get_involved_sent.png")

    # the admin signs in (the Actions page's link to the sign-in page) and finds it in the queue
    sign_in_on_the_sign_in_page(page, url, ADMIN, PASSWORD)
    expect(main.get_by_text("Signed in as")).to_contain_text("Ada Admin")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Get involved").click()
    idle(page)
    main.get_by_role("tab", name="Review concerns").click()
    expect(
        page.get_by_test_id("stMetric").filter(has_text="New concerns waiting").get_by_test_id("stMetricValue")
    ).to_have_text("1")
    grid = main.get_by_test_id("stDataFrame").last
    expect(grid.get_by_test_id("glide-cell-0-0")).to_have_text(rows[0][0])
    expect(grid.get_by_test_id("glide-cell-5-0")).to_have_text(NAME)  # shown as text
    expect(grid.get_by_test_id("glide-cell-6-0")).to_have_text(EMAIL)

    main.get_by_role("combobox", name="Open a concern").focus()
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name=re.compile(re.escape(rows[0][0]))).click()
    idle(page)
    expect(main.get_by_role("paragraph").filter(has_text=DESCRIPTION)).to_be_visible()  # the markup shows as text
    assert page.evaluate("() => window.__pwned") is None
    assert main.locator("img[src='x']").count() == 0
    shot(page, "get_involved_admin_queue.png")
    assert not errors, f"browser console errors: {errors}"
