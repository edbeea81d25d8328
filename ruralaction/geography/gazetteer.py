"""Place names for the maps' labels and the search box: wards, parishes and, when added, an
OS Open Names extract of towns, villages and hamlets.

Labels are drawn by the map itself (not by the tiles), so they show with no basemap at all.
Each label has a size in metres, so a village name grows as one zooms in and is too small to
matter at county scale, while town names read from the county view: "sensible zooms" without
the browser knowing anything about zoom rules.

OS Open Names (Ordnance Survey, free under the OS OpenData licence) comes as CSV files with no
header row (the header is a separate file) and coordinates in the British National Grid;
:func:`read_open_names` takes either form and keeps the populated places.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralaction.geography.boundaries import BNG, GeographyError
from ruralaction.geography.crs import SharedTransformer

#: Label height in metres by kind (bigger places read from further out).
SIZE_M = {"city": 2600.0, "town": 1500.0, "village": 520.0, "parish": 520.0, "suburb": 420.0, "hamlet": 300.0}
SIZE_M["ward"] = 620.0
#: When two labels share a name nearby, the more specific kind is kept (lower is preferred).
_PREFER = {"city": 0, "town": 0, "village": 1, "suburb": 1, "hamlet": 2, "parish": 3, "ward": 4}
LABEL_COLUMNS = ["name", "lon", "lat", "kind", "size_m"]
#: The header of OS Open Names CSVs (``OS_Open_Names_Header.csv``), for headerless files.
OPEN_NAMES_HEADER = (
    "ID,NAMES_URI,NAME1,NAME1_LANG,NAME2,NAME2_LANG,TYPE,LOCAL_TYPE,GEOMETRY_X,GEOMETRY_Y,MOST_DETAIL_VIEW_RES,"
    "LEAST_DETAIL_VIEW_RES,MBR_XMIN,MBR_YMIN,MBR_XMAX,MBR_YMAX,POSTCODE_DISTRICT,POSTCODE_DISTRICT_URI,"
    "POPULATED_PLACE,POPULATED_PLACE_URI,POPULATED_PLACE_TYPE,DISTRICT_BOROUGH,DISTRICT_BOROUGH_URI,"
    "DISTRICT_BOROUGH_TYPE,COUNTY_UNITARY,COUNTY_UNITARY_URI,COUNTY_UNITARY_TYPE,REGION,REGION_URI,COUNTRY,"
    "COUNTRY_URI,RELATED_SPATIAL_OBJECT,SAME_AS_DBPEDIA,SAME_AS_GEONAMES"
).split(",")
_LOCAL_TYPES = {
    "city": "city",
    "town": "town",
    "village": "village",
    "hamlet": "hamlet",
    "other settlement": "hamlet",
    "suburban area": "suburb",
}
_TO_WGS = SharedTransformer(BNG, "EPSG:4326")


def _key(name: str) -> str:
    t = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t).split())


def polygon_labels(gdf: gpd.GeoDataFrame | None, name_col: str, kind: str) -> pd.DataFrame:
    """One label per polygon, at a point inside it (not the centroid, which can fall outside)."""
    if gdf is None or not len(gdf):
        return pd.DataFrame(columns=LABEL_COLUMNS)
    pts = shapely.point_on_surface(gdf.geometry.to_crs(BNG).to_numpy())
    lon, lat = _TO_WGS.transform(shapely.get_x(pts), shapely.get_y(pts))
    return pd.DataFrame(
        {
            "name": gdf[name_col].astype(str).to_numpy(),
            "lon": np.round(np.asarray(lon), 5),
            "lat": np.round(np.asarray(lat), 5),
            "kind": kind,
            "size_m": SIZE_M[kind],
        }
    )


def is_open_names_file(path: str | os.PathLike) -> bool:
    """Whether a CSV looks like OS Open Names (with or without its header row)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    head = [h.strip().upper() for h in first]
    if {"NAME1", "LOCAL_TYPE", "GEOMETRY_X", "GEOMETRY_Y"} <= set(head):
        return True
    return len(first) == len(OPEN_NAMES_HEADER) and first[6] in ("populatedPlace", "transportNetwork", "other")


