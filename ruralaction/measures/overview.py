"""What the Overview page shows, computed from a classified incident frame.

Every number on the Overview page comes from a function here, so a unit test can check it on a
small hand-built frame. The functions take the frame :func:`ruralaction.incidents.classify.classify`
returns (``ruralaction.incidents.pipeline.Classified.incidents``) and return plain values, dataclasses or
tidy DataFrames ready for a table or a plotly chart. All of them are vectorised: they hold at a
million rows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ruralaction.exports import csv_bytes
from ruralaction.incidents.schema import RURAL_CATEGORIES

#: The name of :attr:`Headline.share_rural` wherever it is shown, and what it is (one definition
#: per name: the Data page's share of all rows is :data:`ruralaction.measures.coverage.RURAL_OF_ROWS`).
RURAL_OF_IN_SCOPE = "Rural share of in-scope"  # short enough for its card at 1440 px (the help says in full)
RURAL_OF_IN_SCOPE_HELP = (
    "Rural crimes as a share of the in-scope crimes in the county (burglary, theft from the person, "
    "vehicle crime, robbery, criminal damage, wildlife crime), rural or not."
)


@dataclass(frozen=True)
class Headline:
    """The Overview page's headline numbers.

    Attributes
    ----------
    incidents : int
        Every loaded incident, in scope or not, in the county or not.
    in_county : int
        Incidents known to be in the county (``in_county`` is True).
    outside_county : int
        Incidents known to be outside it (``in_county`` is False).
    county_unknown : int
        Incidents whose place is unknown (``in_county`` missing): no coordinates and an LSOA
        that is not a known county LSOA.
    in_scope_in_county : int
        In-county incidents in one of the definition's categories (burglary, vehicle crime, …),
        rural or not: the base of :attr:`share_rural`.
    rural_crimes : int
        Incidents that meet the rural-crime definition (``is_rural_crime``).
    share_rural : float or None
        ``rural_crimes / in_scope_in_county`` in [0, 1]; None when nothing is in scope, rather
        than a misleading 0.
    no_location : int
        Incidents without usable coordinates (police.uk publishes some with none).
    unknown_class : int
        Incidents whose area has no known rural-urban class (``in_rural_ward`` missing); they
        count as rural crime only when at a farm.
    months : int
        Distinct months with at least one incident.
    first_month, latest_month : Timestamp or None
        The earliest and latest month present; None when there are no incidents.
    missing_months : tuple of Timestamp
        Months between the first and the latest with no incident at all: almost always a
        month's file that was not loaded, which would make that month look crime-free.
    """

    incidents: int
    in_county: int
    outside_county: int
    county_unknown: int
    in_scope_in_county: int
    rural_crimes: int
    share_rural: float | None
    no_location: int
    unknown_class: int
    months: int
    first_month: pd.Timestamp | None
    latest_month: pd.Timestamp | None
    missing_months: tuple[pd.Timestamp, ...]


def headline(df: pd.DataFrame) -> Headline:
    """Count the headline numbers of a classified incident frame.

    Parameters
    ----------
    df : DataFrame
        A classified frame (see :func:`ruralaction.incidents.classify.classify` for its columns).

    Returns
    -------
    Headline
    """
    in_county = df["in_county"].astype("boolean")
    county_true = in_county.fillna(False).to_numpy(dtype=bool)
    in_scope = df["rural_category"].notna().to_numpy()
    rural = df["is_rural_crime"].to_numpy(dtype=bool)
    lon = df["longitude"].to_numpy(dtype=float)
    lat = df["latitude"].to_numpy(dtype=float)
    base = int((in_scope & county_true).sum())
    n_rural = int(rural.sum())
    months = df["month"].dropna()
    span = _month_span(months)
    return Headline(
        incidents=len(df),
        in_county=int(county_true.sum()),
        outside_county=int((~in_county.fillna(True)).sum()),
        county_unknown=int(in_county.isna().sum()),
        in_scope_in_county=base,
        rural_crimes=n_rural,
        share_rural=n_rural / base if base else None,
        no_location=int((~(np.isfinite(lon) & np.isfinite(lat))).sum()),
        unknown_class=int(df["in_rural_ward"].isna().sum()),
        months=int(months.nunique()),
        first_month=months.min() if len(months) else None,
        latest_month=months.max() if len(months) else None,
        missing_months=tuple(span[~span.isin(months.unique())]),
    )


def _month_span(months: pd.Series) -> pd.DatetimeIndex:
    """Every month from the first to the latest in ``months`` (first of the month, its dtype)."""
    if months.empty:
        return pd.DatetimeIndex([], dtype=months.dtype)
    return pd.date_range(months.min(), months.max(), freq="MS").astype(months.dtype)


def _categories(df: pd.DataFrame) -> list[str]:
    """The rural categories in display order: the frame's own (the definition's) or the default."""
    col = df["rural_category"]
    if isinstance(col.dtype, pd.CategoricalDtype) and len(col.cat.categories):
        return [str(c) for c in col.cat.categories]
    extra = sorted(set(col.dropna().astype(str)) - set(RURAL_CATEGORIES))
    return [*RURAL_CATEGORIES, *extra]


def rural_by_month(df: pd.DataFrame) -> pd.DataFrame:
    """Rural crimes per month and category, as a tidy frame for a stacked bar chart.

    Every month with data (any incident loaded, rural crime or not) appears with every
    category, zero-filled, so a month without rural crime shows as an empty bar and each
    category keeps its colour. A month with no incident at all has no file: it is left out,
    not drawn as a month without crime (:attr:`Headline.missing_months` names those).

    Parameters
    ----------
    df : DataFrame
        A classified frame.

    Returns
    -------
    DataFrame
        Columns ``month`` (datetime64, first of the month), ``category`` (ordered categorical in
        the definition's order: burglary, theft from the person, vehicle crime, robbery, criminal
        damage, wildlife crime) and ``crimes`` (int64); sorted by month, then category. Empty
        (with those columns) when the frame has no months.
    """
    categories = _categories(df)
    cat_dtype = pd.CategoricalDtype(categories, ordered=True)
    months = df["month"].dropna()
    if months.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[s]"),
                "category": pd.Series(dtype=cat_dtype),
                "crimes": pd.Series(dtype="int64"),
            }
        )
    span = pd.DatetimeIndex(np.sort(months.unique())).astype(months.dtype)  # months with data
    rural = df.loc[df["is_rural_crime"].to_numpy(dtype=bool), ["month", "rural_category"]]
    counts = rural.assign(category=rural["rural_category"].astype(str)).groupby(["month", "category"]).size()
    grid = pd.MultiIndex.from_product([span, categories], names=["month", "category"])
    out = counts.reindex(grid, fill_value=0).rename("crimes").astype("int64").reset_index()
    out["category"] = out["category"].astype(cat_dtype)
    return out


def _top(counts: pd.Series, n: int | None, total: int) -> pd.DataFrame:
    """Sort counts high to low (ties by label), keep the top ``n``, and add each one's share."""
    frame = counts[counts > 0].rename("crimes").reset_index()
    keys = [c for c in frame.columns if c != "crimes"]
    frame = frame.sort_values(["crimes", *keys], ascending=[False, *[True] * len(keys)], kind="stable")
    if n is not None:
        frame = frame.head(n)
    frame["crimes"] = frame["crimes"].astype("int64")
    frame["share"] = frame["crimes"] / total if total else np.nan
    return frame.reset_index(drop=True)


