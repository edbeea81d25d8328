"""Did the action work? Difference-in-differences against comparable wards that had no such
action, for one completed action and rolled up over every completed action of a type.

Method (one sentence on every page that shows it)
-------------------------------------------------
For an action completed in month M, the crimes of the category it tackled in its ward(s) over
the N months before M and the N months after are compared with the same months in
**comparable wards**: wards of the same rural-urban kind with no action on that category in
those months, the :data:`CONTROLS` closest in their level and trend of that crime over the N
months before. A Poisson regression with a term for each ward and each month and one for
"action ward, after" (``statsmodels`` GLM, standard errors widened by the Pearson dispersion,
quasi-Poisson) estimates how much the action wards' crime changed *beyond* the change in the
comparable wards: a ratio, with its 95% confidence interval.

The verdict in words
--------------------
* the interval lies below 1: "fell by 30%, more than comparable wards: likely an effect";
* it includes 1: "fell, but so did comparable wards: no evidence of an effect" (or the same
  with the comparable wards' own change stated);
* it lies above 1: "rose compared with comparable wards: no sign the action helped";
* under :data:`~ruralaction.measures.trends.MIN_COUNT` crimes before, or under twice that in
  both windows together: "too few crimes to tell".
Months without data are never read as zero: both windows must be wholly covered.

Roll-up: the ratios of all measured actions of a type are pooled with a random-effects
meta-analysis (DerSimonian–Laird, ``statsmodels.stats.meta_analysis.combine_effects``), which
widens the interval when actions differ.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ruralaction.measures.counts import CountTable
from ruralaction.measures.trends import MIN_COUNT

#: Comparable wards used per action (fewer when fewer qualify).
CONTROLS = 10
#: Fewer comparable wards than this: no comparison.
MIN_CONTROLS = 3
METHOD = (
    "Difference-in-differences: crimes of the tackled category in the action's ward(s), {n} months before "
    "against {n} months after completion, compared with up to {k} wards of the same rural-urban kind with no "
    "such action, matched on their level and trend before; a Poisson regression with ward and month terms "
    "(quasi-Poisson errors) gives the change beyond the comparable wards' change, with a 95% interval."
)
ROLLUP_METHOD = (
    "Each measured action's ratio (change in its wards over the change in comparable wards) pooled across "
    "actions of the same type with a random-effects meta-analysis (DerSimonian–Laird), 95% interval."
)
VERDICTS = (
    "likely an effect",
    "no evidence of an effect",
    "rose compared with comparable wards",
    "too few crimes to tell",
)


@dataclass(frozen=True)
class Impact:
    """The difference-in-differences evaluation of one action.

    Attributes
    ----------
    status : {"measured", "too few", "incomplete", "too early", "no comparison", "no measure", "not completed"}
    verdict : str
        One of :data:`VERDICTS` when measured or too few; else "".
    sentence : str
        The result in words, with the numbers.
    treated, controls : tuple of str
        Ward codes of the action and of the comparable wards used.
    before, after : int or None
        Crimes in the action's wards in each window.
    control_before, control_after : int or None
        Crimes in the comparable wards in each window (together).
    change, control_change : float or None
        ``after / before - 1`` in the action's wards and in the comparable wards.
    ratio, low, high : float or None
        The change beyond the comparable wards' (a rate ratio; 0.7 = 30% lower than expected)
        and its 95% interval.
    p_value : float or None
    """

    status: str
    verdict: str = ""
    sentence: str = ""
    category: str | None = None
    months: int = 6
    treated: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    before: int | None = None
    after: int | None = None
    control_before: int | None = None
    control_after: int | None = None
    change: float | None = None
    control_change: float | None = None
    ratio: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    log_ratio: float | None = None
    log_se: float | None = None
    windows: tuple[str, str, str, str] | None = field(default=None)


def _pct(x: float) -> str:
    v = abs(x)
    return "less than 1%" if round(v * 100) == 0 else f"{v:.0%}"


def _moved(x: float) -> str:
    return "no change" if x == 0 else (f"fell by {_pct(x)}" if x < 0 else f"rose by {_pct(x)}")


def _slope(counts: np.ndarray) -> np.ndarray:
    """Least-squares slope of each row over its columns, relative to the row's mean (+1)."""
    t = np.arange(counts.shape[1], dtype=float)
    t -= t.mean()
    denom = (t**2).sum() or 1.0
    return (counts @ t) / denom / (counts.mean(axis=1) + 1.0)


