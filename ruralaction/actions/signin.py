"""Signing in with a password, with limits that hold against guessing and cannot be turned
against the people they protect.

Every attempt is counted against keys in ``sign_in_limits`` before any password is checked:

- the **client** (its network address): one machine guessing many accounts, or one account;
- the **account**, for browsers it has never signed in from: many machines guessing one account;
- a **known browser** (one holding this account's known-browser cookie,
  :func:`~ruralaction.actions.sessions.known_device`) instead of the account: so the real
  person, on a browser they signed in from before, is not held up by strangers' guesses.

Each key allows :data:`FREE_ATTEMPTS` failures, then waits that double from :data:`FIRST_DELAY`
up to :data:`MAX_DELAY` between attempts (failures are forgotten after :data:`FORGET_AFTER`
without one, and a key's account or browser is cleared by a successful sign-in). Counting is
atomic: the attempt locks its keys' rows, refuses if any is waiting, and counts itself as a
failure *before* the password is checked — so thirty parallel guesses make at most
:data:`FREE_ATTEMPTS` password checks, on SQLite (``BEGIN IMMEDIATE``) and on PostgreSQL
(``SELECT … FOR UPDATE``) alike. The count is taken back when the password was right.

The password hash is checked outside any transaction (Argon2 is slow on purpose; the write lock
must not wait for it), against a dummy hash when the account does not exist, so unknown and
known accounts get the same message after the same work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from ruralaction.actions.db import write_session
from ruralaction.actions.models import SignInLimit, User, utcnow
from ruralaction.actions.passwords import hash_password, needs_rehash, verify
from ruralaction.actions.principal import actor_of, normalise_email
from ruralaction.actions.sessions import start_session, token_hash
from ruralaction.permissions import Actor

#: Failures each kind of key allows before attempts have to wait. A client gets more: several
#: people in one office share an address.
FREE_ATTEMPTS = {"account": 5, "device": 5, "client": 20}
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=24)
WRONG = "That email and password do not match an account."


class SignInError(PermissionError):
    """Sign-in refused. The message is safe to show: it never says whether the email exists."""


class TooManyAttempts(SignInError):
    """Too many failed sign-ins recently from this browser or network, or for this account."""

    def __init__(self, retry_after: dt.timedelta):
        super().__init__(f"Too many failed sign-ins. For your security, wait {wait_words(retry_after)} and try again.")
        self.retry_after = retry_after


def wait_words(wait: dt.timedelta) -> str:
    """A wait in words, rounded up: "30 seconds", "1 minute", "15 minutes"."""
    seconds = max(1, int(-(-wait.total_seconds() // 1)))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def delay_after(failures: int, kind: str) -> dt.timedelta | None:
    """How long a key waits after its ``failures``-th failure (None: no wait yet)."""
    free = FREE_ATTEMPTS[kind]
    if failures < free:
        return None
    return min(FIRST_DELAY * 2 ** min(failures - free, 20), MAX_DELAY)


def limit_keys(email: str, client: str | None, device: str | None) -> dict[str, str]:
    """The keys an attempt is counted against, kind -> key (hashes, never the email or address)."""
    keys = {"device": f"device:{token_hash(device)}"} if device else {"account": f"account:{token_hash(email)}"}
    if client:
        keys["client"] = f"client:{token_hash(client)}"
    return keys


def _insert_missing(s: Session, keys: list[str], now: dt.datetime) -> None:
    """Create the keys' rows if absent, racing safely with other instances doing the same."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the two supported backends are above
        raise NotImplementedError(f"sign-in limits need SQLite or PostgreSQL, not {dialect}")
    rows = [{"key": k, "failures": 0, "blocked_until": None, "last_failure_at": now} for k in keys]
    s.execute(insert(SignInLimit).values(rows).on_conflict_do_nothing(index_elements=["key"]))