def rural_by_reason(df: pd.DataFrame, n: int | None = 10) -> pd.DataFrame:
    """The commonest reasons rural crimes were counted as rural (``rural_reason``).

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    n : int or None, default 10
        How many reasons to keep; None keeps all.

    Returns
    -------
    DataFrame
        Columns ``reason`` (str), ``crimes`` (int64) and ``share`` (float, of all rural crimes,
        so the shares of a top-N table add up to less than 1 when reasons were left off).
        Highest count first; ties in reason order. Reasons with no rural crime are left out.
    """
    rural = df.loc[df["is_rural_crime"].to_numpy(dtype=bool), "rural_reason"].astype(str)
    counts = rural.value_counts(sort=False).rename_axis("reason")
    return _top(counts, n, len(rural))


EVIDENCE = ("in a rural ward", "at a farm", "at a farm in a rural ward")


def rural_by_evidence(df: pd.DataFrame) -> pd.DataFrame:
    """Rural crimes by category and by the evidence that made them rural.

    Returns
    -------
    DataFrame
        One row per category of the definition (all of them, zeros included, in definition
        order) with a column per :data:`EVIDENCE` kind and ``total``. "At a farm" means at a
        farm outside any rural ward (urban or unknown area); a farm in a rural ward counts once,
        in its own column.
    """
    rural = df[df["is_rural_crime"].to_numpy(dtype=bool)]
    farm = rural["at_farm"].to_numpy(dtype=bool)
    ward = rural["in_rural_ward"].fillna(False).to_numpy(dtype=bool)
    evidence = np.select([farm & ward, farm], [EVIDENCE[2], EVIDENCE[1]], default=EVIDENCE[0])
    table = pd.crosstab(
        pd.Categorical(rural["rural_category"]), pd.Categorical(evidence, categories=list(EVIDENCE)), dropna=False
    )
    cats = list(df["rural_category"].cat.categories)
    table = table.reindex(index=cats, columns=list(EVIDENCE), fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index="category", columns=None).reset_index()


