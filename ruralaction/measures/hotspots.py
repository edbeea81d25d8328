"""Significant and emerging hotspots: the local Getis-Ord Gi* statistic over a hexagon grid,
with a false-discovery-rate correction, and Mann-Kendall trends of each cell's Gi* over time.

Method (said on the page in one sentence each)
----------------------------------------------
Grid
    Pointy-top hexagons of :data:`~ruralaction.measures.maplayers.HEX_SIZE_M` (centre to corner)
    in the British National Grid — the same cells as the Map's hotspot layer — covering the
    county (every cell whose centre lies within one cell of a ward). Cells with no crime are
    real zeros and take part.
Gi*
    :class:`esda.G_Local` (PySAL) with ``star=True`` on binary weights: each cell's
    neighbourhood is itself and the cells within ``rings`` rings (1 ring: the 6 touching
    cells). z-scores and two-sided p-values from the normal approximation, as ESRI's Hot Spot
    Analysis reports them.
False discovery rate
    Benjamini–Hochberg over all cells (``statsmodels.stats.multitest``). A cell is hot (cold)
    at 99/95/90% confidence when its FDR-adjusted p-value is at most 0.01/0.05/0.10 and its
    z-score is positive (negative). Under no clustering at all, the chance that *any* cell is
    shown is at most 10%.
Small numbers
    No analysis below :data:`MIN_CRIMES` crimes in total, and a cell is never called hot
    when its neighbourhood holds fewer than :data:`~ruralaction.measures.trends.MIN_COUNT`.
Emerging
    Gi* for each time step (a month, or ``step`` months), then a Mann-Kendall trend test on
    each cell's series of z-scores (as ESRI's Emerging Hot Spot Analysis does). Patterns:
    *new* (hot in the last step only), *intensifying* (hot in at least 90% of steps including
    the last, z rising), *persistent* (hot in 90%, no trend), *diminishing* (hot in 90%
    including the last, z falling), *sporadic* (hot in the last step and on and off before).
    Steps without data (months not loaded) are left out, never counted as zero.

police.uk moves every crime to an anonymous snap point, so a cell's count is approximate near
its edges: a hotspot says "around here", not "this field".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralaction.geography.crs import SharedTransformer
from ruralaction.measures.maplayers import HEX_SIZE_M, hex_cells, hex_corners
from ruralaction.measures.trends import BNG, MIN_COUNT, plural

#: Fewer crimes than this in total: no hotspot analysis (ESRI's guidance is at least 30 features).
MIN_CRIMES = 30
#: Random relocations drawn per neighbourhood size for the p-values (:func:`relocation_p`).
PERMUTATIONS = 99_999
#: Confidence levels shown, highest first, with the FDR-adjusted p-value each needs.
LEVELS: tuple[tuple[int, float], ...] = ((99, 0.01), (95, 0.05), (90, 0.10))
#: Diverging, colour-blind-readable colours (ColorBrewer RdBu): hot 99/95/90, cold 90/95/99.
HOT = {99: "#B2182B", 95: "#EF8A62", 90: "#FDDBC7"}
COLD = {90: "#D1E5F0", 95: "#67A9CF", 99: "#2166AC"}
PATTERNS = ("new", "intensifying", "persistent", "diminishing", "sporadic")
PATTERN_WORDS = {
    "new": "New: a hotspot in the latest period only",
    "intensifying": "Intensifying: a hotspot almost throughout, and getting hotter",
    "persistent": "Persistent: a hotspot almost throughout, with no clear trend",
    "diminishing": "Diminishing: a hotspot almost throughout, but cooling",
    "sporadic": "Sporadic: a hotspot now, on and off before",
}
PATTERN_COLOURS = {
    "new": "#E69F00",
    "intensifying": "#D55E00",
    "persistent": "#B2182B",
    "diminishing": "#CC79A7",
    "sporadic": "#F0E442",
}
PATTERN_GLYPHS = {"new": "◆", "intensifying": "▲", "persistent": "■", "diminishing": "▼", "sporadic": "●"}
METHOD = (
    "Getis-Ord Gi* (PySAL esda) over {area:.1f} km² hexagons and their touching neighbours, "
    "p-values by conditional randomization (99,999 draws), Benjamini–Hochberg false-discovery-rate correction across all {cells:,} cells; "
    "a cell is shown only at 90% confidence or more and with at least {min_count} crimes around it."
)
EMERGING_METHOD = (
    "Gi* for each of the last {steps} {unit} with data, then a Mann-Kendall trend test (5% level) "
    "on each cell's Gi* z-scores, as in ESRI's emerging hot spot analysis; months without data are left out."
)

_TO_BNG = SharedTransformer("EPSG:4326", BNG)
_TO_WGS = SharedTransformer(BNG, "EPSG:4326")
# The six axial neighbours of a pointy-top hexagon.
_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1))


# --------------------------------------------------------------------------- the grid


@dataclass(frozen=True)
class HexGrid:
    """A set of hexagon cells (axial coordinates) and what the map needs to draw them.

    Attributes
    ----------
    q, r : ndarray of int64
        Axial coordinates of each cell (its position in these arrays is its id).
    size_m : float
        Centre to corner, metres.
    polygons : list
        Corner coordinates ``[[lon, lat] × 6]`` of each cell (rounded to ~1 m).
    """

    q: np.ndarray
    r: np.ndarray
    size_m: float
    polygons: list

    @property
    def n(self) -> int:
        return len(self.q)

    @property
    def cell_area_km2(self) -> float:
        return 3 * math.sqrt(3) / 2 * self.size_m**2 / 1e6

    def positions(self, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        """The cell id of each ``(q, r)``; -1 where the grid has no such cell."""
        keys = pd.Index(_key(self.q, self.r))
        return keys.get_indexer(_key(np.asarray(q), np.asarray(r)))

    @classmethod
    def from_axial(
        cls, q: np.ndarray, r: np.ndarray, size_m: float = HEX_SIZE_M, with_polygons: bool = True
    ) -> HexGrid:
        """A grid of exactly these cells (duplicates dropped, order kept)."""
        q, r = np.asarray(q, np.int64), np.asarray(r, np.int64)
        _, first = np.unique(_key(q, r), return_index=True)
        keep = np.sort(first)
        q, r = q[keep], r[keep]
        polygons: list = []
        if with_polygons and len(q):
            cx, cy = hex_corners(q, r, size_m)
            lon, lat = _TO_WGS.transform(cx.ravel(), cy.ravel())
            polygons = np.round(np.stack([lon, lat], axis=-1).reshape(len(q), 6, 2), 5).tolist()
        return cls(q=q, r=r, size_m=float(size_m), polygons=polygons)


def _key(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return (np.asarray(q, np.int64) << 32) + (np.asarray(r, np.int64) & 0xFFFFFFFF)


def hex_centres(q: np.ndarray, r: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre of each hexagon, metres (British National Grid)."""
    return size_m * math.sqrt(3) * (q + r / 2), size_m * 1.5 * r


