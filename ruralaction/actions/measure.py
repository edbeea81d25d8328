"""Before and after an action: incidents of the category it tackled, in its wards, in the N
months before its completion month against the N months after.

The completion month itself is in neither window (the action covered part of it). A change is
given as a percentage only when both windows are fully loaded and both counts are at least
:data:`SMALL_NUMBER`; otherwise the counts are shown with the reason no percentage is: with a
handful of incidents, chance alone moves the count by more than any action could. Before/after
never proves the action caused a change — seasons, other actions and reporting change too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ruralaction.measures import store_local
from ruralaction.measures.store_queries import StoreView

#: Below this many incidents in either window, no percentage change is given.
SMALL_NUMBER = 5
CAVEAT = (
    "Before and after is not proof that the action caused the change: seasons, other actions "
    "and how crimes are reported change too."
)

#: ``BeforeAfter.status`` values.
STATUSES = ("measured", "too few", "incomplete", "too early", "no data", "not completed", "no measure")


@dataclass(frozen=True)
class BeforeAfter:
    """The before/after comparison for one action.

    Attributes
    ----------
    status : {"measured", "too few", "incomplete", "too early", "no data", "not completed", "no measure"}
        ``measured`` is the only status with a ``change``; ``no data`` means the loaded
        incidents cover neither window.
    category : str or None
        The rural-crime category counted.
    months : int
        N, the length of each window.
    before_window, after_window : tuple of pandas.Period or None
        First and last month of each window.
    before, after : int or None
        Incidents counted in each window (None when nothing could be counted).
    months_before_loaded, months_after_loaded : int
        How many months of each window the loaded data covers.
    change : float or None
        ``(after - before) / before`` when ``status == "measured"``.
    sentence : str
        The result in words, for pages and exports.
    """

    status: str
    category: str | None
    months: int
    before_window: tuple[pd.Period, pd.Period] | None = None
    after_window: tuple[pd.Period, pd.Period] | None = None
    before: int | None = None
    after: int | None = None
    months_before_loaded: int = 0
    months_after_loaded: int = 0
    change: float | None = None
    sentence: str = ""


def _span(a: pd.Period, b: pd.Period) -> str:
    return f"{a:%b %Y}" if a == b else f"{a:%b %Y} to {b:%b %Y}"


def _months(n: int) -> str:
    return "month" if n == 1 else f"{n} months"


def _n(count: int, category: str) -> str:
    return f"{count:,} {category} incident{'s' if count != 1 else ''}"


def before_after(
    incidents: pd.DataFrame | StoreView,
    ward_codes: Sequence[str],
    category: str | None,
    completed_on: dt.date | None,
    months: int = 6,
    issue: str | None = None,
) -> BeforeAfter:
    """Compare incidents of ``category`` in ``ward_codes`` before and after ``completed_on``.

    Parameters
    ----------
    incidents : DataFrame or StoreView
        Classified incidents with ``month`` (month start), ``ward_code`` and ``rural_category``.
        The months present anywhere in it are taken as the months loaded. A
        :class:`~ruralaction.measures.store_queries.StoreView` is counted in SQL
        (:func:`ruralaction.measures.store_local.window_counts`), with the same result.
    ward_codes : sequence of str
        The action's wards.
    category : str or None
        The rural-crime category measuring the action's issue (None: the issue has no measure).
    completed_on : date or None
        None for an action not completed yet.
    months : int, default 6
        N, months in each window (1–36).
    issue : str, optional
        The issue's name, for the sentence when it has no measure.
    """
    if not 1 <= months <= 36:
        raise ValueError("months must be between 1 and 36")
    if category is None:
        return BeforeAfter(
            "no measure",
            None,
            months,
            sentence=(
                f"police.uk data has no category for {issue or 'this issue'}, so incidents cannot measure this action."
            ),
        )
    if completed_on is None:
        return BeforeAfter(
            "not completed",
            category,
            months,
            sentence="The action is not completed yet; before and after start from its completion month.",
        )
    done = pd.Period(completed_on, freq="M")
    before_w, after_w = (done - months, done - 1), (done + 1, done + months)
    if isinstance(incidents, StoreView):  # counted in SQL: nothing but the counts comes out
        loaded, before, after = store_local.window_counts(incidents, ward_codes, category, before_w, after_w)
    else:
        month = incidents["month"].dt.to_period("M")
        loaded = set(month.unique())
        hit = (incidents["rural_category"].astype("object") == category) & incidents["ward_code"].astype("object").isin(
            list(ward_codes)
        )
        mon = month[hit.to_numpy(dtype=bool)]
        before = int(((mon >= before_w[0]) & (mon <= before_w[1])).sum())
        after = int(((mon >= after_w[0]) & (mon <= after_w[1])).sum())
    n_before = sum(p in loaded for p in pd.period_range(*before_w, freq="M"))
    n_after = sum(p in loaded for p in pd.period_range(*after_w, freq="M"))
    common = {
        "category": category,
        "months": months,
        "before_window": before_w,
        "after_window": after_w,
        "months_before_loaded": n_before,
        "months_after_loaded": n_after,
    }
    counts = (
        f"{_n(before, category)} in the {_months(months)} before ({_span(*before_w)}), "
        f"{after:,} in the {_months(months)} after ({_span(*after_w)})"
    )
    if n_before == 0 and n_after == 0:
        have = (f"{min(loaded):%b %Y} to {max(loaded):%b %Y}") if loaded else "none"
        return BeforeAfter(
            "no data",
            **common,
            sentence=(
                f"The incidents loaded ({have}) do not cover the {_months(months)} either side of its completion "
                f"({done:%b %Y})."
            ),
        )
    if n_after == 0:
        return BeforeAfter(
            "too early",
            before=before,
            after=None,
            **common,
            sentence=(
                f"No month after completion is loaded yet ({_span(*after_w)}); "
                f"{_n(before, category)} in the {_months(months)} before."
            ),
        )
    if n_before < months or n_after < months:
        return BeforeAfter(
            "incomplete",
            before=before,
            after=after,
            **common,
            sentence=(
                f"{counts}. Only {n_before} of {months} months before and {n_after} of {months} after are loaded, "
                "so no change is given."
            ),
        )
    if min(before, after) < SMALL_NUMBER:
        return BeforeAfter(
            "too few",
            before=before,
            after=after,
            **common,
            sentence=(
                f"{counts}. Too few to tell: with under {SMALL_NUMBER} incidents in a window, chance alone "
                "moves the count this much."
            ),
        )
    change = (after - before) / before
    word = "no change" if after == before else (f"down {-change:.0%}" if change < 0 else f"up {change:.0%}")
    return BeforeAfter("measured", before=before, after=after, change=change, **common, sentence=f"{counts}: {word}.")
