"""The account pages over HTTP (``dashboard/accounts_web.py``, in process through Starlette's
TestClient): the session cookie's flags, CSRF and cross-site refusal, open-redirect refusal,
the limits, one-time codes, the first admin, and typed text escaped."""

from __future__ import annotations

import re

import pytest
from actions_helpers import SYSTEM, fast_hashing  # noqa: F401  (fixture)
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import accounts_web
from ruralaction.actions import add_user, issue_first_admin_code, issue_password_code, open_database, session_actor
from ruralaction.actions.sessions import DEVICE_COOKIE, SESSION_COOKIE
from ruralaction.actions.signin import FREE_ATTEMPTS

pytestmark = pytest.mark.usefixtures("fast_hashing")
PASSWORD = "correct horse battery staple"
EDITOR = "pc@police.example"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """The account routes on a fresh SQLite database with one Police editor; yields (client, engine)."""
    url = f"sqlite:///{tmp_path / 'ra.db'}"
    monkeypatch.setenv("RURALACTION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RURALACTION_DB_URL", url)
    monkeypatch.setattr(accounts_web, "_provider", lambda: False)
    engine = open_database(url)
    add_user(engine, SYSTEM, EDITOR, "editor", "Police", password=PASSWORD, name="PC Jones")
    client = TestClient(Starlette(routes=accounts_web.routes()), base_url="http://testserver", follow_redirects=False)
    yield client, engine
    client.close()
    accounts_web._engine.cache_clear()
    engine.dispose()


