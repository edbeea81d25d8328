"""Actions to and from CSV, for partners who keep spreadsheets.

Export writes every action of a dataset (spreadsheet-safe: a cell that would run as a formula
is prefixed with an apostrophe). Import checks every row, then adds or updates the good ones in
**one** transaction and reports each bad row with its line and reason. A row is matched to a
stored action by its ``reference`` (the partner's own id), else by ``id`` (from an export), so
importing the same file twice changes nothing the second time.

Columns (header names are matched ignoring case, spaces and underscores)::

    reference, id, title*, description, wards*, lead_partner*, supporting_partners, issue*,
    action_type*, status*, planned_on, started_on, completed_on, visible, place_name,
    latitude, longitude, outcome, evidence, version

``*`` required. ``wards`` holds ward codes or exact ward names, separated by ``;``; so does
``supporting_partners``. Dates are ``YYYY-MM-DD`` or ``DD/MM/YYYY``; ``visible`` is yes/no.
Every row needs a ``reference`` or the ``id`` of a stored action. A ``version`` (from an export)
makes the update refuse when the action was changed after the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from ruralaction.actions.db import write_session
from ruralaction.actions.models import Action
from ruralaction.actions.principal import principal
from ruralaction.actions.tracker import (
    ActionInput,
    ActionRecord,
    ValidationError,
    create_in_session,
    list_actions,
    load_action,
    to_record,
    update_in_session,
)
from ruralaction.actions.vocab import Vocabulary, load_vocabulary
from ruralaction.exports import csv_bytes
from ruralaction.permissions import Actor, Permission, PermissionDenied, can

EXPORT_COLUMNS = (
    "id",
    "reference",
    "title",
    "description",
    "wards",
    "ward_names",
    "lead_partner",
    "supporting_partners",
    "issue",
    "action_type",
    "status",
    "planned_on",
    "started_on",
    "completed_on",
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
)
REQUIRED = ("title", "wards", "lead_partner", "issue", "action_type", "status")
KNOWN = set(EXPORT_COLUMNS)
_TRUE = {"yes", "y", "true", "t", "1", "visible"}
_FALSE = {"no", "n", "false", "f", "0", ""}
#: An apostrophe that :func:`ruralaction.exports.spreadsheet_safe` put before a formula character
#: (at the start of the cell or of any line inside it).
_SAFE_PREFIX = re.compile(r"(?m)^'(?=[=+\-@\t\r])")
MAX_ROWS = 50_000
#: Who an export is for when the caller holds the database itself (the command line).
_TRUSTED = Actor.system_actor("export")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not CSV, required columns missing)."""


@dataclass
class RowProblem:
    line: int
    reason: str
    reference: str = ""
    raw: str = ""


@dataclass
class ImportReport:
    """What an import did. ``problems`` holds every refused row, with its line and reason."""

    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"{self.rows:,} rows read: {self.added:,} added, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {len(self.problems):,} refused."
        ]
        out += [f"Line {p.line}: {p.reason}" for p in self.problems]
        return out

    def problems_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(p.line, p.reference, p.reason, p.raw) for p in self.problems],
            columns=["line", "reference", "reason", "raw"],
        )


# --------------------------------------------------------------------------- export


def export_frame(engine: Engine, dataset: str = "ours") -> pd.DataFrame:
    """Every (not deleted) action of ``dataset`` in the export layout (:data:`EXPORT_COLUMNS`)."""
    return export_table(list_actions(engine, dataset))


#: Account emails: only for people who may see an action's history (never in a public download).
ACCOUNT_COLUMNS = ("created_by", "updated_by")


