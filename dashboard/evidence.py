"""The Streamlit side of the evidence (hotspots, seasonal baselines, impact, population, digest).

The library (:mod:`ruralaction.measures.hotspots`, :mod:`~ruralaction.measures.seasonal`,
:mod:`~ruralaction.progress.impact`, :mod:`~ruralaction.geography.population`,
:mod:`ruralaction.digest`) does the work; this module decides when. Everything that depends
only on the data is built once per data version (``st.cache_resource``, read-only); what also
depends on the filters or the actions is cached on those (``st.cache_data`` with explicit,
hashable keys — never a big frame as an argument).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import actions, state
from ruralaction.geography.population import (
    PopulationError,
    WardPopulation,
    read_population_folder,
    ward_population,
)
from ruralaction.measures import hotspots, seasonal, store_evidence
from ruralaction.measures.counts import CountTable, month_code
from ruralaction.measures.filters import Filters
from ruralaction.measures.trends import ward_areas_km2

#: Emerging hotspots: time steps of this many consecutive covered months, at most this many steps.
STEP_MONTHS = 3
EMERGING_STEPS = 12


def quarter_blocks(covered: list[str], size: int = STEP_MONTHS, most: int = EMERGING_STEPS) -> list[list[str]]:
    """Consecutive blocks of ``size`` covered months, counted back from the latest; a block with
    a month missing is skipped (a step with a missing month would look quieter than it was)."""
    have = set(covered)
    if not covered:
        return []
    out, end = [], month_code(covered[-1])
    first = month_code(covered[0])
    while end - size + 1 >= first and len(out) < most:
        block = [str(np.datetime64(c, "M")) for c in range(end - size + 1, end + 1)]
        if all(m in have for m in block):
            out.append(block)
        end -= size
    return out[::-1]


@dataclass(frozen=True)
class Prepared:
    """Count tables built once per data version (read-only)."""

    covered: list[str]
    wards: pd.Index
    rural_table: CountTable
    category_tables: dict[str, CountTable]
    calendar_table: CountTable
    population: WardPopulation | None
    population_error: str | None


@dataclass(frozen=True)
class Spatial:
    """The hexagon grid and its weights: built once per data version, and only when a page asks
    for hotspots (the Overview never pays for it)."""

    grid: hotspots.HexGrid
    graph: object


def _src():
    s = state.source()
    return str(s.root), s.dataset, s.version


@st.cache_resource(max_entries=2, show_spinner="Preparing the statistics…")
def _prepare(root: str, dataset: str, version: str) -> Prepared:
    # ``version`` is unused in the body: it is part of the cache key.
    view, wards = state.view(), state.meta().geography.wards
    covered = store_evidence.covered_months(view)
    codes = (
        pd.Index(wards["ward_code"].astype(str), name="ward_code")
        if wards is not None and len(wards)
        else pd.Index([], name="ward_code")
    )
    t = store_evidence.ward_tables(view, codes, covered)
    pop, err = _population(root, dataset, version)
    return Prepared(covered, codes, t.rural, t.categories, t.calendar, pop, err)


@st.cache_resource(max_entries=2, show_spinner=False)
def _population(root: str, dataset: str, version: str) -> tuple[WardPopulation | None, str | None]:
    """Residents per ward from the population file (LSOA snap points asked of the store in SQL,
    so the Map's per-resident layer loads no incidents)."""
    data = state.meta()
    wards = data.geography.wards
    try:
        per_lsoa = read_population_folder(state.source().store.path(dataset) / "population")
        if per_lsoa is not None and wards is not None and len(wards):
            points = state.view().query(
                "SELECT lsoa_code, median(longitude) AS lon, median(latitude) AS lat FROM rows "
                "WHERE lsoa_code IS NOT NULL AND longitude IS NOT NULL GROUP BY lsoa_code ORDER BY lsoa_code"
            )
            return ward_population(per_lsoa, wards, data.geography.lsoas, points), None
    except PopulationError as exc:
        return None, str(exc)
    return None, None


@st.cache_resource(max_entries=2, show_spinner="Preparing the hexagon grid…")
def _spatial(root: str, dataset: str, version: str) -> Spatial:
    wards = state.meta().geography.wards
    if wards is not None and len(wards):
        grid = hotspots.grid_for_area(wards.geometry)
    else:
        grid = hotspots.HexGrid.from_axial(np.zeros(0, np.int64), np.zeros(0, np.int64))
    graph = hotspots.neighbour_graph(grid) if grid.n else None
    return Spatial(grid, graph)


def spatial() -> Spatial:
    return _spatial(*_src())


def prepared() -> Prepared:
    return _prepare(*_src())


# --------------------------------------------------------------------------- hotspots


@st.cache_data(max_entries=16, show_spinner="Testing for significant hotspots…")
def significant(root: str, dataset: str, version: str, f: Filters) -> tuple[hotspots.Hotspots, hotspots.Emerging]:
    """Gi* over the filtered crimes, and emerging patterns over the last covered months."""
    p, sp = prepared(), spatial()
    blocks = quarter_blocks(
        [
            m
            for m in p.covered
            if (f.month_from is None or m >= f.month_from) and (f.month_to is None or m <= f.month_to)
        ]
    )
    steps = [b[0] for b in blocks]
    counts, by_step = store_evidence.cell_counts(state.view(), sp.grid, f, state.meta().geography.wards, blocks)
    result = hotspots.gi_star(sp.grid, counts, sp.graph)
    return result, hotspots.emerging(sp.grid, by_step, steps, sp.graph)


# --------------------------------------------------------------------------- unusual months


@st.cache_resource(max_entries=2, show_spinner="Working out expected counts…")
def _expected(root: str, dataset: str, version: str) -> dict[str, seasonal.Expected]:
    """County, districts (every covered month) and wards (the latest covered month)."""
    p = prepared()
    wards = state.meta().geography.wards
    county = CountTable(
        pd.Index(["county"]),
        p.rural_table.months,
        p.rural_table.covered,
        p.rural_table.counts.sum(axis=0, keepdims=True),
    )
    out = {"county": seasonal.expected_counts(county)}
    if wards is not None and len(wards) and "district" in wards:
        districts = p.rural_table.group(
            wards["district"].astype(object).where(wards["district"].notna(), None).to_numpy()
        )
        out["districts"] = seasonal.expected_counts(districts)
    latest = p.covered[-1:] if p.covered else []
    out["wards"] = seasonal.expected_counts(p.rural_table, assess=latest)
    return out


def expected() -> dict[str, seasonal.Expected]:
    return _expected(*_src())


@st.cache_data(max_entries=64, show_spinner=False)
def ward_expected(root: str, dataset: str, version: str, ward: str) -> seasonal.Expected:
    """One ward, every covered month (leave one out)."""
    p = prepared()
    pos = p.wards.get_indexer([ward])
    if pos[0] < 0:
        return seasonal.expected_counts(CountTable(pd.Index([]), (), np.zeros(0, bool), np.zeros((0, 0), np.int64)))
    t = p.rural_table
    return seasonal.expected_counts(CountTable(pd.Index([ward]), t.months, t.covered, t.counts[pos]))


def calendar_table() -> CountTable:
    """Rural crimes per category per month, county-wide (the calendar's input)."""
    return prepared().calendar_table


# --------------------------------------------------------------------------- impact


@st.cache_data(max_entries=8, show_spinner="Comparing actions with comparable wards…")
def _impacts(root: str, dataset: str, version: str, key: tuple, months: int) -> pd.DataFrame:
    from ruralaction.actions import load_vocabulary
    from ruralaction.progress.impact import evaluate_actions

    p = prepared()
    return evaluate_actions(actions.actions(), p.category_tables, ward_kind(), load_vocabulary().category_of, months)


def impacts(months: int = 6) -> pd.DataFrame:
    """Every completed action's difference-in-differences evaluation (cached on the data and the actions)."""
    if state.meta().geography.wards is None:
        return pd.DataFrame()
    return _impacts(*_src(), actions.actions_key(actions.actions()), months)


def ward_kind() -> pd.Series:
    """Ward code -> True (rural class) / False (urban) / None (no class): who is comparable with whom."""
    p = prepared()
    wards = state.meta().geography.wards
    rural = wards["ruc_code"].isin(list(state.meta().definition.rural_classes)).to_numpy()
    kind = pd.Series(rural, index=p.wards, dtype=object)
    kind[wards["ruc_code"].isna().to_numpy()] = None
    return kind


# --------------------------------------------------------------------------- population


def ward_residents() -> pd.Series | None:
    """Residents per ward (complete wards only), or None without a population file."""
    pop, _ = _population(*_src())
    return None if pop is None else pop.series()


@st.cache_resource(max_entries=2)
def _areas(root: str, dataset: str, version: str) -> pd.Series:
    return ward_areas_km2(state.meta().geography.wards)


def ward_areas() -> pd.Series:
    return _areas(*_src())
