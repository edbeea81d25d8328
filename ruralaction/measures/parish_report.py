"""A parish's story for the Local area page, and parish rates for the map.

The same measures as a ward's (:mod:`ruralaction.measures.area_report`): the trend, the last 12
months against the 12 before, the comparison (here with the pooled rate of the county's
**rural parishes**), what stands out, outcomes. A parish counts as rural when most of its area
lies in the county's rural wards. The result is an
:class:`~ruralaction.measures.area_report.AreaSummary` with ``area="parish"``, so the page, the
CSV and the printable summary are the ward's own.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralaction.geography.boundaries import BNG
from ruralaction.measures import trends
from ruralaction.measures.area_report import AreaCounts, AreaSummary, assemble, months_shown
from ruralaction.measures.filters import FilterOptions, Filters


def parish_areas_km2(parishes: gpd.GeoDataFrame | None) -> pd.Series:
    """Each parish's area in km² (index: parish code)."""
    if parishes is None or not len(parishes):
        return pd.Series(dtype=float, name="area_km2")
    area = parishes.geometry.to_crs(BNG).area.to_numpy() / 1e6
    return pd.Series(area, index=pd.Index(parishes["parish_code"].astype(str), name="parish_code"), name="area_km2")


def parish_rural(spans: pd.DataFrame, wards: pd.DataFrame | None, rural_classes) -> pd.Series:
    """Whether each parish is rural: more than half its area in rural wards (index: parish
    code; parishes in no classified ward are left out)."""
    if spans is None or spans.empty or wards is None:
        return pd.Series(dtype=bool)
    ruc = wards.set_index(wards["ward_code"].astype(str))["ruc_code"]
    known = spans["ward_code"].map(ruc).notna()
    rural = spans["ward_code"].map(ruc).isin(list(rural_classes))
    share = spans.assign(r=spans["share"].where(rural, 0.0), k=spans["share"].where(known, 0.0))
    g = share.groupby("parish_code")[["r", "k"]].sum()
    g = g[g["k"] > 0]
    return (g["r"] > g["k"] / 2).rename("rural")


def _as_wards(parishes: gpd.GeoDataFrame, rural: pd.Series, rural_classes) -> pd.DataFrame:
    """Parishes in the shape :func:`trends.area_rates` takes (``ward_code`` = parish code)."""
    codes = parishes["parish_code"].astype(str)
    is_rural = codes.map(rural).eq(True).to_numpy()
    return pd.DataFrame(
        {
            "ward_code": codes.to_numpy(),
            "ward_name": parishes["parish_name"].astype(str).to_numpy(),
            "district": None,
            "ruc_code": np.where(is_rural, next(iter(rural_classes), "E1"), None),
        }
    )


def _by_parish(df: pd.DataFrame) -> pd.DataFrame:
    # trends count per ``ward_code``; a view whose ward column is the parish counts per parish
    return df.assign(ward_code=df["parish_code"])


def parish_mask(df: pd.DataFrame, code: str) -> np.ndarray:
    """Rows in the parish (on the categorical's codes, not strings)."""
    col = df["parish_code"]
    pos = col.cat.categories.get_indexer([code])[0] if len(col.cat.categories) else -1
    return col.cat.codes.to_numpy() == pos if pos >= 0 else np.zeros(len(df), bool)


def parish_rates(
    df: pd.DataFrame,
    mask: np.ndarray,
    parishes: gpd.GeoDataFrame,
    areas: pd.Series,
    rural: pd.Series,
    months: int,
    rural_classes,
) -> pd.DataFrame:
    """Rural crimes and per km² a year in every parish (``ward_code``/``ward_name`` columns
    hold the parish's code and name, as :func:`trends.area_rates` returns them)."""
    return trends.area_rates(
        _by_parish(df), mask, _as_wards(parishes, rural, rural_classes), areas, months, rural_classes
    )


def parish_rates_from_counts(
    crimes: np.ndarray, parishes: gpd.GeoDataFrame, areas: pd.Series, rural: pd.Series, months: int, rural_classes
) -> pd.DataFrame:
    """:func:`parish_rates` from crimes already counted per parish, in the order of ``parishes``
    (e.g. :func:`ruralaction.measures.store_queries.parish_counts`)."""
    return trends.rates_from_counts(crimes, _as_wards(parishes, rural, rural_classes), areas, months, rural_classes)


def parish_from_counts(
    counts: AreaCounts,
    rates: pd.DataFrame,
    parishes: gpd.GeoDataFrame,
    code: str,
    rural: pd.Series,
    filters: Filters,
    opts: FilterOptions,
    demo: bool = False,
) -> AreaSummary:
    """One parish's summary from its counts and the county's parish rates (:func:`parish_rates`)."""
    f = filters.without_area()
    first, last, covered = months_shown(f, opts)
    comparison = trends.compare_with_rural_average(rates, code, len(covered), "km2")
    words = (
        comparison.words.replace("rural-ward average", "rural-parish average")
        .replace("rural wards", "rural parishes")
        .replace("This ward", "This parish")
    )
    row = parishes.loc[parishes["parish_code"].astype(str) == code]
    return assemble(
        counts,
        replace(comparison, words=words),
        ward_code=code,
        ward_name=str(row["parish_name"].iloc[0]),
        district=None,
        rural=bool(rural[code]) if code in rural.index else None,
        covered=covered,
        filters_text=f.describe(opts),
        first_month=first,
        last_month=last,
        demo=demo,
        area="parish",
    )


def parish_summary(
    df: pd.DataFrame,
    parishes: gpd.GeoDataFrame,
    code: str,
    areas: pd.Series,
    rural: pd.Series,
    rural_classes,
    filters: Filters,
    opts: FilterOptions,
    demo: bool = False,
) -> AreaSummary:
    """Measure one parish under the page's filters (their district and ward are ignored: the
    parish decides). Raises ValueError for an unknown parish or no loaded months.
    :func:`ruralaction.measures.store_local.parish_summary` gives the same in SQL."""
    if not (parishes["parish_code"].astype(str) == code).any() or not opts.months:
        raise ValueError("A loaded parish and some loaded months are needed for a parish summary.")
    f = filters.without_area()
    first, last, covered = months_shown(f, opts)
    inside = parish_mask(df, code)
    county_mask = f.apply(df)
    mask = county_mask & inside
    counts = AreaCounts(
        crimes=int(mask.sum()),
        trend=trends.monthly(df, mask, first, last, covered=covered),
        change=trends.change(
            df, f.without_months().apply(df) & inside, last, opts.months[0], covered=opts.covered_months
        ),
        by_category=trends.by_category(df, mask),
        county_by_category=trends.by_category(df, county_mask),
        outcomes=trends.outcomes(df, mask),
    )
    # rates a year over the months with data, as for a ward
    rates = parish_rates(df, county_mask, parishes, areas, rural, len(covered), rural_classes)
    return parish_from_counts(counts, rates, parishes, code, rural, filters, opts, demo)
