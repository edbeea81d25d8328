"""End to end in headless Chromium, one ``streamlit run app.py`` for the module on the tiny
county and a fresh SQLite database:

- a fresh install: the server log has a one-time setup code; the first admin is created with it;
- a partner signs in on the sign-in page, adds an action and sees it listed; typed text shows as text;
- the sign-in survives a reload and a new tab, and signing out in one tab signs out the other;
- an admin disables a partner on the Accounts page and the partner's session ends.
"""

from __future__ import annotations

import re
import time

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

ADMIN, EDITOR = "boss@pcc.example", "pc@police.example"
PASSWORD = "correct horse battery staple"
TITLE = '<img src=x onerror="window.__pwned=1"> Gate checks at Manor Farm'


@pytest.fixture(autouse=True)
def patient_expect():
    """A shared two-core machine can take a while to run a page's first script."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run app.py`` on the tiny county with an empty accounts database; yields
    (base URL, database URL, server log)."""
    data = tmp_path_factory.mktemp("e2e_accounts")
    write_tiny_county(data / "ours")
    db_url = f"sqlite:///{data / 'actions.db'}"
    log = tmp_path_factory.mktemp("e2e_accounts_log") / "streamlit.log"
    with serve(log, RURALACTION_DATA_DIR=str(data), RURALACTION_DB_URL=db_url) as url:
        yield url, db_url, log
        assert PASSWORD not in log.read_text(errors="replace"), "a password reached the server log"


@pytest.fixture(scope="module")
def engine(server):
    from ruralaction.actions import open_database

    e = open_database(server[1])
    yield e
    e.dispose()


@pytest.fixture
def editor(engine):
    """A Police editor account (added once)."""
    from ruralaction.actions import Actor, add_user, list_users

    if EDITOR not in {u.email for u in list_users(engine, Actor.system_actor("tests"))}:
        add_user(engine, Actor.system_actor("tests"), EDITOR, "editor", "Police", password=PASSWORD, name="PC Jones")
    return EDITOR


@pytest.fixture
def admin(engine):
    """The admin: made through the setup page by the first test, or here when that one did not run."""
    from ruralaction.actions import Actor, add_user, admin_exists

    if not admin_exists(engine):
        add_user(engine, Actor.system_actor("tests"), ADMIN, "admin", password=PASSWORD, name="The Boss")
    return ADMIN


def unexpected(response) -> bool:
    """A failed response that is not expected: the wrong password's page (400), and Streamlit's
    own probe for a base path when a page's address is opened directly
    (``/action-tracker/_stcore/health``, then the root's), are expected."""
    if response.status < 400:
        return False
    if response.status == 400 and response.url.endswith("/account/sign-in"):
        return False
    return not re.search(r"/[a-z-]+/_stcore/(host-config|health)$", response.url)


def idle(page) -> None:
    page.locator(APP_IDLE).wait_for(timeout=60_000)


def sign_in(page, url: str, email: str, password: str = PASSWORD) -> None:
    """From the Actions page: the Sign in link, the sign-in page, and back (other modules use it)."""
    from playwright.sync_api import expect

    patient = 30_000  # a loaded two-core machine is slow to load a page
    page.goto(f"{url}/action-tracker", wait_until="domcontentloaded", timeout=patient)
    idle(page)
    page.get_by_test_id("stMain").get_by_role("link", name="Sign in", exact=True).click(timeout=patient)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=patient)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/action-tracker$"), wait_until="domcontentloaded", timeout=patient)
    idle(page)
    expect(page.get_by_test_id("stMain").get_by_text("Signed in as")).to_be_visible(timeout=patient)


