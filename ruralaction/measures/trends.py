"""What the Map and Local area pages measure: trends, changes, rates, comparisons, standouts.

Every function takes a classified incident frame and a boolean row mask (from
:meth:`ruralaction.measures.filters.Filters.apply`) and counts with ``np.bincount`` on integer codes,
so it holds at a million rows.

Rules this module applies everywhere
------------------------------------
Small numbers
    A count under :data:`MIN_COUNT` (5) is never turned into a percentage, a rate ratio or a
    trend: 2 crimes becoming 4 is not "up 100%". The words say the numbers are too small
    instead, and give the counts.
Rates
    Per km² a year: crimes in the months shown, times 12 over the number of months, over the
    ward's area measured in the British National Grid (EPSG:27700, metres). Per 1,000 residents
    a year only when a population table is given. The county's rural average is pooled over
    all its rural wards (their crimes over their total area), not a mean of ward rates, so a
    tiny ward cannot swing it.
Standouts
    A month stands out when its count is at least :data:`MIN_COUNT` and higher than the area's
    own average month (leave-one-out: the mean of the other months shown) by more than chance
    would give: Poisson P(X ≥ count) below 0.05 divided by the number of months tested
    (Bonferroni), so over three years of months about one in twenty areas shows a false alarm.
    A category stands out the same way against the number expected if the area had the rural
    crime mix of the rest of the county. Seasonal patterns are not modelled: a winter peak of
    hare coursing can stand out, and the words say "more than the area's usual month".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralaction.measures import months as mo
from ruralaction.measures.wardclass import ward_classes

#: Counts under this are not turned into percentages or trends.
MIN_COUNT = 5
#: The British National Grid: areas in square metres.
BNG = "EPSG:27700"
NO_OUTCOME = "No outcome recorded"


def plural(n: int, word: str = "incident") -> str:
    """``"1 incident"``, ``"23 incidents"`` (thousands separated)."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- months


def month_codes(df: pd.DataFrame) -> np.ndarray:
    """Months since 1970-01 of each row (int64; a large negative number where missing)."""
    return df["month"].to_numpy().astype("datetime64[M]").astype(np.int64)


def _month_code(month: str) -> int:
    return int(np.datetime64(month, "M").astype(np.int64))


def _month_str(code: int) -> str:
    return str(np.datetime64(int(code), "M"))


def monthly(
    df: pd.DataFrame, mask: np.ndarray, first: str, last: str, covered: Sequence[str] | None = None
) -> pd.DataFrame:
    """Crimes per month and category over every month from ``first`` to ``last``, zero-filled.

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    mask : ndarray of bool
        The rows to count.
    first, last : str
        ``"YYYY-MM"``, inclusive.
    covered : sequence of str, optional
        The months with data (``"YYYY-MM"``); months outside it are left out rather than
        zero-filled (no file is not no crime). Default: every month from ``first`` to ``last``.

    Returns
    -------
    DataFrame
        ``month`` (datetime64, first of the month), ``category`` (the frame's categories, in
        the definition's order) and ``crimes`` (int64), one row per covered month and category,
        so a month without crimes shows as an empty bar and every category keeps its colour.
    """
    cats = list(df["rural_category"].cat.categories)
    lo, hi = _month_code(first), _month_code(last)
    n_months = max(hi - lo + 1, 0)
    rows = np.flatnonzero(mask)
    m = month_codes(df.iloc[rows]) - lo if len(rows) else np.empty(0, np.int64)
    c = df["rural_category"].cat.codes.to_numpy()[rows].astype(np.int64)
    ok = (m >= 0) & (m < n_months) & (c >= 0)
    counts = (
        np.bincount(m[ok] * len(cats) + c[ok], minlength=n_months * len(cats)) if n_months else np.zeros(0, np.int64)
    )
    return month_category_frame(counts, lo, n_months, cats, covered)