def rural_by_ward(df: pd.DataFrame, n: int | None = 10) -> pd.DataFrame:
    """The wards with the most rural crimes.

    Rural crimes with no known ward (no coordinates, outside every ward boundary, or no ward
    boundaries loaded) are left out of the rows but not out of ``share``'s base, so the shares
    say what part of *all* rural crime each ward holds.

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    n : int or None, default 10
        How many wards to keep; None keeps all.

    Returns
    -------
    DataFrame
        Columns ``ward_code``, ``ward_name`` (str), ``crimes`` (int64) and ``share`` (float, of
        all rural crimes). Highest count first; ties by ward code.
    """
    mask = df["is_rural_crime"].to_numpy(dtype=bool)
    rural = pd.DataFrame(
        {
            "ward_code": df.loc[mask, "ward_code"].astype(object),
            "ward_name": df.loc[mask, "ward_name"].astype(object),
        }
    )
    total = len(rural)
    known = rural[rural["ward_code"].notna()]
    counts = known.groupby(["ward_code", "ward_name"], dropna=False).size()
    out = _top(counts, n, total)
    out["ward_code"] = out["ward_code"].astype(str)
    out["ward_name"] = out["ward_name"].fillna(out["ward_code"]).astype(str)
    return out


def without_paths(text: str, root: str | os.PathLike | None) -> str:
    """``text`` with every path under the data directory ``root`` cut to the file name the user
    gave (``…/data/ours/police_uk/20240601T…/2024-01-x-street.csv`` → ``2024-01-x-street.csv``;
    a member of an archive keeps its place in it: ``archive.zip!2024-01/…-street.csv``).

    Pages and downloads show file names as added, never where the server keeps them.
    """
    if not root or not text:
        return text
    base = re.escape(str(Path(root)).rstrip("/\\"))
    return re.sub(base + r"[/\\](?:[^/\\\s!]+[/\\])*", "", text)


def shown_sources(frame: pd.DataFrame, root: str | os.PathLike | None, column: str = "source_file") -> pd.DataFrame:
    """A copy of ``frame`` with its file column cut to the names the user gave (:func:`without_paths`)."""
    if column not in frame or not len(frame):
        return frame
    names = frame[column].astype(object)
    uniq = pd.unique(names.dropna())
    short = {n: without_paths(str(n), root) for n in uniq}  # once per file, not per row
    return frame.assign(**{column: names.map(short)})


def rejected_csv(rejected: pd.DataFrame, root: str | os.PathLike | None = None) -> bytes:
    """The rejected rows as spreadsheet-safe UTF-8 CSV (file, line, column, reason, raw line),
    file names as the user gave them."""
    return csv_bytes(shown_sources(rejected, root))