def read_open_names(source: str | os.PathLike | bytes, name: str | None = None) -> pd.DataFrame:
    """Towns, villages and hamlets from an OS Open Names CSV (header row optional).

    Returns
    -------
    DataFrame
        :data:`LABEL_COLUMNS`; ``kind`` is city, town, village, suburb or hamlet.

    Raises
    ------
    GeographyError
        Not an OS Open Names file, or a populated place whose coordinates do not parse (the
        message names the file, the line and the column).
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    label = name or (Path(source).name if not isinstance(source, bytes) else "The places file")
    text = raw.decode("utf-8-sig", errors="replace")
    first = next(csv.reader(io.StringIO(text)), [])
    has_header = "NAME1" in [h.strip().upper() for h in first]
    df = pd.read_csv(
        io.StringIO(text),
        header=0 if has_header else None,
        names=None if has_header else OPEN_NAMES_HEADER,
        dtype=str,
        keep_default_na=False,
    )
    df.columns = [str(c).strip().upper() for c in df.columns]
    need = {"NAME1", "LOCAL_TYPE", "GEOMETRY_X", "GEOMETRY_Y"}
    if not need <= set(df.columns):
        raise GeographyError(f"{label} is not an OS Open Names file: it needs {', '.join(sorted(need))} columns.")
    kind = df["LOCAL_TYPE"].str.strip().str.lower().map(_LOCAL_TYPES)
    keep = kind.notna().to_numpy()
    x = pd.to_numeric(df["GEOMETRY_X"], errors="coerce").to_numpy()
    y = pd.to_numeric(df["GEOMETRY_Y"], errors="coerce").to_numpy()
    bad = keep & ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        col = "GEOMETRY_X" if not np.isfinite(x[i]) else "GEOMETRY_Y"
        raise GeographyError(
            f"{label}, line {i + 1 + int(has_header)}, column {col}: '{df[col].iloc[i][:30]}' is not a grid coordinate "
            "in metres; nothing was added."
        )
    lon, lat = _TO_WGS.transform(x[keep], y[keep])
    k = kind[keep].to_numpy()
    return pd.DataFrame(
        {
            "name": df["NAME1"].to_numpy()[keep],
            "lon": np.round(np.asarray(lon), 5),
            "lat": np.round(np.asarray(lat), 5),
            "kind": k,
            "size_m": [SIZE_M[v] for v in k],
        }
    )


def place_labels(
    wards: gpd.GeoDataFrame | None, parishes: gpd.GeoDataFrame | None = None, places: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every label for the maps: ward names, parish names and OS Open Names places, with a
    name shared by labels within 4 km drawn once (the most specific: a village over its parish,
    a parish over the ward named after it).

    Returns
    -------
    DataFrame
        :data:`LABEL_COLUMNS`, biggest places first.
    """
    parts = [
        polygon_labels(wards, "ward_name", "ward") if wards is not None else None,
        polygon_labels(parishes, "parish_name", "parish") if parishes is not None else None,
        places,
    ]
    parts = [p[LABEL_COLUMNS] for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame(columns=LABEL_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["key"] = out["name"].map(_key)
    out["rank"] = out["kind"].map(_PREFER).fillna(9)
    out = out.sort_values(["key", "rank"], kind="stable").reset_index(drop=True)
    # a label repeats the best one of its name when within ~4 km of it (same village, other source)
    best = out.groupby("key", sort=False)[["lon", "lat"]].transform("first")
    near = (np.abs(out["lon"] - best["lon"]) < 0.06) & (np.abs(out["lat"] - best["lat"]) < 0.036)
    dup = near & out["key"].duplicated()
    out = out.loc[~dup, LABEL_COLUMNS]
    return out.sort_values("size_m", ascending=False, kind="stable").reset_index(drop=True)
