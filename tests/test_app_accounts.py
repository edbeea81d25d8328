"""The Accounts page under AppTest: nothing for anonymous visitors or editors but a pointer to
sign in (and, on a fresh install, how the first admin is made); for admins the list, adding an
account with a one-time code shown once, changing a role, disabling (which ends the sessions),
resetting a password, and the last-admin guard as one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from actions_helpers import SYSTEM, fast_hashing  # noqa: F401  (fixture)
from streamlit.testing.v1 import AppTest
from tiny_county import write_tiny_county

from dashboard import actions
from ruralaction.actions import (
    add_user,
    list_users,
    open_database,
    session_actor,
    set_password_with_code,
    sign_in,
)
from ruralaction.actions.sessions import session_cookie

pytestmark = pytest.mark.usefixtures("fast_hashing")
APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "correct horse battery staple"
ADMIN, EDITOR = "admin@pcc.example", "pc@police.example"
PAYLOAD = "<script>alert(1)</script> **bold**"


class AccountsPage:
    """The app at the Accounts accounts, with its own data directory and database."""

    def __init__(self, root: Path):
        self.mp = pytest.MonkeyPatch()
        self.mp.setenv("RURALACTION_DATA_DIR", str(root))
        self.mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'ra.db'}")
        self.engine = open_database()
        self.at = AppTest.from_file(APP, default_timeout=60).run()
        self.at.switch_page("dashboard/pages/accounts.py")

    def run(self) -> AppTest:
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self.at

    def sign_in(self, email: str) -> AppTest:
        """As the sign-in page does: a session whose cookie the browser sends (see test_app_actions)."""
        cookie = session_cookie(actions.signer(), sign_in(self.engine, email, PASSWORD, start=True).session_token)
        self.mp.setattr(actions, "_session_cookie", lambda: cookie)
        return self.run()

    def texts(self) -> str:
        at = self.at
        return "\n".join(str(e.value) for e in [*at.markdown, *at.error, *at.info, *at.success, *at.warning, *at.code])

    def close(self) -> None:
        self.engine.dispose()
        self.mp.undo()


@pytest.fixture
def accounts(tmp_path):
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    p = AccountsPage(root)
    yield p
    p.close()


def writable(at: AppTest) -> list[str]:
    """Every control in the page body that could change something."""
    main = at.main
    return [
        w.key or w.label
        for kind in ("button", "text_input", "selectbox", "checkbox", "toggle", "text_area", "multiselect")
        for w in getattr(main, kind)
    ]


def test_anonymous_visitors_on_a_fresh_install_are_told_how_the_first_admin_is_made(accounts):
    at = accounts.run()
    assert at.title[0].value == "Accounts"
    assert writable(at) == []
    text = accounts.texts()
    assert "Only admins manage accounts" in text
    assert "No admin account exists yet" in text and "users setup-code" in text and "/account/setup" in text


def test_anonymous_visitors_and_editors_get_no_control_and_see_no_account(accounts):
    add_user(accounts.engine, SYSTEM, ADMIN, "admin", password=PASSWORD)
    add_user(accounts.engine, SYSTEM, EDITOR, "editor", "Police", password=PASSWORD)
    at = accounts.run()
    assert writable(at) == [] and not at.dataframe
    assert "No admin account exists yet" not in accounts.texts()
    at = accounts.sign_in(EDITOR)
    assert writable(at) == [] and not at.dataframe
    assert ADMIN not in accounts.texts()


def test_an_admin_adds_an_account_and_is_shown_its_one_time_code_once(accounts):
    add_user(accounts.engine, SYSTEM, ADMIN, "admin", password=PASSWORD, name="Ada Admin")
    at = accounts.sign_in(ADMIN)
    assert at.dataframe[0].value["email"].tolist() == [ADMIN]
    at.text_input(key="accounts_add_email").set_value("New.Officer@Police.example")
    at.text_input(key="accounts_add_name").set_value(PAYLOAD)
    at.selectbox(key="accounts_add_role").set_value("editor")
    at.selectbox(key="accounts_add_partner").set_value("Police")
    at.button(key="FormSubmitter:accounts_add-Add account").click()
    accounts.run()
    assert "Added new.officer@police.example." in accounts.texts().replace("\\", "")
    code = at.code[0].value
    assert "One-time code for new.officer@police.example" in accounts.texts().replace("\\", "")
    assert at.dataframe[0].value["name"].tolist()[1] == PAYLOAD  # tables show typed text as text
    assert "<script>" not in accounts.texts()  # markdown never gets it raw
    accounts.run()
    assert not at.code  # shown once
    done = set_password_with_code(accounts.engine, code, "my new long passphrase 7")
    assert (done.email, done.actor.role.value, done.actor.partner) == ("new.officer@police.example", "editor", "Police")


def test_an_admin_changes_a_role_disables_and_resets(accounts):
    add_user(accounts.engine, SYSTEM, ADMIN, "admin", password=PASSWORD)
    add_user(accounts.engine, SYSTEM, EDITOR, "editor", "Police", password=PASSWORD, name="PC Jones")
    editor_cookie = session_cookie(
        actions.signer(), sign_in(accounts.engine, EDITOR, PASSWORD, start=True).session_token
    )
    at = accounts.sign_in(ADMIN)
    at.selectbox(key="accounts_chosen").set_value(EDITOR)
    accounts.run()
    form = [f for f in at.main.get("form") if f.proto.form.form_id == f"accounts_edit_{EDITOR}"][0]
    form.selectbox[1].set_value("Fire and Rescue")
    form.button[0].click()
    accounts.run()
    assert "Saved pc@police.example." in accounts.texts().replace("\\", "")
    assert {u.email: u.partner for u in list_users(accounts.engine, SYSTEM)}[EDITOR] == "Fire and Rescue"

    at.button(key=f"accounts_disable_{EDITOR}").click()
    accounts.run()
    assert "Disabled pc@police.example; their sessions have ended." in accounts.texts().replace("\\", "")
    assert session_actor(accounts.engine, actions.signer(), editor_cookie).anonymous
    at.button(key=f"accounts_enable_{EDITOR}").click()
    accounts.run()
    at.button(key=f"accounts_reset_{EDITOR}").click()
    accounts.run()
    assert "One-time code for pc@police.example" in accounts.texts().replace("\\", "")
    assert set_password_with_code(accounts.engine, at.code[0].value, "my new long passphrase 7").email == EDITOR


def test_the_last_admin_cannot_demote_or_disable_themselves(accounts):
    add_user(accounts.engine, SYSTEM, ADMIN, "admin", password=PASSWORD)
    at = accounts.sign_in(ADMIN)
    at.selectbox(key="accounts_chosen").set_value(ADMIN)
    accounts.run()
    at.button(key=f"accounts_disable_{ADMIN}").click()  # (its popover is switched off; the library refuses too)
    accounts.run()
    assert [e.value.replace("\\", "") for e in at.error] == ["You cannot disable your own account; ask another admin."]
    form = [f for f in at.main.get("form") if f.proto.form.form_id == f"accounts_edit_{ADMIN}"][0]
    form.selectbox[0].set_value("editor")
    form.button[0].click()
    accounts.run()
    assert [e.value.replace("\\", "") for e in at.error] == [
        "admin@pcc.example is the last active admin; make someone else an admin first."
    ]
    assert {u.email: u.role for u in list_users(accounts.engine, SYSTEM)} == {ADMIN: "admin"}
