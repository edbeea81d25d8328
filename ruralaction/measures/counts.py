"""Small count tables: the only input the evidence statistics (hotspots, seasonal baselines,
action impact, rural/urban rates) take.

Each statistic works on a :class:`CountTable` — crimes per *area* (ward, district, hexagon
cell…) per month, with the months the data covers — never on the incident frame. A page gets
one either from the in-memory classified frame (:func:`from_frame`, one ``np.bincount``) or
from a SQL ``GROUP BY area, month`` over a columnar store (:func:`from_tidy`), and the
statistics cannot tell the difference.

Coverage is part of the table: a month with no data file is *not covered*, and every statistic
leaves it out rather than reading it as a month without crime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralaction.measures.coverage import Coverage


def month_code(month: str) -> int:
    """Months since 1970-01 of ``"YYYY-MM"``."""
    return int(np.datetime64(month, "M").astype(np.int64))


def month_text(code: int) -> str:
    """``"YYYY-MM"`` of a month code (months since 1970-01)."""
    return str(np.datetime64(int(code), "M"))


def month_span(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, ``"YYYY-MM"``."""
    lo, hi = month_code(first), month_code(last)
    return [month_text(c) for c in range(lo, hi + 1)]


def covered_months(cov: Coverage) -> list[str]:
    """The months a :class:`~ruralaction.measures.coverage.Coverage` says are loaded, ``"YYYY-MM"``.

    A month counts as covered when any incident (rural or not) was loaded for it: a month with
    crimes of other kinds and no rural crime is a real zero; a month with nothing at all is a
    missing file.
    """
    pm = cov.per_month
    if pm is None or pm.empty:
        return []
    loaded = pm.loc[pm["status"] == "loaded", "month"]
    return [f"{pd.Timestamp(m):%Y-%m}" for m in loaded]


@dataclass(frozen=True)
class CountTable:
    """Crimes per area per month, with which months the data covers.

    Attributes
    ----------
    areas : Index
        Area identifiers (ward codes, cell numbers…), one per row of ``counts``.
    months : tuple of str
        Every month from the first to the last, ``"YYYY-MM"``, gaps included.
    covered : ndarray of bool
        One per month: whether data was loaded for it. Uncovered months hold 0 in ``counts``
        and must never be read as zero crimes.
    counts : ndarray of int64, shape (len(areas), len(months))
    """

    areas: pd.Index
    months: tuple[str, ...]
    covered: np.ndarray
    counts: np.ndarray

    @property
    def covered_months(self) -> list[str]:
        return [m for m, c in zip(self.months, self.covered) if c]

    def total(self) -> np.ndarray:
        """Crimes per month summed over areas (uncovered months are 0: check ``covered``)."""
        return self.counts.sum(axis=0)

    def rows(self, areas: Sequence) -> np.ndarray:
        """The counts of some areas (summed), one per month; unknown areas count nothing."""
        pos = self.areas.get_indexer(list(areas))
        pos = pos[pos >= 0]
        return self.counts[pos].sum(axis=0) if len(pos) else np.zeros(len(self.months), np.int64)

    def group(self, labels: Sequence, name: str | None = None) -> CountTable:
        """Areas summed into groups (``labels`` gives each area's group, e.g. its district);
        areas with a missing label are left out."""
        lab = pd.Series(list(labels), index=self.areas)
        keep = lab.notna().to_numpy()
        codes, uniq = pd.factorize(lab[keep], sort=True)
        out = np.zeros((len(uniq), len(self.months)), np.int64)
        np.add.at(out, codes, self.counts[keep])
        return CountTable(pd.Index(uniq, name=name), self.months, self.covered, out)

    def tidy(self) -> pd.DataFrame:
        """``area, month, covered, crimes``: one row per area and month (for downloads)."""
        n_a, n_m = self.counts.shape
        return pd.DataFrame(
            {
                "area": np.repeat(self.areas.to_numpy(), n_m),
                "month": np.tile(np.asarray(self.months, dtype=object), n_a),
                "covered": np.tile(self.covered, n_a),
                "crimes": self.counts.ravel(),
            }
        )