def month_category_frame(
    counts: np.ndarray, first_code: int, n_months: int, cats: Sequence[str], covered: Sequence[str] | None = None
) -> pd.DataFrame:
    """``month, category, crimes`` from counts laid out month by month, category by category
    (``counts[i * len(cats) + j]``), months from ``first_code`` (months since 1970-01); only the
    ``covered`` months (``"YYYY-MM"``) when given."""
    months = pd.DatetimeIndex(
        np.arange(first_code, first_code + n_months).astype("datetime64[M]").astype("datetime64[s]")
    )
    out = pd.DataFrame(
        {
            "month": np.repeat(months, len(cats)),
            "category": pd.Categorical(np.tile(cats, n_months), categories=cats, ordered=True),
            "crimes": np.asarray(counts).astype(np.int64),
        }
    )
    if covered is None:
        return out
    keep = np.isin(out["month"].dt.strftime("%Y-%m").to_numpy(), np.asarray(list(covered), dtype=object))
    return out[keep].reset_index(drop=True)


def monthly_totals(trend: pd.DataFrame) -> pd.Series:
    """A :func:`monthly` frame summed over categories: crimes per month (index: month)."""
    return trend.groupby("month", sort=True)["crimes"].sum().astype(np.int64)


# --------------------------------------------------------------------------- change


@dataclass(frozen=True)
class Change:
    """The last ``window`` months against the ``window`` before.

    Attributes
    ----------
    end_month : str
        Last month of the recent period (``"YYYY-MM"``).
    recent, previous : int
        Crimes in the recent period and the one before it.
    difference : int
        ``recent - previous``.
    percent : float or None
        ``difference / previous``; None when either count is under :data:`MIN_COUNT`.
    complete : bool
        Whether every month of both periods has data; when not, the words say which months have
        none and give no comparison.
    recent_covered : int
        Months of the recent period that have data (``window`` when it is whole).
    missing : tuple of str
        Months of the two periods without data, ``"YYYY-MM"``.
    beyond_chance : bool
        Whether the change is larger than chance alone would often give (both counts at least
        :data:`MIN_COUNT`, and ``|recent - previous| / sqrt(recent + previous) >= 1.96``, the
        conditional test of two Poisson counts).
    words : str
        The change in words, e.g. "down 14%, 23 fewer incidents".
    """

    end_month: str
    recent: int
    previous: int
    difference: int
    percent: float | None
    complete: bool
    beyond_chance: bool
    words: str
    recent_covered: int = 12
    missing: tuple[str, ...] = ()


def change_words(recent: int, previous: int) -> str:
    """The change from ``previous`` to ``recent`` in words, with the small-number rule.

    Examples: "down 14%, 23 fewer incidents"; "up 50%, 5 more incidents"; "no change (12
    incidents in each period)"; "3 incidents, up from 1: too few to call a trend"; "up from 2
    to 40 incidents (38 more): too few before to give a percentage".
    """
    diff = recent - previous
    if recent < MIN_COUNT and previous < MIN_COUNT:
        return f"{plural(recent)} against {previous:,} the year before: too few to call a trend"
    if diff == 0:
        return f"no change ({plural(recent)} in each period)"
    direction, more = ("up", "more") if diff > 0 else ("down", "fewer")
    if previous < MIN_COUNT or recent < MIN_COUNT:
        return (
            f"{direction} from {previous:,} to {plural(recent)} ({abs(diff):,} {more}): "
            f"too few {'before' if previous < MIN_COUNT else 'now'} to give a percentage"
        )
    pct = abs(diff) / previous
    pct_text = "less than 1%" if round(pct * 100) == 0 else f"{pct:.0%}"
    return f"{direction} {pct_text}, {abs(diff):,} {more} {'incident' if abs(diff) == 1 else 'incidents'}"


