"""Digest subscriptions: subscribe (pending), confirm by the emailed link (double opt-in),
unsubscribe in one click (the row is deleted: nothing personal is kept), the admins' list, and
the retention purge of confirmations never opened.

Rules held here, not in a page:

- Anyone may ask for a ward's or parish's digest; a district's or the whole county's is for
  partners (a signed-in editor or admin). Asking changes nothing anyone else sees: it makes a
  *pending* subscription, which sends nothing until its link is opened.
- Link tokens are 32 random bytes (``secrets.token_urlsafe``), stored only as their SHA-256;
  a confirmation token works once and expires after :data:`CONFIRM_VALID`.
- Rate limits held in the database, so every app instance shares them: at most
  :data:`PER_ADDRESS_PER_DAY` confirmation emails to one address a day, and at most
  :data:`PENDING_PER_HOUR` new pending subscriptions an hour in all.
- Emails are read only by :func:`list_subscriptions` (admins) and by the sender.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError

from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import DigestSubscription, DigestToken, utcnow
from ruralaction.actions.principal import principal
from ruralaction.permissions import Actor, Permission, PermissionDenied, Role, require

KINDS = ("ward", "parish", "district", "county")
#: Kinds only partners (editors, admins) may subscribe to.
PARTNER_KINDS = ("district", "county")
CONFIRM_VALID = dt.timedelta(hours=48)
PER_ADDRESS_PER_DAY = 3
PENDING_PER_HOUR = 200
MAX_EMAIL = 254
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
ADMIN_COLUMNS = (
    "id",
    "email",
    "area_kind",
    "area_code",
    "area_name",
    "status",
    "created_at",
    "confirmed_at",
    "last_sent_month",
)


class SubscriptionError(ValueError):
    """A request refused; the message is one sentence safe to show to the person."""


class RateLimited(SubscriptionError):
    pass


@dataclass(frozen=True)
class Area:
    """What a digest covers: ``kind`` (one of :data:`KINDS`), ``code`` and ``name``."""

    kind: str
    code: str
    name: str


@dataclass(frozen=True)
class Requested:
    """The outcome of :func:`subscribe`.

    Attributes
    ----------
    subscription_id : int
    token : str or None
        The confirmation token to email (plain; only its hash is stored). None when the
        address is already subscribed to this area (then no new link is made).
    already : bool
    """

    subscription_id: int
    token: str | None
    already: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random token and its hash."""
    t = secrets.token_urlsafe(32)
    return t, token_hash(t)


def check_email(value: str) -> str:
    """The address lower-cased and trimmed; raises :class:`SubscriptionError` when not one."""
    email = (value or "").strip().lower()
    if not email or len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise SubscriptionError("Enter an email address like name@example.org.")
    return email


def subscribe(
    engine: Engine,
    actor: Actor,
    email: str,
    area: Area,
    dataset: str = "ours",
    now: dt.datetime | None = None,
) -> Requested:
    """Ask for an area's digest: a pending subscription and a confirmation token, in one transaction.

    Raises
    ------
    SubscriptionError
        Not an email address, an unknown kind, or asking too often (:class:`RateLimited`).
    PermissionDenied
        A district or county digest asked for by someone who is not a partner.
    """
    now = now or utcnow()
    email = check_email(email)
    if area.kind not in KINDS or not area.code:
        raise SubscriptionError("Choose a ward or parish to subscribe to.")
    with write_session(engine) as s:
        if area.kind in PARTNER_KINDS:
            who = principal(s, actor)
            if who.role not in (Role.EDITOR, Role.ADMIN):
                raise PermissionDenied(f"A {area.kind} digest is for partners: sign in first.")
        day_ago, hour_ago = now - dt.timedelta(days=1), now - dt.timedelta(hours=1)
        sent_today = s.scalar(
            select(func.count())
            .select_from(DigestToken)
            .join(DigestSubscription)
            .where(
                DigestSubscription.email == email,
                DigestToken.purpose == "confirm",
                DigestToken.created_at >= day_ago,
            )
        )
        if sent_today >= PER_ADDRESS_PER_DAY:
            raise RateLimited("Several confirmation emails went to this address today; please try again tomorrow.")
        pending_hour = s.scalar(
            select(func.count()).select_from(DigestSubscription).where(DigestSubscription.created_at >= hour_ago)
        )
        if pending_hour >= PENDING_PER_HOUR:
            raise RateLimited("Many people are subscribing at once; please try again in an hour.")
        row = s.scalar(
            select(DigestSubscription).where(
                DigestSubscription.dataset == dataset,
                DigestSubscription.email == email,
                DigestSubscription.area_kind == area.kind,
                DigestSubscription.area_code == area.code,
            )
        )
        if row is not None and row.status == "active":
            return Requested(row.id, None, already=True)
        if row is None:
            row = DigestSubscription(
                dataset=dataset,
                email=email,
                area_kind=area.kind,
                area_code=area.code,
                area_name=area.name[:200],
                status="pending",
                created_at=now,
            )
            s.add(row)
            s.flush()
        token, digest = new_token()
        s.add(
            DigestToken(
                token_hash=digest,
                subscription_id=row.id,
                purpose="confirm",
                created_at=now,
                expires_at=now + CONFIRM_VALID,
            )
        )
        return Requested(row.id, token)


def cancel_pending(engine: Engine, subscription_id: int) -> None:
    """Undo a :func:`subscribe` whose confirmation email could not be sent (a pending row only)."""
    with write_session(engine) as s:
        s.execute(
            delete(DigestSubscription).where(
                DigestSubscription.id == subscription_id, DigestSubscription.status == "pending"
            )
        )


