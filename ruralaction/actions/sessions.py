"""Sign-in sessions: what a browser's sign-in cookie stands for, checked against the database.

A session is a row in ``user_sessions``. Its cookie holds a random 256-bit token, signed with the
server's cookie secret (Streamlit's ``server.cookieSecret``, shared by every instance) through
``itsdangerous``, the signer Streamlit uses for its own sign-in cookie. Only the token's SHA-256
is stored, so neither the cookie nor a copy of the database says who someone is, and the
cookie never holds an email. A session ends when it expires, on sign-out (from any tab: every
tab of the browser shares the cookie), when its account is disabled or its password reset, or
when an admin signs the account out everywhere; every page view checks the row again, so the
end is in force on the next click in every instance.

A *known-browser* cookie (``ra_device``) is given at a successful sign-in: signed, bound to that
account, with no session in it. Sign-in limits count a known browser apart from everyone else
(:mod:`ruralaction.actions.signin`), so strangers' wrong guesses cannot lock the real person out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import User, UserSession, utcnow
from ruralaction.actions.principal import actor_of
from ruralaction.permissions import ANONYMOUS, Actor

SESSION_COOKIE = "ra_session"
DEVICE_COOKIE = "ra_device"
DEVICE_LIFETIME = dt.timedelta(days=365)
_DEFAULT_SESSION_HOURS = 12


def session_lifetime() -> dt.timedelta:
    """How long a sign-in lasts: ``$RURALACTION_SESSION_HOURS`` (default 12, a working day)."""
    raw = os.environ.get("RURALACTION_SESSION_HOURS", "").strip()
    try:
        hours = float(raw) if raw else _DEFAULT_SESSION_HOURS
    except ValueError:
        hours = _DEFAULT_SESSION_HOURS
    return dt.timedelta(hours=min(max(hours, 0.1), 24 * 30))


def token_hash(token: str) -> str:
    """What the database keeps of a token or one-time code: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CookieSigner:
    """Signs and checks cookie values with the server's cookie secret.

    Parameters
    ----------
    secret : str
        Streamlit's ``server.cookieSecret``. Every instance behind one address must share it;
        when it changes, every cookie signed with the old one stops working (everyone signs in
        again), which is also how to end every session at once.
    """

    def __init__(self, secret: str):
        if not secret:
            raise ValueError("A cookie secret is needed to sign sign-in cookies.")
        self._serializer = URLSafeTimedSerializer(secret, salt="ruralaction")

    def sign(self, purpose: str, value: str) -> str:
        return self._serializer.dumps([purpose, value])

    def unsign(self, purpose: str, signed: str | None, max_age: dt.timedelta) -> str | None:
        """The value, when ``signed`` is genuine, for ``purpose`` and younger than ``max_age``."""
        if not signed or len(signed) > 512:
            return None
        try:
            got = self._serializer.loads(signed, max_age=int(max_age.total_seconds()))
        except (BadSignature, ValueError, TypeError):
            return None
        if not (isinstance(got, list) and len(got) == 2 and got[0] == purpose and isinstance(got[1], str)):
            return None
        return got[1]


def start_session(s: Session, user: User, now: dt.datetime) -> str:
    """Add a session for ``user`` to the transaction ``s``; return its (unsigned) token."""
    token = secrets.token_urlsafe(32)
    s.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + session_lifetime(),
        )
    )
    return token


def session_cookie(signer: CookieSigner, token: str) -> str:
    """The cookie value for a session token."""
    return signer.sign(SESSION_COOKIE, token)


def _token(signer: CookieSigner, cookie: str | None) -> str | None:
    return signer.unsign(SESSION_COOKIE, cookie, session_lifetime())


def session_actor(engine: Engine, signer: CookieSigner, cookie: str | None, now: dt.datetime | None = None) -> Actor:
    """Who a session cookie signs in: the account's actor, or anonymous when the cookie is
    missing, forged, expired, signed out, or its account disabled. Reads only."""
    token = _token(signer, cookie)
    if token is None:
        return ANONYMOUS
    now = now or utcnow()
    with read_session(engine) as s:
        user = s.scalar(
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                UserSession.token_hash == token_hash(token),
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                User.active.is_(True),
            )
        )
        return ANONYMOUS if user is None else actor_of(user)


def end_session(engine: Engine, signer: CookieSigner, cookie: str | None, now: dt.datetime | None = None) -> bool:
    """Sign a browser out: revoke the session its cookie names. True when one was open."""
    token = _token(signer, cookie)
    if token is None:
        return False
    with write_session(engine) as s:
        done = s.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )
        return done.rowcount > 0


def revoke_sessions(s: Session, user_id: int, now: dt.datetime) -> int:
    """Within transaction ``s``: end every open session of one account; how many were open."""
    done = s.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .values(revoked_at=now)
    )
    return done.rowcount


def device_cookie(signer: CookieSigner, email: str) -> str:
    """A known-browser cookie for the account ``email`` (given at a successful sign-in)."""
    return signer.sign(DEVICE_COOKIE, f"{token_hash(email)[:32]}.{secrets.token_urlsafe(12)}")


def known_device(signer: CookieSigner, cookie: str | None, email: str) -> str | None:
    """The id of the known browser, when ``cookie`` is a genuine known-browser cookie for
    ``email`` (normalised); else None."""
    value = signer.unsign(DEVICE_COOKIE, cookie, DEVICE_LIFETIME)
    if value is None:
        return None
    bound, _, device = value.partition(".")
    return value if device and secrets.compare_digest(bound, token_hash(email)[:32]) else None
