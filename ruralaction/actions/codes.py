"""One-time codes: how someone sets a password without anyone else ever knowing it.

- **setup** / **reset**: an admin adds an account or resets a password and is shown a code
  once (:func:`~ruralaction.actions.users.issue_password_code`); they pass it to the person,
  who chooses their own password with it on the sign-in page.
- **first-admin**: a fresh install has no admin and no public "create admin" form. The server
  prints a code in its log at start (or ``python -m ruralaction users setup-code`` prints one);
  whoever can read the server's log or run commands on it creates the first admin with it.

Codes are 100 random bits written as 20 letters and digits (no 0/O, 1/I/L), valid for
:data:`CODE_LIFETIME` (:data:`FIRST_ADMIN_LIFETIME` for the first admin), used once; only their
SHA-256 is stored. Redeeming one is counted against the client like a sign-in attempt.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from ruralaction.actions.audit import record
from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import AccountCode, User, utcnow
from ruralaction.actions.passwords import check_password, hash_password
from ruralaction.actions.principal import actor_of, normalise_email
from ruralaction.actions.sessions import revoke_sessions, start_session, token_hash
from ruralaction.actions.signin import (
    SignedIn,
    SignInError,
    TooManyAttempts,
    claim_attempt,
    limit_keys,
    release_attempt,
)
from ruralaction.permissions import Actor, Role

CODE_LIFETIME = dt.timedelta(hours=72)
FIRST_ADMIN_LIFETIME = dt.timedelta(hours=24)
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Key of the PostgreSQL advisory lock that makes "create the first admin" happen once.
_FIRST_ADMIN_LOCK = 7_235_110_552
BAD_CODE = "That code is not valid: it may be mistyped, used already or expired. Ask an admin for a new one."


class CodeError(SignInError):
    """A one-time code cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class OneTimeCode:
    """A code as shown once to whoever may pass it on."""

    code: str
    purpose: str
    email: str | None
    expires_at: dt.datetime


def new_code() -> str:
    """A fresh code: 20 characters in groups of four (``ABCD-EFGH-…``), 100 random bits."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def normalise_code(code: str) -> str:
    """A code as typed -> as issued: upper case, dashes in place, spaces and stray dashes dropped."""
    raw = re.sub(r"[\s-]", "", code or "").upper()[:40]
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def store_code(s: Session, purpose: str, user: User | None, created_by: str, now: dt.datetime) -> OneTimeCode:
    """Within ``s``: make a code for ``user`` (None for the first admin), voiding that account's
    earlier unused codes."""
    if user is not None:
        s.execute(
            update(AccountCode).where(AccountCode.user_id == user.id, AccountCode.used_at.is_(None)).values(used_at=now)
        )
    code = new_code()
    lifetime = FIRST_ADMIN_LIFETIME if purpose == "first-admin" else CODE_LIFETIME
    s.add(
        AccountCode(
            code_hash=token_hash(code),
            purpose=purpose,
            user_id=None if user is None else user.id,
            created_at=now,
            created_by=created_by[:320],
            expires_at=now + lifetime,
        )
    )
    return OneTimeCode(code, purpose, None if user is None else user.email, now + lifetime)


def _usable(s: Session, code: str, now: dt.datetime) -> AccountCode | None:
    return s.scalar(
        select(AccountCode)
        .where(
            AccountCode.code_hash == token_hash(normalise_code(code)),
            AccountCode.used_at.is_(None),
            AccountCode.expires_at > now,
        )
        .with_for_update()
    )


def _count_attempt(engine: Engine, client: str | None, now: dt.datetime) -> dict[str, str]:
    """Codes are unguessable, but every try still counts against the client like a sign-in
    (taken back by :func:`release_attempt` when it succeeds). Returns the keys counted."""
    keys = {"client": limit_keys("", client, None)["client"]} if client else {}
    if keys:
        with write_session(engine) as s:
            wait = claim_attempt(s, keys, now)
        if wait is not None:
            raise TooManyAttempts(wait)
    return keys


def code_account(engine: Engine, code: str, now: dt.datetime | None = None) -> str | None:
    """The email a setup/reset code is for (to greet the person), or None when it is not usable."""
    now = now or utcnow()
    with read_session(engine) as s:
        row = s.execute(
            select(User.email)
            .join(AccountCode, AccountCode.user_id == User.id)
            .where(
                AccountCode.code_hash == token_hash(normalise_code(code)),
                AccountCode.used_at.is_(None),
                AccountCode.expires_at > now,
                User.active.is_(True),
            )
        ).first()
    return None if row is None else row.email


def set_password_with_code(
    engine: Engine, code: str, password: str, *, client: str | None = None, now: dt.datetime | None = None
) -> SignedIn:
    """Choose a password with a setup or reset code; signs the person in (a new session).

    Raises
    ------
    CodeError
        The code is unknown, used, expired, or its account disabled.
    PasswordPolicyError
        The password is refused (the code stays usable).
    TooManyAttempts
        Too many attempts from this client.
    """
    now = now or utcnow()
    keys = _count_attempt(engine, client, now)
    email = code_account(engine, code, now)
    if email is None:
        raise CodeError(BAD_CODE)
    with read_session(engine) as s:
        name = s.scalar(select(User.name).where(User.email == email)) or ""
    check_password(password, personal=[email, name])
    hashed = hash_password(password)  # slow: outside the transaction
    with write_session(engine) as s:
        row = _usable(s, code, now)
        user = None if row is None or row.user_id is None else s.get(User, row.user_id, with_for_update=True)
        if user is None or not user.active:
            raise CodeError(BAD_CODE)
        row.used_at = now
        user.password_hash = hashed
        revoke_sessions(s, user.id, now)
        release_attempt(s, keys, now)
        record(
            s,
            Actor(email=user.email),
            "user",
            user.id,
            "update",
            None,
            None,
            note=f"password set with a {row.purpose} code",
        )
        return SignedIn(actor_of(user), start_session(s, user, now))


# --------------------------------------------------------------------------- the first admin


def admin_exists(engine: Engine) -> bool:
    """Whether any active admin account exists."""
    with read_session(engine) as s:
        return (
            s.scalar(select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True)).limit(1)) is not None
        )


def issue_first_admin_code(engine: Engine, issued_by: str, now: dt.datetime | None = None) -> OneTimeCode | None:
    """A code to create the first admin with, or None when an admin exists already.

    For the server log and the ``users setup-code`` command only: never show it on a page.
    """
    now = now or utcnow()
    with write_session(engine) as s:
        _serialise_first_admin(s)
        if s.scalar(select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True)).limit(1)):
            return None
        return store_code(s, "first-admin", None, issued_by, now)


def first_admin_message(code: str, expires_at: dt.datetime, url: str | None = None) -> str:
    """What the server log and ``users setup-code`` say when there is no admin yet."""
    where = f"{url.rstrip('/')}/account/setup" if url else "the app's address followed by /account/setup"
    return (
        "Rural Action has no admin account yet. To create the first one, open "
        f"{where} and enter this one-time setup code: {code} "
        f"(it works once, until {expires_at:%Y-%m-%d %H:%M} UTC). Or, on this server: "
        "python -m ruralaction users add YOUR-EMAIL --role admin"
    )


def _serialise_first_admin(s: Session) -> None:
    """Make "is there an admin yet?" and "create one" one step across instances (SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _FIRST_ADMIN_LOCK})


