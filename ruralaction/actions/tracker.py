"""Actions: validate, add, edit (with optimistic locking), soft-delete, restore, read and list.

Every write function takes the :class:`~ruralaction.permissions.Actor` asking, checks
its permission inside the same transaction as the change, writes the change and its audit
entry together, and commits once. Text is stored exactly as typed: pages escape it when they
show it, CSV downloads make it spreadsheet-safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ruralaction.actions.audit import record
from ruralaction.actions.db import read_session, write_session
from ruralaction.actions.models import Action, ActionSupporter, ActionWard, utcnow
from ruralaction.actions.principal import principal
from ruralaction.actions.vocab import STATUSES, Vocabulary, load_vocabulary
from ruralaction.incidents.schema import UK_BOUNDS
from ruralaction.permissions import Actor, Permission, require

DATASETS = ("ours", "demo")
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_SHORT = 200
_URLISH = re.compile(r"^[a-z][a-z0-9+.-]*:|^www\.", re.IGNORECASE)
_HTTP = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)

#: Columns of :func:`list_actions`, in order.
LIST_COLUMNS = (
    "id",
    "reference",
    "title",
    "description",
    "ward_codes",
    "wards",
    "lead_partner",
    "supporting_partners",
    "issue",
    "action_type",
    "status",
    "planned_on",
    "started_on",
    "completed_on",
    "action_date",
    "visible",
    "place_name",
    "latitude",
    "longitude",
    "outcome",
    "evidence",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "deleted_at",
    "deleted_by",
)


class ActionError(ValueError):
    """Base of the tracker's refusals; messages are plain sentences safe to show."""


class ValidationError(ActionError):
    """The action is not valid; ``errors`` lists every problem."""

    def __init__(self, errors: Sequence[str]):
        super().__init__(" ".join(errors))
        self.errors = list(errors)


class ActionNotFound(ActionError, LookupError):
    pass


class ConflictError(ActionError):
    """Someone saved the action after it was loaded; ``current`` is the action as it is now."""

    def __init__(self, current: ActionRecord):
        when = current.updated_at.astimezone(dt.UTC).strftime("%d %b %Y %H:%M UTC")
        what = "deleted" if current.deleted_at else "changed"
        super().__init__(
            f"This action was {what} by {current.updated_by} at {when} after you opened it. "
            "Reload it to see their version; your changes were not saved."
        )
        self.current = current


@dataclass(frozen=True)
class ActionInput:
    """What a person or a spreadsheet row says about an action (no bookkeeping fields).

    ``status`` is one of ``"planned"``, ``"in progress"``, ``"completed"``, ``"cancelled"``;
    ``wards`` are ward codes; ``reference`` is the partner's own id (may be empty).
    """

    title: str
    wards: tuple[str, ...]
    lead_partner: str
    issue: str
    action_type: str
    status: str = "completed"
    planned_on: dt.date | None = None
    started_on: dt.date | None = None
    completed_on: dt.date | None = None
    visible: bool = False
    description: str = ""
    supporting_partners: tuple[str, ...] = ()
    place_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    outcome: str = ""
    evidence: str = ""
    reference: str = ""

    def cleaned(self) -> ActionInput:
        """Whitespace trimmed, repeated wards and partners dropped (first kept), the lead partner
        not repeated as a supporter."""
        text = {
            f.name: getattr(self, f.name).strip()
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), str)
        }
        wards = tuple(dict.fromkeys(w.strip() for w in self.wards if w and w.strip()))
        lead = text["lead_partner"]
        supporters = tuple(
            p for p in dict.fromkeys(s.strip() for s in self.supporting_partners if s and s.strip()) if p != lead
        )
        return dataclasses.replace(self, **text, wards=wards, supporting_partners=supporters)


@dataclass(frozen=True)
class ActionRecord(ActionInput):
    """A stored action: its fields plus id, dataset, version and who/when."""

    id: int = 0
    dataset: str = "ours"
    version: int = 0
    ward_names: tuple[str, ...] = ()
    created_at: dt.datetime = field(default_factory=utcnow)
    created_by: str = ""
    updated_at: dt.datetime = field(default_factory=utcnow)
    updated_by: str = ""
    deleted_at: dt.datetime | None = None
    deleted_by: str | None = None

    def to_input(self) -> ActionInput:
        return ActionInput(**{f.name: getattr(self, f.name) for f in dataclasses.fields(ActionInput)})

    @property
    def action_date(self) -> dt.date | None:
        """When it happened: completed, else started, else planned."""
        return self.completed_on or self.started_on or self.planned_on


