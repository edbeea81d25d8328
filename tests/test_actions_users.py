"""Accounts and signing in: Argon2 hashes, one message for every failure, a rate limit held in
the database (so every app instance shares it), and a password never echoed or logged."""

from __future__ import annotations

import datetime as dt
import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from actions_helpers import fast_hashing  # noqa: F401  (fixture)

from ruralaction.actions import (
    Actor,
    PermissionDenied,
    SignInError,
    TooManyAttempts,
    UserError,
    add_user,
    sign_in,
)
from ruralaction.actions.db import make_engine
from ruralaction.actions.models import User
from ruralaction.actions.users import MAX_FAILURES, WINDOW, list_users

pytestmark = pytest.mark.usefixtures("fast_hashing")
SYSTEM = Actor.system_actor("tests")
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


def stored_hash(engine, email: str) -> str:
    with sa.orm.Session(engine) as s:
        return s.scalar(sa.select(User.password_hash).where(User.email == email))


def test_the_shipped_hash_is_deliberately_slow():
    from argon2 import PasswordHasher

    from ruralaction.actions import users

    shipped = PasswordHasher()  # what users._HASHER is outside these tests (they swap in a cheap one)
    assert shipped.time_cost >= 3 and shipped.memory_cost >= 64 * 1024  # RFC 9106 second recommendation
    assert users.hash_password("x" * 12).startswith("$argon2id$")


def test_passwords_are_stored_as_salted_argon2id_hashes(actions_db):
    add_user(actions_db, SYSTEM, "a@police.example", "editor", "Police", password=PASSWORD)
    add_user(actions_db, SYSTEM, "b@police.example", "editor", "Police", password=PASSWORD)
    a, b = stored_hash(actions_db, "a@police.example"), stored_hash(actions_db, "b@police.example")
    assert a.startswith("$argon2id$") and b.startswith("$argon2id$")
    assert a != b  # salted
    assert PASSWORD not in a and "battery" not in a
    user = sign_in(actions_db, " A@Police.Example ", PASSWORD)
    assert (user.email, user.role.value, user.partner) == ("a@police.example", "editor", "Police")


def test_every_failure_gives_the_same_message(actions_db):
    add_user(actions_db, SYSTEM, "a@police.example", "editor", "Police", password=PASSWORD)
    add_user(actions_db, SYSTEM, "oidc@police.example", "editor", "Police")  # no password: provider only
    messages = set()
    for email, password in (
        ("a@police.example", "wrong password!"),
        ("nobody@police.example", PASSWORD),
        ("oidc@police.example", ""),
        ("a@police.example", ""),
    ):
        with pytest.raises(SignInError) as caught:
            sign_in(actions_db, email, password)
        messages.add(str(caught.value))
    assert messages == {"That email and password do not match an account."}


def test_failed_sign_ins_are_limited_per_account_across_instances(actions_db, db_url):
    add_user(actions_db, SYSTEM, "a@police.example", "editor", "Police", password=PASSWORD)
    add_user(actions_db, SYSTEM, "b@police.example", "editor", "Police", password=PASSWORD)
    other_instance = make_engine(db_url)  # a second app instance sharing the database
    t0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    try:
        for i in range(MAX_FAILURES):
            engine = actions_db if i % 2 else other_instance
            with pytest.raises(SignInError):
                sign_in(engine, "a@police.example", f"guess {i}", now=t0 + dt.timedelta(seconds=i))
        with pytest.raises(TooManyAttempts, match="Try again in 15 minutes"):  # even the right password
            sign_in(other_instance, "a@police.example", PASSWORD, now=t0 + dt.timedelta(seconds=30))
        assert (
            sign_in(actions_db, "b@police.example", PASSWORD, now=t0).email == "b@police.example"
        )  # others unaffected
        later = t0 + WINDOW + dt.timedelta(seconds=MAX_FAILURES)
        assert sign_in(actions_db, "a@police.example", PASSWORD, now=later).email == "a@police.example"
        # success clears the count: four more failures do not lock the account
        for i in range(MAX_FAILURES - 1):
            with pytest.raises(SignInError) as caught:
                sign_in(actions_db, "a@police.example", "nope", now=later + dt.timedelta(seconds=i + 1))
            assert not isinstance(caught.value, TooManyAttempts)
    finally:
        other_instance.dispose()


def test_a_disabled_account_cannot_sign_in(actions_db):
    add_user(actions_db, SYSTEM, "gone@police.example", "editor", "Police", password=PASSWORD)
    with actions_db.begin() as conn:
        conn.execute(sa.text("UPDATE users SET active = :f"), {"f": False})
    with pytest.raises(SignInError):
        sign_in(actions_db, "gone@police.example", PASSWORD)


def test_adding_users_checks_its_input_and_who_asks(actions_db):
    with pytest.raises(UserError, match="needs a partner"):
        add_user(actions_db, SYSTEM, "x@police.example", "editor")
    with pytest.raises(UserError, match="not an email"):
        add_user(actions_db, SYSTEM, "not-an-email", "admin")
    with pytest.raises(UserError, match="Role must be"):
        add_user(actions_db, SYSTEM, "x@police.example", "superuser")
    with pytest.raises(UserError, match="at least 10"):
        add_user(actions_db, SYSTEM, "x@police.example", "admin", password="short")
    add_user(actions_db, SYSTEM, "ed@police.example", "editor", "Police")
    with pytest.raises(UserError, match="already an account"):
        add_user(actions_db, SYSTEM, "ED@police.example", "editor", "Police")
    with pytest.raises(PermissionDenied):  # editors do not manage users
        add_user(actions_db, Actor(email="ed@police.example"), "new@police.example", "admin")
    add_user(actions_db, SYSTEM, "boss@pcc.example", "admin")
    add_user(actions_db, Actor(email="boss@pcc.example"), "new@fire.example", "editor", "Fire and Rescue")
    assert [u.email for u in list_users(actions_db, Actor(email="boss@pcc.example"))] == [
        "boss@pcc.example",
        "ed@police.example",
        "new@fire.example",
    ]


def test_users_add_reads_the_password_from_stdin_and_never_prints_it(tmp_path, caplog, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    secret = "a very secret passphrase 42"
    cmd = [
        sys.executable,
        "-m",
        "ruralaction",
        "users",
        "add",
        "Officer@Police.example",
        "--role",
        "editor",
        "--partner",
        "Police",
        "--password-stdin",
        "--db-url",
        url,
    ]
    done = subprocess.run(cmd, input=secret + "\n", capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Added officer@police.example: editor for Police, with a password." in done.stdout
    assert secret not in done.stdout + done.stderr
    engine = make_engine(url)
    try:
        with caplog.at_level(logging.DEBUG):
            assert sign_in(engine, "officer@police.example", secret).partner == "Police"
            with pytest.raises(SignInError):
                sign_in(engine, "officer@police.example", secret + "x")
        assert secret not in caplog.text and "$argon2" not in caplog.text
    finally:
        engine.dispose()
    from ruralaction.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("another password 1\n"))
    assert main(cmd[3:]) == 2
    assert "already an account" in capsys.readouterr().err


def test_users_add_without_a_terminal_or_stdin_flag_refuses(tmp_path, monkeypatch, capsys):
    from ruralaction.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert (
        main(["users", "add", "x@police.example", "--role", "admin", "--db-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    )
    assert "--password-stdin" in capsys.readouterr().err
