"""Is this month unusual? Expected counts from each area's own seasonal history, with a range,
a flag when a month is above it, and the rural crime calendar.

Method (one sentence on every page that shows it)
-------------------------------------------------
For an area and a month, a Poisson regression is fitted to the area's *other* covered months:
``log E[crimes] = intercept + trend × years + month-of-year pattern``, the pattern being one
sine–cosine pair (two when three years or more are covered) — a smooth season that small
counts can support, where twelve separate month effects would chase noise. When the counts
vary more than Poisson allows, the spread is widened by the Pearson dispersion (quasi-Poisson,
as in the Farrington outbreak-detection method). The expected range is the central 90% of a
negative binomial with the fitted mean and a variance that adds the dispersion and the
uncertainty of the fit; a month is **flagged** when a count at least as high would happen
less than 5% of the time (so about one month in twenty is flagged by chance alone, never
more) *and* the count is at least :data:`~ruralaction.measures.trends.MIN_COUNT`.

Limits, said in words where they bite
-------------------------------------
* A season needs history: no expected count with fewer than :data:`MIN_HISTORY` covered months
  besides the one assessed (two of each calendar month). The real 2024 police.uk files alone
  (four months) are far too few; the words say so.
* Months with no data file are left out, never read as zero crimes.
* Areas with under :data:`MIN_HISTORY_CRIMES` crimes in their history are not modelled.

Why not ``statsmodels.GLM`` in a loop? It fits one series at a time (~7 ms each): a county's
wards, every month assessed, would take tens of seconds. :func:`fit_poisson` is the same
Poisson IRLS, batched over thousands of series with numpy; a test checks it against
``statsmodels.GLM`` (coefficients, dispersion) to 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralaction.measures.counts import CountTable, month_code
from ruralaction.measures.trends import MIN_COUNT, plural

#: Covered months needed besides the month assessed, to model a season (two of each month).
MIN_HISTORY = 24
#: Fewer crimes than this in an area's history: no model.
MIN_HISTORY_CRIMES = 10
#: One-sided level of the flag.
ALPHA = 0.05
#: The expected range shown: its lower and upper quantiles.
RANGE = (0.05, 0.95)
METHOD = (
    "Expected counts from a Poisson regression on the area's other months with data (trend and a smooth "
    "month-of-year pattern, widened when counts vary more than chance, as in the Farrington method); the range "
    "is the central 90%; a month is flagged when so high a count would happen less than 5% of the time and it "
    "is at least {min_count}. Months without data are left out."
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------- the model


def design(months: list[str] | tuple[str, ...], harmonics: int) -> np.ndarray:
    """Design matrix of the months: intercept, trend (years from the middle), ``harmonics``
    sine–cosine pairs of the month of the year."""
    codes = np.array([month_code(m) for m in months], dtype=float)
    t = (codes - codes.mean()) / 12 if len(codes) else codes
    moy = np.mod(codes, 12)  # 0 = January
    cols = [np.ones_like(codes), t]
    for h in range(1, harmonics + 1):
        cols += [np.sin(2 * np.pi * h * moy / 12), np.cos(2 * np.pi * h * moy / 12)]
    return np.column_stack(cols)


@dataclass(frozen=True)
class Fit:
    """Batched Poisson fits: one per row of ``y``.

    Attributes
    ----------
    beta : ndarray (batch, p)
    cov_unscaled : ndarray (batch, p, p)
        ``(X' W X)^-1`` at the solution; the coefficients' covariance is ``dispersion × cov_unscaled``.
    dispersion : ndarray (batch,)
        Pearson χ² / residual degrees of freedom, floored at 1 (quasi-Poisson).
    converged : ndarray of bool (batch,)
    """

    beta: np.ndarray
    cov_unscaled: np.ndarray
    dispersion: np.ndarray
    converged: np.ndarray


def fit_poisson(x: np.ndarray, y: np.ndarray, w: np.ndarray, iterations: int = 50, tol: float = 1e-10) -> Fit:
    """Poisson GLM (log link) by iteratively reweighted least squares, for many series at once.

    Parameters
    ----------
    x : ndarray (T, p)
        Design shared by every series.
    y : ndarray (batch, T)
        Counts.
    w : ndarray (batch, T)
        1 for the months each fit uses, 0 for the others (frequency weights).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    w = np.asarray(w, float)
    batch, (_, p) = y.shape[0], x.shape
    n = w.sum(axis=1)
    mean = (w * y).sum(axis=1) / np.maximum(n, 1)
    beta = np.zeros((batch, p))
    beta[:, 0] = np.log(np.maximum(mean, 1e-3))
    ridge = np.eye(p) * 1e-9
    converged = np.zeros(batch, bool)
    for _ in range(iterations):
        eta = np.clip(beta @ x.T, -30, 30)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        wm = w * mu
        a = _gram(wm, x) + ridge
        b = (wm * z) @ x
        new = np.linalg.solve(a, b[..., None])[..., 0]
        step = np.abs(new - beta).max(axis=1)
        beta = new
        converged = step < tol
        if converged.all():
            break
    mu = np.exp(np.clip(beta @ x.T, -30, 30))
    cov = np.linalg.inv(_gram(w * mu, x) + ridge)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = (w * (y - mu) ** 2 / mu).sum(axis=1)
        disp = np.where(n - p > 0, chi2 / (n - p), np.nan)
    return Fit(beta, cov, np.maximum(disp, 1.0), converged)


def _gram(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``X' diag(w_b) X`` for every row ``w_b`` of ``weights``: (batch, p, p)."""
    p = x.shape[1]
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), p * p)  # (T, p*p)
    return (weights @ outer).reshape(len(weights), p, p)


