"""Aim 1's measures of residents' concerns: were the top concerns acted on, and how fast.

Pure functions over ``concerns_frame`` of "Get involved" (``id, ward_code, category, raised_at,
status, first_action_at``: no personal fields) and the actions table, as the rest of
:mod:`ruralaction.progress.aims`, whose rules (actions taken in a window, small numbers) they follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ruralaction.measures.periods import Period
from ruralaction.measures.trends import MIN_COUNT, plural
from ruralaction.progress.aims import Measured, _share, actions_taken


def _concern_dates(concerns: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_datetime(concerns[col], utc=True, errors="coerce").dt.tz_convert("UTC").dt.tz_localize(None)


def concerns_in(concerns: pd.DataFrame, period: Period, as_of: dt.date | None = None) -> pd.DataFrame:
    """Concerns raised in ``period`` (by their UTC day), not after ``as_of``."""
    if concerns is None or concerns.empty:
        return pd.DataFrame(columns=["id", "ward_code", "category", "raised_at", "status", "first_action_at"])
    day = _concern_dates(concerns, "raised_at").dt.normalize()
    last = min(period.end, as_of) if as_of else period.end
    keep = (day >= pd.Timestamp(period.start)) & (day <= pd.Timestamp(last))
    return concerns[keep.to_numpy(dtype=bool)]


def concerns_actioned(
    concerns: pd.DataFrame,
    actions: pd.DataFrame,
    period: Period,
    as_of: dt.date | None = None,
    issues_for: Mapping[str, Sequence[str]] | None = None,
) -> Measured:
    """Share of residents' top concerns that have at least one action in their ward.

    A ward's top concern is the category raised most often there in the period (all of them
    when tied). It has an action when an action taken in the period (module rules) lists that
    ward and — when ``issues_for`` is given — tackles one of the issues that answer the
    category.

    Parameters
    ----------
    concerns : DataFrame
        ``concerns_frame``.
    actions : DataFrame
        :func:`~ruralaction.actions.list_actions` table.
    period : Period
    as_of : date, optional
    issues_for : mapping of str to sequence of str, optional
        Concern category -> the action issues that answer it. None: any action in the ward.

    Returns
    -------
    Measured
        ``detail``: ``ward_code, category, concerns, actions, has_action`` per top concern.
    """
    raised = concerns_in(concerns, period, as_of)
    cols = ["ward_code", "category", "concerns", "actions", "has_action"]
    if raised.empty:
        return Measured(
            None,
            "no concerns raised",
            pd.DataFrame(columns=cols),
            why_not="No concerns were raised in the period.",
            numerator=0,
            denominator=0,
        )
    counts = raised.groupby(["ward_code", "category"]).size().rename("concerns").reset_index()
    top = counts[counts["concerns"] == counts.groupby("ward_code")["concerns"].transform("max")]
    taken = actions_taken(actions, period.start, period.end, as_of)
    n_actions = []
    for ward, cat in zip(top["ward_code"], top["category"]):
        here = taken[taken["ward_codes"].map(lambda codes, w=ward: w in codes)] if len(taken) else taken
        if issues_for is not None and len(here):
            here = here[here["issue"].isin(list(issues_for.get(cat, ())))]
        n_actions.append(len(here))
    top = top.assign(actions=n_actions, has_action=[n > 0 for n in n_actions])
    top = top.sort_values(["has_action", "concerns", "ward_code"], ascending=[True, False, True], ignore_index=True)
    k, n = int(top["has_action"].sum()), len(top)
    m = _share(k, n, "top concern")
    return Measured(m.value, m.text, top[cols], m.why_not, k, n)


def days_to_first_action(concerns: pd.DataFrame, period: Period, as_of: dt.date | None = None) -> Measured:
    """Median days from a concern being raised (in the period) to the first action on it.

    Concerns without an action yet are not in the median (they are counted in the words); an
    action already under way when the concern was raised counts as 0 days.

    Returns
    -------
    Measured
        ``value`` in days; ``detail``: ``id, ward_code, category, raised_on, first_action_on, days``.
    """
    raised = concerns_in(concerns, period, as_of)
    cols = ["id", "ward_code", "category", "raised_on", "first_action_on", "days"]
    if raised.empty:
        return Measured(
            None,
            "no concerns raised",
            pd.DataFrame(columns=cols),
            why_not="No concerns were raised in the period.",
            numerator=0,
            denominator=0,
        )
    r = _concern_dates(raised, "raised_at").dt.normalize()
    f = _concern_dates(raised, "first_action_at").dt.normalize()
    if as_of is not None:
        f = f.where(f <= pd.Timestamp(as_of))
    days = (f - r).dt.days.clip(lower=0)
    detail = pd.DataFrame(
        {
            "id": raised["id"].to_numpy(),
            "ward_code": raised["ward_code"].to_numpy(),
            "category": raised["category"].to_numpy(),
            "raised_on": r.dt.date.to_numpy(),
            "first_action_on": f.dt.date.where(f.notna(), None).to_numpy(),
            "days": days.astype("Int64").to_numpy(),
        }
    )
    detail = detail.sort_values(["days", "raised_on"], ascending=[False, True], na_position="first", ignore_index=True)
    done = days.dropna()
    waiting = len(raised) - len(done)
    still = f"; {waiting:,} still without an action" if waiting else ""
    if len(done) < MIN_COUNT:
        return Measured(
            None,
            f"{len(done):,} of {plural(len(raised), 'concern')} with an action{still}",
            detail,
            why_not=f"Fewer than {MIN_COUNT} concerns with an action: too few for a median.",
            numerator=len(done),
            denominator=len(raised),
        )
    med = float(np.median(done.to_numpy(dtype=float)))
    return Measured(
        med,
        f"{med:g} days (median of {len(done):,} concerns{still})",
        detail,
        numerator=len(done),
        denominator=len(raised),
    )


# --------------------------------------------------------------------------- aim 2: visible action