def match_controls(
    table: CountTable,
    treated: Sequence[str],
    candidates: Sequence[str],
    before: np.ndarray,
    k: int = CONTROLS,
) -> list[str]:
    """The ``k`` candidate wards closest to the treated wards in level and trend before.

    Level is ``log(1 + mean monthly count)``, trend the relative slope (:func:`_slope`); both
    are standardised over the candidates, and distance is Euclidean to the treated wards'
    average. Candidates with no crime at all in the before window are kept (they are real
    zeros) but rank by the same distance.
    """
    cand = [c for c in candidates if c in table.areas and c not in set(treated)]
    if not cand:
        return []
    pos_c = table.areas.get_indexer(cand)
    pos_t = table.areas.get_indexer([t for t in treated if t in table.areas])
    pre_c = table.counts[pos_c][:, before].astype(float)
    pre_t = table.counts[pos_t][:, before].astype(float)
    feats_c = np.column_stack([np.log1p(pre_c.mean(axis=1)), _slope(pre_c)])
    feats_t = np.column_stack([np.log1p(pre_t.mean(axis=1)), _slope(pre_t)]).mean(axis=0)
    scale = feats_c.std(axis=0)
    scale[scale == 0] = 1.0
    dist = np.sqrt((((feats_c - feats_t) / scale) ** 2).sum(axis=1))
    order = np.argsort(dist, kind="stable")[:k]
    return [cand[i] for i in order]


def did_estimate(treated: np.ndarray, controls: np.ndarray, n_before: int) -> tuple[float, float, float]:
    """The Poisson difference-in-differences on a panel of monthly counts.

    Parameters
    ----------
    treated, controls : ndarray (wards, months)
        The first ``n_before`` months are before, the rest after.

    Returns
    -------
    (log ratio, its standard error, two-sided p-value), from ``statsmodels`` GLM Poisson with
    ward and month dummies and a quasi-Poisson (Pearson) scale.
    """
    import statsmodels.api as sm

    y_all = np.vstack([treated, controls]).astype(float)
    keep = y_all.sum(axis=1) > 0  # a ward with no crime in either window has no level to fit
    is_treated = np.r_[np.ones(len(treated), bool), np.zeros(len(controls), bool)][keep]
    y_all = y_all[keep]
    n_units, n_months = y_all.shape
    unit = np.repeat(np.arange(n_units), n_months)
    month = np.tile(np.arange(n_months), n_units)
    x_unit = np.eye(n_units)[unit]
    x_month = np.eye(n_months)[month][:, 1:]
    post = month >= n_before
    x_did = (is_treated[unit] & post).astype(float)[:, None]
    x = np.hstack([x_unit, x_month, x_did])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y_all.ravel(), x, family=sm.families.Poisson()).fit(scale="X2")
    est, se = float(res.params[-1]), float(res.bse[-1])
    if not np.isfinite(se) or se <= 0:
        return est, float("nan"), float("nan")
    scale = max(float(res.scale), 1.0)
    se = se / np.sqrt(res.scale) * np.sqrt(scale)  # never narrower than Poisson
    from scipy.stats import norm

    return est, se, float(2 * norm.sf(abs(est / se)))


