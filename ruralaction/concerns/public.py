"""What anyone may see of concerns: per ward, how many were raised about what, and what was done
("you said, we did"); and the anonymous table the Progress and Local area pages measure.

These functions never select a personal column (name, email, phone, place) nor the free-text
description or the point, and every frame they return passes
:func:`~ruralaction.concerns.privacy.check_public`. Public dates of concerns are months, not days.
Dismissed concerns (spam, duplicates) are left out everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from ruralaction.actions.db import read_session
from ruralaction.actions.models import Action, Concern, ConcernAction
from ruralaction.concerns.form import category_label
from ruralaction.concerns.privacy import check_public

#: Columns of :func:`concerns_frame`.
FRAME_COLUMNS = ("id", "ward_code", "category", "raised_at", "status", "first_action_at")
COUNT_COLUMNS = (
    "ward_code",
    "ward_name",
    "category",
    "category_label",
    "concerns",
    "actioned",
    "first_raised",
    "last_raised",
)
SAID_DID_COLUMNS = (
    "category",
    "category_label",
    "concerns",
    "first_raised",
    "last_raised",
    "action_id",
    "action_title",
    "action_issue",
    "action_status",
    "action_date",
    "lead_partner",
    "linked_on",
)


def _month(ts: pd.Series) -> pd.Series:
    """UTC moments -> the first day of their month (naive), the only concern date made public."""
    return ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()


def _concerns(engine: Engine, dataset: str, ward_code: str | None = None) -> pd.DataFrame:
    q = select(
        Concern.id, Concern.ward_code, Concern.ward_name, Concern.category, Concern.raised_at, Concern.status
    ).where(Concern.dataset == dataset, Concern.status != "dismissed")
    if ward_code is not None:
        q = q.where(Concern.ward_code == ward_code)
    with read_session(engine) as s:
        rows = s.execute(q.order_by(Concern.id)).all()
    df = pd.DataFrame(rows, columns=["id", "ward_code", "ward_name", "category", "raised_at", "status"])
    df["id"] = df["id"].astype("int64")
    df["raised_at"] = pd.to_datetime(df["raised_at"], utc=True)
    return df


def _links(engine: Engine, dataset: str, ward_code: str | None = None) -> pd.DataFrame:
    """Concern -> linked action (not deleted): the action's public fields and when it was linked."""
    q = (
        select(
            ConcernAction.concern_id,
            ConcernAction.linked_at,
            Action.id,
            Action.title,
            Action.issue,
            Action.status,
            Action.planned_on,
            Action.started_on,
            Action.completed_on,
            Action.lead_partner,
        )
        .join(Concern, Concern.id == ConcernAction.concern_id)
        .join(Action, Action.id == ConcernAction.action_id)
        .where(Concern.dataset == dataset, Concern.status != "dismissed", Action.deleted_at.is_(None))
    )
    if ward_code is not None:
        q = q.where(Concern.ward_code == ward_code)
    with read_session(engine) as s:
        rows = s.execute(q).all()
    return pd.DataFrame(
        rows,
        columns=[
            "concern_id",
            "linked_at",
            "action_id",
            "action_title",
            "action_issue",
            "action_status",
            "planned_on",
            "started_on",
            "completed_on",
            "lead_partner",
        ],
    )


def concerns_frame(engine: Engine, dataset: str = "ours") -> pd.DataFrame:
    """Every concern of a dataset, anonymously, for measures (the Progress page's aim 1).

    Returns
    -------
    DataFrame
        ``id`` (int), ``ward_code``, ``category`` (see
        :func:`~ruralaction.concerns.form.concern_categories`), ``raised_at`` (UTC),
        ``status`` ("new", "reviewed", "actioned"; dismissed ones are left out),
        ``first_action_at`` (UTC midnight of the earliest day a linked action started, or was
        completed when it has no start date; NaT while no linked action has started — a
        planned action is not yet something done).
    """
    df = _concerns(engine, dataset)
    links = _links(engine, dataset)
    started = links["started_on"].where(links["started_on"].notna(), links["completed_on"])
    links = links.assign(done=pd.to_datetime(started, utc=True)).dropna(subset=["done"])
    first = links.groupby("concern_id")["done"].min()
    df["first_action_at"] = pd.to_datetime(first.reindex(df["id"].to_numpy()).to_numpy(), utc=True)
    return check_public(df[list(FRAME_COLUMNS)].reset_index(drop=True))


def ward_concern_counts(engine: Engine, dataset: str = "ours", ward_code: str | None = None) -> pd.DataFrame:
    """Concerns per ward and category: how many, how many an action answered, and the first and
    last month they were raised.

    Parameters
    ----------
    ward_code : str, optional
        Only this ward.

    Returns
    -------
    DataFrame
        :data:`COUNT_COLUMNS`, most concerns first; ``first_raised``/``last_raised`` are the
        first days of months.
    """
    df = _concerns(engine, dataset, ward_code)
    if df.empty:
        return check_public(
            pd.DataFrame(
                {
                    c: pd.Series(
                        dtype="int64"
                        if c in ("concerns", "actioned")
                        else "datetime64[ns]"
                        if c.endswith("raised")
                        else object
                    )
                    for c in COUNT_COLUMNS
                }
            )
        )
    df["month"] = _month(df["raised_at"])
    df["is_actioned"] = df["status"].eq("actioned")
    out = df.groupby(["ward_code", "category"], as_index=False).agg(
        ward_name=("ward_name", "last"),
        concerns=("id", "size"),
        actioned=("is_actioned", "sum"),
        first_raised=("month", "min"),
        last_raised=("month", "max"),
    )
    out["category_label"] = out["category"].map(category_label)
    out[["concerns", "actioned"]] = out[["concerns", "actioned"]].astype("int64")
    out = out.sort_values(["concerns", "ward_code", "category"], ascending=[False, True, True], ignore_index=True)
    return check_public(out[list(COUNT_COLUMNS)])