def change(
    df: pd.DataFrame,
    mask: np.ndarray,
    end_month: str,
    first_month: str,
    window: int = 12,
    covered: Sequence[str] | None = None,
) -> Change:
    """Crimes in the ``window`` months to ``end_month`` against the ``window`` months before.

    A comparison is made only when every month of both periods has data: a month with no file
    is not a month with no crime, so "up from 0 to 23" across missing files is never said.

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    mask : ndarray of bool
        Rows to count (the page's filters, without their month range).
    end_month : str
        Last month of the recent period, ``"YYYY-MM"``.
    first_month : str
        First month of the loaded data.
    window : int, default 12
    covered : sequence of str, optional
        The months with data, ``"YYYY-MM"``. Default: every month from ``first_month`` on.
    """
    end = _month_code(end_month)
    rows = np.flatnonzero(mask)
    m = month_codes(df.iloc[rows]) if len(rows) else np.empty(0, np.int64)
    recent = int(((m > end - window) & (m <= end)).sum())
    previous = int(((m > end - 2 * window) & (m <= end - window)).sum())
    if covered is None:
        covered = [_month_str(c) for c in range(_month_code(first_month), end + 1)]
    recent_missing = mo.missing(covered, _month_str(end - window + 1), end_month)
    previous_missing = mo.missing(covered, _month_str(end - 2 * window + 1), _month_str(end - window))
    missing = (*previous_missing, *recent_missing)
    recent_covered = window - len(recent_missing)
    diff = recent - previous
    small = recent < MIN_COUNT or previous < MIN_COUNT
    if missing:
        words = (
            f"{plural(recent)} in the {window} months to {mo.long_label(end_month)}"
            + (f" ({recent_covered} of them with data)" if recent_missing else "")
            + f"; no comparison with the {window} months before, because there is no data for "
            + mo.ranges_words(missing)
        )
        return Change(end_month, recent, previous, diff, None, False, False, words, recent_covered, missing)
    z = abs(diff) / math.sqrt(recent + previous) if recent + previous else 0.0
    return Change(
        end_month=end_month,
        recent=recent,
        previous=previous,
        difference=diff,
        percent=None if small else diff / previous,
        complete=True,
        beyond_chance=(not small) and z >= 1.96,
        words=change_words(recent, previous),
        recent_covered=window,
    )


# --------------------------------------------------------------------------- rates


def ward_areas_km2(wards: gpd.GeoDataFrame) -> pd.Series:
    """Each ward's area in km², measured in the British National Grid (index: ward code)."""
    if wards is None or not len(wards):
        return pd.Series(dtype=float, name="area_km2")
    area = wards.geometry.to_crs(BNG).area.to_numpy() / 1e6
    return pd.Series(area, index=pd.Index(wards["ward_code"].astype(str), name="ward_code"), name="area_km2")


def ward_counts(df: pd.DataFrame, mask: np.ndarray, ward_codes: pd.Index) -> np.ndarray:
    """Crimes in each of ``ward_codes`` (in that order) among the masked rows."""
    col = df["ward_code"]
    lookup = ward_codes.get_indexer(col.cat.categories.astype(object))  # frame category -> position
    codes = col.cat.codes.to_numpy()[mask]
    pos = np.append(lookup, -1)[codes]  # code -1 (no ward) -> -1
    return np.bincount(pos[pos >= 0], minlength=len(ward_codes)).astype(np.int64)