def csrf_of(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def post(client, path: str, **fields):
    """GET the form (for its CSRF token and cookie), then POST it with ``fields``."""
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf": csrf_of(page), **fields})


def cookie_header(response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


def test_signing_in_sets_a_signed_httponly_strict_expiring_cookie_and_returns_to_the_page(site):
    client, engine = site
    page = client.get("/account/sign-in?next=/action-tracker")
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all: default-src 'none'
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    assert re.search(r"HttpOnly", cookie_header(page, "ra_csrf"), re.I)
    done = client.post(
        "/account/sign-in",
        data={"csrf": csrf_of(page), "email": " PC@Police.example ", "password": PASSWORD, "next": "/action-tracker"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/action-tracker"
    session = cookie_header(done, SESSION_COOKIE)
    for flag in ("HttpOnly", "SameSite=strict", "Max-Age=43200", "Path=/"):
        assert flag.lower() in session.lower(), session
    assert "police" not in session.lower()
    value = session.split(";")[0].split("=", 1)[1]
    who = session_actor(engine, accounts_web.signer(), value.strip('"'))
    assert (who.email, who.partner) == (EDITOR, "Police")
    assert "httponly" in cookie_header(done, DEVICE_COOKIE).lower()


def test_a_wrong_password_says_one_sentence_keeps_the_email_and_sets_no_session(site):
    client, _ = site
    done = post(client, "/account/sign-in", email=EDITOR, password="wrong guess!!")
    assert done.status_code == 400
    assert "That email and password do not match an account." in done.text
    assert f'value="{EDITOR}"' in done.text and "wrong guess" not in done.text
    assert SESSION_COOKIE not in done.headers.get("set-cookie", "")


def test_forms_without_the_csrf_token_or_from_another_site_are_refused(site):
    client, _ = site
    client.get("/account/sign-in")
    no_token = client.post("/account/sign-in", data={"email": EDITOR, "password": PASSWORD})
    assert no_token.status_code == 400 and "expired" in no_token.text
    page = client.get("/account/sign-in")
    cross_site = client.post(
        "/account/sign-in",
        data={"csrf": csrf_of(page), "email": EDITOR, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 400
    stranger = TestClient(client.app, base_url="http://testserver", follow_redirects=False)  # no CSRF cookie
    forged = stranger.post("/account/sign-in", data={"csrf": csrf_of(page), "email": EDITOR, "password": PASSWORD})
    assert forged.status_code == 400
    for response in (no_token, cross_site, forged):
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "target", ["https://evil.example/x", "//evil.example", "/\\evil.example", "/a?b=c", "javascript:x"]
)
def test_the_page_after_signing_in_is_always_inside_the_app(site, target):
    client, _ = site
    done = post(client, "/account/sign-in", email=EDITOR, password=PASSWORD, next=target)
    assert done.status_code == 303 and done.headers["location"] == "/action-tracker"


def test_typed_text_comes_back_escaped(site):
    client, _ = site
    done = post(client, "/account/sign-in", email='"><script>alert(1)</script>', password="x")
    assert "<script>alert(1)" not in done.text and "&lt;script&gt;" in done.text


def test_too_many_failures_make_the_page_ask_to_wait(site):
    client, _ = site
    for _ in range(FREE_ATTEMPTS["account"]):
        assert post(client, "/account/sign-in", email=EDITOR, password="wrong guess!!").status_code == 400
    waiting = post(client, "/account/sign-in", email=EDITOR, password=PASSWORD)
    assert waiting.status_code == 429 and "wait 30 seconds" in waiting.text


def test_a_one_time_code_sets_the_password_and_signs_in(site):
    client, engine = site
    code = issue_password_code(engine, SYSTEM, EDITOR)
    differ = post(client, "/account/code", code=code.code, password="my new long passphrase 7", again="other")
    assert differ.status_code == 400 and "differ" in differ.text
    weak = post(client, "/account/code", code=code.code, password="aaaaaaaaaaaaaa", again="aaaaaaaaaaaaaa")
    assert weak.status_code == 400 and "Repeats" in weak.text and code.code in weak.text  # the code stays typed
    done = post(
        client, "/account/code", code=code.code, password="my new long passphrase 7", again="my new long passphrase 7"
    )
    assert done.status_code == 303 and SESSION_COOKIE in done.headers["set-cookie"]
    again = post(
        client, "/account/code", code=code.code, password="another long passphrase 8", again="another long passphrase 8"
    )
    assert again.status_code == 400 and "not valid" in again.text


def test_the_first_admin_is_created_once_with_the_setup_code(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("RURALACTION_DB_URL", url)
    monkeypatch.setattr(accounts_web, "_provider", lambda: False)
    engine = open_database(url)
    client = TestClient(Starlette(routes=accounts_web.routes()), base_url="http://testserver", follow_redirects=False)
    try:
        page = client.get("/account/setup")
        assert "No admin account exists yet" in page.text and "setup code" in page.text
        assert "ABCD" not in page.text  # the page never shows a code
        code = issue_first_admin_code(engine, "server start")
        wrong = post(
            client,
            "/account/setup",
            code="WRONG",
            email="boss@pcc.example",
            name="Boss",
            password=PASSWORD,
            again=PASSWORD,
        )
        assert wrong.status_code == 400 and "not valid" in wrong.text
        done = post(
            client,
            "/account/setup",
            code=code.code,
            email="boss@pcc.example",
            name="Boss",
            password=PASSWORD,
            again=PASSWORD,
        )
        assert done.status_code == 303 and done.headers["location"] == "/accounts"
        assert SESSION_COOKIE in done.headers["set-cookie"]
        after = client.get("/account/setup")
        assert "has an admin already" in after.text and "<form" not in after.text
        late = client.post("/account/setup", data={"csrf": csrf_of(page), "code": code.code, "email": "m@x.example"})
        assert late.status_code == 409
    finally:
        client.close()
        accounts_web._engine.cache_clear()
        engine.dispose()


def test_the_server_log_gets_the_setup_code_only_while_there_is_no_admin(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("RURALACTION_DB_URL", url)
    try:
        accounts_web.announce_first_run()
        err = capsys.readouterr().err
        assert "no admin account yet" in err and "/account/setup" in err
        code = re.search(r"setup code: (\S+)", err).group(1)
        from ruralaction.actions import create_first_admin

        create_first_admin(accounts_web.engine(), code, "boss@pcc.example", PASSWORD)
        accounts_web.announce_first_run()
        assert "setup code" not in capsys.readouterr().err
    finally:
        accounts_web._engine.cache_clear()
