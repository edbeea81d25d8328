"""Residents per area from the ONS mid-year population estimates for LSOAs, for rates per
1,000 residents.

Accepted: the ONS "Lower layer Super Output Area population estimates" tables saved as CSV
(from the Excel workbook's data sheet, with or without the title lines above the header).
The LSOA code column is ``LSOA 2021 Code``, ``LSOA Code``, ``LSOA21CD`` or ``LSOA11CD``; the
total is ``Total`` or ``All Ages``; numbers may carry thousands separators ("1,234"). Every
row is checked; a file with a bad row is refused whole, naming the file, line, column and why,
so a half-read population never turns into wrong rates.

Residents per ward: each LSOA's residents are shared among the wards its polygon overlaps, by
area (British National Grid). LSOAs of the population file with no polygon loaded (2021 LSOAs
split from a 2011 one) are placed at the middle of their crimes' snap points when those are
given, else left out and counted. A ward is marked incomplete when more than
:data:`INCOMPLETE_SHARE` of its area lies in LSOAs with no population figure and nothing was
placed in it: its rate per resident is then not shown.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

CODE_HEADERS = ("lsoa 2021 code", "lsoa code", "lsoa21cd", "lsoa11cd", "lsoa 2011 code")
TOTAL_HEADERS = ("total", "all ages")
LSOA_CODE = re.compile(r"^[EW]01\d{6}$")
#: Lines at the top of a file searched for the header row (the workbook's title lines).
HEADER_SEARCH_LINES = 20
#: A ward with more of its area than this in LSOAs without a population figure is incomplete.
INCOMPLETE_SHARE = 0.05
BNG = "EPSG:27700"
MAX_PROBLEMS_SHOWN = 5
#: England and Wales have ~36,000 LSOAs: a population table longer than this is not one (and its
#: rows are split in Python, so the bound keeps an upload's cost small).
MAX_POPULATION_LINES = 200_000


class PopulationError(ValueError):
    """A population file that cannot be used; the message names the file, line, column and why."""


def _header_index(rows: list[list[str]]) -> tuple[int, int, int] | None:
    for i, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        names = [c.strip().lower() for c in row]
        code = next((j for j, c in enumerate(names) if c in CODE_HEADERS), None)
        total = next((j for j, c in enumerate(names) if c in TOTAL_HEADERS), None)
        if code is not None and total is not None:
            return i, code, total
    return None


def _rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def is_population_file(path: str | Path) -> bool:
    """Whether a CSV looks like an ONS LSOA population table (by its header)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(64 * 1024)
        return _header_index(_rows(head.rsplit(b"\n", 1)[0] if b"\n" in head else head)) is not None
    except (OSError, UnicodeDecodeError, csv.Error):
        return False


def read_population(source: str | Path | bytes, name: str | None = None) -> pd.Series:
    """Residents per LSOA code from an ONS LSOA population CSV.

    Parameters
    ----------
    source : path or bytes
    name : str, optional
        The file name for messages (default: the path's name).

    Returns
    -------
    Series
        int64 residents, indexed by LSOA code (``lsoa_code``), named ``population``.

    Raises
    ------
    PopulationError
        Not such a file, or any row with a bad code or total, or a code given twice.
    """
    if isinstance(source, bytes):
        data, label = source, name or "the population file"
    else:
        p = Path(source)
        label = name or p.name
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise PopulationError(f"{label} cannot be read ({exc.strerror}).") from None
    lines = data.count(b"\n")
    if lines > MAX_POPULATION_LINES:  # checked before the file is split into rows
        raise PopulationError(
            f"{label} was not used: it has {lines:,} lines, more than an LSOA table ({MAX_POPULATION_LINES:,})."
        )
    try:
        rows = _rows(data)
    except UnicodeDecodeError:
        raise PopulationError(f"{label} is not a UTF-8 text CSV file.") from None
    except csv.Error as exc:
        raise PopulationError(f"{label} is not a readable CSV file ({exc}).") from None
    found = _header_index(rows)
    if found is None:
        raise PopulationError(
            f"{label} is not an ONS LSOA population table: no header with an LSOA code column "
            f"({', '.join(h.title() for h in CODE_HEADERS[:3])}) and a total column (Total or All Ages) "
            f"in its first {HEADER_SEARCH_LINES} lines."
        )
    start, code_col, total_col = found
    header = rows[start]
    problems: list[str] = []
    codes, totals, lines = [], [], []
    for offset, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        code = row[code_col].strip() if code_col < len(row) else ""
        raw = row[total_col].strip() if total_col < len(row) else ""
        if not LSOA_CODE.match(code):
            problems.append(f"line {offset}, column '{header[code_col].strip()}': '{code[:30]}' is not an LSOA code")
            continue
        value = raw.replace(",", "").replace(" ", "")
        if not re.fullmatch(r"\d+(\.0+)?", value):
            problems.append(
                f"line {offset}, column '{header[total_col].strip()}': '{raw[:30]}' is not a whole number of residents"
            )
            continue
        codes.append(code)
        totals.append(int(float(value)))
        lines.append(offset)
    s = pd.Series(totals, index=pd.Index(codes, name="lsoa_code"), name="population", dtype="int64")
    dup = s.index.duplicated(keep=False)
    if dup.any():
        first = s.index[dup][0]
        at = [ln for ln, c in zip(lines, codes) if c == first]
        problems.append(f"lines {', '.join(map(str, at[:3]))}: LSOA {first} is given more than once")
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise PopulationError(f"{label} was not used: " + "; ".join(problems[:MAX_PROBLEMS_SHOWN]) + more + ".")
    if s.empty:
        raise PopulationError(f"{label} has a header but no LSOA rows.")
    return s


