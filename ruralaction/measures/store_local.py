"""The Local area page's numbers asked of the classified store through DuckDB: a ward's or a
parish's summary, the area's crimes (newest first, up to a limit) and the counts an action's
before/after compares.

Each function gives exactly what its in-memory twin gives on the same rows
(:func:`ruralaction.measures.area_report.local_area_summary`,
:func:`ruralaction.measures.parish_report.parish_summary`, the functions of
:mod:`ruralaction.measures.trends`, :func:`ruralaction.actions.measure.before_after`), but only
counts (per month, category, outcome, ward or parish) come out of SQL, so no page holds every
incident in memory. ``tests/test_store_local.py`` holds them equal on the real police.uk files.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralaction.measures import store_queries as sq
from ruralaction.measures import trends
from ruralaction.measures.area_report import AreaCounts, AreaSummary, months_shown, ward_summary
from ruralaction.measures.filters import FilterOptions, Filters
from ruralaction.measures.parish_report import parish_from_counts, parish_rates_from_counts

Where = tuple[str, list]


def has_parishes(view: sq.StoreView) -> bool:
    """Whether the store has each incident's parish (parishes were loaded when it was classified)."""
    return "parish_code" in view.columns()


def area_where(view: sq.StoreView, f: Filters, wards: pd.DataFrame | None = None, parish: str | None = None) -> Where:
    """The SQL condition for an area's rural crimes: :func:`store_queries.where` for a ward (or
    district) in ``f``; for a parish, ``f`` without its area and the rows in the parish
    (:func:`ruralaction.measures.parish_report.parish_mask`: none without a parish column)."""
    if parish is None:
        return sq.where(f, wards)
    cond, params = sq.where(f.without_area())
    if not has_parishes(view):
        return f"{cond} AND false", params
    return f"{cond} AND parish_code = ?", [*params, parish]


def _month_codes(months: pd.Series) -> np.ndarray:
    return pd.to_datetime(months).to_numpy().astype("datetime64[M]").astype(np.int64)


def counts(view: sq.StoreView, where: Where) -> pd.DataFrame:
    """The rows ``where`` picks counted by ``month, category, outcome`` (``n``): one small query
    from which :func:`monthly`, :func:`by_category` and :func:`outcomes` are all taken."""
    cond, params = where
    return view.query(
        f"SELECT month, rural_category AS category, last_outcome AS outcome, count(*) AS n FROM rural_rows "
        f"WHERE {cond} GROUP BY ALL",
        params,
    )


def monthly(
    view: sq.StoreView, where: Where | pd.DataFrame, first: str, last: str, covered: Sequence[str] | None = None
) -> pd.DataFrame:
    """:func:`trends.monthly` for the rows ``where`` picks (or from their :func:`counts`), in SQL."""
    got = counts(view, where) if isinstance(where, tuple) else where
    got = got[got["month"].notna() & got["category"].notna()]
    cats = list(view.categories)
    lo, hi = int(np.datetime64(first, "M").astype(np.int64)), int(np.datetime64(last, "M").astype(np.int64))
    n_months = max(hi - lo + 1, 0)
    m = _month_codes(got["month"]) - lo
    c = pd.Index(cats).get_indexer(got["category"].astype(object))
    ok = (m >= 0) & (m < n_months) & (c >= 0)
    n = (
        np.bincount(m[ok] * len(cats) + c[ok], weights=got["n"].to_numpy()[ok], minlength=n_months * len(cats))
        if n_months
        else np.zeros(0)
    )
    return trends.month_category_frame(n, lo, n_months, cats, covered)


def by_category(view: sq.StoreView, where: Where | pd.DataFrame) -> pd.Series:
    """:func:`trends.by_category` for the rows ``where`` picks (or from their :func:`counts`), in SQL."""
    got = counts(view, where) if isinstance(where, tuple) else where
    cats = list(view.categories)
    n = got.groupby(got["category"].astype(object))["n"].sum().reindex(cats, fill_value=0)
    return pd.Series(n.to_numpy(np.int64), index=pd.Index(cats, name="category"), name="crimes")


def outcomes(view: sq.StoreView, where: Where | pd.DataFrame) -> pd.DataFrame:
    """:func:`trends.outcomes` for the rows ``where`` picks (or from their :func:`counts`), in SQL."""
    got = counts(view, where) if isinstance(where, tuple) else where
    labels = got["outcome"].astype(object).fillna(trends.NO_OUTCOME).astype(str).tolist()
    # a first row of none, as the in-memory count has (the column's type even with no crimes)
    out = pd.DataFrame({"outcome": [trends.NO_OUTCOME, *labels], "crimes": [0, *got["n"].astype(np.int64)]})
    out["crimes"] = out["crimes"].astype(np.int64)
    out = out[out["crimes"] > 0].groupby("outcome", sort=False, as_index=False)["crimes"].sum()
    out = out.sort_values(["crimes", "outcome"], ascending=[False, True], kind="stable").reset_index(drop=True)
    total = int(out["crimes"].sum())
    out["share"] = out["crimes"] / total if total >= trends.MIN_COUNT else np.nan
    out["share_text"] = [trends.share_text(int(k), total) for k in out["crimes"]]
    return out