def area_rates(
    df: pd.DataFrame,
    mask: np.ndarray,
    wards: pd.DataFrame,
    areas: pd.Series,
    months: int,
    rural_classes: tuple[str, ...] | list[str],
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """Crimes and rates per ward, for the choropleth and the county comparison.

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    mask : ndarray of bool
        Rows to count (the filters without their district and ward).
    wards : DataFrame
        ``Geography.wards`` (``ward_code``, ``ward_name``, ``district``, ``ruc_code``).
    areas : Series
        :func:`ward_areas_km2`.
    months : int
        Months the mask covers, to turn counts into rates a year.
    rural_classes : sequence of str
        The definition's rural classes (``Definition.rural_classes``).
    population : Series, optional
        Residents per ward code; adds ``population`` and ``per_1000_year``.

    Returns
    -------
    DataFrame
        ``ward_code, ward_name, district, rural`` (bool: counts in the county's rural-ward
        average), ``rural_class`` ("Rural", "Urban", "Unknown") and ``class_basis`` (words) from
        :func:`~ruralaction.measures.wardclass.ward_classes`, ``crimes`` (int64), ``area_km2``,
        ``per_km2_year`` and, with a population, ``population, per_1000_year``; one row per
        ward, in the order of ``wards``.
    """
    codes = pd.Index(wards["ward_code"].astype(str))
    return rates_from_counts(ward_counts(df, mask, codes), wards, areas, months, rural_classes, population)


def rates_from_counts(
    crimes: np.ndarray,
    wards: pd.DataFrame,
    areas: pd.Series,
    months: int,
    rural_classes: tuple[str, ...] | list[str],
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """:func:`area_rates` from crimes already counted per ward (in the order of ``wards``,
    e.g. a SQL ``GROUP BY ward_code`` over the classified store)."""
    codes = pd.Index(wards["ward_code"].astype(str))
    classes = ward_classes(wards, rural_classes).reindex(codes)
    out = pd.DataFrame(
        {
            "ward_code": codes.to_numpy(),
            "ward_name": wards["ward_name"].astype(str).to_numpy(),
            "district": wards["district"].to_numpy() if "district" in wards else None,
            "rural": wards["ruc_code"].isin(list(rural_classes)).to_numpy(),
            "rural_class": classes["rural_class"].to_numpy(),
            "class_basis": classes["class_basis"].to_numpy(),
            "crimes": np.asarray(crimes, dtype=np.int64),
            "area_km2": areas.reindex(codes).to_numpy(dtype=float),
        }
    )
    years = max(months, 1) / 12
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_km2_year"] = out["crimes"] / out["area_km2"] / years
        if population is not None:
            out["population"] = population.reindex(codes).to_numpy(dtype=float)
            out["per_1000_year"] = out["crimes"] / out["population"] * 1000 / years
    return out


@dataclass(frozen=True)
class Comparison:
    """An area's rate against the county's rural-ward average.

    Attributes
    ----------
    crimes : int
        Crimes in the area over the months shown.
    rate, county_rate : float or None
        Per km² a year (or per 1,000 residents a year); None when not measurable.
    ratio : float or None
        ``rate / county_rate``; None under the small-number rule.
    unit : str
        "per km² a year" or "per 1,000 residents a year".
    words : str
    """

    crimes: int
    rate: float | None
    county_rate: float | None
    ratio: float | None
    unit: str
    words: str


def _fmt_rate(x: float) -> str:
    return f"{x:,.2f}" if x < 10 else f"{x:,.1f}"


def compare_with_rural_average(rates: pd.DataFrame, ward_code: str, months: int, per: str = "km2") -> Comparison:
    """Compare one ward's rate with the pooled rate of all the county's rural wards.

    Parameters
    ----------
    rates : DataFrame
        :func:`area_rates`.
    ward_code : str
    months : int
        The months ``rates`` counts over (as given to :func:`area_rates`).
    per : {"km2", "1000"}
        Per km² a year, or per 1,000 residents a year (needs a population in ``rates``).
    """
    col, base, unit, scale = (
        ("per_km2_year", "area_km2", "per km² a year", 1.0)
        if per == "km2"
        else ("per_1000_year", "population", "per 1,000 residents a year", 1000.0)
    )
    years = max(months, 1) / 12
    row = rates.loc[rates["ward_code"] == ward_code]
    rural = rates[rates["rural"] & rates[base].notna() & (rates[base] > 0)] if base in rates else rates.iloc[:0]
    county = float(rural["crimes"].sum() / rural[base].sum() * scale / years) if len(rural) else None
    if row.empty:
        return Comparison(0, None, county, None, unit, "This ward is not in the loaded boundaries.")
    crimes = int(row["crimes"].iloc[0])
    if col not in rates:
        return Comparison(
            crimes, None, None, None, unit, "No population table is loaded, so there is no rate per resident."
        )
    rate = float(row[col].iloc[0]) if pd.notna(row[col].iloc[0]) else None
    if rate is None or county is None:
        return Comparison(crimes, rate, county, None, unit, "There is nothing to compare with.")
    avg = f"the county's rural-ward average of {_fmt_rate(county)} {unit}"
    if crimes < MIN_COUNT:
        return Comparison(
            crimes,
            rate,
            county,
            None,
            unit,
            f"Only {plural(crimes, 'rural crime')} here: too few to compare fairly with {avg}.",
        )
    if county == 0:
        return Comparison(
            crimes, rate, county, None, unit, f"{_fmt_rate(rate)} {unit}; the county's rural wards had none."
        )
    ratio = rate / county
    if ratio >= 1.1:
        how = f"{ratio:.1f} times {avg}"
    elif ratio <= 0.9:
        how = f"{1 - ratio:.0%} below {avg}"
    else:
        how = f"about the same as {avg}"
    return Comparison(crimes, rate, county, ratio, unit, f"{_fmt_rate(rate)} rural crimes {unit}: {how}.")


# --------------------------------------------------------------------------- standouts


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), summed in log space (no scipy needed)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_lam = math.log(lam)

    def log_pmf(i: int) -> float:
        return -lam + i * log_lam - math.lgamma(i + 1)

    if k > lam:  # the upper tail is the smaller sum: add terms until they vanish
        total, i = 0.0, k
        while True:
            term = math.exp(log_pmf(i))
            total += term
            if term < 1e-17 * max(total, 1e-300) or i > k + 10 * (lam + 10):
                return min(total, 1.0)
            i += 1
    return max(0.0, 1.0 - math.fsum(math.exp(log_pmf(i)) for i in range(k)))


@dataclass(frozen=True)
class Standout:
    """A month or category with more crimes than expected.

    Attributes
    ----------
    label : str
        "March 2025" or "Vehicle crime".
    observed : int
    expected : float
        The baseline: the area's average other month, or the count the county's mix predicts.
    p_value : float
        Poisson P(X ≥ observed | expected).
    words : str
    """

    label: str
    observed: int
    expected: float
    p_value: float
    words: str


def standout_months(totals: pd.Series, alpha: float = 0.05) -> list[Standout]:
    """Months with clearly more crimes than the area's usual month (rule in the module doc).

    Parameters
    ----------
    totals : Series
        Crimes per month (index: month timestamps), e.g. :func:`monthly_totals`.
    alpha : float, default 0.05
        Family-wise error rate, split over the months tested.
    """
    n = len(totals)
    if n < 3:
        return []
    values = totals.to_numpy(dtype=np.int64)
    total = int(values.sum())
    out = []
    for month, k in zip(totals.index, values):
        lam = (total - k) / (n - 1)
        if k < MIN_COUNT or k <= lam:
            continue
        p = poisson_tail(int(k), lam)
        if p < alpha / n:
            label = pd.Timestamp(month).strftime("%B %Y")
            out.append(
                Standout(
                    label, int(k), lam, p, f"{label}: {plural(int(k))}, against {lam:.1f} in the area's usual month"
                )
            )
    return sorted(out, key=lambda s: s.p_value)


def standout_categories(area: pd.Series, county: pd.Series, alpha: float = 0.05) -> list[Standout]:
    """Categories with clearly more crimes than the rest of the county's mix predicts.

    Parameters
    ----------
    area : Series
        Crimes per category in the area.
    county : Series
        Crimes per category in the whole county, the area included (it is taken out, so the
        area is compared with the rest of the county).
    alpha : float, default 0.05
        Family-wise error rate, split over the categories tested.
    """
    area = area.astype(np.int64)
    rest = (county.reindex(area.index, fill_value=0) - area).clip(lower=0)
    n_area, n_rest = int(area.sum()), int(rest.sum())
    if n_area < MIN_COUNT or n_rest == 0:
        return []
    out = []
    for cat, k in area.items():
        expected = n_area * rest[cat] / n_rest
        if k < MIN_COUNT or k <= expected:
            continue
        p = poisson_tail(int(k), float(expected))
        if p < alpha / len(area):
            label = str(cat).capitalize()
            times = f"{k / expected:.1f} times" if expected > 0 else "far more than"
            out.append(
                Standout(
                    label,
                    int(k),
                    float(expected),
                    p,
                    f"{label}: {plural(int(k))}, {times} the {expected:.1f} expected "
                    "from the rest of the county's rural crime mix",
                )
            )
    return sorted(out, key=lambda s: s.p_value)


# --------------------------------------------------------------------------- counts and tables


def by_category(df: pd.DataFrame, mask: np.ndarray) -> pd.Series:
    """Crimes per rural category among the masked rows (every category, zero-filled)."""
    col = df["rural_category"]
    codes = col.cat.codes.to_numpy()[mask]
    counts = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories))
    return pd.Series(counts.astype(np.int64), index=pd.Index(col.cat.categories, name="category"), name="crimes")