@dataclass(frozen=True)
class NegBinomial:
    """Negative binomials with given means and variances (variance > mean), vectorised.

    The same distribution as ``scipy.stats.nbinom(size, mean / var)`` (a test checks it), from
    the regularised incomplete beta function of ``scipy.special``: the Overview would otherwise
    import all of ``scipy.stats`` on its first view.
    """

    size: np.ndarray
    prob: np.ndarray

    def cdf(self, k: np.ndarray) -> np.ndarray:
        from scipy.special import betainc

        k = np.asarray(k, dtype=float)
        return np.where(k < 0, 0.0, betainc(self.size, np.floor(k) + 1, self.prob))

    def sf(self, k: np.ndarray) -> np.ndarray:
        """P(X > k)."""
        return 1.0 - self.cdf(k)

    def ppf(self, q: float) -> np.ndarray:
        """The smallest whole k with P(X ≤ k) ≥ q, for each distribution."""
        mean = self.size * (1 - self.prob) / self.prob
        sd = np.sqrt(mean / self.prob)
        top = int(np.nanmax(np.ceil(mean + 12 * sd + 10))) if len(mean) else 0
        ks = np.arange(top + 1, dtype=float)
        from scipy.special import betainc

        cdf = betainc(self.size[:, None], ks[None, :] + 1, self.prob[:, None])
        return (cdf < q - 1e-12).sum(axis=1).astype(float)


def predictive(mean: np.ndarray, var: np.ndarray) -> NegBinomial:
    """A negative binomial with this mean and variance (variance > mean)."""
    mean = np.asarray(mean, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), mean * (1 + 1e-9))
    return NegBinomial(mean**2 / (var - mean), mean / var)


# --------------------------------------------------------------------------- expected counts


@dataclass(frozen=True)
class Expected:
    """Expected counts and flags for every area and assessed month.

    Attributes
    ----------
    frame : DataFrame
        One row per area and assessed month: ``area, month, observed, expected, low, high,
        p_exceed`` (P(a count at least this high)), ``flag`` (bool), ``status`` ("ok",
        "too little history", "too few crimes", "not covered"), ``history`` (months fitted).
    method : str
    """

    frame: pd.DataFrame
    method: str

    def for_area(self, area) -> pd.DataFrame:
        return self.frame[self.frame["area"] == area].reset_index(drop=True)

    def latest(self) -> pd.DataFrame:
        """Each area's last assessed month."""
        return self.frame.groupby("area", sort=False).tail(1).reset_index(drop=True)