def confirm(engine: Engine, token: str, now: dt.datetime | None = None) -> Area:
    """Open a confirmation link: the subscription becomes active; the token is used up.

    Raises
    ------
    SubscriptionError
        Unknown, already used or expired link (one sentence saying which to do next).
    """
    now = now or utcnow()
    with write_session(engine) as s:
        tok = s.get(DigestToken, token_hash(token or ""))
        if tok is None or tok.purpose != "confirm":
            raise SubscriptionError(
                "This confirmation link is not valid or was already used; if you are not receiving the digest, "
                "subscribe again."
            )
        sub = tok.subscription
        s.delete(tok)
        if tok.expires_at is not None and tok.expires_at < now:
            raise_later = SubscriptionError("This confirmation link has expired; please subscribe again.")
        else:
            raise_later = None
            sub.status = "active"
            sub.confirmed_at = sub.confirmed_at or now
        area = Area(sub.area_kind, sub.area_code, sub.area_name)
    if raise_later:
        raise raise_later
    return area


def unsubscribe(engine: Engine, token: str) -> Area:
    """Open an unsubscribe link: the subscription and its email are deleted at once.

    Raises
    ------
    SubscriptionError
        Unknown link (already unsubscribed, or mistyped).
    """
    with write_session(engine) as s:
        tok = s.get(DigestToken, token_hash(token or ""))
        if tok is None or tok.purpose != "unsubscribe":
            raise SubscriptionError("This unsubscribe link is not known: you may already be unsubscribed.")
        sub = tok.subscription
        area = Area(sub.area_kind, sub.area_code, sub.area_name)
        s.delete(sub)
    return area


# --------------------------------------------------------------------------- admins and the sender


def list_subscriptions(engine: Engine, actor: Actor, dataset: str = "ours") -> pd.DataFrame:
    """Every subscription of a dataset with its email (admins only), newest first."""
    with read_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_SUBSCRIPTIONS)
        rows = s.scalars(
            select(DigestSubscription)
            .where(DigestSubscription.dataset == dataset)
            .order_by(DigestSubscription.created_at.desc(), DigestSubscription.id.desc())
        ).all()
        data = [{c: getattr(r, c) for c in ADMIN_COLUMNS} for r in rows]
    return pd.DataFrame(data, columns=list(ADMIN_COLUMNS))


def remove_subscription(engine: Engine, actor: Actor, subscription_id: int) -> bool:
    """Delete a subscription (admins only, e.g. on a request by phone). True when one was deleted."""
    with write_session(engine) as s:
        require(principal(s, actor), Permission.MANAGE_SUBSCRIPTIONS)
        return s.execute(delete(DigestSubscription).where(DigestSubscription.id == subscription_id)).rowcount > 0


def subscription_counts(engine: Engine, dataset: str = "ours") -> dict[str, int]:
    """How many subscriptions are active and pending (no emails: safe for any page)."""
    with read_session(engine) as s:
        rows = s.execute(
            select(DigestSubscription.status, func.count())
            .where(DigestSubscription.dataset == dataset)
            .group_by(DigestSubscription.status)
        ).all()
    return {"active": 0, "pending": 0, **{k: int(v) for k, v in rows}}


def purge_pending(engine: Engine, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Delete pending subscriptions whose confirmation has expired (their emails go with them),
    and expired confirmation tokens. Returns how many subscriptions were (or would be) deleted."""
    now = now or utcnow()
    cutoff = now - CONFIRM_VALID
    with write_session(engine) as s:
        ids = s.scalars(
            select(DigestSubscription.id).where(
                DigestSubscription.status == "pending", DigestSubscription.created_at < cutoff
            )
        ).all()
        if not dry_run:
            if ids:
                s.execute(delete(DigestSubscription).where(DigestSubscription.id.in_(ids)))
            s.execute(delete(DigestToken).where(DigestToken.purpose == "confirm", DigestToken.expires_at < now))
    return len(ids)


@dataclass(frozen=True)
class Due:
    """An active subscription whose digest for the month is not sent yet (for the sender only)."""

    id: int
    email: str
    area: Area


def due(engine: Engine, dataset: str, month: str) -> list[Due]:
    """Active subscriptions not yet sent ``month``'s digest (``"YYYY-MM"``)."""
    with read_session(engine) as s:
        rows = s.scalars(
            select(DigestSubscription)
            .where(
                DigestSubscription.dataset == dataset,
                DigestSubscription.status == "active",
                (DigestSubscription.last_sent_month.is_(None)) | (DigestSubscription.last_sent_month < month),
            )
            .order_by(DigestSubscription.id)
        ).all()
        return [Due(r.id, r.email, Area(r.area_kind, r.area_code, r.area_name)) for r in rows]


def issue_unsubscribe_token(engine: Engine, subscription_id: int, now: dt.datetime | None = None) -> str | None:
    """A fresh unsubscribe token for one digest email (stored hashed before the email goes);
    None when the subscription no longer exists."""
    now = now or utcnow()
    token, digest = new_token()
    try:
        with write_session(engine) as s:
            if s.get(DigestSubscription, subscription_id) is None:
                return None
            s.add(
                DigestToken(token_hash=digest, subscription_id=subscription_id, purpose="unsubscribe", created_at=now)
            )
    except IntegrityError:
        return None
    return token


def mark_sent(engine: Engine, subscription_id: int, month: str, now: dt.datetime | None = None) -> None:
    """Record that ``month``'s digest went to this subscription (so a rerun does not resend it)."""
    now = now or utcnow()
    with write_session(engine) as s:
        sub = s.get(DigestSubscription, subscription_id)
        if sub is not None:
            sub.last_sent_month = month
            sub.last_sent_at = now
