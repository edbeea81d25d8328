"""SQLAlchemy models: actions (with their wards and supporting partners), users, their
sessions, one-time codes and sign-in limits, the audit log, and residents' concerns.

The migrations in ``migrations/versions`` create exactly these tables (a test compares them);
change a model only together with a new migration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint names are fixed so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Now, in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A moment stored as naive UTC on every backend and read back timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Action(Base):
    """One visible action a partner took (or plans), in one dataset ("ours" or "demo")."""

    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("dataset", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(16), index=True, default="ours")
    #: The partner's own reference (a spreadsheet ID, an ECINS case number); de-duplicates imports.
    reference: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    place_name: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    lead_partner: Mapped[str] = mapped_column(String(100), index=True)
    issue: Mapped[str] = mapped_column(String(100))
    action_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    planned_on: Mapped[dt.date | None] = mapped_column(Date)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    visible: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(320))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(320))
    #: Optimistic lock: every UPDATE says ``WHERE version = <the version read>`` and adds one.
    version: Mapped[int] = mapped_column(Integer)

    wards: Mapped[list[ActionWard]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionWard.position"
    )
    supporters: Mapped[list[ActionSupporter]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionSupporter.position"
    )

    __mapper_args__ = {"version_id_col": version}


class ActionWard(Base):
    """A ward an action took place in (code, and the name it had when recorded)."""

    __tablename__ = "action_wards"

    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    ward_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[Action] = relationship(back_populates="wards")


class ActionSupporter(Base):
    """A supporting partner of an action."""

    __tablename__ = "action_supporters"

    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True)
    partner: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[Action] = relationship(back_populates="supporters")


class User(Base):
    """A built-in account, or the role of someone who signs in through the council's provider
    (then ``password_hash`` is empty and the provider vouches for the email)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    partner: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SignInLimit(Base):
    """Failed sign-ins counted against one key: an account, a client or a known browser.

    Keys are hashes (``account:…``, ``client:…``, ``device:…``), never an email or an address in
    clear. Counted in the database, so every app instance sharing it agrees; a row is locked
    while an attempt is counted, so parallel guesses cannot all slip in
    (:mod:`ruralaction.actions.signin`).
    """

    __tablename__ = "sign_in_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: No password is checked for this key before this moment.
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class UserSession(Base):
    """A signed-in browser: what its sign-in cookie stands for.

    The cookie holds a random token, signed; only the token's SHA-256 is stored, so a copy of
    the database opens no session. Revoked on sign-out, when the account is disabled or its
    password reset, and by an admin.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AccountCode(Base):
    """A one-time code: set a first password, reset a forgotten one, or create the first admin.

    Only the code's SHA-256 is stored. ``purpose`` is ``"setup"`` (a new account's first
    password), ``"reset"`` (a password reset an admin asked for) or ``"first-admin"`` (no user
    yet: printed in the server log, never shown on a page).
    """

    __tablename__ = "account_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what, when: the record before and after, as JSON."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(300), default="")


class DigestSubscription(Base):
    """Someone who asked for the monthly digest of an area (:mod:`ruralaction.digest`).

    ``email`` is personal: only admin functions read it, and the row is deleted (not kept) on
    unsubscribe. ``pending`` until the emailed confirmation link is opened (double opt-in).
    """

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("dataset", "email", "area_kind", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(16), index=True)
    email: Mapped[str] = mapped_column(String(254))
    #: "ward", "parish", "district" or "county".
    area_kind: Mapped[str] = mapped_column(String(10))
    area_code: Mapped[str] = mapped_column(String(40))
    area_name: Mapped[str] = mapped_column(String(200))
    #: "pending" (not confirmed yet) or "active".
    status: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The last month ("YYYY-MM") whose digest was sent: a second run in a month sends nothing.
    last_sent_month: Mapped[str | None] = mapped_column(String(7))
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    tokens: Mapped[list[DigestToken]] = relationship(back_populates="subscription", cascade="all, delete-orphan")


class DigestToken(Base):
    """A link token of a subscription, stored only as its SHA-256: ``confirm`` (single use,
    expires) or ``unsubscribe`` (one per digest sent, valid until the subscription ends)."""

    __tablename__ = "digest_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    subscription: Mapped[DigestSubscription] = relationship(back_populates="tokens")


class Concern(Base):
    """A concern a resident or parish council raised on the Get involved page.

    ``name``, ``email``, ``phone`` and ``place`` are personal: only admin functions read them,
    and ``concerns purge`` sets them to NULL after the retention period (``personal_erased_at``
    says when), keeping the anonymous concern for the public counts and the measures.
    """

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(16), index=True)
    #: What the resident quotes ("RA-2026-000123"); set in the same transaction as the insert.
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    #: The form's one-time key: a retried submission finds its first copy instead of adding a second.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ward_code: Mapped[str] = mapped_column(String(20), index=True)
    ward_name: Mapped[str] = mapped_column(String(200))
    ward_matched_by: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    place: Mapped[str | None] = mapped_column(String(100))
    consent: Mapped[bool] = mapped_column(Boolean)
    #: "new", "reviewed", "actioned" (linked to an action) or "dismissed" (spam, a duplicate).
    status: Mapped[str] = mapped_column(String(12), index=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    personal_erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    links: Mapped[list[ConcernAction]] = relationship(
        back_populates="concern", cascade="all, delete-orphan", order_by="ConcernAction.linked_at"
    )


class ConcernAction(Base):
    """An action that answers a concern ("you said, we did"), linked by an admin."""

    __tablename__ = "concern_actions"

    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True, index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    linked_by: Mapped[str] = mapped_column(String(320))
    concern: Mapped[Concern] = relationship(back_populates="links")


class ConcernLimit(Base):
    """Concerns sent in the current window from one key: a client address or a browser.

    Keys are hashes (``client:…``, ``browser:…``), never an address in clear. Counted in the
    database in the same transaction as the concern is stored, so every app instance agrees and
    parallel submissions cannot slip past (:mod:`ruralaction.concerns.limits`).
    """

    __tablename__ = "concern_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