def _month_axis(months: Sequence[str], covered: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
    have = sorted({*months, *covered})
    if not have:
        return (), np.zeros(0, bool)
    span = tuple(month_span(have[0], have[-1]))
    cov = set(covered)
    return span, np.array([m in cov for m in span], dtype=bool)


def from_frame(
    df: pd.DataFrame,
    mask: np.ndarray,
    area_of_row: np.ndarray,
    areas: pd.Index,
    covered: Sequence[str],
) -> CountTable:
    """Count the masked rows of a classified frame per area and month.

    Parameters
    ----------
    df : DataFrame
        A classified frame (``month`` column).
    mask : ndarray of bool
        The rows to count.
    area_of_row : ndarray of int
        Each row's position in ``areas`` (-1: none), e.g. from :func:`area_positions`.
    areas : Index
    covered : sequence of str
        The months the data covers (:func:`covered_months`); the table spans from the first
        to the last of them.
    """
    months, cov = _month_axis([], covered)
    counts = np.zeros((len(areas), len(months)), np.int64)
    if not len(months):
        return CountTable(areas, months, cov, counts)
    lo = month_code(months[0])
    rows = np.flatnonzero(mask)
    m = df["month"].to_numpy()[rows].astype("datetime64[M]").astype(np.int64) - lo
    a = np.asarray(area_of_row)[rows]
    ok = (a >= 0) & (m >= 0) & (m < len(months))
    flat = np.bincount(a[ok].astype(np.int64) * len(months) + m[ok], minlength=len(areas) * len(months))
    counts[:] = flat.reshape(len(areas), len(months))
    counts[:, ~cov] = 0
    return CountTable(areas, months, cov, counts)


def from_tidy(frame: pd.DataFrame, covered: Sequence[str], areas: Sequence | None = None) -> CountTable:
    """A table from a tidy ``area, month, crimes`` frame (a SQL ``GROUP BY`` result).

    ``month`` may be ``"YYYY-MM"`` text or timestamps. Areas with no row count 0 in every
    month; ``areas`` fixes their order (default: sorted areas of the frame).
    """
    month = frame["month"]
    month = month if month.dtype == object and len(month) and isinstance(month.iloc[0], str) else None
    text = (
        frame["month"].astype(str).str.slice(0, 7)
        if month is not None
        else pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    )
    months, cov = _month_axis([], covered)
    if isinstance(areas, pd.Index):
        index = areas
    else:
        index = pd.Index(sorted(frame["area"].unique()) if areas is None else list(areas))
    counts = np.zeros((len(index), len(months)), np.int64)
    if len(frame) and len(months):
        a = index.get_indexer(frame["area"])
        m = pd.Index(months).get_indexer(text)
        ok = (a >= 0) & (m >= 0)
        np.add.at(counts, (a[ok], m[ok]), frame["crimes"].to_numpy(dtype=np.int64)[ok])
        counts[:, ~cov] = 0
    return CountTable(index, months, cov, counts)


def area_positions(df: pd.DataFrame, column: str, areas: pd.Index) -> np.ndarray:
    """Each row's position in ``areas`` by a categorical column (e.g. ``ward_code``), -1 when
    the row's value is missing or not among ``areas``. Works on the category codes."""
    col = df[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        lut = np.append(areas.get_indexer(col.cat.categories.astype(object)), -1)
        return lut[col.cat.codes.to_numpy()]
    return areas.get_indexer(col.astype(object))


def in_scope_urban(df: pd.DataFrame) -> np.ndarray:
    """Rows that would be rural crime if their place were rural: an in-scope category, in the
    county, in a ward classed urban and not at a farm (the "urban" side of rural/urban comparisons)."""
    in_scope = df["rural_category"].cat.codes.to_numpy() >= 0
    county = df["in_county"].to_numpy(dtype=bool, na_value=False)
    urban = ~df["in_rural_ward"].to_numpy(dtype=bool, na_value=True)
    return in_scope & county & urban & ~df["at_farm"].to_numpy(dtype=bool)
