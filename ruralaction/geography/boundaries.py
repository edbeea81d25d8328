"""Boundaries and rural-urban lookups: reading them, and which polygon each point falls in.

Reads ward and LSOA boundaries (GeoJSON, GeoPackage, Shapefile or zipped Shapefile, via
geopandas), ONS Rural-Urban Classification lookups (recognised by their columns), and an
optional farm-points layer, into one :class:`Geography`.

A ward's rural/urban class comes, in this order, from: the configured lists in the definition;
the ward lookup; a class column in the boundary file itself; and, for wards that none of those
cover (Daventry's 2012 wards are missing from the 2011 ward lookup), the LSOAs inside the ward,
weighted by area. Which one decided is kept as the ward's ``class_basis``.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralaction.definition import Definition
from ruralaction.geography.safe_read import GeographyError, checked, read_isolated
from ruralaction.limits import limits

BOUNDARY_SUFFIXES = {".json", ".geojson", ".gpkg", ".shp", ".zip"}
WARD_CODE = re.compile(r"^(WD\d{2}CD|ward_code|wardcode)$", re.IGNORECASE)
WARD_NAME = re.compile(r"^(WD\d{2}NM|ward_name|wardname)$", re.IGNORECASE)
LSOA_CODE = re.compile(r"^(LSOA\d{2}CD|lsoa_code|lsoa)$", re.IGNORECASE)
LSOA_NAME = re.compile(r"^(LSOA\d{2}NM|lsoa_name)$", re.IGNORECASE)
PARISH_CODE = re.compile(r"^(PAR\d{2}CD|parish_code|parncp\d{2}cd)$", re.IGNORECASE)
PARISH_NAME = re.compile(r"^(PAR\d{2}NM|parish_name|parncp\d{2}nm)$", re.IGNORECASE)
DISTRICT = re.compile(r"^(LAD\d{2}NM|district|lad_name)$", re.IGNORECASE)
LAD_CODE = re.compile(r"^(LAD\d{2}CD|lad_code)$", re.IGNORECASE)
#: An ONS area code as a file name (``wards_by_lad/E07000150.json``): the district of its wards.
AREA_CODE_NAME = re.compile(r"^[ENSW]\d{8}$")
#: The code suffix of an LSOA name ("Corby 005A" is in Corby).
LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")
CLASS_CODE = re.compile(r"^(RUC\d{2}CD|ruc_code|rural_urban_code)$", re.IGNORECASE)
CLASS_NAME = re.compile(r"^(RUC\d{2}(NM)?|rural_urban|ruc_class|ruc)$", re.IGNORECASE)
BNG = "EPSG:27700"  # British National Grid, for areas and distances in metres


def _first(columns, pattern: re.Pattern) -> str | None:
    return next((c for c in columns if pattern.match(str(c))), None)


@dataclass
class Geography:
    """Everything the classifier needs to know about places.

    Attributes
    ----------
    wards : GeoDataFrame or None
        ``ward_code, ward_name, district, ruc_code, class_basis, geometry`` (WGS84).
        ``class_basis`` is one of ``"configured"``, ``"ward lookup"``, ``"ward boundaries"``,
        ``"ward (derived from LSOAs)"`` or ``None`` when no class is known.
    lsoas : GeoDataFrame or None
        ``lsoa_code, lsoa_name, ruc_code, geometry`` (WGS84).
    lsoa_classes : Series
        LSOA code -> RUC code, from the LSOA lookup.
    farms : GeoSeries or None
        Farm points (WGS84).
    parishes : GeoDataFrame or None
        ``parish_code, parish_name, geometry`` (WGS84), from ONS "Parishes (December YYYY)
        Boundaries EW" (``PARyyCD``/``PARyyNM``); see :mod:`ruralaction.geography.parishes`.
    notes : list of str
        What was inferred and from what, in words.
    """

    wards: gpd.GeoDataFrame | None = None
    lsoas: gpd.GeoDataFrame | None = None
    lsoa_classes: pd.Series = field(default_factory=lambda: pd.Series(dtype="str"))
    farms: gpd.GeoSeries | None = None
    parishes: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading files


def read_boundaries(path: str | os.PathLike, *, isolated: bool = False, name: str | None = None) -> gpd.GeoDataFrame:
    """Read a boundary file into WGS84 (GeoJSON, GeoPackage, Shapefile, or a zip of a Shapefile).

    The file is first checked by its bytes (:mod:`ruralaction.geography.safe_read`): nothing that
    could make GDAL read another file or the network is opened. ``isolated`` (uploads) reads it in
    a limited worker process that has only the file's own GDAL driver.
    """
    p = Path(path)
    name = name or p.name
    if isolated:
        gdf = read_isolated(p, name)
    else:
        with checked(p, name) as c:
            try:
                gdf = gpd.read_file(c.path, engine="pyogrio")
            except Exception as exc:  # noqa: BLE001 - pyogrio raises several types; every one means "not readable"
                raise GeographyError(
                    f"{name} could not be read as a boundaries file ({str(exc).splitlines()[0]})."
                ) from None
    if gdf.empty:
        raise GeographyError(f"{name} has no features.")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    return gdf.to_crs("EPSG:4326")


def boundary_kind(gdf: gpd.GeoDataFrame) -> str | None:
    """``"ward"``, ``"lsoa"``, ``"parish"``, ``"farm"`` (a point layer) or ``None``."""
    if _first(gdf.columns, PARISH_CODE):
        return "parish"
    if _first(gdf.columns, WARD_CODE):
        return "ward"
    if _first(gdf.columns, LSOA_CODE):
        return "lsoa"
    if len(gdf) and gdf.geom_type.isin(["Point", "MultiPoint"]).all():
        return "farm"
    return None


def read_lookup(path: str | os.PathLike, definition: Definition) -> tuple[str, pd.Series]:
    """Read a rural-urban lookup CSV, recognised by its columns.

    Returns ``("lsoa" | "ward", Series code -> RUC code)``. Accepts ONS's own headers
    (``LSOA11CD,LSOA11NM,RUC11CD,RUC11``), the ``lsoa`` header of mySociety's copy, and ward
    lookups (``WD11CD,…,RUC11``) that carry only the class name.
    """
    p = Path(path)
    header = csv_header(p)
    lim = limits()
    if len(header) > lim.max_columns:
        raise GeographyError(
            f"{p.name} was refused: its header has {len(header):,} columns, more than the limit of {lim.max_columns:,}."
        )
    code_col = _first(header, LSOA_CODE) or _first(header, WARD_CODE)
    class_col = _first(header, CLASS_CODE) or _first(header, CLASS_NAME)
    if not code_col or not class_col:
        raise GeographyError(
            f"{p.name} is not a rural-urban lookup: it needs an LSOA or ward code column and an RUC class column."
        )
    kind = "lsoa" if LSOA_CODE.match(code_col) else "ward"
    df = pd.read_csv(p, usecols=[code_col, class_col], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    codes = _class_codes(df[class_col], definition)
    s = pd.Series(codes.to_numpy(), index=df[code_col].str.strip().to_numpy(), dtype="str").dropna()
    return kind, s[~s.index.duplicated(keep="last")]


def csv_header(path: Path) -> list[str]:
    """The header fields of a CSV file (empty list when unreadable)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _class_codes(values: pd.Series, definition: Definition) -> pd.Series:
    uniq = pd.Series(values.dropna().unique())
    mapping = {v: definition.class_code(v) for v in uniq if isinstance(v, str) and v.strip()}
    return values.map(mapping).astype("str").where(values.map(mapping).notna(), None)