def expected_counts(
    table: CountTable,
    assess: list[str] | None = None,
    alpha: float = ALPHA,
    min_history: int = MIN_HISTORY,
) -> Expected:
    """Expected count, range and flag for each area of ``table`` in each month of ``assess``.

    Parameters
    ----------
    table : CountTable
        Crimes per area per month, with coverage.
    assess : list of str, optional
        Months to assess (``"YYYY-MM"``); default every covered month. Each is compared with a
        model of the area's *other* covered months (leave one out), so the month itself never
        pulls its own expectation up.
    alpha : float, default 0.05
    min_history : int, default :data:`MIN_HISTORY`
    """
    months = list(table.months)
    covered = np.asarray(table.covered, bool)
    assess = [m for m in (assess if assess is not None else table.covered_months) if m in months]
    cols = ["area", "month", "observed", "expected", "low", "high", "p_exceed", "flag", "status", "history"]
    if not assess or not len(table.areas):
        return Expected(pd.DataFrame(columns=cols), METHOD.format(min_count=MIN_COUNT))
    n_cov = int(covered.sum())
    harmonics = 2 if n_cov - 1 >= 36 else 1
    x = design(months, harmonics)
    t_idx = np.array([months.index(m) for m in assess])
    n_a, n_t = len(table.areas), len(t_idx)
    y = np.repeat(table.counts.astype(float), n_t, axis=0)  # (areas × assessed, T)
    w = np.tile(covered.astype(float), (n_a * n_t, 1))
    which = np.tile(t_idx, n_a)
    w[np.arange(len(which)), which] = 0.0
    history = w.sum(axis=1).astype(int)
    hist_crimes = (w * y).sum(axis=1)
    observed = y[np.arange(len(which)), which].astype(np.int64)
    is_cov = covered[which]
    status = np.where(
        ~is_cov,
        "not covered",
        np.where(
            history < min_history,
            "too little history",
            np.where(hist_crimes < MIN_HISTORY_CRIMES, "too few crimes", "ok"),
        ),
    )
    ok = status == "ok"
    expected = np.full(len(which), np.nan)
    low, high, p_exceed = expected.copy(), expected.copy(), expected.copy()
    if ok.any():
        fit = fit_poisson(x, y[ok], w[ok])
        x0 = x[which[ok]]
        eta = np.einsum("bp,bp->b", fit.beta, x0)
        var_eta = fit.dispersion * np.einsum("bp,bpq,bq->b", x0, fit.cov_unscaled, x0)
        mu = np.exp(eta)
        dist = predictive(mu, fit.dispersion * mu + mu**2 * var_eta)
        expected[ok] = mu
        low[ok] = dist.ppf(RANGE[0])
        high[ok] = dist.ppf(RANGE[1])
        p_exceed[ok] = dist.sf(observed[ok] - 1)
    flag = ok & (observed >= MIN_COUNT) & (p_exceed < alpha)
    frame = pd.DataFrame(
        {
            "area": np.repeat(table.areas.to_numpy(), n_t),
            "month": np.tile(np.asarray(assess, dtype=object), n_a),
            "observed": observed,
            "expected": expected,
            "low": low,
            "high": high,
            "p_exceed": p_exceed,
            "flag": flag,
            "status": status,
            "history": history,
        }
    )
    return Expected(frame, METHOD.format(min_count=MIN_COUNT))


def month_words(row: pd.Series | dict, area_name: str = "", what: str = "rural crime") -> str:
    """One assessed month in words, for pages and the digest.

    Examples: "October 2026: 41 rural crimes, above the expected range of 18 to 33 for an
    October: unusual."; "Too little history to model the season: 4 months with data besides
    this one (24 needed, two of each calendar month)."
    """
    month = pd.Period(row["month"], "M")
    label = f"{month:%B %Y}"
    n = int(row["observed"])
    counted = f"{label}: {plural(n, what)}"
    status = row["status"]
    if status == "not covered":
        return f"{label}: no data is loaded for this month, so it cannot be assessed."
    if status == "too little history":
        return (
            f"{counted}. Too little history to model the season: {int(row['history'])} other "
            f"month{'s' if int(row['history']) != 1 else ''} with data ({MIN_HISTORY} needed, two of each calendar month)."
        )
    if status == "too few crimes":
        return f"{counted}. Too few crimes in the other months to model a season{' for ' + area_name if area_name else ''}."
    lo, hi = int(row["low"]), int(row["high"])
    rng = f"{lo:,} to {hi:,}" if lo != hi else f"about {lo:,}"
    article = "an" if f"{month:%B}"[0] in "AEIOU" else "a"
    where = f"the expected range of {rng} for {article} {month:%B}"
    if bool(row["flag"]):
        return f"{counted}, above {where}: unusual (so high a count would happen by chance about {_one_in(row['p_exceed'])})."
    if n > hi:
        return f"{counted}, above {where}, but under {MIN_COUNT} crimes or not far enough above to call unusual."
    if n < lo:
        return f"{counted}, below {where}."
    return f"{counted}, within {where}."