def export_table(actions: pd.DataFrame, viewer: Actor = _TRUSTED) -> pd.DataFrame:
    """A :func:`~ruralaction.actions.tracker.list_actions` table (filtered or not) in the export
    layout, by id; what the import reads back unchanged.

    ``viewer`` is who the file is for: the account emails in :data:`ACCOUNT_COLUMNS` are left out
    unless the viewer may see an action's history (partners and admins), so an anonymous
    visitor's download names no account. The default is a trusted caller (the command line).
    """
    df = actions.sort_values("id", ignore_index=True)
    out = pd.DataFrame(
        {
            "id": df["id"],
            "reference": df["reference"],
            "title": df["title"],
            "description": df["description"],
            "wards": df["ward_codes"].map("; ".join),
            "ward_names": df["wards"],
            "lead_partner": df["lead_partner"],
            "supporting_partners": df["supporting_partners"],
            "issue": df["issue"],
            "action_type": df["action_type"],
            "status": df["status"],
            **{
                c: df[c].map(lambda d: d.isoformat() if isinstance(d, dt.date) else "")
                for c in ("planned_on", "started_on", "completed_on")
            },
            "visible": df["visible"].map({True: "yes", False: "no"}),
            "place_name": df["place_name"],
            "latitude": df["latitude"],
            "longitude": df["longitude"],
            "outcome": df["outcome"],
            "evidence": df["evidence"],
            "version": df["version"],
            **{c: df[c].map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")) for c in ("created_at", "updated_at")},
            "created_by": df["created_by"],
            "updated_by": df["updated_by"],
        },
        columns=list(EXPORT_COLUMNS),
    )
    if not can(viewer, Permission.VIEW_HISTORY):
        out = out.drop(columns=list(ACCOUNT_COLUMNS))
    return out


def export_csv(engine: Engine, out: str | os.PathLike | None = None, dataset: str = "ours") -> bytes:
    """Spreadsheet-safe UTF-8 CSV of :func:`export_frame`; written to ``out`` when given."""
    data = csv_bytes(export_frame(engine, dataset))
    if out is not None:
        Path(out).write_bytes(data)
    return data


# --------------------------------------------------------------------------- import: parsing


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().lower().lstrip("\ufeff"))


def _date(value: str, column: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{column} '{value}' is not a date (use YYYY-MM-DD or DD/MM/YYYY).")


def _float(value: str, column: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        f = float(value)
    except ValueError:
        raise ValueError(f"{column} '{value}' is not a number.") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"{column} '{value}' is not a number.")
    return f


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(";") if p.strip())


def _ward_codes(value: str, wards: Mapping[str, str]) -> tuple[str, ...]:
    """Ward codes from codes or exact names (case-insensitive); unknown names stay as written
    so validation reports them."""
    by_name: dict[str, list[str]] = {}
    for code, name in wards.items():
        by_name.setdefault(name.casefold(), []).append(code)
    out = []
    for part in _split(value):
        if part in wards:
            out.append(part)
        elif len(by_name.get(part.casefold(), [])) == 1:
            out.append(by_name[part.casefold()][0])
        elif len(by_name.get(part.casefold(), [])) > 1:
            raise ValueError(f"The ward name '{part}' is ambiguous; use its code.")
        else:
            out.append(part)
    return tuple(out)


def parse_row(row: Mapping[str, str], wards: Mapping[str, str]) -> tuple[ActionInput, int | None, int | None]:
    """One CSV row -> (input, id, version). Raises ValueError with a sentence for bad values."""
    get = lambda c: _SAFE_PREFIX.sub("", row.get(c) or "")  # noqa: E731
    visible = get("visible").strip().lower()
    if visible not in _TRUE | _FALSE:
        raise ValueError(f"visible '{get('visible')}' must be yes or no.")
    id_, version = get("id").strip(), get("version").strip()
    if id_ and not id_.isdigit():
        raise ValueError(f"id '{id_}' is not a whole number.")
    if version and not version.isdigit():
        raise ValueError(f"version '{version}' is not a whole number.")
    inp = ActionInput(
        title=get("title"),
        wards=_ward_codes(get("wards"), wards),
        lead_partner=get("lead_partner"),
        issue=get("issue"),
        action_type=get("action_type"),
        status=get("status").strip().lower(),
        planned_on=_date(get("planned_on"), "planned_on"),
        started_on=_date(get("started_on"), "started_on"),
        completed_on=_date(get("completed_on"), "completed_on"),
        visible=visible in _TRUE,
        description=get("description"),
        supporting_partners=_split(get("supporting_partners")),
        place_name=get("place_name"),
        latitude=_float(get("latitude"), "latitude"),
        longitude=_float(get("longitude"), "longitude"),
        outcome=get("outcome"),
        evidence=get("evidence"),
        reference=get("reference"),
    ).cleaned()
    return inp, int(id_) if id_ else None, int(version) if version else None


def _read_rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str], str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if "\x00" in text[:4096]:
        raise ImportFileError("The file is not a CSV text file.")
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as exc:
        raise ImportFileError(f"The header line is not CSV: {exc}.") from None
    keys = [_key(h) for h in header]
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise ImportFileError(
            f"Required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)} "
            f"(found: {', '.join(h.strip() for h in header) or 'none'})."
        )
    rows = []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append((start, {"__error__": f"not CSV: {exc}"}, ""))
            start = reader.line_num + 1
            continue
        raw = "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n")
        if any(v.strip() for v in values):
            if len(values) > len(keys):
                rows.append((start, {"__error__": f"{len(values)} fields, the header has {len(keys)}."}, raw))
            else:
                rows.append((start, dict(zip(keys, values)), raw))
        start = reader.line_num + 1
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"More than {MAX_ROWS:,} rows; split the file.")
    return keys, rows