def find_geography_files(folder: str | os.PathLike) -> dict[str, list[Path]]:
    """Find boundary files and lookup CSVs in a folder laid out like ``shared/data``.

    Boundaries are any GeoJSON / GeoPackage / Shapefile / zip under the folder (TopoJSON is
    skipped); lookups are CSVs whose columns make them a rural-urban lookup.
    """
    root = Path(folder)
    out: dict[str, list[Path]] = {"boundaries": [], "lookups": []}
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        suffix = p.suffix.lower()
        if suffix == ".csv":
            h = csv_header(p)
            if (_first(h, LSOA_CODE) or _first(h, WARD_CODE)) and (_first(h, CLASS_CODE) or _first(h, CLASS_NAME)):
                out["lookups"].append(p)
        elif suffix in BOUNDARY_SUFFIXES and _is_boundary_file(p):
            out["boundaries"].append(p)
    return out


def _is_boundary_file(p: Path) -> bool:
    """GeoJSON (not TopoJSON or other JSON), GeoPackage, Shapefile, or a zip holding a Shapefile."""
    suffix = p.suffix.lower()
    if suffix in {".json", ".geojson"}:
        with p.open("rb") as fh:
            head = fh.read(4096)
        return b'"Feature' in head and b'"Topology"' not in head
    if suffix == ".zip":
        import zipfile

        try:
            with zipfile.ZipFile(p) as zf:
                return any(n.lower().endswith(".shp") for n in zf.namelist())
        except zipfile.BadZipFile:
            return False
    return True


