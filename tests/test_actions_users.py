"""Accounts: Argon2 hashes, the password policy, what admins can do to accounts (and nobody
else), one-time codes for setting a password and for the first admin, provider-verified emails,
the private database file, and the ``users`` commands."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from actions_helpers import WARDS, fast_hashing, patrol  # noqa: F401  (fixture)

from ruralaction.actions import (
    ANONYMOUS,
    Actor,
    CodeError,
    PasswordPolicyError,
    PermissionDenied,
    Role,
    SignInError,
    UnverifiedEmail,
    UserError,
    add_action,
    add_user,
    admin_exists,
    check_password,
    create_first_admin,
    identify_provider_user,
    issue_first_admin_code,
    issue_password_code,
    list_users,
    set_active,
    set_password_with_code,
    sign_in,
    sign_out_everywhere,
    update_user,
)
from ruralaction.actions.codes import normalise_code
from ruralaction.actions.db import make_engine, open_database
from ruralaction.actions.models import AuditEntry, User

pytestmark = pytest.mark.usefixtures("fast_hashing")
SYSTEM = Actor.system_actor("tests")
PASSWORD = "correct horse battery staple"
ADMIN = Actor(email="boss@pcc.example")
EDITOR = Actor(email="pc@police.example")
ROOT = Path(__file__).resolve().parent.parent


def stored_hash(engine, email: str) -> str | None:
    with sa.orm.Session(engine) as s:
        return s.scalar(sa.select(User.password_hash).where(User.email == email))


@pytest.fixture
def db(actions_db):
    add_user(actions_db, SYSTEM, ADMIN.email, "admin", password=PASSWORD, name="The Boss")
    add_user(actions_db, SYSTEM, EDITOR.email, "editor", "Police", password=PASSWORD, name="PC Jones")
    return actions_db


# --------------------------------------------------------------------------- hashes and the policy


def test_the_shipped_hash_is_deliberately_slow():
    from argon2 import PasswordHasher

    from ruralaction.actions import passwords

    shipped = PasswordHasher()  # what passwords._HASHER is outside these tests (they swap in a cheap one)
    assert shipped.time_cost >= 3 and shipped.memory_cost >= 64 * 1024  # RFC 9106 second recommendation
    assert passwords.hash_password("x" * 12).startswith("$argon2id$")


def test_passwords_are_stored_as_salted_argon2id_hashes(db):
    a, b = stored_hash(db, ADMIN.email), stored_hash(db, EDITOR.email)
    assert a.startswith("$argon2id$") and b.startswith("$argon2id$")
    assert a != b  # salted
    assert PASSWORD not in a and "battery" not in a
    user = sign_in(db, " PC@Police.Example ", PASSWORD).actor
    assert (user.email, user.role.value, user.partner) == (EDITOR.email, "editor", "Police")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "at least 12 characters"),
        ("aaaaaaaaaaaaaaaa", "Repeats"),
        ("1234567890", "at least 12"),
        ("123456789012345", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("qwertyuiopasdf", "too easy to guess"),
        ("Northamptonshire2024", "too easy to guess"),
        ("pc.jones@police.example1", "your own name or email"),
        ("x" * 257, "at most 256"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, why):
    with pytest.raises(PasswordPolicyError, match=why):
        check_password(password, personal=["pc.jones@police.example", "PC Jones"])


def test_long_passphrases_pass_the_policy():
    for good in (PASSWORD, "a very secret passphrase 42", "Tr0ub4dor&3 lemon kettle"):
        check_password(good, personal=["pc.jones@police.example"])


def test_adding_users_checks_its_input_and_who_asks(actions_db):
    with pytest.raises(UserError, match="needs a partner"):
        add_user(actions_db, SYSTEM, "x@police.example", "editor")
    with pytest.raises(UserError, match="not an email"):
        add_user(actions_db, SYSTEM, "not-an-email", "admin")
    with pytest.raises(UserError, match="Role must be"):
        add_user(actions_db, SYSTEM, "x@police.example", "superuser")
    with pytest.raises(UserError, match="too easy to guess"):
        add_user(actions_db, SYSTEM, "x@police.example", "admin", password="1234567890ab")
    add_user(actions_db, SYSTEM, "ed@police.example", "editor", "Police")
    with pytest.raises(UserError, match="already an account"):
        add_user(actions_db, SYSTEM, "ED@police.example", "editor", "Police")
    with pytest.raises(PermissionDenied):  # editors do not manage users
        add_user(actions_db, Actor(email="ed@police.example"), "new@police.example", "admin")
    add_user(actions_db, SYSTEM, ADMIN.email, "admin")
    add_user(actions_db, ADMIN, "new@fire.example", "editor", "Fire and Rescue")
    assert [u.email for u in list_users(actions_db, ADMIN)] == [ADMIN.email, "ed@police.example", "new@fire.example"]


def test_every_failure_gives_the_same_message(db):
    add_user(db, SYSTEM, "oidc@police.example", "editor", "Police")  # no password: provider or code only
    messages = set()
    for email, password in (
        (EDITOR.email, "wrong password!"),
        ("nobody@police.example", PASSWORD),
        ("oidc@police.example", ""),
        (EDITOR.email, ""),
    ):
        with pytest.raises(SignInError) as caught:
            sign_in(db, email, password)
        messages.add(str(caught.value))
    set_active(db, SYSTEM, EDITOR.email, False)
    with pytest.raises(SignInError) as caught:  # disabled: same message
        sign_in(db, EDITOR.email, PASSWORD)
    messages.add(str(caught.value))
    assert messages == {"That email and password do not match an account."}


# --------------------------------------------------------------------------- what admins do


def test_only_admins_manage_accounts_and_the_library_refuses_everyone_else(db):
    for who in (ANONYMOUS, EDITOR, Actor(email="stranger@example.org")):
        for write in (
            lambda w: add_user(db, w, "new@police.example", "editor", "Police"),
            lambda w: update_user(db, w, EDITOR.email, role="admin"),
            lambda w: set_active(db, w, ADMIN.email, False),
            lambda w: issue_password_code(db, w, ADMIN.email),
            lambda w: sign_out_everywhere(db, w, ADMIN.email),
            lambda w: list_users(db, w),
        ):
            with pytest.raises(PermissionDenied):
                write(who)
    # an Actor that claims a role it does not have gets nothing from it
    with pytest.raises(PermissionDenied):
        update_user(db, Actor(email=EDITOR.email, role=Role.ADMIN), EDITOR.email, role="admin")
    assert {u.email: u.role for u in list_users(db, ADMIN)} == {ADMIN.email: "admin", EDITOR.email: "editor"}


def test_an_admin_changes_role_and_partner_and_it_is_audited(db):
    info = update_user(db, ADMIN, EDITOR.email, partner="Fire and Rescue")
    assert (info.role, info.partner) == ("editor", "Fire and Rescue")
    info = update_user(db, ADMIN, EDITOR.email, role="admin")
    assert (info.role, info.partner) == ("admin", None)
    with pytest.raises(UserError, match="needs a partner"):
        update_user(db, ADMIN, EDITOR.email, role="editor", partner="Nobody")
    with sa.orm.Session(db) as s:
        entries = s.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.operation == "update"))
        changes = [(e.actor, e.before["role"], e.after["role"], e.after["partner"]) for e in entries]
    assert changes == [
        (ADMIN.email, "editor", "editor", "Fire and Rescue"),
        (ADMIN.email, "editor", "admin", None),
    ]


def test_the_service_never_loses_its_last_admin(db):
    with pytest.raises(UserError, match="last active admin"):
        update_user(db, ADMIN, ADMIN.email, role="editor", partner="Police")
    with pytest.raises(UserError, match="own account"):
        set_active(db, ADMIN, ADMIN.email, False)
    update_user(db, ADMIN, EDITOR.email, role="admin")
    set_active(db, EDITOR, ADMIN.email, False)  # now there is another admin
    with pytest.raises(UserError, match="last active admin"):
        set_active(db, SYSTEM, EDITOR.email, False)


def test_disabling_an_account_ends_its_sessions_and_its_rights_at_once(db):
    token = sign_in(db, EDITOR.email, PASSWORD, start=True).session_token
    assert token
    assert list_users(db, ADMIN)[1].open_sessions == 1
    info = set_active(db, ADMIN, EDITOR.email, False)
    assert not info.active and info.open_sessions == 0
    with pytest.raises(PermissionDenied):  # the library looks the account up again on every write
        add_action(db, EDITOR, patrol(), WARDS)


def test_a_reset_code_lets_the_person_choose_their_own_password_once(db):
    code = issue_password_code(db, ADMIN, EDITOR.email)
    assert code.purpose == "reset" and code.email == EDITOR.email
    assert stored_hash(db, EDITOR.email) is None  # the old password is gone
    with pytest.raises(PasswordPolicyError):  # a weak choice is refused and the code stays usable
        set_password_with_code(db, code.code, "aaaaaaaaaaaaaaaa")
    typed = code.code.lower().replace("-", " ")  # as someone might type it
    assert normalise_code(typed) == code.code
    done = set_password_with_code(db, typed, "my new long passphrase 7")
    assert done.email == EDITOR.email and done.session_token
    assert sign_in(db, EDITOR.email, "my new long passphrase 7").email == EDITOR.email
    with pytest.raises(CodeError, match="not valid"):
        set_password_with_code(db, code.code, "another long passphrase 8")
    with pytest.raises(CodeError):
        set_password_with_code(db, "ABCD-EFGH-JKMN-PQRS-TUVW", "another long passphrase 8")


def test_a_new_code_voids_the_old_one_and_codes_expire(db):
    first = issue_password_code(db, ADMIN, EDITOR.email)
    second = issue_password_code(db, ADMIN, EDITOR.email)
    with pytest.raises(CodeError):
        set_password_with_code(db, first.code, "my new long passphrase 7")
    later = second.expires_at + dt.timedelta(seconds=1)
    with pytest.raises(CodeError):
        set_password_with_code(db, second.code, "my new long passphrase 7", now=later)


def test_wrong_codes_hold_up_the_client_that_tries_them_and_nobody_else(db):
    from ruralaction.actions import TooManyAttempts
    from ruralaction.actions.signin import FREE_ATTEMPTS

    for i in range(FREE_ATTEMPTS["account"] + 2):  # an office setting up many accounts is not held up
        email = f"new{i}@police.example"
        add_user(db, SYSTEM, email, "editor", "Police")
        code = issue_password_code(db, ADMIN, email)
        assert set_password_with_code(db, code.code, "my new long passphrase 7", client="192.0.2.1").email == email
    for _ in range(FREE_ATTEMPTS["client"]):
        with pytest.raises(CodeError):
            set_password_with_code(db, "ABCD-EFGH-JKMN-PQRS-TUVW", "my new long passphrase 7", client="192.0.2.66")
    code = issue_password_code(db, ADMIN, EDITOR.email)
    with pytest.raises(TooManyAttempts):
        set_password_with_code(db, code.code, "my new long passphrase 7", client="192.0.2.66")
    assert set_password_with_code(db, code.code, "my new long passphrase 7", client="192.0.2.1").email == EDITOR.email


def test_codes_are_stored_only_as_hashes(db):
    code = issue_password_code(db, ADMIN, EDITOR.email)
    with db.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM account_codes")) for v in row)
    assert code.code not in dump and code.code.replace("-", "") not in dump


# --------------------------------------------------------------------------- the first admin


def test_a_fresh_install_creates_its_first_admin_with_the_one_time_setup_code(actions_db):
    assert not admin_exists(actions_db)
    code = issue_first_admin_code(actions_db, "server start")
    assert code is not None and code.purpose == "first-admin"
    with pytest.raises(PasswordPolicyError):
        create_first_admin(actions_db, code.code, "boss@pcc.example", "aaaaaaaaaaaa")
    with pytest.raises(CodeError):
        create_first_admin(actions_db, "WRONG-CODE-WRONG-CODE", "boss@pcc.example", PASSWORD)
    done = create_first_admin(actions_db, code.code, "Boss@PCC.example", PASSWORD, name="The Boss")
    assert (done.email, done.actor.role.value) == ("boss@pcc.example", "admin") and done.session_token
    assert admin_exists(actions_db)
    assert sign_in(actions_db, "boss@pcc.example", PASSWORD).email == "boss@pcc.example"
    with pytest.raises(CodeError):  # used
        create_first_admin(actions_db, code.code, "mallory@example.org", PASSWORD)
    assert issue_first_admin_code(actions_db, "server start") is None  # an admin exists: no more codes


def test_a_second_first_admin_code_is_void_once_an_admin_exists(actions_db):
    one = issue_first_admin_code(actions_db, "instance 1")
    two = issue_first_admin_code(actions_db, "instance 2")
    create_first_admin(actions_db, one.code, "boss@pcc.example", PASSWORD)
    with pytest.raises(CodeError):
        create_first_admin(actions_db, two.code, "mallory@example.org", PASSWORD)
    assert [u.email for u in list_users(actions_db, SYSTEM)] == ["boss@pcc.example"]


def test_a_first_admin_code_cannot_set_someones_password(actions_db):
    add_user(actions_db, SYSTEM, "ed@police.example", "editor", "Police", password=PASSWORD)
    code = issue_first_admin_code(actions_db, "server start")
    with pytest.raises(CodeError):
        set_password_with_code(actions_db, code.code, "a takeover passphrase 9")


# --------------------------------------------------------------------------- identity provider


def test_only_provider_verified_emails_are_trusted(db):
    claims = {"is_logged_in": True, "email": ADMIN.email, "name": "The Boss"}
    for unverified in ({}, {"email_verified": False}, {"email_verified": "false"}, {"email_verified": None}):
        with pytest.raises(UnverifiedEmail):
            identify_provider_user(db, {**claims, **unverified})
    with pytest.raises(UnverifiedEmail):
        identify_provider_user(db, {"is_logged_in": True, "email_verified": True})
    who = identify_provider_user(db, {**claims, "email_verified": True})
    assert (who.email, who.role.value) == (ADMIN.email, "admin")
    assert identify_provider_user(db, {"is_logged_in": False}).anonymous
    stranger = identify_provider_user(db, {"is_logged_in": True, "email": "x@example.org", "email_verified": "true"})
    assert stranger.email == "x@example.org" and stranger.role is None


# --------------------------------------------------------------------------- the database file


def test_the_database_file_and_data_directory_are_private(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    monkeypatch.setenv("RURALACTION_DATA_DIR", str(data))
    monkeypatch.delenv("RURALACTION_DB_URL", raising=False)
    engine = open_database()
    try:
        add_user(engine, SYSTEM, "x@police.example", "editor", "Police")  # a write: the WAL file exists
        db_file = data / "ruralaction.db"
        for path in (db_file, data / "ruralaction.db-wal", data / "ruralaction.db-shm"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        engine.dispose()
    os.chmod(db_file, 0o644)  # an old install: tightened when opened
    make_engine(f"sqlite:///{db_file}").dispose()
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    os.chmod(elsewhere, 0o755)
    make_engine(f"sqlite:///{elsewhere / 'x.db'}").dispose()  # a folder that is not ours to lock down
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert stat.S_IMODE((elsewhere / "x.db").stat().st_mode) == 0o600


# --------------------------------------------------------------------------- commands


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruralaction", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_users_add_reads_the_password_from_stdin_and_never_prints_it(tmp_path, caplog, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    secret = "a very secret passphrase 42"
    args = ["users", "add", "Officer@Police.example", "--role", "editor", "--partner", "Police", "--password-stdin"]
    done = run_cli(*args, "--db-url", url, stdin=secret + "\n")
    assert done.returncode == 0, done.stderr
    assert "Added officer@police.example: editor for Police, with a password." in done.stdout
    assert secret not in done.stdout + done.stderr
    engine = make_engine(url)
    try:
        with caplog.at_level(logging.DEBUG):
            assert sign_in(engine, "officer@police.example", secret).actor.partner == "Police"
            with pytest.raises(SignInError):
                sign_in(engine, "officer@police.example", secret + "x")
        assert secret not in caplog.text and "$argon2" not in caplog.text
    finally:
        engine.dispose()
    from ruralaction.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("another password 1\n"))
    assert main([*args, "--db-url", url]) == 2
    assert "already an account" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("1234567890\n"))
    assert main(["users", "add", "x@police.example", "--role", "admin", "--password-stdin", "--db-url", url]) == 2
    assert "at least 12 characters" in capsys.readouterr().err


def test_users_add_without_a_terminal_or_stdin_flag_refuses(tmp_path, monkeypatch, capsys):
    from ruralaction.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert (
        main(["users", "add", "x@police.example", "--role", "admin", "--db-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    )
    assert "--password-stdin" in capsys.readouterr().err


def test_users_commands_list_disable_reset_and_print_the_first_admin_code(tmp_path, capsys):
    from ruralaction.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["users", "setup-code", "--url", "https://ra.example/", "--db-url", url]) == 0
    out = capsys.readouterr().out
    assert "https://ra.example/account/setup" in out and "one-time setup code" in out
    code = out.split("setup code: ")[1].split()[0]
    engine = make_engine(url)
    create_first_admin(engine, code, "boss@pcc.example", PASSWORD)
    assert main(["users", "setup-code", "--db-url", url]) == 1
    assert "exists already" in capsys.readouterr().err
    assert (
        main(
            ["users", "add", "ed@police.example", "--role", "editor", "--partner", "Police", "--no-password"]
            + ["--db-url", url]
        )
        == 0
    )
    assert "users reset ed@police.example" in capsys.readouterr().out
    assert main(["users", "reset", "ed@police.example", "--db-url", url]) == 0
    reset = capsys.readouterr().out.split("One-time code for ed@police.example: ")[1].split()[0]
    assert set_password_with_code(engine, reset, "my new long passphrase 7").email == "ed@police.example"
    assert main(["users", "disable", "ed@police.example", "--db-url", url]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["users", "set", "ed@police.example", "--partner", "Fire and Rescue", "--db-url", url]) == 0
    assert main(["users", "list", "--db-url", url]) == 0
    listed = capsys.readouterr().out
    assert "ed@police.example\teditor for Fire and Rescue\tdisabled\tpassword" in listed
    assert "boss@pcc.example\tadmin\tactive" in listed and "2 accounts." in listed
    assert main(["users", "disable", "boss@pcc.example", "--db-url", url]) == 2
    assert "last active admin" in capsys.readouterr().err
    engine.dispose()
