"""One search box for every page: a postcode (whole or its start, "NN6 9"), a village, a parish
or a ward name, found with the concern form's tolerant matching
(:func:`ruralaction.concerns.places.match_ward`: case, accents, ``&``/``and``, ``St``/``Saint``,
part of a name, the start of a name, a close spelling).

:func:`build_index` runs once per data version; :func:`search` then answers in milliseconds and
returns a :class:`Place` to go to (its bounds for the map to zoom to, its ward and parish for
the Local area page) or the choices when the text fits several places equally well.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralaction.concerns.places import match_ward
from ruralaction.geography.boundaries import locate
from ruralaction.geography.postcodes import NEEDS_LOOKUP, Postcodes, looks_like_postcode, tidy

#: When one name is a parish, a village and a ward at once, people mean the most local one.
_PREFER = {"parish": 0, "village": 1, "ward": 2}
#: A point place (a village) is shown with this margin around it (degrees, ~1 km).
_PAD = 0.012


@dataclass(frozen=True)
class Place:
    """Somewhere to go.

    Attributes
    ----------
    kind : {"postcode", "parish", "village", "ward"}
    name : str
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` in lon/lat, for the map to fit.
    ward_code, parish_code : str or None
        The ward / parish it is in (for a postcode or village) or is.
    label : str
        "Pitsford (parish)", "NN6 9 (postcodes)".
    """

    kind: str
    name: str
    bounds: tuple[float, float, float, float]
    ward_code: str | None = None
    parish_code: str | None = None
    label: str = ""


@dataclass(frozen=True)
class Found:
    """What a search found: one place, several to choose from, or nothing (``message`` says why)."""

    place: Place | None
    choices: tuple[Place, ...] = field(default=())
    message: str = ""


@dataclass(frozen=True)
class SearchIndex:
    """Every named place (build with :func:`build_index`); ``table`` has ``key, name, kind,
    context, minx, miny, maxx, maxy, ward_code, parish_code``."""

    table: pd.DataFrame
    postcodes: Postcodes | None = None

    def place(self, key: str) -> Place | None:
        """The place with this key (``"parish:E04…"``, ``"ward:E05…"``), or None."""
        hit = self.table[self.table["key"] == key]
        return _place(hit.iloc[0]) if len(hit) else None


def _place(row: pd.Series) -> Place:
    def code(v: object) -> str | None:
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    return Place(
        kind=str(row["kind"]),
        name=str(row["name"]),
        bounds=(float(row["minx"]), float(row["miny"]), float(row["maxx"]), float(row["maxy"])),
        ward_code=code(row["ward_code"]),
        parish_code=code(row["parish_code"]),
        label=f"{row['name']} ({row['context']})",
    )


def build_index(
    wards: gpd.GeoDataFrame | None,
    parishes: gpd.GeoDataFrame | None = None,
    places: pd.DataFrame | None = None,
    postcodes: Postcodes | None = None,
) -> SearchIndex:
    """The searchable places: wards, parishes, the villages of an OS Open Names extract
    (``places``: ``name, lon, lat, kind``, :func:`ruralaction.geography.gazetteer.read_open_names`)
    and the postcode lookup."""
    parts = []
    if wards is not None and len(wards):
        b = wards.geometry.bounds
        district = wards["district"].astype(object) if "district" in wards else pd.Series([None] * len(wards))
        parts.append(
            pd.DataFrame(
                {
                    "key": "ward:" + wards["ward_code"].astype(str),
                    "name": wards["ward_name"].astype(str),
                    "kind": "ward",
                    "context": [f"ward, {d}" if isinstance(d, str) and d else "ward" for d in district],
                    **{k: b[k].to_numpy() for k in ("minx", "miny", "maxx", "maxy")},
                    "ward_code": wards["ward_code"].astype(str),
                    "parish_code": None,
                }
            )
        )
    if parishes is not None and len(parishes):
        b = parishes.geometry.bounds
        pts = parishes.geometry.representative_point()
        ward_of = np.full(len(parishes), None, dtype=object)
        if wards is not None and len(wards):
            w = locate(pts.x.to_numpy(), pts.y.to_numpy(), wards.geometry)
            ward_of[w >= 0] = np.asarray(wards["ward_code"].astype(str))[w[w >= 0]]
        parts.append(
            pd.DataFrame(
                {
                    "key": "parish:" + parishes["parish_code"].astype(str),
                    "name": parishes["parish_name"].astype(str),
                    "kind": "parish",
                    "context": "parish",
                    **{k: b[k].to_numpy() for k in ("minx", "miny", "maxx", "maxy")},
                    "ward_code": ward_of,
                    "parish_code": parishes["parish_code"].astype(str),
                }
            )
        )
    if places is not None and len(places):
        lon, lat = places["lon"].to_numpy(float), places["lat"].to_numpy(float)
        w = locate(lon, lat, wards.geometry) if wards is not None and len(wards) else np.full(len(places), -1)
        p = locate(lon, lat, parishes.geometry) if parishes is not None and len(parishes) else np.full(len(places), -1)
        wc = np.asarray(wards["ward_code"].astype(str)) if wards is not None and len(wards) else np.array([None])
        pc = (
            np.asarray(parishes["parish_code"].astype(str))
            if parishes is not None and len(parishes)
            else np.array([None])
        )
        inside = w >= 0 if wards is not None and len(wards) else np.ones(len(places), bool)
        parts.append(
            pd.DataFrame(
                {
                    "key": "village:"
                    + places["name"].astype(str).to_numpy()
                    + "@"
                    + pd.Series(lon).round(3).astype(str).to_numpy(),
                    "name": places["name"].astype(str).to_numpy(),
                    "kind": "village",
                    "context": places["kind"].astype(str).to_numpy(),
                    "minx": lon - _PAD * 1.6,
                    "miny": lat - _PAD,
                    "maxx": lon + _PAD * 1.6,
                    "maxy": lat + _PAD,
                    "ward_code": np.where(w >= 0, wc[np.maximum(w, 0)], None),
                    "parish_code": np.where(p >= 0, pc[np.maximum(p, 0)], None),
                }
            )[inside]
        )
    cols = ["key", "name", "kind", "context", "minx", "miny", "maxx", "maxy", "ward_code", "parish_code"]
    table = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return SearchIndex(table.drop_duplicates("key").reset_index(drop=True), postcodes)


def search(text: str, index: SearchIndex) -> Found:
    """Find a place (see the module docstring). Never raises; ``message`` is one sentence."""
    typed = " ".join(str(text or "").split())[:100]
    if not typed:
        return Found(None, (), "Type a postcode, or the name of a village, parish or ward.")
    if looks_like_postcode(typed):
        return _postcode(typed, index)
    t = index.table
    if t.empty:
        return Found(None, (), "No places are loaded yet: add ward boundaries on the Data page.")
    m = match_ward(typed, pd.DataFrame({"ward_code": t["key"], "ward_name": t["name"], "district": t["context"]}))
    if not m.candidates:
        return Found(None, (), f"Nothing called '{typed}' was found: check the spelling, or try a postcode.")
    rows = t.set_index("key").loc[list(m.candidates)].reset_index()
    if len(rows) > 1 and rows["name"].str.casefold().nunique() == 1:
        rows = rows.assign(rank=rows["kind"].map(_PREFER)).sort_values("rank", kind="stable")
        rows = rows[rows["rank"] == rows["rank"].iloc[0]]
    places = tuple(_place(r) for _, r in rows.iterrows())
    if len(places) == 1:
        return Found(places[0], places, f"Showing {places[0].label}.")
    shown = ", ".join(p.label for p in places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
    return Found(None, places, f"'{typed}' could be {shown}: choose one.")


def _postcode(typed: str, index: SearchIndex) -> Found:
    pc = index.postcodes
    if pc is None or not len(pc):
        return Found(None, (), NEEDS_LOOKUP)
    rows = pc.starting(typed)
    shown = tidy(typed)
    if rows.empty:
        return Found(None, (), f"No postcode starting '{shown}' is in the postcode lookup ({pc.source}).")
    lat, lon = rows["lat"].to_numpy(float), rows["lon"].to_numpy(float)
    pad_x, pad_y = (0.004, 0.0025) if len(rows) == 1 else (0.002, 0.0012)
    bounds = (float(lon.min() - pad_x), float(lat.min() - pad_y), float(lon.max() + pad_x), float(lat.max() + pad_y))
    wards = set(index.table.loc[index.table["kind"] == "ward", "ward_code"])
    parishes = set(index.table.loc[index.table["kind"] == "parish", "parish_code"])
    ward = _most_common(rows["ward_code"], wards)
    parish = _most_common(rows["parish_code"], parishes)
    n = len(rows)
    what = "postcode" if n == 1 else f"{n:,} postcodes"
    where = []
    if parish:
        where.append(f"{index.place('parish:' + parish).name} parish")
    if ward:
        where.append(f"{index.place('ward:' + ward).name} ward")
    place = Place("postcode", shown, bounds, ward, parish, f"{shown} ({what})")
    inside = f", {'mostly ' if n > 1 else ''}in {' and '.join(where)}" if where else ", outside the loaded wards"
    return Found(place, (place,), f"Showing {shown} ({what}){inside}.")


def _most_common(codes: pd.Series, known: set) -> str | None:
    counts = Counter(c for c in codes.dropna().astype(str) if c in known)
    return counts.most_common(1)[0][0] if counts else None