# --------------------------------------------------------------------------- building it


def build_geography(
    definition: Definition,
    boundaries: list[str | os.PathLike] = (),
    lookups: list[str | os.PathLike] = (),
    *,
    wards: list[str | os.PathLike] = (),
    lsoas: list[str | os.PathLike] = (),
    farms: list[str | os.PathLike] = (),
) -> Geography:
    """Read and combine boundary and lookup files.

    ``boundaries`` are sorted into ward / LSOA / parish / farm layers by their columns; ``wards``,
    ``lsoas`` and ``farms`` force the kind. Raises :class:`GeographyError` for unusable files.
    """
    layers: dict[str, list[gpd.GeoDataFrame]] = {"ward": [], "lsoa": [], "parish": [], "farm": []}
    for kind, paths in (("ward", wards), ("lsoa", lsoas), ("farm", farms), (None, boundaries)):
        for path in paths:
            gdf = read_boundaries(path)
            k = kind or boundary_kind(gdf)
            if k is None:
                raise GeographyError(
                    f"{Path(path).name} has no ward, LSOA or parish code column (e.g. WD13CD, LSOA11CD, PAR23CD) "
                    "and is not a point layer."
                )
            if k == "ward" and AREA_CODE_NAME.match(Path(path).stem) and not _first(gdf.columns, LAD_CODE):
                gdf = gdf.assign(_lad_code=Path(path).stem)  # ONS per-district files are named by LAD code
            layers[k].append(gdf)
    ward_lookup, lsoa_lookup = pd.Series(dtype="str"), pd.Series(dtype="str")
    for path in lookups:
        kind, s = read_lookup(path, definition)
        if kind == "ward":
            ward_lookup = pd.concat([ward_lookup, s])
        else:
            lsoa_lookup = pd.concat([lsoa_lookup, s])

    geo = Geography(lsoa_classes=lsoa_lookup[~lsoa_lookup.index.duplicated(keep="last")])
    if layers["lsoa"]:
        geo.lsoas = _standard_lsoas(pd.concat(layers["lsoa"], ignore_index=True), geo.lsoa_classes, definition)
    if layers["ward"]:
        geo.wards = _standard_wards(pd.concat(layers["ward"], ignore_index=True), ward_lookup, geo, definition)
    if layers["parish"]:
        geo.parishes = standard_parishes(pd.concat(layers["parish"], ignore_index=True))
    if layers["farm"]:
        geo.farms = gpd.GeoSeries(pd.concat([g.geometry for g in layers["farm"]], ignore_index=True), crs="EPSG:4326")
    return geo


