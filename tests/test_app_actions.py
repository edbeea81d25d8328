"""The Actions page under AppTest: viewing without signing in, signing in with a session cookie
(and signing out) or as an ``st.login`` user, adding, editing, the stale-save conflict message,
permissions, and text typed by people shown as text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
from actions_helpers import SYSTEM, fast_hashing, patrol  # noqa: F401  (fixture)
from sqlalchemy import text
from streamlit.testing.v1 import AppTest
from tiny_county import write_tiny_county

from dashboard import actions
from ruralaction.actions import (
    Actor,
    SignInError,
    add_action,
    get_action,
    list_actions,
    open_database,
    session_actor,
    sign_in,
    update_action,
)
from ruralaction.actions.sessions import session_cookie
from ruralaction.actions.users import add_user, hash_password

pytestmark = pytest.mark.usefixtures("fast_hashing")
APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "correct horse battery staple"
TINY_WARDS = {"W1": "Brixworth", "W2": "Castle"}
PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)> **not bold** $x$ :red[red]"


class ActionsPage:
    """The app at the Actions page, with its own data directory and database."""

    def __init__(self, root: Path):
        self.root = root
        self.mp = pytest.MonkeyPatch()
        self.mp.setenv("RURALACTION_DATA_DIR", str(root))
        self.mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'actions.db'}")
        self.engine = open_database()
        self.at = AppTest.from_file(APP, default_timeout=60).run()  # pages with a url_path are known after a run
        self.at.switch_page("dashboard/pages/actions.py")
        self.ran = False

    def run(self) -> AppTest:
        self.ran = True
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self.at

    def sign_in(self, email: str, password: str = PASSWORD) -> AppTest:
        """What the sign-in page does for a browser (tests/test_accounts_web.py): a session in the
        database, whose signed cookie the browser then sends with every page (AppTest cannot
        send cookies, so the page's cookie reader is given it)."""
        done = sign_in(self.engine, email, password, start=True)
        self.cookie = session_cookie(actions.signer(), done.session_token)
        self.mp.setattr(actions, "_session_cookie", lambda: self.cookie)
        return self.run()

    def open(self, action_id: int) -> AppTest:
        if not self.ran:
            self.run()
        self.at.selectbox(key="actions_open").set_value(action_id)
        return self.run()

    def edit_key(self, action_id: int, version: int, field: str) -> str:
        return f"actions_edit_{action_id}_{version}_{field}"

    def save(self, action_id: int) -> AppTest:
        self.at.button(key=f"FormSubmitter:actions_edit_{action_id}-Save changes").click()
        return self.run()

    def texts(self) -> str:
        """Every markdown, caption, alert and title text on the actions_page."""
        els = [
            *self.at.markdown,
            *self.at.caption,
            *self.at.error,
            *self.at.warning,
            *self.at.success,
            *self.at.info,
            *self.at.title,
            *self.at.subheader,
        ]
        return "\n".join(str(e.value) for e in els)

    def plain(self) -> str:
        """:meth:`texts` with markdown escapes undone: what a reader sees."""
        return re.sub(r"\\(.)", r"\1", self.texts())

    def close(self):
        self.engine.dispose()
        self.mp.undo()


@pytest.fixture
def actions_page(tmp_path):
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    p = ActionsPage(root)
    add_user(p.engine, SYSTEM, "pc@police.example", "editor", "Police", password=PASSWORD, name="PC Jones")
    add_user(p.engine, SYSTEM, "sgt@police.example", "editor", "Police", password=PASSWORD)
    add_user(p.engine, SYSTEM, "ff@fire.example", "editor", "Fire and Rescue", password=PASSWORD)
    add_user(p.engine, SYSTEM, "admin@pcc.example", "admin", name="Ada Admin")
    yield p
    p.close()


def police_action(actions_page: ActionsPage, **kw):
    return add_action(
        actions_page.engine,
        Actor(email="pc@police.example"),
        patrol(wards=("W1",), completed_on=dt.date(2024, 2, 10), **kw),
        TINY_WARDS,
    )


def test_anyone_sees_the_actions_without_signing_in(actions_page):
    police_action(actions_page)
    at = actions_page.run()
    assert at.title[0].value == "Actions"
    table = at.dataframe[0].value
    assert table["title"].tolist() == ["Night patrols of farm tracks"] and table["wards"].tolist() == ["Brixworth"]
    assert {m.label: m.value for m in at.metric}["Actions"] == "1"
    assert "Partners sign in to add or edit actions" in actions_page.texts()
    assert not [t for t in at.text_input if t.key == "actions_add_title"]  # no add form
    actions_page.open(1)
    assert not [b for b in at.button if (b.key or "").startswith("FormSubmitter:actions_edit_")]  # no edit form
    assert not [e for e in at.expander if e.label == "History"]


def test_signing_in_is_a_link_to_the_sign_in_page_and_no_password_field(actions_page):
    at = actions_page.run()
    links = [h.proto.body for h in at.get("html")]
    assert len(links) == 1
    assert 'href="/account/sign-in?next=/action-tracker"' in links[0]
    assert 'href="/account/code?next=/action-tracker"' in links[0]
    assert not [t for t in at.text_input if "password" in (t.label or "").lower()]  # no password on this page
    assert "No admin account exists yet" not in actions_page.texts()  # this install has one


def test_a_fresh_install_says_how_the_first_admin_is_made(tmp_path):
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    fresh = ActionsPage(root)
    try:
        fresh.run()
        text = fresh.texts()
        assert "No admin account exists yet" in text and "/account/setup" in text and "users setup-code" in text
    finally:
        fresh.close()


def test_signing_out_ends_the_session_in_every_tab(actions_page):
    at = actions_page.sign_in("pc@police.example")
    assert "Signed in as **PC Jones**" in actions_page.texts()
    at.button(key="actions_sign_out").click()
    actions_page.run()
    assert "Partners sign in to add or edit actions" in actions_page.texts()
    assert session_actor(actions_page.engine, actions.signer(), actions_page.cookie).anonymous  # other tabs too
    assert not [t for t in at.text_input if t.key == "actions_add_title"]


def test_a_disabled_partner_is_signed_out_at_the_next_click(actions_page):
    at = actions_page.sign_in("pc@police.example")
    assert [t for t in at.text_input if t.key == "actions_add_title"]
    from ruralaction.actions import set_active

    set_active(actions_page.engine, SYSTEM, "pc@police.example", False)
    actions_page.run()
    assert "Partners sign in to add or edit actions" in actions_page.texts()
    assert not [t for t in at.text_input if t.key == "actions_add_title"]


def test_a_partner_signs_in_and_adds_an_action(actions_page):
    at = actions_page.sign_in("pc@police.example")
    assert "Signed in as **PC Jones** (editor for Police)" in actions_page.texts()
    assert at.selectbox(key="actions_add_lead").value == "Police" and at.selectbox(key="actions_add_lead").disabled
    assert at.date_input(key="actions_add_date").value == dt.date.today()
    assert at.selectbox(key="actions_add_status").value == "completed"

    at.button(key="FormSubmitter:actions_add-Add action").click()  # nothing filled in
    actions_page.run()
    assert "A title is required" in actions_page.texts() and "Choose at least one ward" in actions_page.texts()
    assert list_actions(actions_page.engine).empty

    at.text_input(key="actions_add_title").set_value("Farm watch meeting at the village hall")
    at.multiselect(key="actions_add_wards").set_value(["W1"])
    at.selectbox(key="actions_add_type").set_value("Community meeting")
    at.checkbox(key="actions_add_visible").check()
    at.button(key="FormSubmitter:actions_add-Add action").click()
    actions_page.run()
    assert "Added action 1: Farm watch meeting" in actions_page.plain()
    stored = list_actions(actions_page.engine).iloc[0]
    assert (
        stored["title"],
        stored["lead_partner"],
        stored["action_type"],
        stored["visible"],
        stored["created_by"],
    ) == ("Farm watch meeting at the village hall", "Police", "Community meeting", True, "pc@police.example")
    assert stored["completed_on"] == dt.date.today()
    assert at.dataframe[0].value["title"].tolist() == ["Farm watch meeting at the village hall"]
    assert at.text_input(key="actions_add_title").value == ""  # ready for the next one
    assert at.multiselect(key="actions_add_wards").value == ["W1"]  # the ward stays


def test_editing_saves_and_a_stale_save_is_refused_with_who_and_when(actions_page):
    a = police_action(actions_page)
    actions_page.sign_in("pc@police.example")
    at = actions_page.open(a.id)
    at.text_input(key=actions_page.edit_key(a.id, 1, "title")).set_value("Night patrols, two weeks")
    actions_page.save(a.id)
    assert (
        "Saved action 1." in actions_page.plain()
        and get_action(actions_page.engine, a.id).title == "Night patrols, two weeks"
    )

    # a colleague saves the action while this page still shows version 2
    now = get_action(actions_page.engine, a.id)
    colleague = Actor(email="sgt@police.example")
    theirs = replace(now.to_input(), outcome="Two vans stopped")
    update_action(actions_page.engine, colleague, a.id, theirs, now.version, TINY_WARDS)
    actions_page.run()
    assert "Changed by sgt@police.example at" in actions_page.plain()  # told before saving, too
    at.text_area(key=actions_page.edit_key(a.id, 2, "description")).set_value("My description")
    actions_page.save(a.id)
    assert "This action was changed by sgt@police.example at" in actions_page.plain()
    assert "your changes were not saved" in actions_page.plain()
    stored = get_action(actions_page.engine, a.id)
    assert (stored.outcome, stored.description, stored.version) == ("Two vans stopped", "", 3)
    assert at.text_area(key=actions_page.edit_key(a.id, 2, "description")).value == "My description"  # still on screen

    at.button(key=f"actions_reload_{a.id}").click()
    actions_page.run()
    assert at.text_area(key=actions_page.edit_key(a.id, 3, "outcome")).value == "Two vans stopped"
    at.text_area(key=actions_page.edit_key(a.id, 3, "description")).set_value("My description")
    actions_page.save(a.id)
    stored = get_action(actions_page.engine, a.id)
    assert (stored.outcome, stored.description, stored.version) == ("Two vans stopped", "My description", 4)


def test_another_partners_action_shows_no_edit_form(actions_page):
    a = police_action(actions_page)
    actions_page.sign_in("ff@fire.example")
    at = actions_page.open(a.id)
    assert not [b for b in at.button if (b.key or "").startswith("FormSubmitter:actions_edit_")]
    assert "Only Police editors and admins can edit this action." in actions_page.plain()
    assert [e.label for e in at.expander if e.label == "History"] == ["History"]  # signed-in partners see history


def test_a_provider_signed_in_user_gets_the_role_of_their_account(actions_page):
    actions_page.at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
    }
    actions_page.at.user = {"is_logged_in": False}
    at = actions_page.run()
    assert [b.label for b in at.button if b.key == "actions_login"] == ["Sign in with your organisation account"]
    assert not at.get("html")  # no built-in sign-in links then

    actions_page.at.user = {"is_logged_in": True, "email": "Admin@PCC.example", "name": "Ada Admin"}
    at = actions_page.run()  # the provider did not say it verified the email: not trusted
    assert "not verified by the provider" in actions_page.texts()
    assert not [t for t in at.text_input if t.key == "actions_add_title"]

    actions_page.at.user = {
        "is_logged_in": True,
        "email": "Admin@PCC.example",
        "email_verified": True,
        "name": "Ada Admin",
    }
    at = actions_page.run()
    assert "Signed in as **Ada Admin** (admin)" in actions_page.texts()
    assert at.selectbox(key="actions_add_lead").options[:2] == ["Police", "Fire and Rescue"]  # admins choose

    actions_page.at.user = {
        "is_logged_in": True,
        "email": "stranger@example.org",
        "email_verified": True,
        "name": "Stranger",
    }
    at = actions_page.run()
    assert "no role here yet" in actions_page.texts()
    assert not [t for t in at.text_input if t.key == "actions_add_title"]


