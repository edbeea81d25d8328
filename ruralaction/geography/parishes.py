"""Parishes: which parish (or town council) each incident is in, and which wards a parish spans.

Parish councils think in parishes, not council wards. The boundaries come from the ONS Open
Geography Portal, "Parishes (December 2021/2023) Boundaries EW" (columns ``PAR21CD``/``PAR21NM``
or the year's equivalent; GeoJSON, GeoPackage or zipped Shapefile), read by
:func:`ruralaction.geography.boundaries.build_geography` into ``Geography.parishes``.

Much of England is *unparished* (most of Northampton town, for one): a point inside the county
but in no parish is named :data:`UNPARISHED`, never guessed into a neighbour.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralaction.geography.boundaries import BNG, locate

#: What a located incident inside the county but outside every parish is called.
UNPARISHED = "Unparished area"


def assign_parishes(
    lon: np.ndarray, lat: np.ndarray, parishes: gpd.GeoDataFrame | None, inside: np.ndarray | None = None
) -> tuple[pd.Categorical, pd.Categorical]:
    """The parish code and name of each point (point in polygon, vectorised; see
    :func:`~ruralaction.geography.boundaries.locate`).

    Parameters
    ----------
    lon, lat : ndarray
    parishes : GeoDataFrame or None
        ``Geography.parishes``.
    inside : ndarray of bool, optional
        Points inside the county (e.g. inside a ward). Those in no parish are named
        :data:`UNPARISHED`; the others (outside the county, no location) stay missing.
        Without it, every located point in no parish is unparished.

    Returns
    -------
    (Categorical, Categorical)
        ``parish_code`` (missing when in no parish) and ``parish_name`` (with :data:`UNPARISHED`).
    """
    n = len(lon)
    if parishes is None or not len(parishes):
        empty = pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype=object))
        return empty, empty.copy()
    idx = locate(lon, lat, parishes.geometry)
    codes = pd.Index(parishes["parish_code"].astype(str))
    code_cat = pd.Categorical.from_codes(idx, categories=codes)
    names = pd.Index([*pd.unique(parishes["parish_name"].astype(str)), UNPARISHED])
    name_of = names.get_indexer(parishes["parish_name"].astype(str))
    located = np.isfinite(np.asarray(lon, float)) & np.isfinite(np.asarray(lat, float))
    unparished = (idx < 0) & (located if inside is None else (np.asarray(inside, bool) & located))
    name_codes = np.where(idx >= 0, name_of[np.maximum(idx, 0)], np.where(unparished, len(names) - 1, -1))
    return code_cat, pd.Categorical.from_codes(name_codes, categories=names)


def parish_wards(parishes: gpd.GeoDataFrame, wards: gpd.GeoDataFrame | None, min_share: float = 0.02) -> pd.DataFrame:
    """Which wards each parish spans, by area.

    Returns
    -------
    DataFrame
        ``parish_code, ward_code, ward_name, share`` (share of the parish's area in that ward,
        largest first); slivers under ``min_share`` (boundary generalisation) are left out.
    """
    cols = ["parish_code", "ward_code", "ward_name", "share"]
    if parishes is None or wards is None or not len(parishes) or not len(wards):
        return pd.DataFrame(columns=cols)
    p = parishes[["parish_code", "geometry"]].to_crs(BNG)
    w = wards[["ward_code", "ward_name", "geometry"]].to_crs(BNG)
    pieces = gpd.overlay(p, w, how="intersection", keep_geom_type=True)
    if pieces.empty:
        return pd.DataFrame(columns=cols)
    pieces["area"] = pieces.area
    total = p.set_index("parish_code").area
    pieces["share"] = pieces["area"] / pieces["parish_code"].map(total).to_numpy()
    out = pieces.loc[pieces["share"] >= min_share, cols]
    return out.sort_values(["parish_code", "share"], ascending=[True, False]).reset_index(drop=True)


def parish_table(parishes: gpd.GeoDataFrame | None, spans: pd.DataFrame | None = None) -> pd.DataFrame:
    """``parish_code, parish_name, wards, label`` sorted by name: for pickers and search.
    ``wards`` is the names of the wards it spans ("Brixworth; Moulton")."""
    if parishes is None or not len(parishes):
        return pd.DataFrame(columns=["parish_code", "parish_name", "wards", "label"])
    out = pd.DataFrame(
        {"parish_code": parishes["parish_code"].astype(str), "parish_name": parishes["parish_name"].astype(str)}
    )
    if spans is not None and len(spans):
        names = spans.groupby("parish_code", sort=False)["ward_name"].agg(lambda s: "; ".join(map(str, s)))
        out["wards"] = out["parish_code"].map(names).fillna("")
    else:
        out["wards"] = ""
    dup = out["parish_name"].duplicated(keep=False)
    out["label"] = np.where(
        dup & (out["wards"] != ""), out["parish_name"] + " (" + out["wards"] + ")", out["parish_name"]
    )
    return out.sort_values(["parish_name", "parish_code"]).reset_index(drop=True)