def _one_in(p: float) -> str:
    if not np.isfinite(p) or p <= 0:
        return "almost never"
    k = 1 / p
    return f"once in {k:,.0f} months" if k >= 2 else "often"


# --------------------------------------------------------------------------- the calendar


def calendar(table: CountTable) -> pd.DataFrame:
    """The typical year: mean crimes per calendar month for each area of ``table`` (e.g. each
    category), over the covered months only.

    Returns
    -------
    DataFrame
        ``area, month_of_year`` (1–12), ``month`` ("Jan"…), ``mean`` (crimes in a typical
        such month; NaN when never covered), ``years`` (how many of that calendar month are
        covered), ``index`` (``mean`` over the area's average month; NaN when the area has
        under :data:`~ruralaction.measures.trends.MIN_COUNT` crimes a year on average or a
        calendar month is never covered).
    """
    codes = np.array([month_code(m) for m in table.months], dtype=np.int64)
    moy = np.mod(codes, 12)
    cov = np.asarray(table.covered, bool)
    years = np.bincount(moy[cov], minlength=12)
    sums = np.zeros((len(table.areas), 12))
    if len(codes):
        np.add.at(sums.T, moy[cov], table.counts[:, cov].T)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(years > 0, sums / years, np.nan)
        avg = np.nanmean(mean, axis=1, keepdims=True) if len(table.areas) else mean
        index = mean / avg
    small = (np.nan_to_num(avg[:, 0]) * 12 < MIN_COUNT) if len(table.areas) else np.zeros(0, bool)
    index[small] = np.nan
    if (years == 0).any():
        index[:] = np.nan
    return pd.DataFrame(
        {
            "area": np.repeat(table.areas.to_numpy(), 12),
            "month_of_year": np.tile(np.arange(1, 13), len(table.areas)),
            "month": np.tile(np.asarray(MONTHS, dtype=object), len(table.areas)),
            "mean": mean.ravel(),
            "years": np.tile(years, len(table.areas)),
            "index": index.ravel(),
        }
    )


def calendar_words(cal: pd.DataFrame, min_years: int = 2) -> list[str]:
    """For each area of a :func:`calendar`, its peak season in words ("Vehicle crime peaks in
    Oct–Dec: 1.4 times its average month."), or why there is none. Needs every calendar month
    covered at least ``min_years`` times."""
    if cal.empty:
        return []
    years = cal.groupby("month_of_year")["years"].first()
    if (years < min_years).any():
        short = [MONTHS[m - 1] for m, y in years.items() if y < min_years]
        return [
            f"Too little history for a typical year: {', '.join(short)} "
            f"{'is' if len(short) == 1 else 'are'} covered fewer than {min_years} times."
        ]
    out = []
    for area, g in cal.groupby("area", sort=False):
        idx = g["index"].to_numpy(dtype=float)
        name = str(area).capitalize()
        if not np.isfinite(idx).all():
            out.append(f"{name}: too few crimes for a seasonal pattern.")
            continue
        rolling = np.array([idx[[i, (i + 1) % 12, (i + 2) % 12]].mean() for i in range(12)])
        start = int(rolling.argmax())
        span = f"{MONTHS[start]}–{MONTHS[(start + 2) % 12]}"
        peak = rolling[start]
        if peak < 1.15:
            out.append(f"{name}: much the same all year (no three months above 1.15 times the average month).")
        else:
            out.append(f"{name} peaks in {span}: {peak:.1f} times its average month.")
    return out