def test_text_people_typed_is_shown_as_text(actions_page):
    a = police_action(actions_page, title=PAYLOAD, description=PAYLOAD, outcome=PAYLOAD, place_name="<b>x</b>")
    at = actions_page.open(a.id)
    shown = actions_page.texts()
    for markup in (r"<script", r"<img", r"<b>", r"\*\*not bold", r"\$x", r":red\["):  # none left active
        assert not re.search(r"(?<!\\)" + markup, shown), markup
    assert "\\<script\\>alert\\(\\'x\\'\\)\\<\\/script\\>" in shown and "\\*\\*not bold\\*\\*" in shown
    assert not [m for m in at.markdown if m.proto.allow_html]
    assert at.dataframe[0].value["title"].tolist() == [PAYLOAD]  # tables show the raw text, as text


def test_filters_narrow_the_list(actions_page):
    police_action(actions_page)
    fire = patrol(
        title="Fire safety visits",
        wards=("W2",),
        lead_partner="Fire and Rescue",
        action_type="Fire-safety visit",
        completed_on=dt.date(2024, 3, 1),
    )
    add_action(actions_page.engine, Actor(email="ff@fire.example"), fire, TINY_WARDS)
    at = actions_page.run()
    assert len(at.dataframe[0].value) == 2
    at.multiselect(key="actions_f_wards").set_value(["W2"])
    at = actions_page.run()
    assert at.dataframe[0].value["title"].tolist() == ["Fire safety visits"]
    at.multiselect(key="actions_f_wards").set_value([])
    at.date_input(key="actions_f_to").set_value(dt.date(2024, 2, 28))
    at = actions_page.run()
    assert at.dataframe[0].value["title"].tolist() == ["Night patrols of farm tracks"]


