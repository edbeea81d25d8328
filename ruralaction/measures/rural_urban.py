"""Rural against urban, side by side: counts, rates per 1,000 residents (when a population file
is loaded) and per km², month by month.

*Rural* is rural crime as the definition says (in a rural ward, or at a farm anywhere);
*urban* is the same categories in urban wards away from farms. Rates per resident divide by
the residents of rural and of urban wards (ONS LSOA estimates shared into wards by area);
per km² divides by their land area, which is the fairer measure for farmland, where few people
live and much is stolen from fields and yards. Months without data are left out, never drawn
as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralaction.measures.counts import CountTable, from_frame, in_scope_urban
from ruralaction.measures.trends import MIN_COUNT

SIDES = ("Rural", "Urban")
METHOD = (
    "Rural: rural crime (rural wards, and farms anywhere). Urban: the same categories in urban wards away from "
    "farms. Per 1,000 residents of rural / urban wards a year (ONS mid-year LSOA estimates shared into wards by "
    "area), or per km² of their land a year. Months without data are left out."
)


@dataclass(frozen=True)
class Denominators:
    """Residents and land area of the rural and the urban wards (None where unknown)."""

    residents: dict[str, float | None]
    area_km2: dict[str, float | None]


def denominators(
    wards: pd.DataFrame,
    areas_km2: pd.Series,
    rural_classes: Sequence[str],
    population: pd.Series | None = None,
) -> Denominators:
    """Residents and km² of rural and of urban wards.

    Parameters
    ----------
    wards : DataFrame
        ``ward_code, ruc_code``.
    areas_km2 : Series
        km² per ward code (:func:`~ruralaction.measures.trends.ward_areas_km2`).
    rural_classes : sequence of str
    population : Series, optional
        Residents per ward code; a ward with NaN makes its side's residents unknown.
    """
    codes = wards["ward_code"].astype(str)
    known = wards["ruc_code"].notna().to_numpy()
    rural = wards["ruc_code"].isin(list(rural_classes)).to_numpy()
    residents: dict[str, float | None] = {}
    area: dict[str, float | None] = {}
    for side, sel in (("Rural", rural & known), ("Urban", ~rural & known)):
        a = areas_km2.reindex(codes[sel]).to_numpy(dtype=float)
        area[side] = float(a.sum()) if len(a) and np.isfinite(a).all() else None
        if population is None:
            residents[side] = None
        else:
            p = population.reindex(codes[sel]).to_numpy(dtype=float)
            residents[side] = float(p.sum()) if len(p) and np.isfinite(p).all() and p.sum() > 0 else None
    return Denominators(residents, area)


def side_table(df: pd.DataFrame, rural_mask: np.ndarray, covered: Sequence[str]) -> CountTable:
    """Crimes per month on each side: rural (``rural_mask``, e.g. all rural crime) and urban
    (:func:`~ruralaction.measures.counts.in_scope_urban`, restricted to ``rural_mask``'s months
    and categories is the caller's business)."""
    urban = in_scope_urban(df)
    side = np.where(rural_mask, 0, np.where(urban, 1, -1))
    return from_frame(df, side >= 0, side, pd.Index(list(SIDES), name="side"), covered)


def side_by_side(table: CountTable, den: Denominators) -> pd.DataFrame:
    """Counts and rates per covered month for each side.

    Returns
    -------
    DataFrame
        ``month`` (timestamp), ``side``, ``crimes``, ``per_1000_year`` (NaN without residents),
        ``per_km2_year`` (NaN without areas): monthly counts turned into yearly rates (× 12).
    """
    rows = []
    cov = np.asarray(table.covered, bool)
    months = pd.to_datetime(pd.Series(table.months)[cov].to_numpy())
    for i, side in enumerate(table.areas):
        n = table.counts[i, cov].astype(float)
        res, km2 = den.residents.get(side), den.area_km2.get(side)
        rows.append(
            pd.DataFrame(
                {
                    "month": months,
                    "side": side,
                    "crimes": n.astype(np.int64),
                    "per_1000_year": n * 12 / res * 1000 if res else np.nan,
                    "per_km2_year": n * 12 / km2 if km2 else np.nan,
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["month", "side", "crimes"])


def summary_words(frame: pd.DataFrame) -> str:
    """The whole period's rates in one sentence, rural against urban, with the small-number rule."""
    if frame.empty:
        return "No months with data."
    tot = frame.groupby("side")["crimes"].sum()
    months = frame["month"].nunique()
    parts = []
    for side in SIDES:
        n = int(tot.get(side, 0))
        sub = frame[frame["side"] == side]
        if n < MIN_COUNT:
            parts.append(f"{side.lower()}: {n} crimes, too few for a rate")
            continue
        per_res = sub["per_1000_year"].mean()
        per_km2 = sub["per_km2_year"].mean()
        bits = [f"{n:,} crimes"]
        if np.isfinite(per_res):
            bits.append(f"{per_res:,.1f} per 1,000 residents a year")
        if np.isfinite(per_km2):
            bits.append(f"{per_km2:,.2f} per km² a year")
        parts.append(f"{side.lower()}: " + ", ".join(bits))
    return f"Over {months} month{'s' if months != 1 else ''} with data — " + "; ".join(parts) + "."