def centres_lonlat(grid: HexGrid, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the centres of some cells of ``grid``."""
    cells = np.asarray(cells, dtype=int)
    if not len(cells):
        return np.zeros(0), np.zeros(0)
    x, y = hex_centres(grid.q[cells], grid.r[cells], grid.size_m)
    lon, lat = _TO_WGS.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def grid_for_area(polygons: gpd.GeoSeries, size_m: float = HEX_SIZE_M) -> HexGrid:
    """Every hexagon whose centre lies within one cell size of the area (e.g. the county's wards).

    Built once per data version: ~1,500 cells for a county, a fraction of a second.
    """
    if polygons is None or not len(polygons):
        return HexGrid.from_axial(np.zeros(0, np.int64), np.zeros(0, np.int64), size_m)
    area = shapely.union_all(gpd.GeoSeries(polygons).to_crs(BNG).to_numpy()).buffer(size_m)
    minx, miny, maxx, maxy = area.bounds
    r_lo, r_hi = math.floor(miny / (1.5 * size_m)) - 1, math.ceil(maxy / (1.5 * size_m)) + 1
    width = size_m * math.sqrt(3)
    rr = np.arange(r_lo, r_hi + 1)
    q_lo = math.floor(minx / width - r_hi / 2) - 1
    q_hi = math.ceil(maxx / width - r_lo / 2) + 1
    qq, rr = np.meshgrid(np.arange(q_lo, q_hi + 1), rr)
    q, r = qq.ravel(), rr.ravel()
    x, y = hex_centres(q, r, size_m)
    inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    q, r, x, y = q[inside], r[inside], x[inside], y[inside]
    shapely.prepare(area)
    keep = shapely.contains_xy(area, x, y)
    return HexGrid.from_axial(q[keep], r[keep], size_m)


def assign_cells(lon: np.ndarray, lat: np.ndarray, grid: HexGrid) -> np.ndarray:
    """The grid cell of each point (lon/lat), -1 for no location or outside the grid.

    Works on the distinct points (police.uk snaps every crime to one of a few thousand), so a
    million incidents take well under a second; computed once per data version.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = np.full(len(lon), -1, dtype=np.int32)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any() or grid.n == 0:
        return out
    point_of_row, uniq = pd.factorize(lon[ok] + 1j * lat[ok])
    x, y = _TO_BNG.transform(uniq.real, uniq.imag)
    q, r = hex_cells(np.asarray(x), np.asarray(y), grid.size_m)
    out[ok] = grid.positions(q, r)[point_of_row]
    return out


def neighbour_graph(grid: HexGrid, rings: int = 1):
    """Binary weights for Gi*: each cell with itself and every cell within ``rings`` rings.

    Built from axial coordinates (no polygon geometry), as a :class:`libpysal.graph.Graph`;
    a test checks it equals libpysal's queen contiguity of the hexagon polygons for one ring.
    """
    from libpysal.graph import Graph

    offsets = {(0, 0)}
    frontier = {(0, 0)}
    for _ in range(max(int(rings), 0)):
        frontier = {(a + dq, b + dr) for a, b in frontier for dq, dr in _STEPS} - offsets
        offsets |= frontier
    focal, neighbour = [], []
    ids = np.arange(grid.n)
    for dq, dr in sorted(offsets):
        j = grid.positions(grid.q + dq, grid.r + dr)
        ok = j >= 0
        focal.append(ids[ok])
        neighbour.append(j[ok])
    f, nb = np.concatenate(focal), np.concatenate(neighbour)
    order = np.lexsort((nb, f))
    return Graph.from_arrays(f[order], nb[order], np.ones(len(f)))


# --------------------------------------------------------------------------- Gi*


@dataclass(frozen=True)
class Hotspots:
    """The Gi* result for one set of counts.

    Attributes
    ----------
    cells : DataFrame
        One row per cell: ``cell, crimes, around`` (crimes in the cell's neighbourhood),
        ``z, p`` (two-sided), ``p_fdr`` (Benjamini–Hochberg adjusted), ``confidence`` (99,
        95, 90 or 0), ``kind`` ("hot", "cold" or "").
    total : int
        Crimes counted.
    status : {"ok", "too few", "no grid"}
    words : str
        What the layer shows, in plain words.
    """

    cells: pd.DataFrame
    total: int
    status: str
    words: str

    @property
    def hot(self) -> pd.DataFrame:
        return self.cells[self.cells["kind"] == "hot"]

    @property
    def cold(self) -> pd.DataFrame:
        return self.cells[self.cells["kind"] == "cold"]


def gi_star_z(counts: np.ndarray, graph) -> np.ndarray:
    """Gi* z-scores of ``counts`` (one per cell) with esda; NaN where undefined (no variation)."""
    import esda

    y = np.asarray(counts, dtype=float)
    if y.sum() <= 0 or np.all(y == y[0]):
        return np.full(len(y), np.nan)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, graph, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs, dtype=float)


def relocation_p(counts: np.ndarray, graph, draws: int = PERMUTATIONS, seed: int = 0) -> np.ndarray:
    """Two-sided p-values of Gi* by conditional randomization, as PySAL computes them.

    Each cell keeps its own count; its neighbours' counts are replaced by ``draws`` random sets
    of as many counts drawn from the grid (Anselin's conditional randomization, the null that
    ``esda`` uses for its permutation p-values). A cell's p-value is twice the smaller tail
    share of draws at least as extreme as its neighbours' real total (plus one, so never zero).
    For a given neighbourhood size Gi* is a monotone function of that total, so this is Gi*'s
    permutation test; one set of draws serves every cell, so it takes a fraction of a second
    where esda's cell-by-cell loop takes several without numba. It replaces the normal
    approximation because crime counts per cell are small and skewed, and the normal
    approximation then finds "hotspots" in random fields far more often than its nominal rate
    (a test shows both).
    """
    y = np.asarray(counts, dtype=np.int64)
    around = np.rint(window_sums(y, graph)).astype(np.int64) - y  # the neighbours only
    k = np.asarray(graph.sparse.sum(axis=1)).ravel().astype(np.int64) - 1
    rng = np.random.default_rng(seed)
    p = np.ones(len(y))
    sizes = np.unique(k[k > 0])
    if not len(sizes):
        return p
    # one set of draws serves every size: the running sums of the first k values drawn
    running = np.cumsum(y.astype(np.int32)[rng.integers(0, len(y), size=(draws, int(sizes.max())))], axis=1)
    for size in sizes:
        sims = np.sort(running[:, int(size) - 1])
        here = k == size
        s = around[here]
        upper = (draws - np.searchsorted(sims, s, side="left") + 1) / (draws + 1)
        lower = (np.searchsorted(sims, s, side="right") + 1) / (draws + 1)
        p[here] = np.minimum(1.0, 2 * np.minimum(upper, lower))
    return p


def fdr_confidence(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg adjusted p-values and the confidence level (99/95/90/0) each cell
    reaches (``statsmodels.stats.multitest.multipletests``)."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    adj = multipletests(p, method="fdr_bh")[1] if len(p) else p
    conf = np.zeros(len(p), dtype=np.int64)
    for level, alpha in reversed(LEVELS):
        conf[adj <= alpha] = level
    return adj, conf


def window_sums(counts: np.ndarray, graph) -> np.ndarray:
    """Crimes in each cell's neighbourhood (itself included)."""
    return np.asarray(graph.sparse @ np.asarray(counts, dtype=float)).ravel()


def gi_star(grid: HexGrid, counts: np.ndarray, graph=None, rings: int = 1, draws: int = PERMUTATIONS) -> Hotspots:
    """Significant hot and cold cells of ``counts`` (one count per grid cell).

    Parameters
    ----------
    grid : HexGrid
    counts : ndarray
        Crimes per cell (e.g. one ``np.bincount`` of the filtered rows' cells).
    graph : libpysal Graph, optional
        :func:`neighbour_graph` of the grid (pass it to reuse it across reruns).
    rings : int, default 1
    draws : int, default :data:`PERMUTATIONS`
        Random relocations for the p-values.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    empty = pd.DataFrame(
        {
            "cell": np.arange(grid.n),
            "crimes": counts,
            "around": np.zeros(grid.n),
            "z": np.nan,
            "p": 1.0,
            "p_fdr": 1.0,
            "confidence": 0,
            "kind": "",
        }
    )
    if grid.n < 10:
        return Hotspots(empty, total, "no grid", "There are too few map cells for a hotspot analysis.")
    if total < MIN_CRIMES:
        return Hotspots(
            empty,
            total,
            "too few",
            f"Only {plural(total, 'crime')} with a location: at least {MIN_CRIMES} are needed to tell "
            "a real cluster from chance, so no significant hotspots are shown.",
        )
    graph = graph if graph is not None else neighbour_graph(grid, rings)
    z = gi_star_z(counts, graph)
    p = relocation_p(counts, graph, draws)
    adj, conf = fdr_confidence(p)
    around = window_sums(counts, graph)
    hot = (conf > 0) & (z > 0) & (around >= MIN_COUNT)
    cold = (conf > 0) & (z < 0)
    kind = np.where(hot, "hot", np.where(cold, "cold", ""))
    conf = np.where(hot | cold, conf, 0)
    cells = pd.DataFrame({"cell": np.arange(grid.n), "crimes": counts, "around": around, "z": z, "p": p, "p_fdr": adj})
    cells["confidence"] = conf
    cells["kind"] = kind
    return Hotspots(cells, total, "ok", _words(cells, total, grid))


def _words(cells: pd.DataFrame, total: int, grid: HexGrid) -> str:
    hot, cold = cells[cells["kind"] == "hot"], cells[cells["kind"] == "cold"]
    if hot.empty and cold.empty:
        busiest = cells["crimes"].nlargest(3)
        top = ", ".join(f"{int(n):,}" for n in busiest if n > 0)
        return (
            f"No cluster of neighbouring hexagons stands out beyond chance once every hexagon is tested "
            f"({plural(total, 'crime')}). Crime is concentrated in single places rather than in areas"
            + (f": the busiest hexagons hold {top} crimes (see the Hotspots layer)." if top else ".")
        )
    parts = []
    if len(hot):
        share = hot["crimes"].sum() / total
        strong = int((hot["confidence"] == 99).sum())
        parts.append(
            f"{plural(len(hot), 'hexagon')} {'is a' if len(hot) == 1 else 'are'} significant hotspot"
            f"{'' if len(hot) == 1 else 's'} ({strong} at 99% confidence), holding {share:.0%} of the crimes "
            f"on {len(hot) * grid.cell_area_km2:,.0f} km²"
        )
    if len(cold):
        parts.append(
            f"{plural(len(cold), 'hexagon')} {'is a' if len(cold) == 1 else 'are'} cold spot"
            f"{'' if len(cold) == 1 else 's'} (fewer crimes than chance would give)"
        )
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------- emerging hotspots


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``series`` (rows: cells, columns: time steps).

    Returns ``S``, the normal-approximation ``z`` (continuity-corrected, variance corrected
    for ties) and two-sided ``p``. NaNs are not allowed. Vectorised over rows; a test checks it
    against ``scipy.stats.kendalltau`` on each row.
    """
    from scipy.stats import norm

    x = np.asarray(series, dtype=float)
    n_rows, n = x.shape
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    var = np.full(n_rows, n * (n - 1) * (2 * n + 5) / 18.0)
    # ties: for each row, sizes of groups of equal values
    srt = np.sort(x, axis=1)
    same = np.concatenate([np.zeros((n_rows, 1), bool), srt[:, 1:] == srt[:, :-1]], axis=1)
    run_start = ~same
    group = np.cumsum(run_start, axis=1) - 1
    sizes = np.zeros((n_rows, n), dtype=np.int64)
    np.add.at(sizes, (np.repeat(np.arange(n_rows), n), group.ravel()), 1)
    var -= (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    z = np.where(var > 0, z, 0.0)
    return s, z, 2 * norm.sf(np.abs(z))


@dataclass(frozen=True)
class Emerging:
    """Emerging hotspot patterns.

    Attributes
    ----------
    cells : DataFrame
        One row per cell with a pattern: ``cell, pattern, hot_steps, steps, trend_z,
        trend_p, last_z``.
    steps : list of str
        The time steps used (their first month, ``"YYYY-MM"``).
    status : {"ok", "too few steps", "too few"}
    words : str
    """

    cells: pd.DataFrame
    steps: list[str]
    status: str
    words: str


def emerging(
    grid: HexGrid,
    step_counts: np.ndarray,
    step_labels: list[str],
    graph=None,
    rings: int = 1,
    min_steps: int = 6,
    alpha: float = 0.05,
) -> Emerging:
    """Emerging hotspot patterns from crimes per time step per cell.

    Parameters
    ----------
    grid : HexGrid
    step_counts : ndarray, shape (steps, cells)
        Crimes per time step (covered steps only, oldest first) and cell.
    step_labels : list of str
        A label per step (its first month).
    min_steps : int, default 6
        Fewer covered steps: no trend is tested.
    alpha : float, default 0.05
        Level of the Mann-Kendall test.
    """
    columns = ["cell", "pattern", "hot_steps", "steps", "trend_z", "trend_p", "last_z"]
    steps = np.asarray(step_counts, dtype=np.int64)
    n_steps = steps.shape[0] if steps.ndim == 2 else 0
    if n_steps < min_steps:
        return Emerging(
            pd.DataFrame(columns=columns),
            list(step_labels),
            "too few steps",
            f"Only {n_steps} period{'s' if n_steps != 1 else ''} with data: at least {min_steps} are needed "
            "to see whether hotspots are emerging or fading.",
        )
    if steps.sum() < MIN_CRIMES:
        return Emerging(
            pd.DataFrame(columns=columns),
            list(step_labels),
            "too few",
            f"Only {plural(int(steps.sum()), 'crime')} in these periods: too few for emerging hotspots.",
        )
    graph = graph if graph is not None else neighbour_graph(grid, rings)
    z = np.vstack([gi_star_z(c, graph) for c in steps]).T  # cells × steps
    hot = np.zeros_like(z, dtype=bool)
    for k in range(n_steps):
        _, conf = fdr_confidence(relocation_p(steps[k], graph, draws=19_999, seed=k))
        around = window_sums(steps[k], graph)
        hot[:, k] = (conf > 0) & (z[:, k] > 0) & (around >= MIN_COUNT)
    zz = np.nan_to_num(z, nan=0.0)
    _, tz, tp = mann_kendall(zz)
    n_hot = hot.sum(axis=1)
    last = hot[:, -1]
    mostly = n_hot >= math.ceil(0.9 * n_steps)
    up, down = (tp < alpha) & (tz > 0), (tp < alpha) & (tz < 0)
    pattern = np.full(grid.n, "", dtype=object)
    pattern[last & (n_hot == 1)] = "new"
    pattern[last & mostly & ~up & ~down] = "persistent"
    pattern[last & mostly & up] = "intensifying"
    pattern[last & mostly & down] = "diminishing"
    pattern[last & (n_hot > 1) & ~mostly] = "sporadic"
    keep = pattern != ""
    cells = pd.DataFrame(
        {
            "cell": np.flatnonzero(keep),
            "pattern": pattern[keep],
            "hot_steps": n_hot[keep],
            "steps": n_steps,
            "trend_z": tz[keep],
            "trend_p": tp[keep],
            "last_z": z[keep, -1],
        },
        columns=columns,
    )
    if cells.empty:
        words = "No cell is a hotspot in the latest period, so none is emerging, persisting or fading."
    else:
        counts = cells["pattern"].value_counts()
        words = (
            "In the latest period: "
            + "; ".join(f"{int(counts[p])} {p}" for p in PATTERNS if p in counts.index)
            + f" hotspot{'s' if len(cells) != 1 else ''} (hexagons)."
        )
    return Emerging(cells, list(step_labels), "ok", words)