def _other_pages_app():
    """What the Map and Local area pages call (run by AppTest as a script of its own)."""
    import streamlit as st

    from dashboard import actions

    actions.ward_section("W1", "Brixworth", link=False)
    points = actions.map_points()
    st.text(f"{len(points)} points: " + "|".join(f"{p.title}@{p.located_by}" for p in points.itertuples()))


def test_the_ward_section_and_map_points_for_other_pages(actions_page):
    police_action(actions_page, title="<b>Patrols</b>", visible=True)
    fire = patrol(title="Fire visits", wards=("W2",), latitude=52.05, longitude=-0.85, lead_partner="Fire and Rescue")
    add_action(actions_page.engine, Actor(email="ff@fire.example"), fire, TINY_WARDS)
    at = AppTest.from_function(_other_pages_app, default_timeout=60).run()
    assert not at.exception
    assert at.subheader[0].value == "What partners did in Brixworth"
    assert {m.label: m.value for m in at.metric} == {"Actions": "1", "Visible (Rural Action)": "1", "Completed": "1"}
    assert at.dataframe[0].value["title"].tolist() == ["<b>Patrols</b>"]
    latest = [m.value for m in at.markdown if m.value.startswith("**Latest completed")][0]
    assert "\\<b\\>Patrols\\<\\/b\\>" in latest
    assert (
        "1 burglary incident in the 6 months before" in latest and "Only 1 of 6 months before" in latest
    )  # Jan, Mar 2024
    assert at.text[0].value == "2 points: Fire visits@point|<b>Patrols</b>@ward"  # newest first


