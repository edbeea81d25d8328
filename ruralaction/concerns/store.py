"""Concerns in the database: submit one (one transaction, a reference number), the admins'
queue (review, dismiss, link to the action that answers it) and the retention purge.

Submitting needs no account: anyone may raise a concern. Everything that reads personal fields
or changes a concern checks, inside its own transaction, that the actor is an admin
(:attr:`~ruralaction.permissions.Permission.REVIEW_CONCERNS`), looking the account up
again (:func:`~ruralaction.actions.users.principal`). Admin changes are written to the audit log
with snapshots that never hold personal fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ruralaction.actions.audit import record
from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import Action, Concern, ConcernAction, utcnow
from ruralaction.actions.principal import principal
from ruralaction.concerns.form import (
    MAX_DESCRIPTION,
    MAX_EMAIL,
    MAX_NAME,
    MAX_PHONE,
    MAX_PLACE,
    ConcernInput,
    category_label,
)
from ruralaction.concerns.limits import claim_submission
from ruralaction.concerns.privacy import PERSONAL_FIELDS, cutoff, retention
from ruralaction.permissions import Actor, Permission, require

DATASETS = ("ours", "demo")
#: A concern's status, in the order work goes ("dismissed": spam or a duplicate, left out of
#: every public count and measure).
STATUSES: tuple[str, ...] = ("new", "reviewed", "actioned", "dismissed")
REFERENCE_PREFIX = {"ours": "RA", "demo": "DEMO"}
#: Columns of the admin tables (:func:`list_concerns`), personal ones included.
ADMIN_COLUMNS = (
    "id",
    "reference",
    "raised_at",
    "ward_code",
    "ward_name",
    "category",
    "description",
    "name",
    "email",
    "phone",
    "place",
    "consent",
    "latitude",
    "longitude",
    "status",
    "reviewed_at",
    "reviewed_by",
    "action_ids",
    "personal_erased_at",
)
PURGE_ACTOR = Actor.system_actor("retention purge")


class ConcernError(ValueError):
    """A concern cannot be stored or changed as asked; the message is safe to show."""


class ConcernNotFound(ConcernError, LookupError):
    pass


@dataclass(frozen=True)
class Submitted:
    """What the person who raised a concern is told.

    Attributes
    ----------
    reference : str
        E.g. ``"RA-2026-000123"``: the year raised and the concern's number.
    id : int
    raised_at : datetime
    duplicate : bool
        True when this submission key was stored before (a retry): nothing new was added.
    """

    reference: str
    id: int
    raised_at: dt.datetime
    duplicate: bool = False


def new_submission_key() -> str:
    """A fresh one-time key for a form (kept in the session until the concern is stored)."""
    return uuid.uuid4().hex


def make_reference(dataset: str, raised_at: dt.datetime, concern_id: int) -> str:
    """``"RA-2026-000123"`` (``"DEMO-…"`` in the demo): unique because the number is the row id."""
    return f"{REFERENCE_PREFIX[dataset]}-{raised_at:%Y}-{concern_id:06d}"


def _check(c: ConcernInput) -> None:
    """The invariants the table relies on (the form's full rules are in :func:`validate_concern`)."""
    problems = []
    if not c.name or len(c.name) > MAX_NAME:
        problems.append("name")
    if not (c.email or c.phone) or len(c.email) > MAX_EMAIL or len(c.phone) > MAX_PHONE:
        problems.append("contact")
    if not c.ward_code or len(c.place) > MAX_PLACE:
        problems.append("ward")
    if not c.category or not c.description or len(c.description) > MAX_DESCRIPTION:
        problems.append("category or description")
    if c.consent is not True:
        problems.append("consent")
    if problems:
        raise ConcernError(f"Not a valid concern ({', '.join(problems)}): check it with validate_concern first.")


def submit_concern(
    engine: Engine,
    concern: ConcernInput,
    *,
    dataset: str = "ours",
    submission_key: str | None = None,
    now: dt.datetime | None = None,
    limits: Mapping[str, str] | None = None,
) -> Submitted:
    """Store a valid concern and give its reference, all in one transaction.

    The row is inserted, then given its reference (made from its id) before the commit: if
    anything fails, nothing is stored and the caller still holds the concern to try again.
    Retrying with the same ``submission_key`` after a commit whose answer was lost returns the
    first copy's reference (``duplicate=True``) rather than storing it twice.

    Parameters
    ----------
    engine : Engine
        A migrated database.
    concern : ConcernInput
        From :func:`~ruralaction.concerns.form.validate_concern`.
    dataset : {"ours", "demo"}
    submission_key : str, optional
        The form's one-time key (:func:`new_submission_key`).
    now : datetime, optional
        When it was raised (default now; timezone-aware).
    limits : mapping, optional
        The client's and browser's limit keys (:func:`~ruralaction.concerns.limits.limit_keys`):
        the submission is counted against them in the same transaction, atomically.

    Raises
    ------
    ConcernError
        ``concern`` breaks the table's invariants, or the dataset is unknown.
    TooManyConcerns
        The client or browser has sent its share; nothing is stored or counted.
    """
    if dataset not in DATASETS:
        raise ConcernError(f"There is no dataset called '{dataset}'.")
    _check(concern)
    now = now or utcnow()
    try:
        with write_session(engine) as s:
            if submission_key and (first := s.scalar(select(Concern).where(Concern.submission_key == submission_key))):
                return Submitted(first.reference, first.id, first.raised_at, duplicate=True)
            claim_submission(s, limits or {}, now)
            row = Concern(
                dataset=dataset,
                submission_key=submission_key or None,
                raised_at=now,
                ward_code=concern.ward_code,
                ward_name=concern.ward_name,
                ward_matched_by=concern.ward_matched_by,
                category=concern.category,
                description=concern.description,
                latitude=concern.latitude,
                longitude=concern.longitude,
                name=concern.name,
                email=concern.email or None,
                phone=concern.phone or None,
                place=concern.place or None,
                consent=True,
                status="new",
            )
            s.add(row)
            s.flush()  # INSERT: the id the reference is made from
            row.reference = make_reference(dataset, now, row.id)
            s.flush()  # UPDATE: the reference, in the same transaction
            return Submitted(row.reference, row.id, now)
    except IntegrityError:
        if not submission_key:
            raise
        with read_session(engine) as s:  # the same key committed by a concurrent retry
            first = s.scalar(select(Concern).where(Concern.submission_key == submission_key))
        if first is None:
            raise
        return Submitted(first.reference, first.id, first.raised_at, duplicate=True)


# --------------------------------------------------------------------------- the admins' queue


@dataclass(frozen=True)
class ConcernRecord:
    """A stored concern as an admin sees it (personal fields included; ``None`` once erased)."""

    id: int
    reference: str
    dataset: str
    raised_at: dt.datetime
    ward_code: str
    ward_name: str
    category: str
    description: str
    name: str | None
    email: str | None
    phone: str | None
    place: str | None
    consent: bool
    latitude: float | None
    longitude: float | None
    status: str
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    personal_erased_at: dt.datetime | None
    action_ids: tuple[int, ...]


def _record(c: Concern) -> ConcernRecord:
    return ConcernRecord(
        id=c.id,
        reference=c.reference or "",
        dataset=c.dataset,
        raised_at=c.raised_at,
        ward_code=c.ward_code,
        ward_name=c.ward_name,
        category=c.category,
        description=c.description,
        name=c.name,
        email=c.email,
        phone=c.phone,
        place=c.place,
        consent=c.consent,
        latitude=c.latitude,
        longitude=c.longitude,
        status=c.status,
        reviewed_at=c.reviewed_at,
        reviewed_by=c.reviewed_by,
        personal_erased_at=c.personal_erased_at,
        action_ids=tuple(link.action_id for link in c.links),
    )


def snapshot(c: ConcernRecord) -> dict:
    """What the audit log keeps of a concern: no personal field, only whether they are held."""
    return {
        "reference": c.reference,
        "ward_code": c.ward_code,
        "category": c.category,
        "status": c.status,
        "action_ids": list(c.action_ids),
        "personal_details": "erased" if c.personal_erased_at else "held",
    }


def list_concerns(
    engine: Engine, actor: Actor, dataset: str = "ours", statuses: Iterable[str] | None = None
) -> pd.DataFrame:
    """Concerns of a dataset with every field, newest first (admins only).

    Parameters
    ----------
    statuses : iterable of str, optional
        Only these (:data:`STATUSES`); default all.

    Returns
    -------
    DataFrame
        :data:`ADMIN_COLUMNS`; ``action_ids`` holds tuples.

    Raises
    ------
    PermissionDenied
        ``actor`` is not an admin.
    """
    with read_session(engine) as s:
        require(principal(s, actor), Permission.REVIEW_CONCERNS)
        q = select(Concern).where(Concern.dataset == dataset).options(selectinload(Concern.links))
        if statuses is not None:
            q = q.where(Concern.status.in_(list(statuses)))
        rows = [_record(c) for c in s.scalars(q.order_by(Concern.raised_at.desc(), Concern.id.desc()))]
    df = pd.DataFrame([{k: getattr(r, k) for k in ADMIN_COLUMNS} for r in rows], columns=list(ADMIN_COLUMNS))
    for col in ("raised_at", "reviewed_at", "personal_erased_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df


def list_new(engine: Engine, actor: Actor, dataset: str = "ours") -> pd.DataFrame:
    """The queue: concerns nobody has reviewed yet, newest first (admins only)."""
    return list_concerns(engine, actor, dataset, statuses=("new",))


def _load(s: Session, concern_id: int) -> Concern:
    c = s.scalar(select(Concern).where(Concern.id == concern_id).options(selectinload(Concern.links)).with_for_update())
    if c is None:
        raise ConcernNotFound(f"There is no concern {concern_id}.")
    return c


def get_concern(engine: Engine, actor: Actor, concern_id: int) -> ConcernRecord:
    """One concern with every field (admins only)."""
    with read_session(engine) as s:
        require(principal(s, actor), Permission.REVIEW_CONCERNS)
        c = s.scalar(select(Concern).where(Concern.id == concern_id).options(selectinload(Concern.links)))
        if c is None:
            raise ConcernNotFound(f"There is no concern {concern_id}.")
        return _record(c)


def _change(engine: Engine, actor: Actor, concern_id: int, change, note: str) -> ConcernRecord:
    """Run ``change(session, who, concern)`` on a locked concern with its audit entry, in one transaction."""
    with write_session(engine) as s:
        who = principal(s, actor)
        require(who, Permission.REVIEW_CONCERNS)
        c = _load(s, concern_id)
        before = _record(c)
        if change(s, who, c) is False:
            return before
        s.flush()
        after = _record(c)
        record(s, who, "concern", c.id, "update", snapshot(before), snapshot(after), note=note)
        return after


def _reviewed(c: Concern, who: Actor) -> None:
    if c.reviewed_at is None:
        c.reviewed_at, c.reviewed_by = utcnow(), who.label


def mark_reviewed(engine: Engine, actor: Actor, concern_id: int, *, dismiss: bool = False) -> ConcernRecord:
    """Take a concern off the queue: reviewed, or dismissed (spam or a duplicate: left out of
    every public count). Admins only; a concern already linked to an action stays "actioned".

    Raises
    ------
    ConcernNotFound, PermissionDenied
    """

    def change(s: Session, who: Actor, c: Concern) -> bool:
        target = "dismissed" if dismiss else ("actioned" if c.links else "reviewed")
        if c.status == target and c.reviewed_at is not None:
            return False
        c.status = target
        _reviewed(c, who)
        return True

    return _change(engine, actor, concern_id, change, "dismissed" if dismiss else "reviewed")


def link_to_action(engine: Engine, actor: Actor, concern_id: int, action_id: int) -> ConcernRecord:
    """Record that an action answers a concern ("you said, we did"); the concern becomes
    "actioned" (and reviewed). Linking twice changes nothing. Admins only.

    Raises
    ------
    ConcernNotFound, PermissionDenied
    ConcernError
        The action does not exist, is deleted, or belongs to the other dataset.
    """

    def change(s: Session, who: Actor, c: Concern) -> bool:
        action = s.get(Action, action_id)
        if action is None or action.deleted_at is not None:
            raise ConcernError(f"There is no action {action_id}.")
        if action.dataset != c.dataset:
            raise ConcernError(
                f"Action {action_id} is in the {action.dataset} data; this concern is in the {c.dataset} data."
            )
        if any(link.action_id == action_id for link in c.links):
            return False
        c.links.append(ConcernAction(action_id=action_id, linked_at=utcnow(), linked_by=who.label))
        c.status = "actioned"
        _reviewed(c, who)
        return True

    return _change(engine, actor, concern_id, change, f"linked to action {action_id}")


def unlink_action(engine: Engine, actor: Actor, concern_id: int, action_id: int) -> ConcernRecord:
    """Undo :func:`link_to_action` (a link made by mistake). Admins only."""

    def change(s: Session, who: Actor, c: Concern) -> bool:
        keep = [link for link in c.links if link.action_id != action_id]
        if len(keep) == len(c.links):
            return False
        c.links = keep
        if not keep and c.status == "actioned":
            c.status = "reviewed"
        return True

    return _change(engine, actor, concern_id, change, f"unlinked from action {action_id}")


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class PurgeReport:
    """What :func:`purge_personal` did."""

    erased: int
    older_than: str
    before: dt.datetime

    def line(self) -> str:
        from ruralaction.concerns.privacy import period_words

        return (
            f"Erased the name and contact details of {self.erased:,} concern{'s' if self.erased != 1 else ''} "
            f"raised before {self.before:%d %b %Y} (older than {period_words(self.older_than)}), replaced what "
            "they said by its category and reduced the marked spot to the ward; the anonymous concerns are kept."
        )


def purge_personal(
    engine: Engine,
    older_than: str | None = None,
    *,
    actor: Actor = PURGE_ACTOR,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Erase what may identify a person in concerns raised more than ``older_than`` ago, in every
    dataset: the personal fields (:data:`~ruralaction.concerns.privacy.PERSONAL_FIELDS`) go, the
    free-text description (which can name people: "my neighbour John at No. 4") is replaced by
    its category's label, and the marked spot is dropped, so the concern is placed only by its
    ward. The anonymous concern (ward, category, dates, status, links) is kept, so counts do not
    change. One transaction; each purged concern gets an audit entry. Running it again changes
    nothing new; concerns purged by an earlier version (text and spot kept) are finished.

    Parameters
    ----------
    older_than : str, optional
        A period such as ``"12m"`` or ``"365d"`` (default: :func:`~ruralaction.concerns.privacy.retention`).
    actor : Actor
        Who purges (default the system actor "retention purge"); must be an admin.
    dry_run : bool
        Count only; change nothing.

    Raises
    ------
    ValueError
        ``older_than`` is not a period.
    PermissionDenied
    """
    period = retention(older_than)
    now = now or utcnow()
    before = cutoff(period, now)
    held = or_(
        *(getattr(Concern, f).is_not(None) for f in PERSONAL_FIELDS),
        Concern.latitude.is_not(None),
        Concern.longitude.is_not(None),
        Concern.personal_erased_at.is_(None),
    )
    with write_session(engine) as s:
        who = principal(s, actor)
        require(who, Permission.REVIEW_CONCERNS)
        categories = s.scalars(select(Concern.category).where(Concern.raised_at < before).distinct()).all()
        text_kept = [and_(Concern.category == c, Concern.description != category_label(c)) for c in categories]
        due = s.scalars(
            select(Concern)
            .where(Concern.raised_at < before, or_(held, *text_kept))
            .options(selectinload(Concern.links))
            .with_for_update()
        ).all()
        if dry_run or not due:
            return PurgeReport(len(due), period, before)
        snaps = {c.id: snapshot(_record(c)) for c in due}
        by_category: dict[str, list[int]] = {}
        for c in due:
            by_category.setdefault(c.category, []).append(c.id)
        for category, ids in by_category.items():
            s.execute(
                update(Concern)
                .where(Concern.id.in_(ids))
                .values(
                    **dict.fromkeys(PERSONAL_FIELDS),
                    description=category_label(category),
                    latitude=None,
                    longitude=None,
                    personal_erased_at=now,
                ),
                execution_options={"synchronize_session": False},
            )
        for cid, snap in snaps.items():
            record(
                s,
                who,
                "concern",
                cid,
                "update",
                snap,
                {**snap, "personal_details": "erased"},
                note=f"personal details, text and spot erased after {period}",
                at=now,
            )
    return PurgeReport(len(snaps), period, before)