# --------------------------------------------------------------------------- import


def import_csv(
    engine: Engine,
    source: str | os.PathLike | bytes,
    actor: Actor,
    wards: Mapping[str, str],
    *,
    dataset: str = "ours",
    vocab: Vocabulary | None = None,
    today: dt.date | None = None,
    name: str | None = None,
) -> ImportReport:
    """Import actions from a CSV file (path or bytes); see the module notes for the columns.

    Every row is checked; the good ones are added or updated in one transaction, the bad ones
    reported with their line and reason. Rows matching a stored action with the same content are
    left alone, so a repeated import changes nothing.

    Parameters
    ----------
    engine : Engine
    source : path or bytes
    actor : Actor
        Who imports: rows the actor may not add or edit (another partner's) are refused.
    wards : mapping of str to str
        Known ward codes -> names.
    dataset : {"ours", "demo"}
    name : str, optional
        The file name the audit log records (default: the path's name).

    Raises
    ------
    ImportFileError
        The file is not CSV or lacks a required column (nothing is imported).
    """
    vocab = vocab or load_vocabulary()
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    name = name or ("upload" if isinstance(source, bytes) else Path(source).name)
    _, rows = _read_rows(data)
    report = ImportReport(rows=len(rows))
    seen: dict[str, int] = {}
    parsed: list[tuple[int, str, ActionInput, int | None, int | None]] = []
    for line, row, raw in rows:
        ref = (row.get("reference") or "").strip()
        if "__error__" in row:
            report.problems.append(RowProblem(line, row["__error__"], ref, raw))
            continue
        try:
            inp, id_, version = parse_row(row, wards)
        except ValueError as exc:
            report.problems.append(RowProblem(line, str(exc), ref, raw))
            continue
        key = f"reference '{inp.reference}'" if inp.reference else (f"id {id_}" if id_ is not None else "")
        if not key:
            report.problems.append(
                RowProblem(
                    line,
                    "The row has neither a reference nor an id, so a repeated import could not recognise it.",
                    ref,
                    raw,
                )
            )
            continue
        if key in seen:
            report.problems.append(RowProblem(line, f"The {key} is already on line {seen[key]}.", ref, raw))
            continue
        seen[key] = line
        parsed.append((line, raw, inp, id_, version))

    with write_session(engine) as s:
        who = principal(s, actor)
        for line, raw, inp, id_, version in parsed:
            note = f"import {name} line {line}"
            try:
                with s.begin_nested():  # a refused row undoes only itself
                    existing = None
                    if inp.reference:
                        found = s.scalar(
                            select(Action.id).where(Action.dataset == dataset, Action.reference == inp.reference)
                        )
                        existing = load_action(s, found, lock=True) if found is not None else None
                    if existing is None and id_ is not None:
                        existing = load_action(s, id_, lock=True)
                        if existing is None or existing.dataset != dataset:
                            raise ValidationError([f"There is no action {id_} in this dataset."])
                        if existing.reference and inp.reference and existing.reference != inp.reference:
                            raise ValidationError(
                                [f"Action {id_} has the reference '{existing.reference}', not '{inp.reference}'."]
                            )
                    if existing is None:
                        create_in_session(s, who, inp, wards, dataset=dataset, vocab=vocab, today=today, note=note)
                        report.added += 1
                        continue
                    if existing.deleted_at is not None:
                        raise ValidationError([f"Action {existing.id} was deleted; an admin can restore it first."])
                    current: ActionRecord = to_record(existing)
                    if current.to_input() == inp:
                        report.unchanged += 1
                        continue
                    if version is not None and version != existing.version:
                        raise ValidationError(
                            [
                                f"Action {existing.id} was changed by {existing.updated_by} after "
                                f"this file was exported (version {version}, now {existing.version})."
                            ]
                        )
                    update_in_session(s, who, existing, inp, wards, vocab=vocab, today=today, note=note)
                    report.updated += 1
            except (ValidationError, PermissionDenied) as exc:
                reasons = exc.errors if isinstance(exc, ValidationError) else [str(exc)]
                report.problems.append(RowProblem(line, " ".join(reasons), inp.reference, raw))
    report.problems.sort(key=lambda p: p.line)
    return report