def share_text(k: int, n: int) -> str:
    """``k`` of ``n`` as a percentage for a table, with the small-number rule: "—" when ``n`` or
    ``k`` is under :data:`MIN_COUNT` (never "0%" for 1 of 330), "<1%" below half a percent."""
    if n < MIN_COUNT or k < MIN_COUNT:
        return "—"
    x = k / n
    return "<1%" if x < 0.005 else f"{x:.0%}"


def share_or_none(k: int, n: int) -> float | None:
    """``k / n``, or None when ``n`` is under :data:`MIN_COUNT` (no percentages of tiny totals)."""
    return k / n if n >= MIN_COUNT else None


def outcomes(df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The last recorded outcome of the masked crimes, commonest first.

    Returns
    -------
    DataFrame
        ``outcome`` (str; "No outcome recorded" where blank), ``crimes`` (int64),
        ``share`` (float, of the masked crimes; missing when they number under
        :data:`MIN_COUNT`) and ``share_text`` (:func:`share_text`: what a table shows).
    """
    col = df["last_outcome"]
    codes = col.cat.codes.to_numpy()[mask]
    counts = np.bincount(codes + 1, minlength=len(col.cat.categories) + 1)
    labels = [NO_OUTCOME, *[str(c) for c in col.cat.categories]]
    out = pd.DataFrame({"outcome": labels, "crimes": counts.astype(np.int64)})
    out = out[out["crimes"] > 0].groupby("outcome", sort=False, as_index=False)["crimes"].sum()
    out = out.sort_values(["crimes", "outcome"], ascending=[False, True], kind="stable").reset_index(drop=True)
    total = int(out["crimes"].sum())
    out["share"] = out["crimes"] / total if total >= MIN_COUNT else np.nan
    out["share_text"] = [share_text(int(k), total) for k in out["crimes"]]
    return out


INCIDENT_COLUMNS = (
    "Month",
    "Category",
    "Location",
    "Outcome",
    "Ward",
    "Why it counts",
    "Crime ID",
    "Longitude",
    "Latitude",
)


#: The most crimes a page's table shows, newest first (its download has all of them): a table
#: is for reading, and sending tens of thousands of rows to every browser on every filter change
#: is what makes a map slow.
TABLE_ROWS = 1_000


def incident_table(df: pd.DataFrame, mask: np.ndarray, limit: int | None = None) -> pd.DataFrame:
    """The masked crimes as people read them, newest first (a table or CSV download).

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    mask : ndarray of bool
    limit : int, optional
        Keep at most this many rows (the newest).

    Returns
    -------
    DataFrame
        Columns :data:`INCIDENT_COLUMNS`; ``Month`` as ``"YYYY-MM"``.
    """
    rows = np.flatnonzero(mask)
    order = np.argsort(-month_codes(df.iloc[rows]), kind="stable") if len(rows) else rows
    rows = rows[order][:limit] if limit is not None else rows[order]
    sub = df.iloc[rows]
    return pd.DataFrame(
        {
            "Month": sub["month"].dt.strftime("%Y-%m").to_numpy(),
            "Category": sub["rural_category"].astype(str).str.capitalize().to_numpy(),
            "Location": sub["location"].astype(object).fillna("").to_numpy(),
            "Outcome": sub["last_outcome"].astype(object).fillna(NO_OUTCOME).to_numpy(),
            "Ward": sub["ward_name"].astype(object).fillna("Unknown").to_numpy(),
            "Why it counts": sub["rural_reason"].astype(str).to_numpy(),
            "Crime ID": sub["crime_id"].astype(object).fillna("").to_numpy(),
            "Longitude": sub["longitude"].to_numpy(dtype=float),
            "Latitude": sub["latitude"].to_numpy(dtype=float),
        }
    )
