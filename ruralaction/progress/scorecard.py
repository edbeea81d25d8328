"""The scorecard: every measure of :mod:`ruralaction.progress.aims` for one period and area, with its
baseline, target, change and RAG status, ready for the Progress page, the projector and the
meeting pack (which therefore can never disagree).

Every :class:`Score` states its period and its "data as of": crime figures are as of the latest
month of crime data loaded, action and concern figures as of the moment they were read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralaction.measures import store_progress as sp
from ruralaction.measures.filters import Filters
from ruralaction.measures.periods import Period, loaded_months, parse_period
from ruralaction.measures.store_queries import StoreView
from ruralaction.measures.trends import month_codes, monthly
from ruralaction.progress import aims as pm
from ruralaction.progress import concern_measures, partner_measures
from ruralaction.progress.config import (
    AIMS,
    MeasureConfig,
    ProgressConfig,
    Status,
    rag,
    status,
)

NOTES: dict[str, str] = {
    "rural_crime": "Rural crimes (the county's definition) in the period, against the baseline year; rated on the "
    "change. Not rated unless every month of both is loaded and both counts are at least 5.",
    "concerns_actioned": "For each ward, the category residents raised most in the period (ties all count); it has "
    "an action when an action taken in the period in that ward tackles a matching issue.",
    "completed_per_month": "Actions completed in the period, divided by the months of it begun so far.",
    "visible_share": "Of the actions taken in the period (completed or in progress), those marked visible: "
    "branded Rural Action work people can see.",
    "wards_visible_quarter": "Wards with at least one visible action taken in the last three months of the period.",
    "days_to_first_action": "For concerns raised in the period, the median number of days until a linked action "
    "started; concerns still waiting are counted but not in the median.",
    "non_police_share": "Of the actions taken in the period, those whose lead partner is not the police.",
    "partners_active_quarter": "Partners leading or supporting an action taken in the last three months of the period.",
    "multi_agency_share": "Of the actions taken in the period, those with at least one supporting partner besides "
    "the lead.",
}
CONCERN_MEASURES = ("concerns_actioned", "days_to_first_action")


@dataclass(frozen=True)
class Score:
    """One figure of the scorecard.

    Attributes
    ----------
    key, title : str
    aim : int
    value : float or None
        The rated value (a fraction for shares and the crime change).
    value_text : str
        The headline as shown ("1,234", "62%", "3.2", "14", "12 days", "—").
    detail_text : str
        The value in words with its counts.
    status : Status
    baseline_text, target_text, change_text : str
    period_text, as_of_text : str
    note : str
        How it is measured.
    rows : DataFrame
        The incidents, actions, wards, partners or concerns behind it: all of them, or the first
        ``rows_total`` when that is given (a scorecard from the store holds at most
        :data:`~ruralaction.measures.store_progress.DETAIL_ROWS` crimes).
    rows_total : int or None
        How many rows are behind it when ``rows`` holds only the first (None: all are held).
    rows_all : CrimeRows or None
        Which crimes they are (:func:`ruralaction.measures.store_progress.crime_rows` reads them
        all, e.g. for a download); None when ``rows`` holds them all.
    """

    key: str
    title: str
    aim: int
    value: float | None
    value_text: str
    detail_text: str
    status: Status
    baseline_text: str
    target_text: str
    change_text: str
    period_text: str
    as_of_text: str
    note: str
    rows: pd.DataFrame
    rows_total: int | None = None
    rows_all: sp.CrimeRows | None = None

    @property
    def n_rows(self) -> int:
        """How many rows are behind the figure (held or not)."""
        return len(self.rows) if self.rows_total is None else self.rows_total


@dataclass(frozen=True)
class Scorecard:
    """Every score for one period and area, with the tables and series behind the charts.

    Attributes
    ----------
    programme : str
    period, baseline : Period
    ward, ward_name : str or None
        The area (None: the whole county).
    county : str
    demo : bool
    crimes_to : str or None
        The latest month of crime data loaded (``"YYYY-MM"``).
    read_at : datetime
        When actions and concerns were read.
    scores : list of Score
    categories : DataFrame
        :func:`ruralaction.progress.aims.crime_by_category` with ``status`` and ``level``.
    priorities : DataFrame
        :func:`ruralaction.progress.aims.priorities` with ``status`` and ``level``.
    trend : DataFrame
        Rural crimes per month and category over the period and the 12 months before (loaded months).
    actions_monthly : DataFrame
        :func:`ruralaction.progress.aims.actions_by_month`.
    concerns_note : str
        Empty, or why concern measures have no data ("no concerns recorded yet").
    """

    programme: str
    period: Period
    baseline: Period
    ward: str | None
    ward_name: str | None
    county: str
    demo: bool
    crimes_to: str | None
    read_at: dt.datetime
    scores: list[Score]
    categories: pd.DataFrame
    priorities: pd.DataFrame
    trend: pd.DataFrame
    actions_monthly: pd.DataFrame
    concerns_note: str = ""

    @property
    def area(self) -> str:
        return self.ward_name or f"{self.county} (whole county)"

    @property
    def crimes_as_of(self) -> str:
        return f"crime data to {pd.Period(self.crimes_to, 'M'):%b %Y}" if self.crimes_to else "no crime data loaded"

    @property
    def actions_as_of(self) -> str:
        return f"actions as recorded at {self.read_at:%d %b %Y %H:%M}"

    @property
    def as_of_text(self) -> str:
        """``"Data as of: crime data to Sep 2026; actions as recorded at 25 Nov 2026 10:12"``."""
        return f"Data as of: {self.crimes_as_of}; {self.actions_as_of}"

    def by_aim(self, aim: int) -> list[Score]:
        return [s for s in self.scores if s.aim == aim]

    def score(self, key: str) -> Score:
        return next(s for s in self.scores if s.key == key)

    def frame(self) -> pd.DataFrame:
        """One row per score (for a CSV download or the pack's table)."""
        return pd.DataFrame(
            [
                {
                    "aim": f"{s.aim}. {AIMS[s.aim]}",
                    "measure": s.title,
                    "value": s.value_text,
                    "in words": s.detail_text,
                    "status": s.status.text,
                    "change vs baseline": s.change_text,
                    "baseline": s.baseline_text,
                    "target": s.target_text,
                    "period": s.period_text,
                    "data as of": s.as_of_text,
                }
                for s in self.scores
            ]
        )


# --------------------------------------------------------------------------- words


def fmt(value: float | None, unit: str) -> str:
    """A value in its unit: ``0.62`` share -> "62%", rate -> "3.2", count -> "14", days -> "12 days"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if unit in ("share", "change"):
        return pm.percent(value) if unit == "share" else f"{value:+.0%}"
    if unit == "rate":
        return f"{value:.1f}"
    if unit == "days":
        return f"{value:g} days"
    return f"{int(round(value)):,}"


def target_words(cfg: MeasureConfig, baseline_spec: str = "") -> str:
    """The target and amber threshold in words."""
    if cfg.unit == "change":

        def rel(x: float) -> str:
            if x < 0:
                return f"{pm.percent(-x)} fewer than {baseline_spec}"
            return f"no more than {baseline_spec}" if x == 0 else f"no more than {pm.percent(x)} above {baseline_spec}"

        return f"Target: {rel(cfg.target)}; at risk while {rel(cfg.amber)}"
    op = "or more" if cfg.direction == "up" else "or fewer" if cfg.unit in ("count", "days") else "or less"
    return f"Target: {fmt(cfg.target, cfg.unit)} {op}; at risk from {fmt(cfg.amber, cfg.unit)}"


def change_from_baseline(value: float | None, cfg: MeasureConfig) -> str:
    """The change from the configured baseline in words ("up 12 points on the baseline of 30%")."""
    if value is None or cfg.baseline is None:
        return "—"
    base = fmt(cfg.baseline, cfg.unit)
    diff = value - cfg.baseline
    if abs(diff) < 1e-9:
        return f"the same as the baseline of {base}"
    direction = "up" if diff > 0 else "down"
    if cfg.unit == "share":
        amount = f"{abs(diff) * 100:.0f} point{'s' if round(abs(diff) * 100) != 1 else ''}"
    elif cfg.unit == "days":
        amount = f"{abs(diff):g} day{'s' if abs(diff) != 1 else ''}"
    else:
        amount = fmt(abs(diff), cfg.unit)
    return f"{direction} {amount} on the baseline of {base}"


# --------------------------------------------------------------------------- building


def _score(
    key: str,
    cfg: ProgressConfig,
    m: pm.Measured,
    period_text: str,
    as_of_text: str,
    ward: str | None,
    value_text: str | None = None,
) -> Score:
    c = cfg.measure(key)
    if ward is not None and c.county_only:
        st = status("none", "The target is for the whole county; one ward is not rated against it.")
    else:
        st = rag(m.value, c, m.why_not)
    return Score(
        key=key,
        title=c.title,
        aim=c.aim,
        value=m.value,
        value_text=value_text if value_text is not None else fmt(m.value, c.unit),
        detail_text=m.text,
        status=st,
        baseline_text=fmt(c.baseline, c.unit),
        target_text=target_words(c),
        change_text=change_from_baseline(m.value, c),
        period_text=period_text,
        as_of_text=as_of_text,
        note=NOTES[key],
        rows=m.detail,
        rows_total=m.detail_total,
        rows_all=m.detail_all,
    )


def _rate_rows(df: pd.DataFrame, c: MeasureConfig) -> pd.DataFrame:
    st = [
        rag(None if pd.isna(v) else float(v), c, w or "")
        for v, w in zip(df["change"], df["why_not"] if "why_not" in df else [""] * len(df))
    ]
    return df.assign(status=[s.text for s in st], level=[s.level for s in st])


def trend_frame(df: pd.DataFrame, mask: np.ndarray, period: Period, loaded: Sequence[str]) -> pd.DataFrame:
    """Rural crimes per month and category over the period and the 12 months before, loaded months
    only (``df``: rows of crimes or counts of them, see :mod:`ruralaction.progress.aims`)."""
    months = [m for m in (*period.previous().months, *period.months) if m in set(loaded)]
    if not months:
        return monthly(df, np.zeros(len(df), bool), "2000-01", "1999-12")
    w = pm.weights(df)
    if w is None:
        return monthly(df, mask, months[0], months[-1], covered=months)
    grid = monthly(df, np.zeros(len(df), bool), months[0], months[-1])  # every month x category, in order
    cats = len(df["rural_category"].cat.categories)
    lo = int(np.datetime64(months[0], "M").astype(np.int64))
    n_months = int(np.datetime64(months[-1], "M").astype(np.int64)) - lo + 1
    m = month_codes(df)[mask] - lo
    c = df["rural_category"].cat.codes.to_numpy()[mask].astype(np.int64)
    ok = (m >= 0) & (m < n_months) & (c >= 0)
    counts = np.bincount(m[ok] * cats + c[ok], weights=w[mask][ok], minlength=len(grid))
    grid["crimes"] = counts.astype(np.int64)
    keep = np.isin(grid["month"].dt.strftime("%Y-%m").to_numpy(), np.asarray(months, dtype=object))
    return grid[keep].reset_index(drop=True)


def build_scorecard(
    incidents: pd.DataFrame | StoreView,
    actions: pd.DataFrame,
    concerns: pd.DataFrame | None,
    period: Period,
    cfg: ProgressConfig,
    *,
    read_at: dt.datetime,
    ward: str | None = None,
    ward_names: Mapping[str, str] | None = None,
    county: str = "the county",
    demo: bool = False,
    issues_for: Mapping[str, Sequence[str]] | None = None,
    wildlife_category: str = "wildlife crime",
    concerns_note: str = "",
    detail_rows: int = sp.DETAIL_ROWS,
) -> Scorecard:
    """Measure everything for ``period`` in the county or one ward.

    Parameters
    ----------
    incidents : DataFrame or StoreView
        A classified frame, or the classified store: then only counts of the area's rural crimes
        of the period, the 12 months before and the baseline year are read from it
        (:func:`ruralaction.measures.store_progress.area_crime_counts`, with a force export's text
        counted by the priorities' keywords), with the months
        loaded, and the rural-crime figure holds only its newest ``detail_rows`` crimes
        (:attr:`Score.rows_total` and :attr:`Score.rows_all` say how many and which there are).
    actions : DataFrame
        :func:`~ruralaction.actions.list_actions` of the dataset shown (all wards).
    concerns : DataFrame or None
        ``concerns_frame`` of the dataset; None when concerns cannot be read (their measures
        say ``concerns_note``).
    period : Period
    cfg : ProgressConfig
    read_at : datetime
        When actions and concerns were read: their "data as of", and the day after which no
        action counts.
    ward : str, optional
        A ward code; default the whole county.
    ward_names : mapping, optional
        Ward code -> name.
    county : str
    demo : bool
    issues_for : mapping, optional
        Concern category -> matching action issues (see :func:`~ruralaction.progress.concern_measures.concerns_actioned`).
    wildlife_category : str
    concerns_note : str
        Why ``concerns`` is None.
    detail_rows : int
        With the store: how many of the rural-crime figure's crimes to hold.
    """
    names = dict(ward_names or {})
    as_of = read_at.date()
    baseline = parse_period(cfg.baseline_period)
    text = view = None
    if isinstance(incidents, StoreView):  # every figure below counts only these counts
        view, windows = incidents, (period, period.previous(), baseline)
        loaded, text = sp.loaded_months(view), sp.has_text(view, windows)
        keywords = [p.keywords for p in cfg.priorities if p.keywords and p.has_crime_measure] if text else []
        incidents = sp.area_crime_counts(view, windows, ward, keywords)  # with text: counted by keyword too
        mask = np.ones(len(incidents), dtype=bool)
        texts, text_mask = incidents, mask
        if not all(map(sp.keywords_in_sql, keywords)):  # a keyword SQL cannot match as Python does: the rows
            texts = sp.area_rural_crimes(view, windows, ward)
            text_mask = Filters(ward=ward).apply(texts)
    else:
        loaded = loaded_months(incidents)
        mask = Filters(ward=ward).apply(incidents)
        texts, text_mask = incidents, mask
    acts = actions
    if ward is not None and len(actions):
        acts = actions[actions["ward_codes"].map(lambda codes: ward in codes)]
    cons = concerns
    if cons is not None and ward is not None and len(cons):
        cons = cons[cons["ward_code"] == ward]

    crimes_to = loaded[-1] if loaded else None
    crime_as_of = (
        f"Data as of: crime data to {pd.Period(crimes_to, 'M'):%b %Y}"
        if crimes_to
        else "Data as of: no crime data loaded"
    )
    actions_as_of = f"Data as of: actions as recorded at {read_at:%d %b %Y %H:%M}"
    concerns_as_of = f"Data as of: concerns and actions as recorded at {read_at:%d %b %Y %H:%M}"
    q_start, q_end = period.last_quarter(as_of)
    quarter_text = f"Last quarter of {period.short}: {pm.quarter_words(q_start, q_end)}"

    crime, crime_rows = pm.rural_crime(incidents, mask, period, baseline, loaded)
    total = which = None
    if view is not None:  # the newest crimes of the period; the rest read when asked for
        which = sp.CrimeRows(period, ward)
        crime_rows, total = sp.crime_rows(view, which, detail_rows), crime.crimes
    rc = cfg.measure("rural_crime")
    cp = crime.period_coverage  # a count over part of the period says over how much
    over = "" if cp.complete else f" in the {cp.loaded} of its 12 months with data"
    crime_measured = pm.Measured(
        crime.change,
        f"{crime.crimes:,} rural crimes{over}; {crime.vs_baseline}",
        crime_rows,
        crime.why_not,
        crime.crimes,
        detail_total=total,
        detail_all=which,
    )
    crime_score = _score(
        "rural_crime",
        cfg,
        crime_measured,
        period.label,
        crime_as_of,
        ward,
        value_text=f"{crime.crimes:,}" if cp.complete else f"{crime.crimes:,} in {cp.loaded} of 12 months",
    )
    crime_score = _with(
        crime_score,
        baseline_text=(
            f"{crime.baseline:,} in {baseline.spec}"
            if crime.baseline_coverage.complete
            else f"{baseline.spec}: {crime.baseline_coverage.words}"
        ),
        target_text=target_words(rc, baseline.spec),
        change_text=f"{crime.vs_baseline} on {baseline.spec}; {crime.vs_previous} on the 12 months before",
    )

    scores = [crime_score]
    if cons is None:
        note = concerns_note or "No concerns recorded yet."
        for key in CONCERN_MEASURES:
            scores.append(
                _score(
                    key,
                    cfg,
                    pm.Measured(None, note.rstrip(".").lower(), why_not=note),
                    period.label,
                    concerns_as_of,
                    ward,
                )
            )
    else:
        scores.append(
            _score(
                "concerns_actioned",
                cfg,
                concern_measures.concerns_actioned(cons, acts, period, as_of, issues_for),
                period.label,
                concerns_as_of,
                ward,
            )
        )
    scores += [
        _score(
            "completed_per_month", cfg, pm.completed_per_month(acts, period, as_of), period.label, actions_as_of, ward
        ),
        _score("visible_share", cfg, pm.visible_share(acts, period, as_of), period.label, actions_as_of, ward),
        _score(
            "wards_visible_quarter",
            cfg,
            pm.wards_with_visible_action(acts, period, as_of, names),
            quarter_text,
            actions_as_of,
            ward,
        ),
    ]
    if cons is not None:
        scores.append(
            _score(
                "days_to_first_action",
                cfg,
                concern_measures.days_to_first_action(cons, period, as_of),
                period.label,
                concerns_as_of,
                ward,
            )
        )
    scores += [
        _score(
            "non_police_share",
            cfg,
            partner_measures.non_police_share(acts, period, cfg.police_partners, as_of),
            period.label,
            actions_as_of,
            ward,
        ),
        _score(
            "partners_active_quarter",
            cfg,
            partner_measures.partners_active(acts, period, as_of),
            quarter_text,
            actions_as_of,
            ward,
        ),
        _score(
            "multi_agency_share",
            cfg,
            partner_measures.multi_agency_share(acts, period, as_of),
            period.label,
            actions_as_of,
            ward,
        ),
    ]
    order = list(cfg.measures)
    scores.sort(key=lambda s: order.index(s.key))
    categories = _rate_rows(pm.crime_by_category(incidents, mask, period, baseline, loaded), rc)
    prios = pm.priorities(
        texts, text_mask, acts, period, baseline, loaded, cfg.priorities, wildlife_category, as_of, text
    )
    prios = _rate_rows(
        prios.assign(why_not=np.where(prios["measured"], "", "Not measurable from the data loaded.")), rc
    )
    return Scorecard(
        programme=cfg.programme,
        period=period,
        baseline=baseline,
        ward=ward,
        ward_name=names.get(ward, ward) if ward else None,
        county=county,
        demo=demo,
        crimes_to=crimes_to,
        read_at=read_at,
        scores=scores,
        categories=categories,
        priorities=prios,
        trend=trend_frame(incidents, mask, period, loaded),
        actions_monthly=pm.actions_by_month(acts, period, as_of),
        concerns_note=concerns_note if cons is None else "",
    )


def _with(score: Score, **changes) -> Score:
    from dataclasses import replace

    return replace(score, **changes)