def shoot(page, name: str, width: int = 1440) -> None:
    """A full-page screenshot at ``width`` (Streamlit scrolls inside its main container, so the
    viewport is made as tall as the content first); the viewport is put back afterwards."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 900})
    main = page.get_by_test_id("stMain")
    height = main.evaluate("el => el.scrollHeight") if main.count() else page.evaluate("document.body.scrollHeight")
    page.set_viewport_size({"width": width, "height": max(900, int(height))})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size(before)


def test_a_fresh_install_makes_its_first_admin_with_the_code_from_the_server_log(server, page):
    from playwright.sync_api import expect

    url, _, log = server
    deadline = time.monotonic() + 60
    while "setup code:" not in log.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.2)  # polling the log file the server writes at start, not waiting for the page
    code = re.search(r"setup code: (\S+)", log.read_text(errors="replace")).group(1)

    page.goto(f"{url}/accounts")
    idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("No admin account exists yet")).to_be_visible()
    expect(main.get_by_text(code)).to_have_count(0)  # never on a page
    page.goto(f"{url}/account/setup")
    page.get_by_label("Setup code").fill(code)
    page.get_by_label("Your email").fill(ADMIN)
    page.get_by_label("Your name").fill("The Boss")
    page.locator("#password").fill(PASSWORD)  # its label carries the policy as a hint
    page.get_by_label("Password again").fill(PASSWORD)
    shoot(page, "account-setup.png", 1000)
    page.get_by_role("button", name="Create the first admin").click()
    page.wait_for_url(re.compile(r"/accounts$"))
    idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Add an account")).to_be_visible()  # signed in, as an admin
    grid = main.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    expect(grid.get_by_test_id("glide-cell-0-0")).to_have_text(ADMIN)
    page.goto(f"{url}/account/setup")
    expect(page.get_by_text("has an admin already")).to_be_visible()


def test_a_partner_signs_in_adds_an_action_and_sees_it_listed(server, editor, page):
    from playwright.sync_api import expect

    url = server[0]
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if unexpected(r) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

    page.goto(f"{url}/account/sign-in?next=/action-tracker")
    page.get_by_label("Email").fill(EDITOR)
    page.get_by_label("Password").fill("not the password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That email and password do not match an account.")
    expect(page.get_by_label("Email")).to_have_value(EDITOR)
    shoot(page, "account-sign-in-error.png", 390)

    sign_in(page, url, EDITOR)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Signed in as")).to_contain_text("PC Jones")
    main.get_by_label("What was done").fill(TITLE)
    wards = main.get_by_test_id("stMultiSelect").filter(has_text="Ward(s)")
    wards.get_by_role("combobox").fill("Brix")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    main.get_by_role("button", name="Add action").click()
    expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text("Added action 1: " + TITLE)
    idle(page)

    grid = main.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    # the grid draws on a canvas; its accessible table (hidden from view) holds the cell text
    expect(grid.get_by_test_id("glide-cell-2-0")).to_have_text(TITLE)  # columns: #, date, action, status, visible, ward
    expect(grid.get_by_test_id("glide-cell-5-0")).to_have_text("Brixworth")
    choose = main.get_by_role("combobox", name="Action", exact=True)
    choose.scroll_into_view_if_needed()  # a click that must scroll first does not open the list
    choose.click()
    page.get_by_role("option", name=re.compile("Gate checks at Manor Farm")).click()
    idle(page)
    expect(main.get_by_role("heading", name=TITLE)).to_be_visible()  # the markup shows as text
    assert page.evaluate("() => window.__pwned") is None
    assert main.locator("img[src='x']").count() == 0
    shoot(page, "actions.png")
    assert not errors, f"browser console errors: {errors}"


def test_a_sign_in_survives_reload_and_new_tabs_and_signing_out_in_one_tab_signs_out_the_other(
    server, editor, context, page
):
    from playwright.sync_api import expect

    url = server[0]
    sign_in(page, url, EDITOR)
    cookie = next(c for c in context.cookies() if c["name"] == "ra_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > time.time() + 3600
    assert "police" not in cookie["value"].lower()
    assert "ra_session" not in page.evaluate("() => document.cookie")  # no script can read it

    page.reload()
    idle(page)
    expect(page.get_by_test_id("stMain").get_by_text("Signed in as")).to_be_visible()
    other = context.new_page()
    other.goto(f"{url}/action-tracker")
    idle(other)
    expect(other.get_by_test_id("stMain").get_by_text("Signed in as")).to_be_visible()

    other.get_by_test_id("stMain").get_by_role("button", name="Sign out").click()
    idle(other)
    expect(other.get_by_test_id("stMain").get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    # the first tab: its next click (here, opening the Accounts page and coming back) is signed out
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Overview").click()
    idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Actions").click()
    idle(page)
    expect(page.get_by_test_id("stMain").get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_text("Signed in as")).to_have_count(0)
    page.reload()
    idle(page)
    expect(page.get_by_test_id("stMain").get_by_text("Signed in as")).to_have_count(0)


def test_an_admin_disables_a_partner_and_the_partners_session_ends(server, engine, editor, admin, browser, page):
    from playwright.sync_api import expect

    from ruralaction.actions import Actor, set_active

    url = server[0]
    sign_in(page, url, EDITOR)  # the partner, in their own browser
    admin_context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        admin = admin_context.new_page()
        sign_in(admin, url, ADMIN)
        admin.get_by_test_id("stSidebarNav").get_by_role("link", name="Accounts").click()
        idle(admin)
        main = admin.get_by_test_id("stMain")
        main.get_by_role("combobox", name="Account").click()
        admin.get_by_role("option", name=re.compile(re.escape(EDITOR))).click()
        idle(admin)
        main.get_by_role("button", name="Disable").click()
        admin.get_by_role("button", name="Yes, disable").click()
        idle(admin)
        expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text("their sessions have ended")
        shoot(admin, "accounts.png")
        shoot(admin, "accounts-phone.png", 390)
    finally:
        admin_context.close()

    # the partner's next click finds them signed out, with no add form
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Overview").click()
    idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Actions").click()
    idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(main.get_by_label("What was done")).to_have_count(0)
    set_active(engine, Actor.system_actor("tests"), EDITOR, True)  # for the tests after this one
