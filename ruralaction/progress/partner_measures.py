"""Aim 3's measures: action coordinated beyond the police — who leads, how many partners are
active, how much is done together. Pure functions over the actions table, following the rules of
:mod:`ruralaction.progress.aims` (actions taken in a window, small numbers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from ruralaction.measures.periods import Period
from ruralaction.measures.trends import plural
from ruralaction.progress.aims import Measured, _detail, _share, actions_taken, quarter_words


def non_police_share(
    actions: pd.DataFrame, period: Period, police: Sequence[str], as_of: dt.date | None = None
) -> Measured:
    """Share of the actions taken in the period led by a partner not in ``police``."""
    taken = actions_taken(actions, period.start, period.end, as_of)
    k = int((~taken["lead_partner"].isin(list(police))).sum()) if len(taken) else 0
    m = _share(k, len(taken), "action")
    return Measured(m.value, m.text, _detail(taken), m.why_not, m.numerator, m.denominator)


def _partners(row_lead: str, support: str) -> list[str]:
    return list(dict.fromkeys([row_lead, *filter(None, (s.strip() for s in str(support or "").split(";")))]))


def partners_active(actions: pd.DataFrame, period: Period, as_of: dt.date | None = None) -> Measured:
    """Partners (leading or supporting) on an action taken in the last quarter of the period.

    Returns
    -------
    Measured
        ``value`` the number of partners; ``detail``: ``partner, actions, led``.
    """
    start, end = period.last_quarter(as_of)
    taken = actions_taken(actions, start, end, as_of)
    rows = (
        [
            (p, p == lead)
            for lead, sup in zip(taken["lead_partner"], taken["supporting_partners"])
            for p in _partners(lead, sup)
        ]
        if len(taken)
        else []
    )
    df = pd.DataFrame(rows, columns=["partner", "led"])
    per = (
        df.groupby("partner").agg(actions=("led", "size"), led=("led", "sum")).reset_index()
        if len(df)
        else pd.DataFrame(columns=["partner", "actions", "led"])
    )
    per = per.astype({"actions": "int64", "led": "int64"}).sort_values(
        ["actions", "partner"], ascending=[False, True], ignore_index=True
    )
    n = len(per)
    return Measured(float(n), f"{plural(n, 'partner')} ({quarter_words(start, end)})", per, numerator=n)


def multi_agency_share(actions: pd.DataFrame, period: Period, as_of: dt.date | None = None) -> Measured:
    """Share of the actions taken in the period with at least one supporting partner besides the lead."""
    taken = actions_taken(actions, period.start, period.end, as_of)
    multi = (
        taken["supporting_partners"].fillna("").astype(str).str.strip().ne("")
        if len(taken)
        else pd.Series([], dtype=bool)
    )
    m = _share(int(multi.sum()), len(taken), "action")
    return Measured(m.value, m.text, _detail(taken), m.why_not, m.numerator, m.denominator)
