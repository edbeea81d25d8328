"""Places on the Streamlit side: the basemap, labels, parishes, postcodes and the search box.

Built once per data version (``st.cache_resource``, read-only, like :mod:`dashboard.filters`):
the place labels every map draws, the parishes (which wards each spans, their areas, whether
rural), the postcode lookup and the search index. Pages call :func:`current`, :func:`search_box`
and :func:`map_layers`; the work is the library's (:mod:`ruralaction.geography`,
:mod:`ruralaction.concerns.search`, :mod:`ruralaction.measures.parish_report`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard import basemap_web, state
from ruralaction.concerns.search import Place, SearchIndex, build_index, search
from ruralaction.geography.basemap import Basemap
from ruralaction.geography.boundaries import GeographyError
from ruralaction.geography.gazetteer import is_open_names_file, place_labels, read_open_names
from ruralaction.geography.parishes import parish_table, parish_wards
from ruralaction.geography.postcodes import read_postcode_folder
from ruralaction.logs import event as log_event
from ruralaction.measures import maplayers
from ruralaction.measures.parish_report import parish_areas_km2, parish_rural

PARISH_PARAM = "parish"


@dataclass(frozen=True)
class Places:
    """Everything about places for one data version (read-only)."""

    labels: pd.DataFrame
    parishes: gpd.GeoDataFrame | None
    spans: pd.DataFrame
    table: pd.DataFrame
    areas: pd.Series
    rural: pd.Series
    features: list
    bounds: pd.DataFrame
    index: SearchIndex
    problems: tuple[str, ...] = ()

    @cached_property
    def postcode_wards(self) -> dict[str, str] | None:
        """Postcode -> ward code, for the concern form's own matching (None without a lookup)."""
        pc = self.index.postcodes
        if pc is None:
            return None
        t = pc.table.dropna(subset=["ward_code"])
        return dict(zip(t["postcode"], t["ward_code"]))

    def parish_name(self, code: str | None) -> str | None:
        hit = self.table.loc[self.table["parish_code"] == code, "parish_name"]
        return str(hit.iloc[0]) if len(hit) else None

    def spans_text(self, code: str) -> str:
        """The wards a parish lies in, in words: "Brixworth and Moulton"."""
        names = self.spans.loc[self.spans["parish_code"] == code, "ward_name"].astype(str).tolist()
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}" if names else ""


def _read_places(folder: Path) -> tuple[pd.DataFrame | None, list[str]]:
    parts, problems = [], []
    for p in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        if is_open_names_file(p):
            try:
                parts.append(read_open_names(p))
            except GeographyError as exc:
                problems.append(str(exc))
    return (pd.concat(parts, ignore_index=True) if parts else None), problems


@st.cache_resource(max_entries=2, show_spinner="Preparing place names…")
def _prepare(root: str, dataset: str, version: str) -> Places:
    # ``version`` is unused in the body: it is part of the cache key.
    geo = state.meta().geography
    base = state.source().store.path(dataset)  # the current data version's folder
    problems: list[str] = []
    villages, bad = _read_places(base / "places")
    problems += bad
    try:
        postcodes = read_postcode_folder(base / "postcodes")
    except GeographyError as exc:
        postcodes, problems = None, [*problems, str(exc)]
    for p in problems:
        log_event("places.unreadable", level="warning", reason=p)
    parishes = geo.parishes
    spans = parish_wards(parishes, geo.wards) if parishes is not None else pd.DataFrame()
    features, bounds = maplayers.polygon_features(parishes, "parish_code", "parish_name")
    return Places(
        labels=place_labels(geo.wards, parishes, villages),
        parishes=parishes,
        spans=spans,
        table=parish_table(parishes, spans),
        areas=parish_areas_km2(parishes),
        rural=parish_rural(spans, geo.wards, state.meta().definition.rural_classes),
        features=features,
        bounds=bounds,
        index=build_index(geo.wards, parishes, villages, postcodes),
        problems=tuple(problems),
    )


def current() -> Places:
    src = state.source()
    return _prepare(str(src.root), src.dataset, src.version)


def basemap() -> Basemap:
    return basemap_web.current()


def map_layers() -> tuple[Basemap, pdk.Layer | None]:
    """The configured basemap and the place-name layer, for :func:`maplayers.deck`."""
    return basemap(), maplayers.label_layer(current().labels)


def basemap_caption(bm: Basemap) -> None:
    st.caption(state.md(bm.caption()))