def change(
    view: sq.StoreView,
    where: Where,
    end_month: str,
    first_month: str,
    window: int = 12,
    covered: Sequence[str] | None = None,
) -> trends.Change:
    """:func:`trends.change` for the rural crimes ``where`` picks: the crimes of the two windows
    counted per month in the store's cube, then measured by :func:`trends.change` itself on one month per crime of
    those windows (the area's, so a few thousand at most)."""
    cond, params = where
    end = pd.Period(end_month, "M")
    got = view.query(
        f"SELECT month, sum(crimes)::BIGINT AS n FROM cube WHERE {cond} AND month >= ? AND month < ? GROUP BY ALL",
        [*params, (end - 2 * window + 1).start_time.to_pydatetime(), (end + 1).start_time.to_pydatetime()],
    )
    month = np.repeat(pd.to_datetime(got["month"]).to_numpy(dtype="datetime64[s]"), got["n"].to_numpy(np.int64))
    rows = pd.DataFrame({"month": month})
    return trends.change(rows, np.ones(len(rows), bool), end_month, first_month, window, covered)


def area_counts(
    view: sq.StoreView, area: Where, area_all_months: Where, county: Where, filters: Filters, opts: FilterOptions
) -> AreaCounts:
    """An area's :class:`~ruralaction.measures.area_report.AreaCounts`: ``area`` its rows under
    the filters, ``area_all_months`` the same without the months, ``county`` the filters
    without the area. The area's rows are counted once by month, category and outcome; the
    change and the county's categories come from the store's cube of rural crimes."""
    first, last, covered = months_shown(filters, opts)
    here = counts(view, area)
    cond, params = county
    county_cats = view.query(
        f"SELECT rural_category AS category, sum(crimes)::BIGINT AS n FROM cube WHERE {cond} GROUP BY ALL", params
    )
    return AreaCounts(
        crimes=int(here["n"].sum()),
        trend=monthly(view, here, first, last, covered=covered),
        change=change(view, area_all_months, last, opts.months[0], covered=opts.covered_months),
        by_category=by_category(view, here),
        county_by_category=by_category(view, county_cats),
        outcomes=outcomes(view, here),
    )


def local_area_summary(
    view: sq.StoreView,
    wards: pd.DataFrame,
    areas: pd.Series,
    rural_classes: tuple[str, ...] | list[str],
    filters: Filters,
    opts: FilterOptions,
    demo: bool = False,
    population: pd.Series | None = None,
) -> AreaSummary:
    """:func:`ruralaction.measures.area_report.local_area_summary`, in SQL."""
    if filters.ward is None or not opts.months:
        raise ValueError("A ward and some loaded months are needed for a local area summary.")
    _, _, covered = months_shown(filters, opts)
    counts = area_counts(
        view,
        sq.where(filters, wards),
        sq.where(filters.without_months(), wards),
        sq.where(filters.without_area(), wards),
        filters,
        opts,
    )
    rates = sq.area_rates(view, filters.without_area(), wards, areas, len(covered), rural_classes, population)
    per = "1000" if population is not None else "km2"
    return ward_summary(counts, rates, wards, rural_classes, filters, opts, demo, per)


def parish_summary(
    view: sq.StoreView,
    parishes: gpd.GeoDataFrame,
    code: str,
    areas: pd.Series,
    rural: pd.Series,
    rural_classes,
    filters: Filters,
    opts: FilterOptions,
    demo: bool = False,
) -> AreaSummary:
    """:func:`ruralaction.measures.parish_report.parish_summary`, in SQL."""
    if not (parishes["parish_code"].astype(str) == code).any() or not opts.months:
        raise ValueError("A loaded parish and some loaded months are needed for a parish summary.")
    f = filters.without_area()
    _, _, covered = months_shown(f, opts)
    counts = area_counts(
        view,
        area_where(view, f, parish=code),
        area_where(view, f.without_months(), parish=code),
        sq.where(f),
        f,
        opts,
    )
    per_parish = sq.parish_counts(view, f, pd.Index(parishes["parish_code"].astype(str)))
    rates = parish_rates_from_counts(per_parish, parishes, areas, rural, len(covered), rural_classes)
    return parish_from_counts(counts, rates, parishes, code, rural, filters, opts, demo)


def area_rows(
    view: sq.StoreView,
    f: Filters,
    wards: pd.DataFrame | None = None,
    parish: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The area's rural crimes themselves, newest first (:data:`store_queries.ROW_COLUMNS`, at
    most ``limit``), as :func:`store_queries.filtered_rows` gives them: for the area's map
    points, its table and its download (``trends.incident_table(rows, all-true mask)``)."""
    if parish is None:
        return sq.filtered_rows(view, f, wards, limit)
    return sq.newest_rows(view, *area_where(view, f, parish=parish), limit)


def window_counts(
    view: sq.StoreView,
    ward_codes: Sequence[str],
    category: str,
    before: tuple[pd.Period, pd.Period],
    after: tuple[pd.Period, pd.Period],
) -> tuple[set[pd.Period], int, int]:
    """For :func:`ruralaction.actions.measure.before_after`: the months loaded (any incident at
    all) and the incidents of ``category`` in ``ward_codes`` (rural or not, as there) in the
    ``before`` and ``after`` windows (first and last month of each, inclusive)."""
    loaded = view.query("SELECT DISTINCT month FROM rows WHERE month IS NOT NULL")["month"]
    loaded = set(pd.PeriodIndex(pd.to_datetime(loaded), freq="M"))

    def ts(p: pd.Period):
        return p.start_time.to_pydatetime()

    row = view.query(
        "SELECT count(*) FILTER (month >= ? AND month < ?) AS b, count(*) FILTER (month >= ? AND month < ?) AS a "
        "FROM rows WHERE rural_category = ? AND ward_code IN (SELECT unnest(?::VARCHAR[]))",
        [ts(before[0]), ts(before[1] + 1), ts(after[0]), ts(after[1] + 1), category, [str(w) for w in ward_codes]],
    ).iloc[0]
    return loaded, int(row["b"]), int(row["a"])