def claim_attempt(s: Session, keys: dict[str, str], now: dt.datetime) -> dt.timedelta | None:
    """Within write transaction ``s``: count one attempt against ``keys``, or say how long to wait.

    Locks the keys' rows (in a fixed order, so two attempts cannot deadlock), and returns the
    longest wait when any key is waiting — then nothing is counted. Otherwise the attempt is
    counted as a failure now, before the password is checked (:func:`release_attempt` takes it
    back on success).
    """
    if not keys:
        return None
    _insert_missing(s, sorted(keys.values()), now)
    rows = s.scalars(
        select(SignInLimit).where(SignInLimit.key.in_(keys.values())).order_by(SignInLimit.key).with_for_update()
    ).all()
    kind_of = {key: kind for kind, key in keys.items()}
    for row in rows:
        if row.last_failure_at < now - FORGET_AFTER:
            row.failures, row.blocked_until = 0, None
    waits = [row.blocked_until - now for row in rows if row.blocked_until is not None and row.blocked_until > now]
    if waits:
        return max(waits)
    for row in rows:
        row.failures += 1
        row.last_failure_at = now
        wait = delay_after(row.failures, kind_of[row.key])
        row.blocked_until = None if wait is None else now + wait
    return None


def release_attempt(s: Session, keys: dict[str, str], now: dt.datetime) -> None:
    """Within ``s``, after a right password: forget the account's (or browser's) failures, and
    take this attempt off the client's count (a client is not forgiven its other failures by
    signing in to an account it knows). Also drops keys forgotten long ago."""
    for kind in ("account", "device"):
        if kind in keys:
            s.execute(delete(SignInLimit).where(SignInLimit.key == keys[kind]))
    if "client" in keys:
        row = s.scalar(select(SignInLimit).where(SignInLimit.key == keys["client"]).with_for_update())
        if row is not None:
            row.failures = max(0, row.failures - 1)
            wait = delay_after(row.failures, "client")
            row.blocked_until = None if wait is None else row.last_failure_at + wait
    s.execute(delete(SignInLimit).where(SignInLimit.last_failure_at < now - FORGET_AFTER))


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: who, and the new session's token (None when none was asked for)."""

    actor: Actor
    session_token: str | None

    @property
    def email(self) -> str:
        return self.actor.email or ""


def sign_in(
    engine: Engine,
    email: str,
    password: str,
    *,
    client: str | None = None,
    device: str | None = None,
    start: bool = False,
    now: dt.datetime | None = None,
) -> SignedIn:
    """Check a built-in account's password, within the limits; optionally start a session.

    Parameters
    ----------
    engine : Engine
    email, password : str
        As typed.
    client : str, optional
        The client's network address (the web server's view of it).
    device : str, optional
        The known-browser id from :func:`~ruralaction.actions.sessions.known_device`, when the
        browser holds a genuine known-browser cookie for this email.
    start : bool
        Also start a session (:mod:`ruralaction.actions.sessions`) in the same transaction.
    now : datetime, optional
        For tests (timezone-aware).

    Raises
    ------
    TooManyAttempts
        A key of this attempt is waiting; no password was checked.
    SignInError
        Unknown email, wrong password, disabled account or no password set (one message).
    """
    account = normalise_email(email)[:320]
    now = now or utcnow()
    keys = limit_keys(account, client, device)
    with write_session(engine) as s:  # short: no hashing in here
        wait = claim_attempt(s, keys, now)
        row = (
            None
            if wait
            else s.execute(select(User.id, User.password_hash, User.active).where(User.email == account)).first()
        )
    if wait is not None:
        raise TooManyAttempts(wait)
    usable = row is not None and row.active and bool(row.password_hash)
    if not verify(row.password_hash if usable else None, password) or not usable:
        raise SignInError(WRONG)
    with write_session(engine) as s:
        user = s.get(User, row.id, with_for_update=True)
        if user is None or not user.active or user.password_hash != row.password_hash:
            raise SignInError(WRONG)  # disabled or reset while the password was being checked
        release_attempt(s, keys, now)
        user.last_sign_in_at = now
        token = start_session(s, user, now) if start else None
        signed = SignedIn(actor_of(user), token)
    if needs_rehash(row.password_hash):
        _rehash(engine, row.id, row.password_hash, password)
    return signed


def _rehash(engine: Engine, user_id: int, old_hash: str, password: str) -> None:
    """Store a hash with today's parameters, unless the password changed meanwhile."""
    new_hash = hash_password(password)  # slow: outside the transaction
    with write_session(engine) as s:
        user = s.get(User, user_id, with_for_update=True)
        if user is not None and user.password_hash == old_hash:
            user.password_hash = new_hash