def evaluate(
    table: CountTable | None,
    wards: Sequence[str],
    completed_on: dt.date | None,
    ward_kind: pd.Series,
    busy: Sequence[str] = (),
    months: int = 6,
    category: str | None = None,
    k: int = CONTROLS,
) -> Impact:
    """Evaluate one action.

    Parameters
    ----------
    table : CountTable
        Crimes of the tackled category per ward per month (areas: ward codes), with coverage.
    wards : sequence of str
        The action's wards.
    completed_on : date or None
    ward_kind : Series
        Ward code -> its rural-urban kind (e.g. True for rural); wards with NaN are never
        comparable.
    busy : sequence of str
        Wards with an action on the same category in the two windows: never comparable.
    months : int, default 6
    category : str, optional
        For the sentence.
    """
    what = f"{category} crimes" if category else "crimes"
    base = {"category": category, "months": months}
    if category is None:
        return Impact(
            "no measure", sentence="Police data has no category for this issue, so crimes cannot measure it.", **base
        )
    if completed_on is None:
        return Impact("not completed", sentence="The action is not completed yet.", **base)
    done = pd.Period(completed_on, "M")
    b0, b1, a0, a1 = done - months, done - 1, done + 1, done + months
    span = [f"{p:%Y-%m}" for p in pd.period_range(b0, a1, freq="M")]
    base["windows"] = (f"{b0:%Y-%m}", f"{b1:%Y-%m}", f"{a0:%Y-%m}", f"{a1:%Y-%m}")
    month_pos = pd.Index(table.months).get_indexer(span)
    covered = np.array([p >= 0 and bool(table.covered[p]) for p in month_pos])
    before_idx = month_pos[:months]
    after_idx = month_pos[months + 1 :]
    windows = f"{b0:%b %Y}–{b1:%b %Y} against {a0:%b %Y}–{a1:%b %Y}"
    if not covered[months + 1 :].any() and (a0 > pd.Period(table.months[-1], "M") if table.months else True):
        return Impact("too early", sentence=f"No month after completion has data yet ({windows}).", **base)
    if not (covered[:months].all() and covered[months + 1 :].all()):
        gaps = [m for m, c in zip(span, covered) if not c and m != f"{done:%Y-%m}"]
        shown = ", ".join(pd.Period(m, "M").strftime("%b %Y") for m in gaps[:4]) + (" …" if len(gaps) > 4 else "")
        return Impact(
            "incomplete",
            sentence=f"Not every month of {windows} has data (missing: {shown}), so no comparison is made.",
            **base,
        )
    treated = tuple(w for w in wards if w in table.areas)
    if not treated:
        return Impact("no comparison", sentence="The action's wards are not in the loaded boundaries.", **base)
    t_counts = table.counts[table.areas.get_indexer(list(treated))]
    tb, ta = int(t_counts[:, before_idx].sum()), int(t_counts[:, after_idx].sum())
    base.update(treated=treated, before=tb, after=ta)
    counted = f"{tb:,} {what} in the {months} months before, {ta:,} in the {months} after"
    if tb < MIN_COUNT or tb + ta < 2 * MIN_COUNT:
        return Impact(
            "too few",
            verdict="too few crimes to tell",
            sentence=f"{counted}: too few crimes to tell (under {MIN_COUNT} before, or under {2 * MIN_COUNT} in all).",
            **base,
        )
    kinds = ward_kind.reindex(list(treated))
    kind = kinds.mode().iloc[0] if kinds.notna().any() else None
    excluded = set(treated) | set(busy)
    candidates = [
        w for w, v in ward_kind.items() if kind is not None and pd.notna(v) and v == kind and w not in excluded
    ]
    controls = match_controls(table, treated, candidates, before_idx, k)
    if len(controls) < MIN_CONTROLS:
        return Impact(
            "no comparison",
            sentence=f"{counted}; fewer than {MIN_CONTROLS} comparable wards without such an action, so no comparison.",
            **base,
        )
    c_counts = table.counts[table.areas.get_indexer(controls)]
    cb, ca = int(c_counts[:, before_idx].sum()), int(c_counts[:, after_idx].sum())
    idx = np.r_[before_idx, after_idx]
    est, se, p = did_estimate(t_counts[:, idx], c_counts[:, idx], months)
    change = ta / tb - 1
    c_change = ca / cb - 1 if cb else None
    base.update(controls=tuple(controls), control_before=cb, control_after=ca, change=change, control_change=c_change)
    if not np.isfinite(se):
        return Impact("no comparison", sentence=f"{counted}; the comparison could not be estimated.", **base)
    ratio, low, high = float(np.exp(est)), float(np.exp(est - 1.96 * se)), float(np.exp(est + 1.96 * se))
    theirs = "no crimes before" if c_change is None else _moved(c_change)
    interval = f"{ratio:.2f} times what comparable wards' change predicts (95% interval {low:.2f} to {high:.2f})"
    if high < 1:
        verdict = "likely an effect"
        lead = (
            f"{_moved(change).capitalize()}, more than comparable wards ({theirs})"
            if change < 0
            else (f"{_moved(change).capitalize()}, but less than comparable wards ({theirs})")
        )
    elif low > 1:
        verdict = "rose compared with comparable wards"
        lead = f"{_moved(change).capitalize()}, against {theirs} in comparable wards"
    else:
        verdict = "no evidence of an effect"
        same_way = c_change is not None and np.sign(c_change) == np.sign(change) and change != 0
        lead = (
            f"{_moved(change).capitalize()}, but so did comparable wards ({theirs})"
            if same_way
            else f"{_moved(change).capitalize()} (comparable wards: {theirs}), a difference chance alone could give"
        )
    sentence = f"{lead}: {verdict}. {counted}; {interval}."
    return Impact(
        "measured",
        verdict=verdict,
        sentence=sentence,
        ratio=ratio,
        low=low,
        high=high,
        p_value=p,
        log_ratio=est,
        log_se=se,
        **base,
    )


# --------------------------------------------------------------------------- many actions


def busy_wards(
    actions: pd.DataFrame, category_of, category: str, first: dt.date, last: dt.date, skip_id=None
) -> set[str]:
    """Wards with an action (any status but cancelled) on ``category`` dated within ``first``–``last``."""
    if actions.empty:
        return set()
    cats = actions["issue"].map(category_of)
    dates = pd.to_datetime(actions["action_date"], errors="coerce")
    sel = (
        (cats == category)
        & (actions["status"] != "cancelled")
        & (dates >= pd.Timestamp(first))
        & (dates <= pd.Timestamp(last))
        & (actions["id"] != skip_id)
    )
    return {w for codes in actions.loc[sel, "ward_codes"] for w in codes}


