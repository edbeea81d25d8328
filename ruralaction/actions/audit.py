"""The audit log: every create, update, delete and restore, with who, when, and the record
before and after (JSON). Entries are written in the same transaction as the change they
describe, so there is never a change without its entry or an entry without its change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ruralaction.actions.db import read_session
from ruralaction.actions.models import AuditEntry, utcnow
from ruralaction.actions.principal import principal
from ruralaction.permissions import Actor, Permission, require

#: Operations recorded, in words for the history table.
OPERATIONS = {"create": "added", "update": "changed", "delete": "deleted", "restore": "restored"}
HISTORY_COLUMNS = ("at", "who", "what", "changes", "note")


def record(
    session: Session,
    actor: Actor,
    entity: str,
    entity_id: int,
    operation: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction.

    Parameters
    ----------
    entity : {"action", "user"}
    operation : {"create", "update", "delete", "restore"}
    before, after : dict or None
        JSON-ready snapshots (``None`` before a create).
    note : str
        Where the change came from when not the form, e.g. "import actions.csv line 7".
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown audit operation {operation!r}")
    entry = AuditEntry(
        at=at or utcnow(),
        actor=actor.label,
        entity=entity,
        entity_id=entity_id,
        operation=operation,
        before=before,
        after=after,
        note=note[:300],
    )
    session.add(entry)
    return entry


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """The fields that differ: ``[(field, old, new), …]`` in the order of ``after``'s keys.

    Bookkeeping fields (version, who/when updated) are left out: every entry has them.
    """
    before, after = before or {}, after or {}
    skip = {"version", "updated_at", "updated_by", "created_at", "created_by", "deleted_at", "deleted_by", "id"}
    keys = [*after, *(k for k in before if k not in after)]
    return [(k, before.get(k), after.get(k)) for k in keys if k not in skip and before.get(k) != after.get(k)]


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def describe(before: dict[str, Any] | None, after: dict[str, Any] | None, operation: str) -> str:
    """The changes of one update in words: ``"status: planned → completed; visible: no → yes"``
    (empty for a create, delete or restore)."""
    if operation in ("create", "delete", "restore"):
        return ""  # the operation says it all
    diff = [c for c in changes(before, after) if c[0] not in ("ward_codes", "dataset")]  # names say it
    return "; ".join(f"{k.replace('_', ' ')}: {_show(a)} → {_show(b)}" for k, a, b in diff) or "no change"


def history(engine: Engine, actor: Actor, action_id: int, entity: str = "action") -> pd.DataFrame:
    """An action's history, oldest first: ``at, who, what, changes, note`` (plus the raw JSON in
    ``before`` and ``after``). Needs :attr:`Permission.VIEW_HISTORY`.
    """
    with read_session(engine) as s:
        require(principal(s, actor), Permission.VIEW_HISTORY)
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == action_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        ).all()
    return pd.DataFrame(
        {
            "at": pd.to_datetime([r.at for r in rows], utc=True)
            if rows
            else pd.Series([], dtype="datetime64[ns, UTC]"),
            "who": [r.actor for r in rows],
            "what": [OPERATIONS[r.operation] for r in rows],
            "changes": [describe(r.before, r.after, r.operation) for r in rows],
            "note": [r.note for r in rows],
            "before": [r.before for r in rows],
            "after": [r.after for r in rows],
        }
    )