def standard_parishes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``parish_code, parish_name, geometry`` from an ONS parish boundary layer (``PARyyCD`` /
    ``PARyyNM``); the last copy of a code wins."""
    code, name = _first(gdf.columns, PARISH_CODE), _first(gdf.columns, PARISH_NAME)
    return (
        gpd.GeoDataFrame(
            {
                "parish_code": gdf[code].astype(str).str.strip(),
                "parish_name": gdf[name].astype(str).str.strip() if name else gdf[code].astype(str),
            },
            geometry=gdf.geometry.make_valid(),
            crs="EPSG:4326",
        )
        .drop_duplicates("parish_code", keep="last")
        .reset_index(drop=True)
    )


def _standard_lsoas(gdf: gpd.GeoDataFrame, classes: pd.Series, definition: Definition) -> gpd.GeoDataFrame:
    code, name = _first(gdf.columns, LSOA_CODE), _first(gdf.columns, LSOA_NAME)
    own = _first(gdf.columns, CLASS_CODE) or _first(gdf.columns, CLASS_NAME)
    out = gpd.GeoDataFrame(
        {
            "lsoa_code": gdf[code].astype(str).str.strip(),
            "lsoa_name": gdf[name].astype(str) if name else gdf[code].astype(str),
        },
        geometry=gdf.geometry.make_valid(),
        crs="EPSG:4326",
    )
    ruc = out["lsoa_code"].map(classes)
    if own:
        ruc = ruc.fillna(_class_codes(gdf[own].astype("str"), definition))
    out["ruc_code"] = ruc.astype("str").where(ruc.notna(), None)
    return out.drop_duplicates("lsoa_code", keep="last").reset_index(drop=True)


def _standard_wards(
    gdf: gpd.GeoDataFrame, lookup: pd.Series, geo: Geography, definition: Definition
) -> gpd.GeoDataFrame:
    code, name, district = _first(gdf.columns, WARD_CODE), _first(gdf.columns, WARD_NAME), _first(gdf.columns, DISTRICT)
    own = _first(gdf.columns, CLASS_CODE) or _first(gdf.columns, CLASS_NAME)
    out = (
        gpd.GeoDataFrame(
            {
                "ward_code": gdf[code].astype(str).str.strip(),
                "ward_name": gdf[name].astype(str) if name else gdf[code].astype(str),
                "district": gdf[district].astype(str) if district else None,
            },
            geometry=gdf.geometry.make_valid(),
            crs="EPSG:4326",
        )
        .drop_duplicates("ward_code", keep="last")
        .reset_index(drop=True)
    )
    if not district:
        out["district"] = _districts(gdf, out, geo.lsoas)
    own_codes = (
        _class_codes(gdf[own].astype("str"), definition).set_axis(gdf[code].astype(str).str.strip())
        if own
        else pd.Series(dtype="str")
    )
    own_codes = own_codes[~own_codes.index.duplicated(keep="last")]
    ruc = pd.Series([None] * len(out), dtype="object")
    basis = pd.Series([None] * len(out), dtype="object")
    for source, label in ((lookup, "ward lookup"), (own_codes, "ward boundaries")):
        found = out["ward_code"].map(source)
        take = ruc.isna() & found.notna()
        ruc[take], basis[take] = found[take], label
    missing = ruc.isna()
    if missing.any() and geo.lsoas is not None:
        derived = _derive_from_lsoas(out[missing], geo.lsoas, definition)
        take = derived.notna()
        idx = derived.index[take]
        ruc[idx], basis[idx] = derived[take], "ward (derived from LSOAs)"
        if take.any():
            names = ", ".join(out.loc[idx, "ward_name"])
            geo.notes.append(
                f"{take.sum()} wards had no class in the ward lookup; their class was derived from the "
                f"2011 LSOAs inside them, weighted by area: {names}."
            )
    for codes, cls in ((definition.extra_rural_wards, "E1"), (definition.extra_urban_wards, "C1")):
        m = out["ward_code"].isin(codes)
        ruc[m], basis[m] = cls, "configured"
    if ruc.isna().any():
        geo.notes.append(
            f"{int(ruc.isna().sum())} wards have no rural-urban class; incidents in them fall back to their LSOA."
        )
    out["ruc_code"] = ruc.to_numpy()
    out["class_basis"] = basis.to_numpy()
    return out


def _districts(gdf: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame | None) -> pd.Series:
    """Each ward's district when its boundary file has no district name column: the district in
    the name of the 2011 LSOA under the ward's inner point ("Corby 005A" is in Corby), else the LAD
    code of the file (a ``LAD13CD`` column, or a per-district file named by its code), else None."""
    out = pd.Series([None] * len(wards), index=wards.index, dtype="object")
    lad = _first(gdf.columns, LAD_CODE) or ("_lad_code" if "_lad_code" in gdf.columns else None)
    if lad:
        by_code = gdf[lad].astype(object).where(gdf[lad].notna(), None)
        by_code.index = gdf[_first(gdf.columns, WARD_CODE)].astype(str).str.strip()
        out[:] = wards["ward_code"].map(by_code[~by_code.index.duplicated(keep="last")]).to_numpy()
    if lsoas is not None and len(lsoas):
        inner = wards.geometry.representative_point()
        at = locate(inner.x.to_numpy(), inner.y.to_numpy(), lsoas.geometry)
        names = lsoas["lsoa_name"].astype(str).str.replace(LSOA_SUFFIX, "", regex=True).to_numpy()
        named = (at >= 0) & (
            lsoas["lsoa_name"].to_numpy()[np.maximum(at, 0)] != lsoas["lsoa_code"].to_numpy()[np.maximum(at, 0)]
        )
        out[named] = names[at[named]]
    return out


def _derive_from_lsoas(wards: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame, definition: Definition) -> pd.Series:
    """Class of each ward from the LSOAs overlapping it: rural or urban by the larger area, then
    the most common class of that kind."""
    classed = lsoas[lsoas["ruc_code"].notna()]
    if classed.empty:
        return pd.Series([None] * len(wards), index=wards.index, dtype="object")
    w = wards[["geometry"]].to_crs(BNG).reset_index(names="ward_idx")
    pieces = gpd.overlay(w, classed[["ruc_code", "geometry"]].to_crs(BNG), how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.area
    pieces["rural"] = pieces["ruc_code"].isin(definition.rural_classes)
    kind = pieces.groupby(["ward_idx", "rural"])["area"].sum().unstack(fill_value=0.0)
    is_rural = kind.get(True, 0.0) > kind.get(False, 0.0)
    best = (
        pieces.groupby(["ward_idx", "rural", "ruc_code"])["area"]
        .sum()
        .reset_index()
        .sort_values("area", ascending=False)
    )
    best = best[best["rural"].to_numpy() == is_rural.reindex(best["ward_idx"]).to_numpy()].drop_duplicates("ward_idx")
    return best.set_index("ward_idx")["ruc_code"].reindex(wards.index)


# --------------------------------------------------------------------------- point in polygon


def locate(lon: np.ndarray, lat: np.ndarray, polygons: gpd.GeoSeries) -> np.ndarray:
    """Index of the polygon each point falls in (first match; boundary counts), or -1.

    Loops over polygons, never over points: each polygon tests only the points inside its
    bounding box with :func:`shapely.intersects_xy`, without building Point objects.
    Duplicate points (police.uk snaps incidents to shared points) are tested once.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lon), -1, dtype=np.int32)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any() or len(polygons) == 0:
        return out
    codes, uniq = pd.factorize(lon[ok] + 1j * lat[ok])
    ux, uy = uniq.real, uniq.imag
    found = np.full(len(uniq), -1, dtype=np.int32)
    geoms = np.asarray(polygons.geometry.values if hasattr(polygons, "geometry") else polygons, dtype=object)
    bounds = shapely.bounds(geoms)
    for i, g in enumerate(geoms):
        if g is None or shapely.is_empty(g):
            continue
        minx, miny, maxx, maxy = bounds[i]
        cand = np.flatnonzero((found < 0) & (ux >= minx) & (ux <= maxx) & (uy >= miny) & (uy <= maxy))
        if cand.size:
            shapely.prepare(g)
            hit = shapely.intersects_xy(g, ux[cand], uy[cand])
            found[cand[hit]] = i
    out[ok] = found[codes]
    return out


def near_points(lon: np.ndarray, lat: np.ndarray, points: gpd.GeoSeries, distance_m: float) -> np.ndarray:
    """True where a point lies within ``distance_m`` metres of any of ``points``."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.zeros(len(lon), dtype=bool)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any() or points is None or len(points) == 0:
        return out
    codes, uniq = pd.factorize(lon[ok] + 1j * lat[ok])
    pts = gpd.GeoSeries(gpd.points_from_xy(uniq.real, uniq.imag), crs="EPSG:4326").to_crs(BNG)
    tree = shapely.STRtree(points.to_crs(BNG).values)
    hits = tree.query(pts.values, predicate="dwithin", distance=distance_m)
    near = np.zeros(len(uniq), dtype=bool)
    near[hits[0]] = True
    out[ok] = near[codes]
    return out