# --------------------------------------------------------------------------- validation


def _has_nul(value: str) -> bool:
    return "\x00" in value


def validate(
    inp: ActionInput,
    vocab: Vocabulary,
    wards: Mapping[str, str],
    today: dt.date | None = None,
    keep: ActionInput | None = None,
) -> list[str]:
    """Every problem with ``inp`` as a sentence (empty when it is valid).

    Parameters
    ----------
    inp : ActionInput
        Already :meth:`~ActionInput.cleaned`.
    vocab : Vocabulary
        Allowed partners, issues and action types.
    wards : mapping of str to str
        Known ward codes -> names (from the loaded boundaries).
    today : date, optional
        Completed and started dates may not be later (default: today).
    keep : ActionInput, optional
        The stored action being edited: values it already has stay allowed even when the
        vocabulary or boundaries no longer list them.
    """
    today = today or dt.date.today()
    errors: list[str] = []
    kept = keep or ActionInput("", (), "", "", "")
    if not inp.title:
        errors.append("A title is required.")
    elif len(inp.title) > MAX_TITLE:
        errors.append(f"The title is longer than {MAX_TITLE} characters.")
    for name in ("description", "outcome"):
        if len(getattr(inp, name)) > MAX_TEXT:
            errors.append(f"The {name} is longer than {MAX_TEXT:,} characters.")
    for name in ("place_name", "reference"):
        if len(getattr(inp, name)) > (100 if name == "reference" else MAX_SHORT):
            errors.append(f"The {name.replace('_', ' ')} is too long.")
    if any(_has_nul(getattr(inp, f.name)) for f in dataclasses.fields(inp) if isinstance(getattr(inp, f.name), str)):
        errors.append("The text contains a NUL character.")
    if not inp.wards:
        errors.append("Choose at least one ward.")
    unknown = [w for w in inp.wards if w not in wards and w not in kept.wards]
    if unknown:
        errors.append(f"Unknown ward code{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
    if inp.lead_partner not in vocab.partners and inp.lead_partner != kept.lead_partner:
        errors.append(
            "Choose the lead partner from the list."
            if not inp.lead_partner
            else f"'{inp.lead_partner}' is not a partner on the list."
        )
    bad_support = [p for p in inp.supporting_partners if p not in vocab.partners and p not in kept.supporting_partners]
    if bad_support:
        errors.append(f"Not partners on the list: {', '.join(bad_support)}.")
    if inp.issue not in vocab.issues and inp.issue != kept.issue:
        errors.append(
            "Choose the issue from the list." if not inp.issue else f"'{inp.issue}' is not an issue on the list."
        )
    if inp.action_type not in vocab.action_types and inp.action_type != kept.action_type:
        errors.append(
            "Choose the action type from the list."
            if not inp.action_type
            else f"'{inp.action_type}' is not an action type on the list."
        )
    if inp.status not in STATUSES:
        errors.append(f"Status must be one of: {', '.join(STATUSES)}.")
    if inp.status == "completed" and inp.completed_on is None:
        errors.append("A completed action needs its completion date.")
    if inp.status == "in progress" and inp.started_on is None and inp.planned_on is None:
        errors.append("An action in progress needs its start date.")
    if inp.status == "planned" and inp.completed_on is not None:
        errors.append("A planned action cannot have a completion date.")
    if inp.status == "planned" and inp.planned_on is None:
        errors.append("A planned action needs the date it is planned for.")
    for name in ("started_on", "completed_on"):
        d = getattr(inp, name)
        if d is not None and d > today:
            errors.append(f"The {name.replace('_on', '')} date {d:%d %b %Y} is in the future.")
    if inp.started_on and inp.completed_on and inp.started_on > inp.completed_on:
        errors.append("The start date is after the completion date.")
    if (inp.latitude is None) != (inp.longitude is None):
        errors.append("Give both latitude and longitude, or neither.")
    elif inp.latitude is not None and not (
        UK_BOUNDS["min_lat"] <= inp.latitude <= UK_BOUNDS["max_lat"]
        and UK_BOUNDS["min_lon"] <= inp.longitude <= UK_BOUNDS["max_lon"]
    ):
        errors.append("The point is not in the UK (latitude, longitude in decimal degrees).")
    if inp.evidence:
        if len(inp.evidence) > 500:
            errors.append("The evidence link or reference is longer than 500 characters.")
        elif _URLISH.match(inp.evidence) and not _HTTP.match(inp.evidence):
            errors.append("An evidence link must start with https:// or http://.")
    return errors


# --------------------------------------------------------------------------- reading


def to_record(a: Action) -> ActionRecord:
    """The stored row as an :class:`ActionRecord` (detached from the session)."""
    return ActionRecord(
        title=a.title,
        wards=tuple(w.ward_code for w in a.wards),
        lead_partner=a.lead_partner,
        issue=a.issue,
        action_type=a.action_type,
        status=a.status,
        planned_on=a.planned_on,
        started_on=a.started_on,
        completed_on=a.completed_on,
        visible=a.visible,
        description=a.description,
        supporting_partners=tuple(s.partner for s in a.supporters),
        place_name=a.place_name,
        latitude=a.latitude,
        longitude=a.longitude,
        outcome=a.outcome,
        evidence=a.evidence,
        reference=a.reference or "",
        id=a.id,
        dataset=a.dataset,
        version=a.version,
        ward_names=tuple(w.ward_name for w in a.wards),
        created_at=a.created_at,
        created_by=a.created_by,
        updated_at=a.updated_at,
        updated_by=a.updated_by,
        deleted_at=a.deleted_at,
        deleted_by=a.deleted_by,
    )


def snapshot(a: ActionRecord) -> dict:
    """The JSON the audit log keeps of an action."""
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "title": a.title,
        "description": a.description,
        "wards": list(a.ward_names),
        "ward_codes": list(a.wards),
        "place_name": a.place_name,
        "latitude": a.latitude,
        "longitude": a.longitude,
        "lead_partner": a.lead_partner,
        "supporting_partners": list(a.supporting_partners),
        "issue": a.issue,
        "action_type": a.action_type,
        "status": a.status,
        "planned_on": iso(a.planned_on),
        "started_on": iso(a.started_on),
        "completed_on": iso(a.completed_on),
        "visible": a.visible,
        "outcome": a.outcome,
        "evidence": a.evidence,
        "reference": a.reference or None,
        "dataset": a.dataset,
        "version": a.version,
        "updated_at": iso(a.updated_at),
        "updated_by": a.updated_by,
        "deleted_at": iso(a.deleted_at),
        "deleted_by": a.deleted_by,
    }


