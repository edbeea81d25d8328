"""The evidence's count tables asked of the classified store through DuckDB.

The evidence statistics (:mod:`~ruralaction.measures.seasonal`, :mod:`~ruralaction.measures.hotspots`,
:mod:`~ruralaction.progress.impact`, :mod:`~ruralaction.measures.rural_urban`) take small count
tables, never incidents. Each function here builds one from a SQL ``GROUP BY`` over a
:class:`~ruralaction.measures.store_queries.StoreView` and gives exactly what the in-memory path
(:func:`~ruralaction.measures.counts.from_frame` over the classified frame, one ``np.bincount``)
gives; ``tests/test_store_evidence.py`` holds them equal on the real police.uk files.

Hotspots never give every incident a cell: police.uk moves each crime to one of a few thousand
anonymous snap points, so the filtered crimes grouped by point and month are few rows; those
points get their cell and are counted with their number of crimes as weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralaction.measures import hotspots
from ruralaction.measures.counts import CountTable, from_tidy, month_code
from ruralaction.measures.filters import Filters
from ruralaction.measures.rural_urban import SIDES
from ruralaction.measures.store_queries import StoreView, where

#: An in-scope crime on the urban side (:func:`ruralaction.measures.counts.in_scope_urban`).
_URBAN = (
    "rural_category IS NOT NULL AND coalesce(in_county, false) AND NOT coalesce(in_rural_ward, true) AND NOT at_farm"
)


def covered_months(view: StoreView) -> list[str]:
    """``covered_months(coverage(df))`` in SQL: every month with any incident loaded, ``"YYYY-MM"``."""
    got = view.query("SELECT DISTINCT strftime(month, '%Y-%m') AS m FROM rows WHERE month IS NOT NULL ORDER BY m")
    return got["m"].astype(str).tolist()


@dataclass(frozen=True)
class WardTables:
    """Rural crime per ward and month, every in-scope crime per category, ward and month, and
    rural crime per category and month county-wide (the calendar's input)."""

    rural: CountTable
    categories: dict[str, CountTable]
    calendar: CountTable


def ward_tables(view: StoreView, wards: Sequence[str], covered: Sequence[str]) -> WardTables:
    """The tables one ``GROUP BY ward_code, rural_category, month`` gives.

    Parameters
    ----------
    view : StoreView
    wards : sequence of str
        Ward codes, the tables' rows in this order (crimes in other or no wards are not in the
        ward tables; the calendar counts them).
    covered : sequence of str
        :func:`covered_months`.
    """
    tidy = view.query(
        "SELECT ward_code, rural_category, month, count(*) FILTER (is_rural_crime) AS rural, "
        "count(*) FILTER (rural_category IS NOT NULL) AS in_scope FROM rows "
        "WHERE (is_rural_crime OR rural_category IS NOT NULL) AND month IS NOT NULL GROUP BY ALL"
    )
    codes = pd.Index([str(c) for c in wards], name="ward_code")
    names = list(view.categories)
    by_ward = tidy.rename(columns={"ward_code": "area"})
    rural = from_tidy(by_ward.assign(crimes=by_ward["rural"]), covered, codes)
    categories = {
        c: from_tidy(sub.assign(crimes=sub["in_scope"]), covered, codes)
        for c, sub in ((c, by_ward[by_ward["rural_category"] == c]) for c in names)
    }
    by_cat = tidy.rename(columns={"rural_category": "area", "rural": "crimes"})
    calendar = from_tidy(by_cat, covered, pd.Index(names, name="category"))
    return WardTables(rural, categories, calendar)


def side_table(view: StoreView, covered: Sequence[str]) -> CountTable:
    """:func:`ruralaction.measures.rural_urban.side_table` with every rural crime as the rural
    side, in SQL: rural crimes and in-scope urban crimes per month."""
    tidy = view.query(
        f"SELECT CASE WHEN is_rural_crime THEN 'Rural' ELSE 'Urban' END AS area, month, count(*) AS crimes "
        f"FROM rows WHERE (is_rural_crime OR ({_URBAN})) AND month IS NOT NULL GROUP BY ALL"
    )
    sides = pd.Index(list(SIDES), name="side")
    return from_tidy(tidy, covered, sides)


def point_counts(view: StoreView, f: Filters, wards: pd.DataFrame | None = None) -> pd.DataFrame:
    """The crimes :meth:`Filters.apply` shows, per snap point and month: ``longitude, latitude,
    month, crimes`` (crimes without coordinates left out)."""
    cond, params = where(f, wards)
    out = view.query(
        f"SELECT longitude, latitude, month, sum(crimes)::BIGINT AS crimes FROM cube WHERE {cond} "
        "AND longitude IS NOT NULL AND latitude IS NOT NULL GROUP BY ALL",
        params,
    )
    out["crimes"] = out["crimes"].astype(np.int64)
    return out


def cell_counts(
    view: StoreView,
    grid: hotspots.HexGrid,
    f: Filters,
    wards: pd.DataFrame | None = None,
    blocks: Sequence[Sequence[str]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """The filtered crimes per grid cell, and per time step (``blocks``: lists of ``"YYYY-MM"``,
    e.g. quarters) and cell.

    Returns
    -------
    counts : ndarray of int64, shape (grid.n,)
    by_step : ndarray of int64, shape (len(blocks), grid.n)
    """
    pts = point_counts(view, f, wards)
    cell = hotspots.assign_cells(pts["longitude"].to_numpy(float), pts["latitude"].to_numpy(float), grid)
    weight = pts["crimes"].to_numpy(np.int64)
    ok = cell >= 0
    counts = np.bincount(cell[ok], weights=weight[ok], minlength=grid.n).astype(np.int64)
    if not (len(blocks) and grid.n):
        return counts, np.zeros((0, grid.n), np.int64)
    block_of = {month_code(m): i for i, b in enumerate(blocks) for m in b}
    codes = pts["month"].to_numpy().astype("datetime64[M]").astype(np.int64)
    pos = pd.Series(codes).map(block_of).fillna(-1).to_numpy(dtype=np.int64)
    ok &= pos >= 0
    by_step = np.bincount(pos[ok] * grid.n + cell[ok], weights=weight[ok], minlength=len(blocks) * grid.n).astype(
        np.int64
    )
    return counts, by_step.reshape(len(blocks), grid.n)