def evaluate_actions(
    actions: pd.DataFrame,
    tables: dict[str, CountTable],
    ward_kind: pd.Series,
    category_of,
    months: int = 6,
) -> pd.DataFrame:
    """Evaluate every completed action of ``actions`` (:func:`ruralaction.actions.list_actions`).

    Parameters
    ----------
    tables : dict
        Category -> its ward × month :class:`CountTable`.
    category_of : callable
        Issue -> category or None (``Vocabulary.category_of``).

    Returns
    -------
    DataFrame
        One row per completed action: ``id, title, action_type, issue, completed_on, status,
        verdict, before, after, change, control_change, ratio, low, high, p_value, controls,
        sentence, log_ratio, log_se`` — the downloadable numbers.
    """
    rows = []
    done = actions[(actions["status"] == "completed")] if len(actions) else actions
    for a in done.itertuples(index=False):  # one evaluation per action: a few dozen, not rows of data
        cat = category_of(a.issue)
        comp = a.completed_on
        if cat is None or cat not in tables or comp is None:
            imp = evaluate(None, (), comp, ward_kind, category=cat if cat in tables else None)
        else:
            p = pd.Period(comp, "M")
            busy = busy_wards(
                actions, category_of, cat, (p - months).start_time.date(), (p + months).end_time.date(), a.id
            )
            imp = evaluate(tables[cat], a.ward_codes, comp, ward_kind, busy, months, cat)
        rows.append(
            {
                "id": a.id,
                "title": a.title,
                "action_type": a.action_type,
                "issue": a.issue,
                "wards": a.wards,
                "ward_codes": tuple(a.ward_codes),
                "completed_on": comp,
                "status": imp.status,
                "verdict": imp.verdict,
                "before": imp.before,
                "after": imp.after,
                "control_before": imp.control_before,
                "control_after": imp.control_after,
                "change": imp.change,
                "control_change": imp.control_change,
                "ratio": imp.ratio,
                "low": imp.low,
                "high": imp.high,
                "p_value": imp.p_value,
                "controls": len(imp.controls),
                "sentence": imp.sentence,
                "log_ratio": imp.log_ratio,
                "log_se": imp.log_se,
            }
        )
    return pd.DataFrame(rows)


def rollup(evaluated: pd.DataFrame, by: str = "action_type") -> pd.DataFrame:
    """Pool the measured actions of each type (random-effects meta-analysis).

    Returns
    -------
    DataFrame
        ``{by}, completed, measured, too_few, not_measured, ratio, low, high, verdict, words``.
    """
    from statsmodels.stats.meta_analysis import combine_effects

    out = []
    if evaluated.empty:
        return pd.DataFrame(
            columns=[by, "completed", "measured", "too_few", "not_measured", "ratio", "low", "high", "verdict", "words"]
        )
    for key, g in evaluated.groupby(by, sort=True):
        m = g[g["status"] == "measured"]
        row = {
            by: key,
            "completed": len(g),
            "measured": len(m),
            "too_few": int((g["status"] == "too few").sum()),
            "not_measured": int((~g["status"].isin(["measured", "too few"])).sum()),
            "ratio": np.nan,
            "low": np.nan,
            "high": np.nan,
            "verdict": "",
            "words": "",
        }
        if len(m) == 0:
            row["verdict"] = "too few crimes to tell" if row["too_few"] else "not measured"
            row["words"] = "No action of this type could be measured yet."
        else:
            eff, var = m["log_ratio"].to_numpy(float), m["log_se"].to_numpy(float) ** 2
            if len(m) == 1:
                est, lo, hi = eff[0], eff[0] - 1.96 * np.sqrt(var[0]), eff[0] + 1.96 * np.sqrt(var[0])
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = combine_effects(eff, var, method_re="dl", use_t=False)
                frame = res.summary_frame()
                r = frame.loc["random effect"]
                est, lo, hi = float(r["eff"]), float(r["ci_low"]), float(r["ci_upp"])
            row.update(ratio=float(np.exp(est)), low=float(np.exp(lo)), high=float(np.exp(hi)))
            if row["high"] < 1:
                row["verdict"] = "followed by falls beyond comparable wards"
            elif row["low"] > 1:
                row["verdict"] = "followed by rises compared with comparable wards"
            else:
                row["verdict"] = "no evidence either way"
            row["words"] = (
                f"{len(m)} measured action{'s' if len(m) != 1 else ''}: crime in their wards ran at "
                f"{row['ratio']:.2f} times what comparable wards' change predicts (95% interval "
                f"{row['low']:.2f} to {row['high']:.2f}): {row['verdict']}."
            )
        out.append(row)
    return pd.DataFrame(out)