def you_said_we_did(engine: Engine, ward_code: str, dataset: str = "ours") -> pd.DataFrame:
    """A ward's "you said, we did": each category raised, with the actions linked to its concerns.

    Returns
    -------
    DataFrame
        :data:`SAID_DID_COLUMNS`: one row per category and linked action (a category nothing has
        answered yet has one row with empty action fields). ``action_date`` is when the action
        was completed, else started, else planned for; ``linked_on`` the day an admin linked it.
        Categories with most concerns first, then actions newest first.
    """
    counts = ward_concern_counts(engine, dataset, ward_code)
    if counts.empty:
        return check_public(pd.DataFrame({c: pd.Series(dtype=object) for c in SAID_DID_COLUMNS}))
    concerns = _concerns(engine, dataset, ward_code)[["id", "category"]]
    links = _links(engine, dataset, ward_code).merge(concerns, left_on="concern_id", right_on="id")
    links["action_date"] = links["completed_on"].where(
        links["completed_on"].notna(), links["started_on"].where(links["started_on"].notna(), links["planned_on"])
    )
    links["linked_on"] = pd.to_datetime(links["linked_at"], utc=True).dt.date
    actions = links.sort_values("linked_on").drop_duplicates(["category", "action_id"])[
        [
            "category",
            "action_id",
            "action_title",
            "action_issue",
            "action_status",
            "action_date",
            "lead_partner",
            "linked_on",
        ]
    ]
    out = counts.drop(columns=["ward_code", "ward_name", "actioned"]).merge(actions, on="category", how="left")
    out["_order"] = out["category"].map({c: i for i, c in enumerate(counts["category"])})
    out["_when"] = pd.to_datetime(out["action_date"])
    out = out.sort_values(["_order", "_when"], ascending=[True, False], na_position="last", ignore_index=True)
    out["action_id"] = out["action_id"].astype("Int64")
    return check_public(out[list(SAID_DID_COLUMNS)])


def concerns_by_ward(counts: pd.DataFrame) -> pd.DataFrame:
    """A :func:`ward_concern_counts` table summed per ward: ``ward_code, ward_name, concerns,
    actioned, categories`` ("Fly-tipping 3, Speeding 2", most first) ``, last_raised`` (month);
    most concerns first."""
    cols = ["ward_code", "ward_name", "concerns", "actioned", "categories", "last_raised"]
    if counts.empty:
        return check_public(
            pd.DataFrame(
                {
                    c: pd.Series(
                        dtype="int64"
                        if c in ("concerns", "actioned")
                        else "datetime64[ns]"
                        if c == "last_raised"
                        else object
                    )
                    for c in cols
                }
            )
        )
    ordered = counts.sort_values(["concerns", "category"], ascending=[False, True])
    words = ordered.groupby("ward_code").apply(
        lambda g: ", ".join(f"{lab} {n}" for lab, n in zip(g["category_label"], g["concerns"])), include_groups=False
    )
    out = counts.groupby("ward_code", as_index=False).agg(
        ward_name=("ward_name", "last"),
        concerns=("concerns", "sum"),
        actioned=("actioned", "sum"),
        last_raised=("last_raised", "max"),
    )
    out["categories"] = out["ward_code"].map(words)
    out = out.sort_values(["concerns", "ward_name"], ascending=[False, True], ignore_index=True)
    return check_public(out[cols])


@dataclass(frozen=True)
class SaidAndDone:
    """One category of a ward's "you said, we did", ready to show.

    Attributes
    ----------
    said : str
        "4 concerns about fly-tipping, Mar 2025 to Jan 2026".
    done : tuple of str
        One line per linked action: "Fly-tipping clear-up at … — District council, completed 12 Feb 2026".
    """

    category: str
    said: str
    done: tuple[str, ...]


def _day(d) -> str:
    return "" if d is None or pd.isna(d) else f"{pd.Timestamp(d):%d %b %Y}".lstrip("0")


def said_and_done(frame: pd.DataFrame) -> list[SaidAndDone]:
    """A :func:`you_said_we_did` frame as sentences, one :class:`SaidAndDone` per category."""
    out = []
    for category, rows in frame.groupby("category", sort=False):
        first = rows.iloc[0]
        n = int(first["concerns"])
        a, b = pd.Timestamp(first["first_raised"]), pd.Timestamp(first["last_raised"])
        when = f"{a:%b %Y}" if a == b else f"{a:%b %Y} to {b:%b %Y}"
        what = {"anti-social behaviour": "anti-social behaviour (ASB)", "other": "something else"}.get(
            str(category), str(category)
        )
        said = f"{n} concern{'s' if n != 1 else ''} about {what}, {when}"
        done = []
        for r in rows.dropna(subset=["action_id"]).itertuples(index=False):
            verb = {
                "completed": "completed",
                "in progress": "started",
                "planned": "planned for",
                "cancelled": "cancelled",
            }.get(r.action_status, r.action_status)
            done.append(f"{r.action_title} — {r.lead_partner}, {verb} {_day(r.action_date)}".rstrip())
        out.append(SaidAndDone(category=str(category), said=said, done=tuple(done)))
    return out
