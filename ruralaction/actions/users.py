"""Accounts: adding users, signing in with a password, and who an actor really is.

Passwords are hashed with Argon2id (``argon2-cffi``: salted, deliberately slow, parameters in
the hash so they can be raised later). Failed sign-ins are stored per account in the database,
so the limit holds across every app instance sharing it: after :data:`MAX_FAILURES` failures in
:data:`WINDOW`, the account's password is not even checked until the window has passed. An
unknown email is treated exactly like a wrong password (same message, same work), so sign-in
does not reveal which emails have accounts. No password or hash ever leaves this module.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select

from ruralaction.actions.audit import record
from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import SignInFailure, User, utcnow
from ruralaction.actions.principal import actor_of, normalise_email, principal  # noqa: F401  (part of this module's API)
from ruralaction.actions.vocab import load_vocabulary
from ruralaction.permissions import ANONYMOUS, Actor, Permission, Role, require

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so that costs the same as a wrong password."""
    return _HASHER.hash("not a password anyone has")


class UserError(ValueError):
    """A user cannot be added or changed as asked; the message says why."""


class SignInError(PermissionError):
    """Sign-in refused. The message is safe to show: it never says whether the email exists."""


class TooManyAttempts(SignInError):
    """Too many failed sign-ins for this account recently."""

    def __init__(self, retry_after: dt.timedelta):
        minutes = max(1, int(retry_after.total_seconds() + 59) // 60)
        super().__init__(
            f"Too many failed sign-ins for this account. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class UserInfo:
    """An account as shown to admins (never with its hash)."""

    email: str
    name: str
    role: str
    partner: str | None
    active: bool
    has_password: bool
    last_sign_in_at: dt.datetime | None


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; the salt and cost are inside the string)."""
    return _HASHER.hash(password)


def identify(engine: Engine, email: str | None, name: str = "") -> Actor:
    """The actor for someone whose email an identity provider vouched for (``st.login``), or
    for a session that signed in earlier: role and partner from the account, if any."""
    if not email:
        return ANONYMOUS
    with read_session(engine) as s:
        return principal(s, Actor(email=normalise_email(email), name=name))


def add_user(
    engine: Engine,
    actor: Actor,
    email: str,
    role: str,
    partner: str | None = None,
    password: str | None = None,
    name: str = "",
) -> UserInfo:
    """Add an account.

    Parameters
    ----------
    engine : Engine
    actor : Actor
        Who adds it: an admin, or a system actor (the ``users add`` command).
    email : str
        The sign-in name; stored lower-case.
    role : {"editor", "admin"}
    partner : str, optional
        Required for an editor: one of the vocabulary's partners.
    password : str, optional
        At least :data:`MIN_PASSWORD_LENGTH` characters. Without one, the account can only sign
        in through the council's identity provider (``st.login``).
    name : str
        Display name (default: the part of the email before the @).

    Raises
    ------
    UserError
        Bad email, role, partner or password, or the account exists.
    PermissionDenied
        ``actor`` may not manage users.
    """
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 320:
        raise UserError(f"'{email}' is not an email address.")
    try:
        role_ = Role(role)
    except ValueError:
        raise UserError(f"Role must be one of {', '.join(r.value for r in Role)}, not '{role}'.") from None
    partners = load_vocabulary().partners
    if role_ is Role.EDITOR and partner not in partners:
        raise UserError(f"An editor needs a partner, one of: {', '.join(partners)}.")
    if partner is not None and partner not in partners:
        raise UserError(f"'{partner}' is not a partner; choose one of: {', '.join(partners)}.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    hashed = hash_password(password) if password is not None else None  # slow: outside the transaction
    with write_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_USERS)
        if s.scalar(select(User.id).where(User.email == email)) is not None:
            raise UserError(f"There is already an account for {email}.")
        user = User(
            email=email,
            name=name.strip() or email.split("@")[0],
            role=role_.value,
            partner=partner,
            password_hash=hashed,
            active=True,
            created_at=utcnow(),
        )
        s.add(user)
        s.flush()
        info = _info(user)
        record(s, actor, "user", user.id, "create", None, _public(info))
    return info


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.email, user.name, user.role, user.partner, user.active, bool(user.password_hash), user.last_sign_in_at
    )


def _public(info: UserInfo) -> dict:
    return {
        "email": info.email,
        "name": info.name,
        "role": info.role,
        "partner": info.partner,
        "active": info.active,
        "has_password": info.has_password,
    }


def list_users(engine: Engine, actor: Actor) -> list[UserInfo]:
    """Every account (admins only)."""
    with read_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_USERS)
        return [_info(u) for u in s.scalars(select(User).order_by(User.email))]


def sign_in(engine: Engine, email: str, password: str, now: dt.datetime | None = None) -> Actor:
    """Check a built-in account's password; return who signed in.

    Raises
    ------
    TooManyAttempts
        :data:`MAX_FAILURES` failures for this account within :data:`WINDOW`.
    SignInError
        Unknown email, wrong password, disabled account or no password set (one message for all).
    """
    account = normalise_email(email)[:320]
    now = now or utcnow()
    since = now - WINDOW
    with write_session(engine) as s:
        failures = s.execute(
            select(func.count(), func.min(SignInFailure.at)).where(
                SignInFailure.account == account, SignInFailure.at > since
            )
        ).one()
        if failures[0] >= MAX_FAILURES:
            raise TooManyAttempts(failures[1] + WINDOW - now)
        user = s.scalar(select(User).where(User.email == account))
        usable = user is not None and user.active and bool(user.password_hash)
        try:
            _HASHER.verify(user.password_hash if usable else _dummy_hash(), password)
            ok = usable
        except (VerificationError, InvalidHashError):
            ok = False
        if ok:
            s.execute(delete(SignInFailure).where(SignInFailure.account == account))
            user.last_sign_in_at = now
            if _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            return actor_of(user)
        s.execute(delete(SignInFailure).where(SignInFailure.at < now - 4 * WINDOW))  # tidy old rows
        s.add(SignInFailure(account=account, at=now))
    raise SignInError("That email and password do not match an account.")
