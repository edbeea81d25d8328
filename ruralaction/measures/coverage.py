"""Coverage and freshness of the loaded data: which months each force covers, where the gaps
are, and how far behind today the latest month is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

#: The name of ``share_rural_of_rows`` wherever it is shown, and what it is.
RURAL_OF_ROWS = "Rural share of all rows"  # short enough for its card (the help says it in full)
RURAL_OF_ROWS_HELP = (
    "Rural crimes as a share of every row loaded: all crime types, anti-social behaviour and rows "
    "outside the county. Not the Overview's rural share of in-scope crime."
)
#: police.uk publishes a month's data about this many months after it ends.
PUBLICATION_LAG_MONTHS = 2


@dataclass(frozen=True)
class Coverage:
    """What months the data covers and how fresh it is.

    Attributes
    ----------
    by_force : DataFrame
        One row per force (``Reported by``): ``force, first_month, latest_month, months,
        missing_months`` (count of months with no rows between first and latest), ``rows``.
    per_month : DataFrame
        ``month, rows, status`` ("loaded" / "missing") for every month from the first to the latest, zeros included, so a gap
        shows as a zero bar rather than disappearing.
    gaps : list of Timestamp
        Months with no rows at all inside the covered range.
    latest_month : Timestamp or None
    months_behind : int or None
        Whole months between the latest month and today's month.
    up_to_date : bool
        True when ``months_behind`` is within police.uk's usual publication lag.
    share_no_location, share_rural_of_rows, share_unknown_class : float or None
        Shares of all loaded rows (every crime type, anti-social behaviour and rows outside the
        county included); None when there are no rows. ``share_rural_of_rows`` is
        :data:`RURAL_OF_ROWS`, not the Overview's :data:`~ruralaction.measures.overview.RURAL_OF_IN_SCOPE`.
    """

    by_force: pd.DataFrame
    per_month: pd.DataFrame
    gaps: list[pd.Timestamp]
    latest_month: pd.Timestamp | None
    months_behind: int | None
    up_to_date: bool
    rows: int
    share_no_location: float | None
    share_rural_of_rows: float | None
    share_unknown_class: float | None


def _month_index(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="MS")


def months_between(earlier: pd.Timestamp | date, later: pd.Timestamp | date) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (2024-01 → 2024-03 is 2)."""
    return (later.year - earlier.year) * 12 + (later.month - earlier.month)


def coverage(df: pd.DataFrame, today: date | None = None) -> Coverage:
    """Compute coverage and freshness of a classified incident frame.

    Parameters
    ----------
    df : DataFrame
        Classified incidents (needs ``month, reported_by, longitude, is_rural_crime,
        in_rural_ward``).
    today : date, optional
        Default ``date.today()``; passed explicitly by tests.
    """
    force = df["reported_by"].astype(object).fillna("(blank)")
    fm = pd.DataFrame({"force": force.to_numpy(), "month": df["month"].to_numpy()})
    counts = fm.groupby(["force", "month"], dropna=False).size().rename("rows").reset_index()
    return coverage_from_counts(
        counts,
        len(df),
        no_location=int(df["longitude"].isna().sum()),
        rural=int(df["is_rural_crime"].sum()),
        unknown_class=int(df["in_rural_ward"].isna().sum()),
        today=today,
    )


def coverage_from_counts(
    counts: pd.DataFrame, n: int, *, no_location: int, rural: int, unknown_class: int, today: date | None = None
) -> Coverage:
    """:func:`coverage` from rows counted per force and month (``force, month, rows``; the
    force ``"(blank)"`` where none is given) and the whole data's counts: ``n`` rows, of them
    ``no_location`` without coordinates, ``rural`` rural crimes and ``unknown_class`` with no
    rural-urban class (what the classified store answers in SQL)."""
    today = today or date.today()
    if n == 0:
        empty = pd.DataFrame(columns=["force", "first_month", "latest_month", "months", "missing_months", "rows"])
        return Coverage(
            empty, pd.DataFrame(columns=["month", "rows", "status"]), [], None, None, False, 0, None, None, None
        )
    rows = counts["rows"].astype(np.int64)
    months = counts["month"]
    first, latest = months.min(), months.max()
    per_month = (
        rows.groupby(months.to_numpy())
        .sum()
        .reindex(_month_index(first, latest), fill_value=0)
        .rename_axis("month")
        .rename("rows")
        .reset_index()
    )
    per_month["status"] = np.where(per_month["rows"] == 0, "missing", "loaded")
    g = counts.assign(rows=rows).groupby("force")
    by_force = pd.DataFrame(
        {
            "first_month": g["month"].min(),
            "latest_month": g["month"].max(),
            "months": g["month"].nunique(),
            "rows": g["rows"].sum(),
        }
    ).reset_index()
    span = months_between(by_force["first_month"].dt, by_force["latest_month"].dt) + 1
    by_force.insert(4, "missing_months", (span - by_force["months"]).astype(int))
    behind = months_between(latest, today)
    return Coverage(
        by_force=by_force.sort_values("rows", ascending=False).reset_index(drop=True),
        per_month=per_month,
        gaps=list(per_month.loc[per_month["rows"] == 0, "month"]),
        latest_month=latest,
        months_behind=behind,
        up_to_date=behind <= PUBLICATION_LAG_MONTHS,
        rows=n,
        share_no_location=no_location / n,
        share_rural_of_rows=rural / n,
        share_unknown_class=unknown_class / n,
    )


def freshness_sentence(cov: Coverage) -> str:
    """The freshness of the data in one sentence, e.g. "Latest month 2026-09: 2 months behind
    today, as expected (police.uk publishes about two months later)."."""
    if cov.latest_month is None:
        return "No incidents are loaded."
    base = f"Latest month {cov.latest_month:%Y-%m}: {cov.months_behind} month{'s' if cov.months_behind != 1 else ''} behind today"
    if cov.up_to_date:
        return base + ", as expected (police.uk publishes about two months later)."
    return base + f", older than police.uk's usual {PUBLICATION_LAG_MONTHS}-month lag: newer months can be added."
