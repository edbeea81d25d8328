"""Progress against Rural Action's three aims: every scorecard measure as a pure function.

Each function takes plain frames and a :class:`~ruralaction.measures.periods.Period` and returns a
:class:`Measured`: the value in the measure's rated unit (None when there is no fair value, and
why), the value in words, and the rows behind it (the drill-down). :mod:`ruralaction.progress.scorecard`
adds baselines, targets and RAG status from the definition file.

Inputs
------
incidents
    A classified frame (``ruralaction.incidents.pipeline.Classified.incidents``) and a boolean row mask of
    the rural crimes in the area (:meth:`ruralaction.measures.filters.Filters.apply` without months).
    The crime measures also take counts of one (a :data:`COUNT_COLUMN` column: each row stands for
    that many crimes, as :func:`ruralaction.measures.store_progress.area_crime_counts` gives), and
    count the same; they then have no rows to list.
actions
    A :func:`ruralaction.actions.list_actions` table (deleted actions already left out).
concerns
    ``concerns_frame(engine)`` of "Get involved": ``id, ward_code, category, raised_at, status,
    first_action_at`` (no personal fields).

Rules
-----
Actions taken in a window
    Completed or in progress (not planned, not cancelled), dated (``action_date``: completed,
    else started, else planned) inside the window and not after ``as_of``.
Small numbers
    A share or median of fewer than :data:`ruralaction.measures.trends.MIN_COUNT` (5) is not given:
    the value is None and the words give the counts. Crime changes follow
    :func:`ruralaction.measures.trends.change_words`.
Crime periods
    A crime figure is rated only when every month of its period and of the baseline year is
    loaded; otherwise the counts are shown with the months missing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ruralaction.measures.periods import Coverage, Period, coverage
from ruralaction.measures.store_progress import CrimeRows, keyword_column
from ruralaction.measures.trends import (
    INCIDENT_COLUMNS,
    MIN_COUNT,
    by_category,
    change_words,
    incident_table,
    month_codes,
    plural,
)

#: In counts of a classified frame, how many crimes each row stands for.
COUNT_COLUMN = "crimes"
TAKEN_STATUSES = ("completed", "in progress")
ACTION_DETAIL = (
    "id",
    "action_date",
    "title",
    "wards",
    "lead_partner",
    "supporting_partners",
    "issue",
    "status",
    "visible",
)


@dataclass(frozen=True)
class Measured:
    """One measure's result for one period and area.

    Attributes
    ----------
    value : float or None
        In the measure's rated unit (a fraction for shares and changes); None when there is no
        fair value.
    text : str
        The value as people read it: "62% (31 of 50)", "3.2 a month", "14 wards".
    detail : DataFrame
        The rows behind the figure: incidents, actions, wards, partners or concerns.
    why_not : str
        Why ``value`` is None (empty otherwise).
    numerator, denominator : int or None
        For shares; the count for counts.
    detail_total : int or None
        How many rows are behind the figure when ``detail`` holds only the first of them (None:
        ``detail`` holds them all).
    detail_all : CrimeRows or None
        Which crimes they are, to read all of them when asked
        (:func:`ruralaction.measures.store_progress.crime_rows`); None: ``detail`` is all.
    """

    value: float | None
    text: str
    detail: pd.DataFrame = field(default_factory=pd.DataFrame)
    why_not: str = ""
    numerator: int | None = None
    denominator: int | None = None
    detail_total: int | None = None
    detail_all: CrimeRows | None = None


def percent(x: float) -> str:
    """``0.625`` as ``"63%"`` (``"<1%"`` for a small non-zero share)."""
    return "<1%" if 0 < x < 0.005 else f"{x:.0%}"


def _share(k: int, n: int, what: str) -> Measured:
    if n < MIN_COUNT:
        text = f"{k:,} of {plural(n, what)}" if n else f"no {what}s"
        return Measured(
            None, text, why_not=f"Fewer than {MIN_COUNT} {what}s: too few for a percentage.", numerator=k, denominator=n
        )
    return Measured(k / n, f"{percent(k / n)} ({k:,} of {n:,})", numerator=k, denominator=n)


# --------------------------------------------------------------------------- windows


def _dates(col: pd.Series) -> pd.Series:
    """A column of ``date`` / None as datetime64 (NaT for None)."""
    return pd.to_datetime(col.astype(object).where(col.notna(), None), errors="coerce")


def actions_taken(actions: pd.DataFrame, start: dt.date, end: dt.date, as_of: dt.date | None = None) -> pd.DataFrame:
    """Actions completed or in progress and dated from ``start`` to ``end`` (inclusive, not after
    ``as_of``), newest first."""
    if actions.empty:
        return actions
    last = min(end, as_of) if as_of else end
    when = _dates(actions["action_date"])
    keep = actions["status"].isin(TAKEN_STATUSES) & (when >= pd.Timestamp(start)) & (when <= pd.Timestamp(last))
    return actions[keep.to_numpy(dtype=bool)]


def _detail(actions: pd.DataFrame) -> pd.DataFrame:
    return actions.loc[:, [c for c in ACTION_DETAIL if c in actions]].reset_index(drop=True)


def months_elapsed(period: Period, as_of: dt.date) -> int:
    """Months of ``period`` begun by ``as_of`` (12 once it has ended, 0 before it starts)."""
    if as_of < period.start:
        return 0
    if as_of >= period.end:
        return 12
    return (pd.Period(as_of, "M") - period.first).n + 1


def quarter_words(start: dt.date, end: dt.date) -> str:
    """``"Jan – Mar 2026"`` (to the day when the quarter is still running)."""
    last_day = pd.Period(end, "M").end_time.date() == end
    to = f"{end:%b %Y}" if last_day else f"{end.day} {end:%b %Y}"
    return f"{start:%b} – {to}" if start.year == end.year else f"{start:%b %Y} – {to}"


# --------------------------------------------------------------------------- aim 1: crime


def weights(df: pd.DataFrame) -> np.ndarray | None:
    """How many crimes each row of counts stands for (None for a frame of crimes: one each)."""
    return df[COUNT_COLUMN].to_numpy(dtype=np.int64) if COUNT_COLUMN in df else None


def crime_count(df: pd.DataFrame, mask: np.ndarray) -> int:
    """The crimes among the masked rows (of crimes or of counts)."""
    w = weights(df)
    return int(mask.sum()) if w is None else int(w[mask].sum())


def category_counts(df: pd.DataFrame, mask: np.ndarray) -> pd.Series:
    """:func:`ruralaction.measures.trends.by_category` of rows of crimes or of counts."""
    w = weights(df)
    if w is None:
        return by_category(df, mask)
    col = df["rural_category"]
    codes = col.cat.codes.to_numpy()[mask]
    ok = codes >= 0
    counts = np.bincount(codes[ok], weights=w[mask][ok], minlength=len(col.cat.categories))
    return pd.Series(counts.astype(np.int64), index=pd.Index(col.cat.categories, name="category"), name="crimes")


def window_mask(df: pd.DataFrame, period: Period) -> np.ndarray:
    """Rows whose month lies in ``period``."""
    m = month_codes(df)
    lo = int(np.datetime64(period.first.strftime("%Y-%m"), "M").astype(np.int64))
    return (m >= lo) & (m <= lo + 11)


@dataclass(frozen=True)
class CrimeChange:
    """Rural crimes in a period against the baseline year and the 12 months before.

    Attributes
    ----------
    crimes, baseline, previous : int
        Counts in the period, the baseline year and the twelve months before the period.
    period_coverage, baseline_coverage, previous_coverage : Coverage
    change : float or None
        ``(crimes - baseline) / baseline``: the rated value. None when either period is not
        fully loaded or a count is under :data:`MIN_COUNT`.
    vs_baseline, vs_previous : str
        The changes in words.
    why_not : str
    """

    crimes: int
    baseline: int
    previous: int
    period_coverage: Coverage
    baseline_coverage: Coverage
    previous_coverage: Coverage
    change: float | None
    vs_baseline: str
    vs_previous: str
    why_not: str = ""


def _vs(recent: int, before: int, cov_recent: Coverage, cov_before: Coverage, before_name: str) -> str:
    if not cov_before.complete:
        return f"the {before_name} is not fully loaded ({cov_before.words}), so there is no comparison"
    if not cov_recent.complete:
        return f"this period is not fully loaded ({cov_recent.words}), so there is no comparison"
    if recent < MIN_COUNT and before < MIN_COUNT:
        return f"{plural(recent)} against {before:,} in the {before_name}: too few to call a trend"
    return change_words(recent, before)


def crime_change(counts: Mapping[str, int], coverages: Mapping[str, Coverage], baseline_name: str) -> CrimeChange:
    """Compare counts already made for ``"period"``, ``"baseline"`` and ``"previous"`` (pure).

    Parameters
    ----------
    counts : mapping
        ``{"period": int, "baseline": int, "previous": int}``.
    coverages : mapping
        :class:`~ruralaction.measures.periods.Coverage` of the same three keys.
    baseline_name : str
        "baseline year 2024-25", for the words.
    """
    n, b, p = int(counts["period"]), int(counts["baseline"]), int(counts["previous"])
    cp, cb, cq = coverages["period"], coverages["baseline"], coverages["previous"]
    why = ""
    if not cp.complete:
        why = f"The period is not fully loaded ({cp.words})."
    elif not cb.complete:
        why = f"The {baseline_name} is not fully loaded ({cb.words})."
    elif n < MIN_COUNT or b < MIN_COUNT:
        why = f"Fewer than {MIN_COUNT} crimes in the period or the {baseline_name}: too few for a change."
    change = None if why else (n - b) / b
    return CrimeChange(
        n, b, p, cp, cb, cq, change, _vs(n, b, cp, cb, baseline_name), _vs(n, p, cp, cq, "12 months before"), why
    )


def covered_count(n: int, cov: Coverage) -> object:
    """``n``, or missing (``pd.NA``) when not every month of its period has data: a baseline or
    previous year with missing files has no count to show, not a count of 0."""
    return n if cov.complete else pd.NA


def rural_crime(
    df: pd.DataFrame,
    mask: np.ndarray,
    period: Period,
    baseline: Period,
    loaded: Sequence[str],
    category: str | None = None,
) -> tuple[CrimeChange, pd.DataFrame]:
    """Rural crimes in ``period`` against the ``baseline`` year and the 12 months before.

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    mask : ndarray of bool
        The area's rural crimes, any month.
    period, baseline : Period
    loaded : sequence of str
        Months loaded (:func:`ruralaction.measures.periods.loaded_months`).
    category : str, optional
        Only this rural category.

    Returns
    -------
    (CrimeChange, DataFrame)
        The comparison and the period's crimes (:func:`ruralaction.measures.trends.incident_table`;
        no rows when ``df`` holds counts).
    """
    m = mask if category is None else mask & (df["rural_category"].astype(object) == category).to_numpy(dtype=bool)
    windows = {"period": period, "baseline": baseline, "previous": period.previous()}
    counts = {k: crime_count(df, m & window_mask(df, p)) for k, p in windows.items()}
    cov = {k: coverage(p, loaded) for k, p in windows.items()}
    change = crime_change(counts, cov, f"baseline year {baseline.spec}")
    if weights(df) is not None:
        return change, pd.DataFrame(columns=list(INCIDENT_COLUMNS))
    return change, incident_table(df, m & window_mask(df, period))


def crime_by_category(
    df: pd.DataFrame, mask: np.ndarray, period: Period, baseline: Period, loaded: Sequence[str]
) -> pd.DataFrame:
    """Rural crime per category: the period, the baseline year, the 12 months before, and changes.

    Returns
    -------
    DataFrame
        ``category, crimes, baseline_year, previous_12_months`` (Int64: missing when not every
        month of that year has data), ``change`` (fraction or NaN, the rated value), ``vs_baseline, vs_previous`` (words), ``why_not``; one row per category of
        the definition, in its order.
    """
    prev = period.previous()
    per = {
        k: category_counts(df, mask & window_mask(df, p))
        for k, p in (("period", period), ("baseline", baseline), ("previous", prev))
    }
    cov = {
        "period": coverage(period, loaded),
        "baseline": coverage(baseline, loaded),
        "previous": coverage(prev, loaded),
    }
    rows = []
    for cat in per["period"].index:
        c = crime_change({k: int(v[cat]) for k, v in per.items()}, cov, f"baseline year {baseline.spec}")
        rows.append(
            (
                str(cat),
                c.crimes,
                covered_count(c.baseline, c.baseline_coverage),
                covered_count(c.previous, c.previous_coverage),
                np.nan if c.change is None else c.change,
                c.vs_baseline,
                c.vs_previous,
                c.why_not,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "category",
            "crimes",
            "baseline_year",
            "previous_12_months",
            "change",
            "vs_baseline",
            "vs_previous",
            "why_not",
        ],
    ).astype({"baseline_year": "Int64", "previous_12_months": "Int64"})


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in ("description", "context") if c in df]


def _keyword_mask(df: pd.DataFrame, rows: np.ndarray, keywords: Sequence[str]) -> np.ndarray:
    """Of ``rows`` (bool), those whose description or context holds one of ``keywords`` (whole words);
    of counts, those counted as mentioning them
    (:func:`ruralaction.measures.store_progress.keyword_column`)."""
    if weights(df) is not None:
        return rows & df[keyword_column(keywords)].to_numpy(dtype=bool) if keywords else np.zeros(len(df), dtype=bool)
    out = np.zeros(len(df), dtype=bool)
    idx = np.flatnonzero(rows)
    if not len(idx) or not keywords:
        return out
    pattern = r"\b(?:" + "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True)) + r")\b"
    hit = np.zeros(len(idx), dtype=bool)
    for col in _text_columns(df):
        text = df[col].iloc[idx].astype(object).fillna("").astype(str)
        hit |= text.str.contains(pattern, case=False, regex=True).to_numpy(dtype=bool)
    out[idx] = hit
    return out


def has_text(df: pd.DataFrame, rows: np.ndarray) -> bool:
    """Whether any of ``rows`` carries description or context text (a force export does; police.uk files do not)."""
    idx = np.flatnonzero(rows)
    for col in _text_columns(df):
        s = df[col].iloc[idx]
        if s.notna().any() and s.astype(object).fillna("").astype(str).str.strip().ne("").any():
            return True
    return "wildlife_flag" in df and df["wildlife_flag"].iloc[idx].notna().any()


def priorities(
    df: pd.DataFrame,
    mask: np.ndarray,
    actions: pd.DataFrame,
    period: Period,
    baseline: Period,
    loaded: Sequence[str],
    items: Sequence,
    wildlife_category: str = "wildlife crime",
    as_of: dt.date | None = None,
    text: bool | None = None,
) -> pd.DataFrame:
    """The national rural priorities, counted where the data allows, with the actions taken on each.

    Parameters
    ----------
    df, mask, period, baseline, loaded
        As :func:`rural_crime`.
    actions : DataFrame
        A :func:`~ruralaction.actions.list_actions` table for the area.
    items : sequence of Priority
        :attr:`ruralaction.progress.config.ProgressConfig.priorities`.
    wildlife_category : str
        The definition's wildlife category: it is recognised only from text (police.uk has no
        wildlife category), so it is measurable only when text is loaded.
    as_of : date, optional
    text : bool, optional
        Whether any row of the three years carries text (:func:`has_text`), when ``df`` holds only
        the area's rural crimes; default: asked of ``df``.

    Returns
    -------
    DataFrame
        ``priority, measured`` (bool), ``crimes, baseline_year, previous_12_months`` (Int64,
        missing when not measured), ``change`` (fraction or NaN), ``vs_baseline, actions, how``.
    """
    if text is None:
        in_any = window_mask(df, period) | window_mask(df, baseline) | window_mask(df, period.previous())
        text = has_text(df, in_any)
    taken = actions_taken(actions, period.start, period.end, as_of)
    rows = []
    for p in items:
        n_actions = int(taken["issue"].isin(p.issues).sum()) if len(taken) else 0
        needs_text = bool(p.keywords) or wildlife_category in p.categories
        if not p.has_crime_measure or (needs_text and not text):
            how = (
                "Police crime data does not record it."
                if not p.has_crime_measure
                else "Needs description text (a force export); the police.uk files loaded have none."
            )
            rows.append(
                (p.name, False, pd.NA, pd.NA, pd.NA, np.nan, "not measurable from the data loaded", n_actions, how)
            )
            continue
        m = np.zeros(len(df), dtype=bool)
        if p.categories:
            m |= mask & df["rural_category"].astype(object).isin(p.categories).to_numpy(dtype=bool)
        if p.at_farm:
            m |= mask & df["at_farm"].to_numpy(dtype=bool)
        if p.keywords:
            m |= _keyword_mask(df, mask, p.keywords)
        c, _ = rural_crime(df, m, period, baseline, loaded)
        how = "; ".join(
            filter(
                None,
                [
                    f"rural crimes in {', '.join(p.categories)}" if p.categories else "",
                    "rural crimes at a farm" if p.at_farm else "",
                    f"rural crimes whose description mentions {', '.join(p.keywords[:4])}…" if p.keywords else "",
                ],
            )
        )
        rows.append(
            (
                p.name,
                True,
                c.crimes,
                covered_count(c.baseline, c.baseline_coverage),
                covered_count(c.previous, c.previous_coverage),
                np.nan if c.change is None else c.change,
                c.vs_baseline,
                n_actions,
                how,
            )
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "priority",
            "measured",
            "crimes",
            "baseline_year",
            "previous_12_months",
            "change",
            "vs_baseline",
            "actions",
            "how",
        ],
    )
    for col in ("crimes", "baseline_year", "previous_12_months"):
        out[col] = out[col].astype("Int64")
    return out


# --------------------------------------------------------------------------- aim 1: concerns


def completed_per_month(actions: pd.DataFrame, period: Period, as_of: dt.date) -> Measured:
    """Actions completed in the period, per month of it begun by ``as_of``.

    Returns
    -------
    Measured
        ``value`` completed actions a month; ``numerator`` the count, ``denominator`` the months.
    """
    months = months_elapsed(period, as_of)
    done = actions_taken(actions, period.start, period.end, as_of)
    done = done[done["status"] == "completed"] if len(done) else done
    if months == 0:
        return Measured(None, "the period has not started", _detail(done), why_not="The period has not started.")
    n = len(done)
    rate = n / months
    return Measured(
        rate,
        f"{rate:.1f} a month ({plural(n, 'action')} in {months} month{'s' if months != 1 else ''})",
        _detail(done),
        numerator=n,
        denominator=months,
    )


def actions_by_month(actions: pd.DataFrame, period: Period, as_of: dt.date | None = None) -> pd.DataFrame:
    """Actions completed in each month of the period, visible or not (for a chart).

    Returns
    -------
    DataFrame
        ``month`` (datetime64, first day), ``visible`` and ``not_visible`` (int64), 12 rows.
    """
    done = actions_taken(actions, period.start, period.end, as_of)
    done = done[done["status"] == "completed"] if len(done) else done
    months = pd.period_range(period.first, period.last, freq="M")
    when = _dates(done["action_date"]).dt.to_period("M") if len(done) else pd.Series([], dtype="period[M]")
    vis = done["visible"].to_numpy(dtype=bool) if len(done) else np.zeros(0, bool)
    count = lambda sel: pd.Series(1, index=when[sel]).groupby(level=0).sum().reindex(months, fill_value=0)  # noqa: E731
    return pd.DataFrame(
        {
            "month": months.to_timestamp(),
            "visible": count(vis).to_numpy(dtype=np.int64),
            "not_visible": count(~vis).to_numpy(dtype=np.int64),
        }
    )


def visible_share(actions: pd.DataFrame, period: Period, as_of: dt.date | None = None) -> Measured:
    """Share of the actions taken in the period that are marked visible (the Rural Action logo)."""
    taken = actions_taken(actions, period.start, period.end, as_of)
    k = int(taken["visible"].sum()) if len(taken) else 0
    m = _share(k, len(taken), "action")
    return Measured(m.value, m.text, _detail(taken), m.why_not, m.numerator, m.denominator)


def wards_with_visible_action(
    actions: pd.DataFrame, period: Period, as_of: dt.date | None = None, ward_names: Mapping[str, str] | None = None
) -> Measured:
    """Wards with at least one visible action taken in the last quarter of the period.

    Returns
    -------
    Measured
        ``value`` the number of wards; ``detail``: ``ward_code, ward_name, visible_actions``.
    """
    start, end = period.last_quarter(as_of)
    taken = actions_taken(actions, start, end, as_of)
    vis = taken[taken["visible"].to_numpy(dtype=bool)] if len(taken) else taken
    codes = vis["ward_codes"].explode().dropna() if len(vis) else pd.Series([], dtype=object)
    per = codes.value_counts().rename_axis("ward_code").rename("visible_actions").reset_index()
    per.insert(1, "ward_name", per["ward_code"].map(lambda c: (ward_names or {}).get(c, c)))
    per = per.sort_values(["visible_actions", "ward_name"], ascending=[False, True], ignore_index=True)
    n = len(per)
    return Measured(float(n), f"{plural(n, 'ward')} ({quarter_words(start, end)})", per, numerator=n)


# --------------------------------------------------------------------------- aim 3: broader than the police