def load_action(s: Session, action_id: int, lock: bool = False) -> Action | None:
    """An action with its wards and partners, inside an open session (locked ``FOR UPDATE`` when asked)."""
    q = (
        select(Action)
        .where(Action.id == action_id)
        .options(selectinload(Action.wards), selectinload(Action.supporters))
    )
    return s.scalar(q.with_for_update() if lock else q)


def get_action(engine: Engine, action_id: int) -> ActionRecord | None:
    """An action by id (deleted ones too: check ``deleted_at``), or None."""
    with read_session(engine) as s:
        a = load_action(s, action_id)
        return None if a is None else to_record(a)


def actions_stamp(engine: Engine, dataset: str = "ours") -> tuple:
    """A small fingerprint of a dataset's actions (how many, deleted, their versions, the latest
    change): it changes whenever an action is added, edited or deleted, so a list read before can
    be kept until it does (one aggregate query instead of reading every action)."""
    with read_session(engine) as s:
        row = s.execute(
            select(
                func.count(Action.id),
                func.count(Action.deleted_at),
                func.coalesce(func.sum(Action.version), 0),
                func.max(Action.id),
                func.max(Action.updated_at),
            ).where(Action.dataset == dataset)
        ).one()
    return tuple(str(v) for v in row)


def list_actions(engine: Engine, dataset: str = "ours", include_deleted: bool = False) -> pd.DataFrame:
    """Every action of a dataset as a table (:data:`LIST_COLUMNS`), newest first.

    ``ward_codes`` holds tuples of codes; ``wards`` and ``supporting_partners`` are
    ``"; "``-joined text. Filter it with :func:`filter_actions`.
    """
    with read_session(engine) as s:
        q = (
            select(Action)
            .where(Action.dataset == dataset)
            .options(selectinload(Action.wards), selectinload(Action.supporters))
        )
        if not include_deleted:
            q = q.where(Action.deleted_at.is_(None))
        records = [to_record(a) for a in s.scalars(q)]
    rows = [
        {
            **{
                c: getattr(r, c)
                for c in LIST_COLUMNS
                if c not in ("ward_codes", "wards", "supporting_partners", "action_date", "reference")
            },
            "reference": r.reference,
            "ward_codes": r.wards,
            "wards": "; ".join(r.ward_names),
            "supporting_partners": "; ".join(r.supporting_partners),
            "action_date": r.action_date,
        }
        for r in records
    ]
    df = pd.DataFrame(rows, columns=list(LIST_COLUMNS))
    for c in ("planned_on", "started_on", "completed_on", "action_date"):  # dates or None, never NaT
        df[c] = df[c].astype(object).map(lambda d: d if isinstance(d, dt.date) else None)
    df["visible"] = df["visible"].astype(bool)
    df["latitude"] = df["latitude"].astype(float)
    df["longitude"] = df["longitude"].astype(float)
    df = df.sort_values(["action_date", "id"], ascending=False, na_position="last", key=None, ignore_index=True)
    return df