def create_first_admin(
    engine: Engine,
    code: str,
    email: str,
    password: str | None,
    *,
    name: str = "",
    client: str | None = None,
    now: dt.datetime | None = None,
) -> SignedIn:
    """Create the first admin with a first-admin code; signs them in when a password is given.

    ``password`` may be None only when sign-in goes through the council's identity provider.

    Raises
    ------
    CodeError
        Bad code or email, or an admin exists already (then every first-admin code is void).
    PasswordPolicyError
        The password is refused (the code stays usable).
    """
    now = now or utcnow()
    keys = _count_attempt(engine, client, now)
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 320:
        raise CodeError(f"'{email}' is not an email address.")
    if password is not None:
        check_password(password, personal=[email, name])
    hashed = None if password is None else hash_password(password)  # slow: outside the transaction
    with write_session(engine) as s:
        _serialise_first_admin(s)
        row = _usable(s, code, now)
        if row is None or row.purpose != "first-admin":
            raise CodeError(BAD_CODE)
        if s.scalar(select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True)).limit(1)):
            s.execute(update(AccountCode).where(AccountCode.purpose == "first-admin").values(used_at=now))
            raise CodeError("An admin account exists already: ask that admin for an account.")
        user = s.scalar(select(User).where(User.email == email).with_for_update())
        existed = user is not None
        if user is None:
            user = User(email=email, name=name.strip() or email.split("@")[0], created_at=now, active=True)
            s.add(user)
        user.role, user.partner, user.active = Role.ADMIN.value, None, True
        if hashed is not None:
            user.password_hash = hashed
        s.flush()
        s.execute(update(AccountCode).where(AccountCode.purpose == "first-admin").values(used_at=now))
        release_attempt(s, keys, now)
        record(
            s,
            Actor(email=email),
            "user",
            user.id,
            "update" if existed else "create",
            None,
            {"email": email, "role": "admin"},
            note="first admin, with the setup code",
        )
        token = start_session(s, user, now) if hashed is not None else None
        return SignedIn(actor_of(user), token)