def find_population_files(folder: str | Path) -> list[Path]:
    """Population CSVs under ``folder`` (recognised by their header), sorted by path."""
    root = Path(folder)
    if not root.is_dir():
        return []
    return [p for p in sorted(root.rglob("*.csv")) if p.is_file() and is_population_file(p)]


def read_population_folder(folder: str | Path) -> pd.Series | None:
    """Every population file under ``folder`` combined (a later file's LSOA wins); None when
    there is none."""
    files = find_population_files(folder)
    if not files:
        return None
    parts = [read_population(p) for p in files]
    s = pd.concat(parts)
    return s[~s.index.duplicated(keep="last")]


# --------------------------------------------------------------------------- per ward


@dataclass(frozen=True)
class WardPopulation:
    """Residents per ward and how sure that figure is.

    Attributes
    ----------
    frame : DataFrame
        ``ward_code, population`` (float, area-shared), ``complete`` (bool).
    notes : list of str
        What could not be placed, in words.
    """

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def series(self, complete_only: bool = True) -> pd.Series:
        """Residents per ward code; incomplete wards are NaN unless ``complete_only`` is False."""
        f = self.frame
        values = f["population"].where(f["complete"] | (not complete_only))
        return pd.Series(values.to_numpy(), index=pd.Index(f["ward_code"], name="ward_code"), name="population")


def ward_population(
    population: pd.Series,
    wards: gpd.GeoDataFrame,
    lsoas: gpd.GeoDataFrame | None,
    lsoa_points: pd.DataFrame | None = None,
) -> WardPopulation:
    """Residents per ward from residents per LSOA.

    Parameters
    ----------
    population : Series
        :func:`read_population`.
    wards : GeoDataFrame
        ``ward_code`` and polygons (WGS84).
    lsoas : GeoDataFrame or None
        ``lsoa_code`` and polygons (WGS84).
    lsoa_points : DataFrame, optional
        ``lsoa_code, lon, lat``: a point for LSOAs with no polygon (the median of their crimes'
        snap points, one small ``GROUP BY``).
    """
    codes = wards["ward_code"].astype(str).to_numpy()
    pop = np.zeros(len(codes))
    notes: list[str] = []
    w = gpd.GeoDataFrame({"w": np.arange(len(codes))}, geometry=wards.geometry.to_numpy(), crs="EPSG:4326").to_crs(BNG)
    ward_area = w.area.to_numpy()
    missing_area = np.zeros(len(codes))
    placed_by_point = np.zeros(len(codes), bool)
    with_polygon: set[str] = set()
    if lsoas is not None and len(lsoas):
        lp = gpd.GeoDataFrame(
            {"lsoa_code": lsoas["lsoa_code"].astype(str).to_numpy()},
            geometry=lsoas.geometry.to_numpy(),
            crs="EPSG:4326",
        ).to_crs(BNG)
        lp["lsoa_area"] = lp.area
        pieces = gpd.overlay(lp, w, how="intersection", keep_geom_type=True)
        pieces["share"] = pieces.area / pieces["lsoa_area"]
        pieces["residents"] = pieces["lsoa_code"].map(population)
        have = pieces["residents"].notna()
        np.add.at(
            pop,
            pieces.loc[have, "w"].to_numpy(),
            (pieces.loc[have, "residents"] * pieces.loc[have, "share"]).to_numpy(),
        )
        np.add.at(missing_area, pieces.loc[~have, "w"].to_numpy(), pieces.loc[~have].area.to_numpy())
        with_polygon = set(lp["lsoa_code"])
    loose = population[~population.index.isin(list(with_polygon))]
    unplaced = loose
    if len(loose) and lsoa_points is not None and len(lsoa_points):
        from ruralaction.geography.boundaries import locate

        pts = lsoa_points.drop_duplicates("lsoa_code").set_index("lsoa_code").reindex(loose.index)
        ok = pts["lon"].notna().to_numpy()
        where = locate(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float), wards.geometry)
        hit = ok & (where >= 0)
        np.add.at(pop, where[hit], loose.to_numpy()[hit])
        placed_by_point[where[hit]] = True
        if hit.any():
            notes.append(
                f"{int(hit.sum())} LSOAs of the population file have no boundary loaded (2021 LSOAs split from 2011 "
                "ones); their residents were placed in the ward holding the middle of their crimes' locations."
            )
        unplaced = loose[~hit]
    # LSOAs outside the loaded wards are simply elsewhere; count only those that could be ours
    if len(unplaced):
        notes.append(
            f"{len(unplaced):,} LSOAs of the population file ({int(unplaced.sum()):,} residents) could not be placed "
            "in a loaded ward (no boundary and no crimes to place them by); most lie outside the area shown."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        share_missing = np.where(ward_area > 0, missing_area / ward_area, 1.0)
    complete = (share_missing <= INCOMPLETE_SHARE) | placed_by_point
    complete &= pop > 0
    if (~complete).any():
        notes.append(
            f"{int((~complete).sum())} wards have no full population figure (part of their area is in LSOAs the "
            "population file lacks), so no rate per resident is shown for them."
        )
    frame = pd.DataFrame({"ward_code": codes, "population": pop, "complete": complete})
    return WardPopulation(frame, notes)