def search_box(key: str, label: str = "Find a place") -> Place | None:
    """One search box: a postcode (whole or "NN6 9"), a village, parish or ward. Returns the
    place found (or chosen among several), else None; says in one line what it found."""
    index = current().index
    text = st.text_input(
        label,
        key=f"{key}_search",
        max_chars=100,
        placeholder="Postcode, village, parish or ward: e.g. NN6 9 or Pitsford",
        help="A whole postcode or its start, a village, a parish or a ward; spelling need not be exact.",
    )
    if not (text or "").strip():
        return None
    found = search(text, index)
    if found.place is not None:
        st.caption(f":material/check_circle: {state.md(found.message)}")
        return found.place
    if found.choices:
        labels = {p.label: p for p in found.choices}
        st.caption(f":material/help: '{state.md(text.strip())}' fits several places: choose one.")
        chosen = st.pills("Which place?", list(labels), key=f"{key}_search_choice", label_visibility="collapsed")
        return labels.get(chosen) if chosen else None
    st.caption(f":material/help: {state.md(found.message)}")
    return None


def local_area_query(place: Place, filter_query: dict[str, str]) -> dict[str, str]:
    """The Local area link for a place: its parish when it has one, else its ward."""
    q = {k: v for k, v in filter_query.items() if k not in ("ward", "district")}
    if place.parish_code:
        return {**q, PARISH_PARAM: place.parish_code}
    if place.ward_code:
        return {**q, "ward": place.ward_code}
    return q


def actions_in(parish: str, ward_codes: list[str]) -> pd.DataFrame:
    """Partners' actions in a parish: those placed at a point inside it, and those recorded for
    a whole ward it lies in (``date, title, partner, visible, where``)."""
    from dashboard import actions
    from ruralaction.geography.boundaries import locate

    pts = actions.map_points(ward_codes=ward_codes)
    cols = ["date", "title", "partner", "visible", "where"]
    if pts is None or pts.empty:
        return pd.DataFrame(columns=cols)
    geom = current().parishes.loc[lambda g: g["parish_code"] == parish].geometry
    inside = locate(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float), geom) >= 0
    by_point = pts["located_by"].eq("point").to_numpy()
    keep = pts[(by_point & inside) | ~by_point].drop_duplicates("id")
    where = keep["located_by"].map({"point": "In the parish"}).fillna("Across the ward")
    return keep.assign(where=where.to_numpy())[cols].reset_index(drop=True)


def concerns_in(ward_codes: list[str]) -> pd.DataFrame:
    """Concerns raised in these wards, by category (concerns are recorded by ward)."""
    from dashboard import actions
    from ruralaction.concerns import ward_concern_counts

    counts = ward_concern_counts(actions.engine(), actions.dataset())
    here = counts[counts["ward_code"].isin(ward_codes)]
    if here.empty:
        return here
    return (
        here.groupby("category_label", as_index=False)
        .agg(concerns=("concerns", "sum"), actioned=("actioned", "sum"), last_raised=("last_raised", "max"))
        .sort_values("concerns", ascending=False, ignore_index=True)
    )


def area_map(outline: dict | None, df: pd.DataFrame, mask, action_points: pd.DataFrame | None):
    """The Local area map (its boundary, its rural crimes as points, partners' actions and the
    place names, on the basemap) and the same content for the printable summary's image
    (keyword arguments of :func:`ruralaction.reports.staticmap.area_map_png`)."""
    import numpy as np

    from ruralaction.geography.boundaries import locate

    bm, labels = basemap(), current().labels
    mask = np.asarray(mask, bool)
    n = int(mask.sum())
    crime_layers, rows = [], None
    if 0 < n <= maplayers.POINTS_MAX:
        crime_layers, _ = maplayers.point_layers(df, mask)
        rows = maplayers.point_rows(df, mask)[["lon", "lat", "category"]]
    bounds = None
    if outline:
        import shapely

        g = shapely.from_geojson(json.dumps(outline["geometry"]))
        bounds = g.bounds
        if action_points is not None and len(action_points):
            inside = locate(action_points["lon"].to_numpy(float), action_points["lat"].to_numpy(float), [g]) >= 0
            action_points = action_points[inside]
    deck = maplayers.deck(
        [
            maplayers.focus_layer(outline),
            *crime_layers,
            maplayers.label_layer(current().labels),
            maplayers.actions_layer(action_points),
        ],
        maplayers.view_for(bounds, width_px=700, height_px=400),
        bm,
    )
    picture = {
        "outline": outline,
        "points": rows,
        "actions": action_points,
        "labels": labels,
        "basemap": bm,
        "categories": tuple(str(c) for c in df["rural_category"].cat.categories),
    }
    return deck, picture


def loaded_words() -> str:
    """What places are loaded, in one line (the Data page)."""
    pl = current()
    n_par = 0 if pl.parishes is None else len(pl.parishes)
    pc = pl.index.postcodes
    villages = int((pl.index.table["kind"] == "village").sum()) if len(pl.index.table) else 0
    parts = [
        f"{n_par:,} parishes" if n_par else "no parish boundaries",
        f"a postcode lookup of {len(pc):,} postcodes" if pc is not None else "no postcode lookup",
        f"{villages:,} OS Open Names places" if villages else "no OS Open Names places",
    ]
    words = "Places loaded now: " + "; ".join(parts) + "."
    return words + "".join(f" Not used: {p}" for p in pl.problems)
