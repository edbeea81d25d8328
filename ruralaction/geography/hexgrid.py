"""The map's hexagon grid: which ~1.7 km² hexagon (British National Grid, 800 m centre to corner)
holds a point. Computed once per incident when the classified store is written, so the map
counts crimes per hexagon with one ``GROUP BY`` instead of placing every point again."""

from __future__ import annotations

import math

import numpy as np

from ruralaction.geography.crs import SharedTransformer

BNG = "EPSG:27700"
HEX_SIZE_M = 800.0
_TO_BNG = SharedTransformer("EPSG:4326", BNG)


def hex_cells(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial coordinates ``(q, r)`` of the pointy-top hexagon (``size`` centre to corner) that
    holds each point (x, y in metres), by cube rounding."""
    qf = (math.sqrt(3) / 3 * x - y / 3) / size
    rf = (2 / 3 * y) / size
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def lonlat_cells(lon: np.ndarray, lat: np.ndarray, size: float = HEX_SIZE_M) -> tuple[np.ndarray, np.ndarray]:
    """``(q, r)`` of each WGS84 point, ``-2**31`` where it has no coordinates; works on the
    distinct points (police.uk snaps every crime to one of a few thousand)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    q = np.full(len(lon), np.iinfo(np.int32).min, dtype=np.int32)
    r = q.copy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any():
        import pandas as pd

        point_of_row, uniq = pd.factorize(lon[ok] + 1j * lat[ok])
        x, y = _TO_BNG.transform(uniq.real, uniq.imag)
        uq, ur = hex_cells(np.asarray(x), np.asarray(y), size)
        q[ok], r[ok] = uq[point_of_row], ur[point_of_row]
    return q, r
