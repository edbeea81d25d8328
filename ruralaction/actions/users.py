"""Accounts: add, list, change role or partner, disable, reset a password; and who an actor is.

Every function that changes an account checks, inside its own transaction, that the actor is
an admin *now* (:func:`~ruralaction.actions.principal.principal`) and writes the change to the
audit log. No password or hash ever leaves this package: a reset gives a one-time code
(:mod:`ruralaction.actions.codes`) that the person uses to choose their own password. The
service never loses its last admin: an admin cannot disable or demote the last active one.

Sign-in itself is :mod:`ruralaction.actions.signin` (limits) and
:mod:`ruralaction.actions.sessions` (cookies); both are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from ruralaction.actions.audit import record
from ruralaction.actions.codes import OneTimeCode, store_code
from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import User, UserSession, utcnow
from ruralaction.actions.passwords import (  # noqa: F401  (part of this module's API)
    MIN_PASSWORD_LENGTH,
    PasswordPolicyError,
    check_password,
    hash_password,
)
from ruralaction.actions.principal import actor_of, normalise_email, principal  # noqa: F401
from ruralaction.actions.sessions import revoke_sessions
from ruralaction.actions.signin import SignedIn, SignInError, TooManyAttempts, sign_in  # noqa: F401
from ruralaction.actions.vocab import load_vocabulary
from ruralaction.permissions import ANONYMOUS, Actor, Permission, Role, require

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A user cannot be added or changed as asked; the message says why."""


class UnverifiedEmail(SignInError):
    """The identity provider signed someone in without vouching for their email address."""


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
    open_sessions: int = 0


def identify(engine: Engine, email: str | None, name: str = "") -> Actor:
    """The actor for an email the caller has already authenticated (a command's ``--as``, a
    test): role and partner from the account, if it is active."""
    if not email:
        return ANONYMOUS
    with read_session(engine) as s:
        return principal(s, Actor(email=normalise_email(email), name=name))


def identify_provider_user(engine: Engine, claims: Mapping[str, object]) -> Actor:
    """The actor for someone the council's identity provider signed in (``st.user``'s claims).

    Only an email the provider says it verified (the OIDC ``email_verified`` claim) is trusted:
    otherwise anyone could register ``admin@council`` at a provider that does not check.

    Raises
    ------
    UnverifiedEmail
        Signed in, but with no verified email.
    """
    if not claims.get("is_logged_in"):
        return ANONYMOUS
    email = claims.get("email")
    verified = claims.get("email_verified")
    if not isinstance(email, str) or not email.strip():
        raise UnverifiedEmail("Your organisation account did not share an email address, so it cannot be used here.")
    if verified is not True and str(verified).strip().lower() != "true":
        raise UnverifiedEmail(
            "Your organisation account's email address is not verified by the provider, so it cannot be used here."
        )
    return identify(engine, email, str(claims.get("name") or ""))