def filter_actions(
    df: pd.DataFrame,
    *,
    wards: Iterable[str] = (),
    partners: Iterable[str] = (),
    statuses: Iterable[str] = (),
    issues: Iterable[str] = (),
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    visible_only: bool = False,
) -> pd.DataFrame:
    """Rows of a :func:`list_actions` table matching every filter given (an empty filter is no filter).

    ``wards`` matches any of an action's wards (codes); ``partners`` the lead or a supporting
    partner; the dates bound ``action_date`` (inclusive; actions with no date are dropped when
    either bound is given).
    """
    keep = pd.Series(True, index=df.index)
    wards, partners, statuses, issues = set(wards), set(partners), set(statuses), set(issues)
    if wards:
        keep &= df["ward_codes"].map(lambda codes: bool(wards.intersection(codes)))
    if partners:
        support = df["supporting_partners"].map(lambda s: set(filter(None, s.split("; "))))
        keep &= df["lead_partner"].isin(partners) | support.map(lambda s: bool(partners & s))
    if statuses:
        keep &= df["status"].isin(statuses)
    if issues:
        keep &= df["issue"].isin(issues)
    if date_from is not None:
        keep &= df["action_date"].map(lambda d: d is not None and not pd.isna(d) and d >= date_from)
    if date_to is not None:
        keep &= df["action_date"].map(lambda d: d is not None and not pd.isna(d) and d <= date_to)
    if visible_only:
        keep &= df["visible"]
    return df[keep.astype(bool)]


# --------------------------------------------------------------------------- writing


def _apply(a: Action, inp: ActionInput, wards: Mapping[str, str]) -> None:
    names = {w.ward_code: w.ward_name for w in a.wards}
    for f in (
        "title",
        "description",
        "place_name",
        "latitude",
        "longitude",
        "lead_partner",
        "issue",
        "action_type",
        "status",
        "planned_on",
        "started_on",
        "completed_on",
        "visible",
        "outcome",
        "evidence",
    ):
        if getattr(a, f) != getattr(inp, f):
            setattr(a, f, getattr(inp, f))
    if (a.reference or "") != inp.reference:
        a.reference = inp.reference or None
    if [w.ward_code for w in a.wards] != list(inp.wards):
        a.wards = [
            ActionWard(ward_code=c, ward_name=wards.get(c, names.get(c, "")), position=i)
            for i, c in enumerate(inp.wards)
        ]
    if [s.partner for s in a.supporters] != list(inp.supporting_partners):
        a.supporters = [ActionSupporter(partner=p, position=i) for i, p in enumerate(inp.supporting_partners)]


def _check_reference(s: Session, dataset: str, reference: str, action_id: int | None) -> None:
    if not reference:
        return
    other = s.scalar(select(Action.id).where(Action.dataset == dataset, Action.reference == reference))
    if other is not None and other != action_id:
        raise ValidationError([f"The reference '{reference}' is already used by action {other}."])


def _same(a: ActionRecord, inp: ActionInput) -> bool:
    return a.to_input() == inp