def test_an_editor_deletes_and_only_an_admin_sees_and_restores_it(actions_page):
    a = police_action(actions_page)
    actions_page.sign_in("pc@police.example")
    at = actions_page.open(a.id)
    assert not [t for t in at.toggle if t.key == "actions_show_deleted"]  # editors do not see deleted actions
    at.button(key=f"actions_delete_{a.id}").click()
    actions_page.run()
    assert "Deleted action 1; an admin can restore it." in actions_page.plain()
    assert get_action(actions_page.engine, a.id).deleted_by == "pc@police.example"
    assert "No actions are recorded yet." in actions_page.plain()

    actions_page.at.button(key="actions_sign_out").click()
    actions_page.run()
    with pytest.raises(SignInError):  # an admin without a password cannot sign in with one
        actions_page.sign_in("admin@pcc.example")
    with actions_page.engine.begin() as conn:  # give the admin a password, as `users add` would
        conn.execute(
            text("UPDATE users SET password_hash = :h WHERE email = :e"),
            {"h": hash_password(PASSWORD), "e": "admin@pcc.example"},
        )
    at = actions_page.sign_in("admin@pcc.example")
    at.toggle(key="actions_show_deleted").set_value(True)
    actions_page.run()
    assert at.dataframe[0].value["deleted_at"].notna().tolist() == [True]
    at = actions_page.open(a.id)
    assert "Deleted by pc@police.example" in actions_page.plain()
    at.button(key=f"actions_restore_{a.id}").click()
    actions_page.run()
    assert "Restored action 1." in actions_page.plain() and get_action(actions_page.engine, a.id).deleted_at is None