def _check_new(email: str, role: str, partner: str | None) -> tuple[str, Role]:
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
    return email, role_


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
        Must pass :func:`~ruralaction.actions.passwords.check_password`. Without one, the person
        sets their own with a one-time code (:func:`issue_password_code`), or signs in through
        the council's identity provider (``st.login``).
    name : str
        Display name (default: the part of the email before the @).

    Raises
    ------
    UserError
        Bad email, role, partner or password, or the account exists.
    PermissionDenied
        ``actor`` may not manage users.
    """
    email, role_ = _check_new(email, role, partner)
    name = name.strip()[:200]
    if password is not None:
        try:
            check_password(password, personal=[email, name])
        except PasswordPolicyError as exc:
            raise UserError(str(exc)) from None
    hashed = hash_password(password) if password is not None else None  # slow: outside the transaction
    with write_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_USERS)
        if s.scalar(select(User.id).where(User.email == email)) is not None:
            raise UserError(f"There is already an account for {email}.")
        user = User(
            email=email,
            name=name or email.split("@")[0],
            role=role_.value,
            partner=partner if role_ is Role.EDITOR else None,
            password_hash=hashed,
            active=True,
            created_at=utcnow(),
        )
        s.add(user)
        s.flush()
        info = _info(user)
        record(s, actor, "user", user.id, "create", None, _public(info))
    return info


def _info(user: User, open_sessions: int = 0) -> UserInfo:
    return UserInfo(
        user.email,
        user.name,
        user.role,
        user.partner,
        user.active,
        bool(user.password_hash),
        user.last_sign_in_at,
        open_sessions,
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


def list_users(engine: Engine, actor: Actor, now: dt.datetime | None = None) -> list[UserInfo]:
    """Every account, by email, with how many browsers are signed in to it (admins only)."""
    now = now or utcnow()
    with read_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_USERS)
        open_ = dict(
            s.execute(
                select(UserSession.user_id, func.count())
                .where(UserSession.revoked_at.is_(None), UserSession.expires_at > now)
                .group_by(UserSession.user_id)
            ).all()
        )
        return [_info(u, open_.get(u.id, 0)) for u in s.scalars(select(User).order_by(User.email))]


def _account(s, email: str) -> User:
    user = s.scalar(select(User).where(User.email == normalise_email(email)).with_for_update())
    if user is None:
        raise UserError(f"There is no account for {normalise_email(email)}.")
    return user


def _other_active_admins(s, user: User) -> int:
    return s.scalar(
        select(func.count()).where(User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)
    )


def update_user(
    engine: Engine,
    actor: Actor,
    email: str,
    *,
    role: str | None = None,
    partner: str | None = None,
    name: str | None = None,
) -> UserInfo:
    """Change an account's role, partner or name (admins only; the last active admin stays one).

    ``partner`` is required when the role is or becomes editor, and dropped for an admin.
    """
    with write_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_USERS)
        user = _account(s, email)
        before = _public(_info(user))
        new_role = role or user.role
        new_partner = partner if partner is not None else user.partner
        _check_new(user.email, new_role, new_partner if new_role == Role.EDITOR.value else None)
        demoted = user.role == Role.ADMIN.value and new_role != Role.ADMIN.value and user.active
        if demoted and not _other_active_admins(s, user):
            raise UserError(f"{user.email} is the last active admin; make someone else an admin first.")
        user.role = new_role
        user.partner = new_partner if new_role == Role.EDITOR.value else None
        if name is not None and name.strip():
            user.name = name.strip()[:200]
        info = _info(user)
        if _public(info) != before:
            record(s, actor, "user", user.id, "update", before, _public(info))
    return info


def set_active(engine: Engine, actor: Actor, email: str, active: bool, now: dt.datetime | None = None) -> UserInfo:
    """Disable an account (its sessions end at once, everywhere) or enable it again (admins
    only). Nobody disables their own account or the last active admin."""
    now = now or utcnow()
    with write_session(engine) as s:
        who = principal(s, actor)
        require(who, Permission.MANAGE_USERS)
        user = _account(s, email)
        before = _public(_info(user))
        if not active and user.active:
            if who.email == user.email:
                raise UserError("You cannot disable your own account; ask another admin.")
            if user.role == Role.ADMIN.value and not _other_active_admins(s, user):
                raise UserError(f"{user.email} is the last active admin and cannot be disabled.")
            revoke_sessions(s, user.id, now)
        user.active = active
        info = _info(user)
        if _public(info) != before:
            record(s, actor, "user", user.id, "update", before, _public(info), note="enabled" if active else "disabled")
    return info


def sign_out_everywhere(engine: Engine, actor: Actor, email: str, now: dt.datetime | None = None) -> int:
    """End every session of an account (admins, or the account itself); how many were open."""
    now = now or utcnow()
    with write_session(engine) as s:
        who = principal(s, actor)
        user = _account(s, email)
        if who.email != user.email:
            require(who, Permission.MANAGE_USERS)
        return revoke_sessions(s, user.id, now)


def issue_password_code(engine: Engine, actor: Actor, email: str, now: dt.datetime | None = None) -> OneTimeCode:
    """A one-time code for the person to choose a password with (admins only).

    For an account with a password this is a reset: the old password stops working and the
    account's sessions end now. Earlier unused codes for the account are void. Show the code
    to the admin once; it is stored only as a hash.
    """
    now = now or utcnow()
    with write_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_USERS)
        user = _account(s, email)
        if not user.active:
            raise UserError(f"{user.email} is disabled; enable the account first.")
        purpose = "reset" if user.password_hash else "setup"
        user.password_hash = None
        revoke_sessions(s, user.id, now)
        code = store_code(s, purpose, user, actor.label, now)
        record(s, actor, "user", user.id, "update", None, None, note=f"one-time {purpose} code issued")
    return code