def create_in_session(
    s: Session,
    actor: Actor,
    inp: ActionInput,
    wards: Mapping[str, str],
    *,
    dataset: str,
    vocab: Vocabulary,
    today: dt.date | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Action:
    """Add an action inside an open write transaction (used by :func:`add_action` and the import)."""
    if dataset not in DATASETS:
        raise ActionError(f"There is no dataset called '{dataset}'.")
    inp = inp.cleaned()
    require(actor, Permission.ADD, inp.lead_partner or None)
    errors = validate(inp, vocab, wards, today)
    if errors:
        raise ValidationError(errors)
    _check_reference(s, dataset, inp.reference, None)
    now = now or utcnow()
    a = Action(dataset=dataset, created_at=now, created_by=actor.label, updated_at=now, updated_by=actor.label)
    _apply(a, inp, wards)
    s.add(a)
    s.flush()
    record(s, actor, "action", a.id, "create", None, snapshot(to_record(a)), note=note, at=now)
    return a


def update_in_session(
    s: Session,
    actor: Actor,
    a: Action,
    inp: ActionInput,
    wards: Mapping[str, str],
    *,
    vocab: Vocabulary,
    today: dt.date | None,
    note: str = "",
) -> bool:
    """Change a loaded action inside an open write transaction. Returns False when nothing changed."""
    inp = inp.cleaned()
    require(actor, Permission.EDIT, a.lead_partner)
    require(actor, Permission.EDIT, inp.lead_partner or None)
    before = to_record(a)
    errors = validate(inp, vocab, wards, today, keep=before.to_input())
    if errors:
        raise ValidationError(errors)
    if _same(before, inp):
        return False
    _check_reference(s, a.dataset, inp.reference, a.id)
    _apply(a, inp, wards)
    a.updated_at, a.updated_by = utcnow(), actor.label
    s.flush()  # UPDATE … WHERE version = <read>; StaleDataError when someone else got there first
    record(s, actor, "action", a.id, "update", snapshot(before), snapshot(to_record(a)), note=note, at=a.updated_at)
    return True


def add_action(
    engine: Engine,
    actor: Actor,
    inp: ActionInput,
    wards: Mapping[str, str],
    *,
    dataset: str = "ours",
    vocab: Vocabulary | None = None,
    today: dt.date | None = None,
) -> ActionRecord:
    """Add an action (one transaction: the action, its wards and partners, its audit entry).

    Raises
    ------
    PermissionDenied
        ``actor`` may not add an action led by ``inp.lead_partner``.
    ValidationError
        ``inp`` is not valid (every problem listed), or its reference is already used.
    """
    with write_session(engine) as s:
        a = create_in_session(
            s, principal(s, actor), inp, wards, dataset=dataset, vocab=vocab or load_vocabulary(), today=today
        )
        return to_record(a)


def _locked_current(s: Session, action_id: int, expected_version: int) -> Action:
    a = load_action(s, action_id, lock=True)
    if a is None:
        raise ActionNotFound(f"There is no action {action_id}.")
    if a.version != expected_version:
        raise ConflictError(to_record(a))
    return a


def update_action(
    engine: Engine,
    actor: Actor,
    action_id: int,
    inp: ActionInput,
    expected_version: int,
    wards: Mapping[str, str],
    *,
    vocab: Vocabulary | None = None,
    today: dt.date | None = None,
) -> ActionRecord:
    """Save changes to an action that was loaded at ``expected_version``.

    Raises
    ------
    ConflictError
        Someone saved (or deleted) it since: nothing is written, the message says who and when.
    ActionNotFound, PermissionDenied, ValidationError
    """
    try:
        with write_session(engine) as s:
            a = _locked_current(s, action_id, expected_version)
            if a.deleted_at is not None:
                raise ConflictError(to_record(a))
            update_in_session(s, principal(s, actor), a, inp, wards, vocab=vocab or load_vocabulary(), today=today)
            return to_record(a)
    except StaleDataError:
        raise ConflictError(get_action(engine, action_id)) from None


def _set_deleted(engine: Engine, actor: Actor, action_id: int, expected_version: int, delete: bool) -> ActionRecord:
    try:
        with write_session(engine) as s:
            a = _locked_current(s, action_id, expected_version)
            who = principal(s, actor)
            if delete:
                require(who, Permission.DELETE, a.lead_partner)
            else:
                require(who, Permission.RESTORE)
            if (a.deleted_at is not None) == delete:
                return to_record(a)
            before = to_record(a)
            now = utcnow()
            a.deleted_at, a.deleted_by = (now, who.label) if delete else (None, None)
            a.updated_at, a.updated_by = now, who.label
            s.flush()
            record(
                s,
                who,
                "action",
                a.id,
                "delete" if delete else "restore",
                snapshot(before),
                snapshot(to_record(a)),
                at=now,
            )
            return to_record(a)
    except StaleDataError:
        raise ConflictError(get_action(engine, action_id)) from None


def delete_action(engine: Engine, actor: Actor, action_id: int, expected_version: int) -> ActionRecord:
    """Soft-delete an action (hidden from lists and measures; an admin can restore it)."""
    return _set_deleted(engine, actor, action_id, expected_version, True)


def restore_action(engine: Engine, actor: Actor, action_id: int, expected_version: int) -> ActionRecord:
    """Undo a delete (admins only)."""
    return _set_deleted(engine, actor, action_id, expected_version, False)
