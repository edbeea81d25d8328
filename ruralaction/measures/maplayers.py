"""Map data built on the server: points, hexagon hotspots, a ward choropleth, partner actions.

``st.pydeck_chart`` sends every row of every layer to the browser as JSON (a million raw points
is ~160 MB), so the browser only ever gets what it can draw:

- **Hotspots**: a hexagon grid in the British National Grid. Each incident's cell is found
  once per data version (:func:`build_index`, on the distinct police.uk snap points), then a
  filter change is one ``np.bincount`` over the filtered rows: ~1,000 hexagons whatever the
  number of incidents.
- **Wards**: rural crimes per km² a year per ward, coloured in classes; ward outlines are
  simplified (20 m) and rounded (5 decimals, ~1 m) once per data version.
- **Points**: only when at most :data:`POINTS_MAX` crimes pass the filters (each point carries
  its tooltip text, ~200 bytes). One layer per category, each with its own colour from the
  Okabe–Ito colour-blind-safe palette *and* its own shape, so categories differ without colour.

Tooltips are plain text (deck.gl's ``text`` tooltip, which the browser sets as ``innerText``),
never an HTML template, so a location such as ``<img src=x onerror=alert(1)>`` shows as those
characters in every deck.gl renderer. Every HTML this module does write (the legend) passes
data text through ``html.escape``.

The background is configuration (:mod:`ruralaction.geography.basemap`): :func:`deck` draws on
the configured tiles, or on none at all, in which case no viewer's browser is sent to a tile
server. Either way the ward outlines and the place names (:func:`label_layer`) are drawn by the
map itself, so a map without tiles (offline, in CI) is still a map.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from ruralaction.geography.basemap import Basemap
from ruralaction.geography.crs import SharedTransformer
from ruralaction.geography.hexgrid import hex_cells
from ruralaction.measures.trends import BNG, NO_OUTCOME, month_codes, plural

#: Most crimes drawn as individual points; above it the page offers hotspots and wards. Each
#: point carries its tooltip (~200–250 bytes), so this keeps the map under 5 MB.
POINTS_MAX = 15_000
#: Hexagon size: centre to corner, metres (a cell is ~1.7 km²).
HEX_SIZE_M = 800.0
#: Colour-blind-safe categorical colours (Okabe–Ito, as in the app theme) and shapes.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
SHAPES = ("circle", "square", "triangle", "diamond", "cross", "star")
GLYPHS = {"circle": "●", "square": "■", "triangle": "▲", "diamond": "◆", "cross": "✚", "star": "★"}
#: Sequential, colour-blind-safe classes for counts and rates (viridis, light to dark).
RAMP = ("#FDE725", "#5EC962", "#21918C", "#3B528B", "#440154")
NONE_COLOUR = "#E6E6E6"
TOOLTIP = {
    "text": "{t}",
    "style": {
        "backgroundColor": "#FFFFFF",
        "color": "#111111",
        "fontSize": "15px",
        "border": "1px solid #8A9A86",
        "whiteSpace": "pre-line",
        "maxWidth": "360px",
    },
}

_TO_BNG = SharedTransformer("EPSG:4326", BNG)
_TO_WGS = SharedTransformer(BNG, "EPSG:4326")


def rgb(colour: str, alpha: int = 255) -> list[int]:
    """``"#0072B2"`` as ``[0, 114, 178, alpha]``."""
    c = colour.lstrip("#")
    return [int(c[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def category_style(categories: list[str] | tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Colour and shape for each category, in the definition's order (stable across pages)."""
    return {c: (PALETTE[i % len(PALETTE)], SHAPES[i % len(SHAPES)]) for i, c in enumerate(categories)}


# --------------------------------------------------------------------------- built once per data version


@dataclass(frozen=True)
class MapIndex:
    """What every map needs that does not depend on the filters (build with :func:`build_index`).

    Attributes
    ----------
    cell : ndarray of int32
        Hexagon of each incident (row order of the frame), -1 where it has no location.
    cell_polygons : list
        Corner coordinates ``[[lon, lat], ...]`` of each hexagon id.
    cell_area_km2 : float
    ward_features : list of dict
        One GeoJSON Feature per ward (simplified), properties ``ward_code, ward_name, district``.
    ward_bounds : DataFrame
        ``minx, miny, maxx, maxy`` per ward code (lon/lat).
    """

    cell: np.ndarray
    cell_polygons: list
    cell_area_km2: float
    ward_features: list
    ward_bounds: pd.DataFrame

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        b = self.ward_bounds
        return None if b.empty else (b["minx"].min(), b["miny"].min(), b["maxx"].max(), b["maxy"].max())


def hex_corners(q: np.ndarray, r: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Corner coordinates (metres), shape ``(n, 6)`` each, of the hexagons ``(q, r)``."""
    cx = size * math.sqrt(3) * (q + r / 2)
    cy = size * 1.5 * r
    angles = np.radians(60 * np.arange(6) - 30)
    return cx[:, None] + size * np.cos(angles), cy[:, None] + size * np.sin(angles)


def build_index(df: pd.DataFrame, wards: gpd.GeoDataFrame | None, hex_size_m: float = HEX_SIZE_M) -> MapIndex:
    """Hexagon of every incident and simplified ward outlines: once per data version.

    Works on the distinct coordinates (police.uk snaps every incident to one of a few
    thousand points), so a million incidents take well under a second.
    """
    lon, lat = df["longitude"].to_numpy(dtype=float), df["latitude"].to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    cell = np.full(len(df), -1, dtype=np.int32)
    polygons: list = []
    if ok.any():
        point_of_row, uniq = pd.factorize(lon[ok] + 1j * lat[ok])
        x, y = _TO_BNG.transform(uniq.real, uniq.imag)
        q, r = hex_cells(np.asarray(x), np.asarray(y), hex_size_m)
        span = int(r.max() - r.min()) + 1
        cell_of_point, keys = pd.factorize((q - q.min()) * span + (r - r.min()))
        cell[ok] = cell_of_point[point_of_row]
        kq, kr = keys // span + q.min(), keys % span + r.min()
        cx, cy = hex_corners(kq, kr, hex_size_m)
        clon, clat = _TO_WGS.transform(cx.ravel(), cy.ravel())
        corners = np.round(np.stack([np.asarray(clon), np.asarray(clat)], axis=-1).reshape(len(keys), 6, 2), 5)
        polygons = corners.tolist()
    features, bounds = _ward_outlines(wards)
    return MapIndex(
        cell=cell,
        cell_polygons=polygons,
        cell_area_km2=3 * math.sqrt(3) / 2 * hex_size_m**2 / 1e6,
        ward_features=features,
        ward_bounds=bounds,
    )


def _ward_outlines(wards: gpd.GeoDataFrame | None) -> tuple[list, pd.DataFrame]:
    if wards is None or not len(wards):
        return [], pd.DataFrame(columns=["minx", "miny", "maxx", "maxy"], dtype=float)
    simple = wards.geometry.to_crs(BNG).simplify(20, preserve_topology=True).to_crs("EPSG:4326")
    geoms = shapely.transform(simple.to_numpy(), lambda c: np.round(c, 5))
    features = []
    for code, name, district, g in zip(
        wards["ward_code"], wards["ward_name"], wards["district"] if "district" in wards else [None] * len(wards), geoms
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(g)),
                "properties": {
                    "ward_code": str(code),
                    "ward_name": str(name),
                    "district": None if district is None or pd.isna(district) else str(district),
                },
            }
        )
    b = wards.geometry.bounds.set_axis(["minx", "miny", "maxx", "maxy"], axis=1)
    return features, b.set_index(pd.Index(wards["ward_code"].astype(str), name="ward_code"))


def polygon_features(gdf: gpd.GeoDataFrame | None, code_col: str, name_col: str) -> tuple[list, pd.DataFrame]:
    """Simplified (20 m), rounded outlines of any areas (parishes) as GeoJSON features with
    ``code`` and ``name`` properties, and their bounds by code: once per data version."""
    if gdf is None or not len(gdf):
        return [], pd.DataFrame(columns=["minx", "miny", "maxx", "maxy"], dtype=float)
    simple = gdf.geometry.to_crs(BNG).simplify(20, preserve_topology=True).to_crs("EPSG:4326")
    geoms = shapely.transform(simple.to_numpy(), lambda c: np.round(c, 5))
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(g)),
            "properties": {"code": str(c), "name": str(n)},
        }
        for c, n, g in zip(gdf[code_col], gdf[name_col], geoms)
    ]
    b = gdf.geometry.bounds.set_axis(["minx", "miny", "maxx", "maxy"], axis=1)
    return features, b.set_index(pd.Index(gdf[code_col].astype(str), name="code"))


# --------------------------------------------------------------------------- classes and legends


@dataclass(frozen=True)
class LegendItem:
    """One line of a legend: a colour, a shape glyph (or a filled square) and a label."""

    colour: str
    label: str
    glyph: str = "■"


def class_breaks(values: np.ndarray, k: int = len(RAMP)) -> list[float]:
    """Upper bounds of up to ``k`` classes of the positive values (quantiles, 2 significant
    figures, distinct). Zero is a class of its own, outside these."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return []
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:])
    nice = [float(f"{x:.2g}") for x in qs]
    nice[-1] = max(nice[-1], float(v.max()))
    return sorted(set(nice))


def classify_values(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class of each value: -1 for zero or missing, else the index of its break (0..k-1)."""
    v = np.asarray(values, dtype=float)
    cls = np.searchsorted(np.asarray(breaks), v, side="left") if breaks else np.zeros(len(v), int)
    return np.where(np.isfinite(v) & (v > 0), np.minimum(cls, len(breaks) - 1), -1)


def ramp_for(n: int) -> list[str]:
    """``n`` colours of :data:`RAMP`, spread from light to dark."""
    if n <= 0:
        return []
    idx = np.round(np.linspace(0, len(RAMP) - 1, n)).astype(int) if n > 1 else [len(RAMP) - 1]
    return [RAMP[i] for i in idx]


def class_legend(breaks: list[float], integer: bool = False, zero_label: str = "None") -> list[LegendItem]:
    """Legend lines for :func:`class_breaks` classes, the zero class first: "1–4", "5–9" for
    counts (``integer``), "up to 0.5", "0.5 to 1.1" for rates."""
    colours = ramp_for(len(breaks))
    items = [LegendItem(NONE_COLOUR, zero_label)]
    lo = 0.0
    for colour, hi in zip(colours, breaks):
        if integer:
            a, b = math.floor(lo) + 1, math.floor(hi)
            label = f"{a:,}" if a >= b else f"{a:,}–{b:,}"
        else:
            label = f"up to {hi:,.2g}" if lo == 0 else f"{lo:,.2g} to {hi:,.2g}"
        items.append(LegendItem(colour, label))
        lo = hi
    return items


def legend_html(title: str, items: list[LegendItem]) -> str:
    """A small legend as HTML; every text is escaped (labels may come from the data)."""
    rows = "".join(
        f'<li style="margin:0 1.2em 0.2em 0;display:inline-block">'
        f'<span aria-hidden="true" style="color:{html.escape(i.colour)};font-size:1.25em;'
        f'text-shadow:0 0 1px #555">{html.escape(i.glyph)}</span> {html.escape(i.label)}</li>'
        for i in items
    )
    return (
        f'<div class="map-legend" role="group" aria-label="{html.escape(title)}">'
        f"<strong>{html.escape(title)}</strong>"
        f'<ul style="list-style:none;padding:0;margin:0.2em 0 0 0">{rows}</ul></div>'
    )


def points_legend(categories: list[str] | tuple[str, ...]) -> list[LegendItem]:
    return [
        LegendItem(colour, str(c).capitalize(), GLYPHS[shape])
        for c, (colour, shape) in category_style(categories).items()
    ]


# --------------------------------------------------------------------------- layers


def outline_layer(index: MapIndex, pickable: bool = True) -> pdk.Layer:
    """Ward outlines: the map's base (no tiles). Nearly transparent fill so hovering a ward
    tells its name, and clicking it can choose it."""
    data = [{**f, "properties": {**f["properties"], "t": _ward_tip(f["properties"])}} for f in index.ward_features]
    return pdk.Layer(
        "GeoJsonLayer",
        data=data,
        id="outlines",
        stroked=True,
        filled=True,
        pickable=pickable,
        get_fill_color=[255, 255, 255, 1],
        get_line_color=[90, 100, 90, 200],
        line_width_min_pixels=1,
        auto_highlight=pickable,
        highlight_color=[27, 94, 32, 60],
    )


def _ward_tip(p: dict) -> str:
    district = f" ({p['district']})" if p.get("district") else ""
    return f"{p['ward_name']}{district}\nClick to choose this ward"


def density_layer(index: MapIndex, df: pd.DataFrame, mask: np.ndarray) -> tuple[pdk.Layer, list[LegendItem]]:
    """Hexagons coloured by the number of filtered crimes in them (empty cells not sent)."""
    cells = index.cell[mask]
    cats = df["rural_category"].cat.codes.to_numpy()[mask]
    keep = cells >= 0
    n_cells, n_cats = len(index.cell_polygons), len(df["rural_category"].cat.categories)
    by_cat = (
        np.bincount(
            cells[keep].astype(np.int64) * n_cats + np.maximum(cats[keep], 0), minlength=n_cells * n_cats
        ).reshape(n_cells, n_cats)
        if n_cells
        else np.zeros((0, n_cats))
    )
    names = [str(c) for c in df["rural_category"].cat.categories]
    return _hexagon_layer(index.cell_polygons, by_cat, names, index.cell_area_km2)


def _hexagon_layer(polygons, by_cat: np.ndarray, names: list[str], area: float) -> tuple[pdk.Layer, list[LegendItem]]:
    """Hexagons (``polygons[i]``) coloured by their total crimes (``by_cat[i]`` per category),
    empty cells not sent; each tooltip names the cell's most frequent category."""
    totals = by_cat.sum(axis=1) if len(by_cat) else np.zeros(0, np.int64)
    breaks = class_breaks(totals)
    cls = classify_values(totals, breaks)
    colours = [rgb(c, 190) for c in ramp_for(len(breaks))]
    data = []
    for i in np.flatnonzero(totals):  # one dict per drawn cell (a few hundred), for pydeck
        top = int(by_cat[i].argmax())
        polygon = polygons[i]
        data.append(
            {
                "polygon": polygon.tolist() if isinstance(polygon, np.ndarray) else polygon,
                "f": colours[cls[i]],
                "t": f"{plural(int(totals[i]), 'rural crime')} in this {area:.1f} km² hexagon\n"
                f"Most often: {names[top] if names else ''} ({by_cat[i, top]:,})",
            }
        )
    layer = pdk.Layer(
        "PolygonLayer",
        data=data,
        id="hotspots",
        get_polygon="polygon",
        get_fill_color="f",
        stroked=False,
        pickable=True,
        auto_highlight=True,
    )
    return layer, class_legend(breaks, integer=True, zero_label="None (not drawn)")


def density_layer_counts(
    counts: pd.DataFrame, categories: list[str] | tuple[str, ...], hex_size_m: float = HEX_SIZE_M
) -> tuple[pdk.Layer, list[LegendItem]]:
    """:func:`density_layer` from per-hexagon counts (``hex_q, hex_r, category, crimes``, a SQL
    ``GROUP BY`` over the classified store): the same hexagons, colours and tooltips, and no
    incident in memory."""
    cats = list(categories)
    if len(counts):
        keys, cell = np.unique(counts[["hex_q", "hex_r"]].to_numpy(dtype=np.int64), axis=0, return_inverse=True)
        cell = cell.ravel()
        cat = pd.Index(cats).get_indexer(counts["category"].astype(str))
        by_cat = np.zeros((len(keys), max(len(cats), 1)), np.int64)
        np.add.at(by_cat, (cell, np.maximum(cat, 0)), counts["crimes"].to_numpy(dtype=np.int64))
        cx, cy = hex_corners(keys[:, 0].astype(float), keys[:, 1].astype(float), hex_size_m)
        clon, clat = _TO_WGS.transform(cx.ravel(), cy.ravel())
        polygons = np.round(np.stack([np.asarray(clon), np.asarray(clat)], axis=-1).reshape(len(keys), 6, 2), 5)
    else:
        by_cat, polygons = np.zeros((0, max(len(cats), 1)), np.int64), np.zeros((0, 6, 2))
    area = 3 * math.sqrt(3) / 2 * hex_size_m**2 / 1e6
    return _hexagon_layer(polygons, by_cat, cats, area)


def ward_layer(index: MapIndex, rates: pd.DataFrame, per: str = "per_km2_year") -> tuple[pdk.Layer, list[LegendItem]]:
    """Wards coloured by rural crimes per km² a year (``rates`` from :func:`measures.area_rates`)."""
    by_code = rates.set_index("ward_code")
    values = by_code[per].reindex([f["properties"]["ward_code"] for f in index.ward_features]).to_numpy(dtype=float)
    breaks = class_breaks(values)
    cls = classify_values(values, breaks)
    colours = [rgb(c, 200) for c in ramp_for(len(breaks))]
    unit = "per km² a year" if per == "per_km2_year" else "per 1,000 residents a year"
    data = []
    for f, c, v in zip(index.ward_features, cls, values):
        p = f["properties"]
        row = by_code.loc[p["ward_code"]] if p["ward_code"] in by_code.index else None
        crimes = int(row["crimes"]) if row is not None else 0
        kind = "" if row is None else ("rural ward" if row["rural"] else "urban ward") + "\n"
        rate = f"{v:,.2f} {unit}" if np.isfinite(v) else "no rate"
        tip = (
            f"{p['ward_name']}" + (f" ({p['district']})" if p.get("district") else "") + f"\n{kind}"
            f"{plural(crimes, 'rural crime')}: {rate}\nClick to choose this ward"
        )
        data.append({**f, "properties": {**p, "f": rgb(NONE_COLOUR, 200) if c < 0 else colours[c], "t": tip}})
    return _area_layer(data, "wards"), class_legend(breaks, zero_label="None")


def parish_layer(features: list, rates: pd.DataFrame) -> tuple[pdk.Layer, list[LegendItem]]:
    """Parishes (:func:`polygon_features`) coloured by rural crimes per km² a year (``rates``
    from :func:`ruralaction.measures.parish_report.parish_rates`). Clicking one can open it."""
    by_code = rates.set_index("ward_code")
    codes = [f["properties"]["code"] for f in features]
    values = by_code["per_km2_year"].reindex(codes).to_numpy(dtype=float)
    crimes = by_code["crimes"].reindex(codes).fillna(0).to_numpy(dtype=int)
    breaks = class_breaks(values)
    cls = classify_values(values, breaks)
    colours = [rgb(c, 200) for c in ramp_for(len(breaks))]
    data = []
    for f, c, v, k in zip(features, cls, values, crimes):
        p = f["properties"]
        rate = f"{v:,.2f} per km² a year" if np.isfinite(v) else "no rate"
        tip = f"{p['name']} (parish)\n{plural(int(k), 'rural crime')}: {rate}\nClick to choose this parish"
        fill = rgb(NONE_COLOUR, 200) if c < 0 else colours[c]
        data.append({**f, "properties": {**p, "parish_code": p["code"], "f": fill, "t": tip}})
    return _area_layer(data, "parishes"), class_legend(breaks, zero_label="None")


def _area_layer(data: list[dict], layer_id: str) -> pdk.Layer:
    """Areas (GeoJSON features with ``properties.f`` fill colours) outlined, clickable."""
    return pdk.Layer(
        "GeoJsonLayer",
        data=data,
        id=layer_id,
        stroked=True,
        filled=True,
        pickable=True,
        get_fill_color="properties.f",
        get_line_color=[60, 60, 60, 220],
        line_width_min_pixels=1,
        auto_highlight=True,
        highlight_color=[27, 94, 32, 90],
    )


def focus_layer(feature: dict | None, layer_id: str = "focus") -> pdk.Layer | None:
    """One area's outline drawn thick on top (the parish or ward a page is about)."""
    if not feature:
        return None
    return pdk.Layer(
        "GeoJsonLayer",
        data=[feature],
        id=layer_id,
        stroked=True,
        filled=True,
        pickable=False,
        get_fill_color=[27, 94, 32, 18],
        get_line_color=[27, 94, 32, 255],
        line_width_min_pixels=3,
    )


def selected_parish(event: object) -> str | None:
    """The parish code clicked on the map (the ``parishes`` layer), or None."""
    try:
        for obj in event["selection"]["objects"].get("parishes") or []:  # type: ignore[index]
            code = (obj.get("properties") or {}).get("parish_code")
            if isinstance(code, str) and code:
                return code
    except (KeyError, TypeError, AttributeError):
        pass
    return None


def point_rows(df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The filtered crimes with a location, and their tooltip text (at most :data:`POINTS_MAX`).

    Raises ValueError above :data:`POINTS_MAX`: the caller shows hotspots instead.
    """
    rows = np.flatnonzero(mask)
    if len(rows) > POINTS_MAX:
        raise ValueError(f"{len(rows):,} crimes are too many to draw as points (at most {POINTS_MAX:,}).")
    sub = df.iloc[rows]
    lon, lat = sub["longitude"].to_numpy(dtype=float), sub["latitude"].to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)  # a NaN would break the JSON
    sub = sub[ok]
    month = pd.Series(month_codes(sub)).astype("datetime64[M]").dt.strftime("%b %Y")

    def text(col: str, fill: str) -> np.ndarray:
        return sub[col].astype(object).fillna(fill).astype(str).to_numpy()

    tip = (
        pd.Series(text("rural_category", "")).str.capitalize()
        + "\n"
        + month.to_numpy()
        + "\n"
        + text("location", "Location not given")
        + "\nOutcome: "
        + text("last_outcome", NO_OUTCOME)
        + "\nWard: "
        + text("ward_name", "unknown")
        + "\nWhy it counts: "
        + text("rural_reason", "")
    )
    return pd.DataFrame(
        {
            "lon": np.round(lon[ok], 5),
            "lat": np.round(lat[ok], 5),
            "category": sub["rural_category"].astype(str).to_numpy(),
            "t": tip.to_numpy(),
        }
    )


def point_layers(df: pd.DataFrame, mask: np.ndarray, size_px: int = 13) -> tuple[list[pdk.Layer], list[LegendItem]]:
    """One icon layer per category: colour and shape both tell the category."""
    rows = point_rows(df, mask)
    categories = [str(c) for c in df["rural_category"].cat.categories]
    layers = []
    for cat, (colour, shape) in category_style(categories).items():
        part = rows[rows["category"] == cat]
        if part.empty:
            continue
        data = [
            {"p": [x, y], "t": t} for x, y, t in zip(part["lon"].tolist(), part["lat"].tolist(), part["t"].tolist())
        ]
        layers.append(
            pdk.Layer(
                "IconLayer",
                data=data,
                id=f"points-{shape}",
                get_position="p",
                get_icon=f"'{shape}'",
                get_color=rgb(colour),
                get_size=size_px,
                size_units="'pixels'",
                pickable=True,
                icon_atlas=pdk.types.String(icon_atlas()),
                icon_mapping=icon_mapping(),
            )
        )
    return layers, points_legend(categories)


ACTION_LEGEND = (
    LegendItem("#1B5E20", "Rural Action (visible) action", GLYPHS["star"]),
    LegendItem("#000000", "Other partner action", GLYPHS["star"]),
)


def actions_layer(actions: pd.DataFrame | None) -> pdk.Layer | None:
    """Partner actions (``lon``, ``lat``, ``title``; optional ``date``, ``partner``,
    ``visible``) as stars above the crimes, larger than any crime marker: visible Rural Action
    work in the programme's dark green, other actions in black (see :data:`ACTION_LEGEND`). None when there
    are none. Tooltips are plain text, like every tooltip here."""
    if actions is None or actions.empty:
        return None
    lon = pd.to_numeric(actions["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(actions["lat"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    a = actions[ok]
    visible = a["visible"].fillna(False).to_numpy(dtype=bool) if "visible" in a else np.zeros(len(a), bool)
    label = np.where(visible, "Rural Action: ", "Action: ")
    tips = label + a["title"].astype(object).fillna("").astype(str).to_numpy()
    for col in ("date", "partner"):
        if col in a:
            tips = tips + "\n" + a[col].astype(object).fillna("").astype(str).to_numpy()
    colours = [list(ACTION_RGBA[bool(v)]) for v in visible]
    sizes = np.where(visible, 28, 20).tolist()
    data = [
        {"p": [x, y], "t": t, "c": c, "s": z}
        for x, y, t, c, z in zip(
            np.round(lon[ok], 5).tolist(), np.round(lat[ok], 5).tolist(), tips.tolist(), colours, sizes
        )
    ]
    return pdk.Layer(
        "IconLayer",
        data=data,
        id="actions",
        get_position="p",
        get_icon="'star'",
        get_color="c",
        get_size="s",
        size_units="'pixels'",
        pickable=True,
        icon_atlas=pdk.types.String(icon_atlas()),
        icon_mapping=icon_mapping(),
    )


#: RGBA of an action's star by whether it is visible Rural Action work.
ACTION_RGBA = {True: (27, 94, 32, 255), False: (0, 0, 0, 230)}


def label_layer(labels: pd.DataFrame | None) -> pdk.Layer | None:
    """Place names (:func:`ruralaction.geography.gazetteer.place_labels`) drawn by the map
    itself, so they show with no basemap. Sized in metres: a village's name grows as one zooms
    in and stays out of the way at county scale; towns read from the county view. Not
    pickable (hover tells the ward or hexagon beneath). Plain text, as every text here."""
    if labels is None or labels.empty:
        return None
    data = [
        {"p": [x, y], "n": n, "s": s}
        for x, y, n, s in zip(
            labels["lon"].tolist(),
            labels["lat"].tolist(),
            labels["name"].astype(str).tolist(),
            labels["size_m"].tolist(),
        )
    ]
    return pdk.Layer(
        "TextLayer",
        data=data,
        id="place-labels",
        get_position="p",
        get_text="n",
        get_size="s",
        size_units="'meters'",
        size_max_pixels=18,
        get_color=[34, 34, 34, 235],
        font_family="'system-ui, -apple-system, Segoe UI, sans-serif'",
        font_weight=600,
        character_set="'auto'",
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=[255, 255, 255, 230],
        get_text_anchor="'middle'",
        get_alignment_baseline="'center'",
        pickable=False,
    )


# --------------------------------------------------------------------------- the deck


class CompactDeck(pdk.Deck):
    """A ``pydeck.Deck`` whose JSON has no indentation (pydeck indents by two spaces, which at
    20,000 points is megabytes of whitespace). Streamlit sends ``to_json()`` as it is."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


def view_for(
    bounds: tuple[float, float, float, float] | None, width_px: int = 900, height_px: int = 600
) -> pdk.ViewState:
    """A view that fits ``(minx, miny, maxx, maxy)`` (lon/lat) in a map of about that size."""
    if bounds is None:
        return pdk.ViewState(latitude=52.3, longitude=-0.9, zoom=8.5)
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    span_x = max(maxx - minx, 1e-3)
    span_y = max(abs(_mercator_y(maxy) - _mercator_y(miny)) * 180 / math.pi, 1e-3)
    # deck.gl's world is 512 px wide at zoom 0
    zoom = min(math.log2(360 * width_px / 512 / span_x), math.log2(360 * height_px / 512 / span_y)) - 0.1
    return pdk.ViewState(latitude=lat, longitude=(minx + maxx) / 2, zoom=round(min(zoom, 15), 2))


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def deck(layers: list[pdk.Layer | None], view: pdk.ViewState, basemap: Basemap | None = None) -> CompactDeck:
    """The map: the given layers (None skipped) with plain-text tooltips, on ``basemap``'s
    tiles (its MapLibre style URL), or on no tiles at all when it is None or ``"none"``."""
    style = basemap.map_style() if basemap is not None else None
    kwargs = {"map_style": style} if style else {}  # no map_style: pydeck's "none" sentinel, no tiles
    return CompactDeck(
        layers=[lyr for lyr in layers if lyr is not None],
        initial_view_state=view,
        map_provider=None,
        tooltip=TOOLTIP,
        **kwargs,
    )


def tile_sources(d: pdk.Deck) -> list[str]:
    """The style URL a deck makes the browser fetch tiles through ([] when it has no basemap)."""
    style = json.loads(d.to_json()).get("mapStyle")
    return [] if not style or style == "__MAP_STYLE__" else [str(style)]


def payload_bytes(d: pdk.Deck) -> int:
    """Bytes of map JSON the browser receives for this deck (what ``st.pydeck_chart`` sends)."""
    return len(d.to_json().encode("utf-8"))


def selected_ward(event: object) -> str | None:
    """The ward code clicked on the map, from ``st.pydeck_chart``'s selection state, or None."""
    try:
        objects = event["selection"]["objects"]  # type: ignore[index]
        for layer in ("wards", "outlines"):
            for obj in objects.get(layer) or []:
                code = (obj.get("properties") or {}).get("ward_code")
                if isinstance(code, str) and code:
                    return code
    except (KeyError, TypeError, AttributeError):
        pass
    return None


# --------------------------------------------------------------------------- the icon atlas


_ICON_PX = 64


def icon_mapping() -> dict[str, dict]:
    """Where each shape sits in :func:`icon_atlas` (mask: deck.gl tints it with the colour)."""
    return {
        s: {"x": i * _ICON_PX, "y": 0, "width": _ICON_PX, "height": _ICON_PX, "mask": True}
        for i, s in enumerate(SHAPES)
    }


@cache
def icon_atlas() -> str:
    """The six shapes as one PNG, a ``data:`` URL (nothing is fetched from elsewhere)."""
    from PIL import Image, ImageDraw

    big = 4 * _ICON_PX  # draw large, then shrink: smooth edges
    img = Image.new("RGBA", (big * len(SHAPES), big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    m, w = big * 0.1, big * 0.8
    for i, shape in enumerate(SHAPES):
        x0, y0 = i * big + m, m
        cx, cy = x0 + w / 2, y0 + w / 2
        white = (255, 255, 255, 255)
        if shape == "circle":
            draw.ellipse([x0, y0, x0 + w, y0 + w], fill=white)
        elif shape == "square":
            draw.rectangle([x0 + w * 0.06, y0 + w * 0.06, x0 + w * 0.94, y0 + w * 0.94], fill=white)
        elif shape == "triangle":
            draw.polygon([(cx, y0), (x0 + w, y0 + w * 0.9), (x0, y0 + w * 0.9)], fill=white)
        elif shape == "diamond":
            draw.polygon([(cx, y0), (x0 + w, cy), (cx, y0 + w), (x0, cy)], fill=white)
        elif shape == "cross":
            t = w * 0.17
            draw.rectangle([cx - t, y0, cx + t, y0 + w], fill=white)
            draw.rectangle([x0, cy - t, x0 + w, cy + t], fill=white)
        else:  # star
            pts = [
                (
                    cx + (w / 2 if k % 2 == 0 else w / 5) * math.sin(math.pi * k / 5),
                    cy - (w / 2 if k % 2 == 0 else w / 5) * math.cos(math.pi * k / 5),
                )
                for k in range(10)
            ]
            draw.polygon(pts, fill=white)
    img = img.resize((_ICON_PX * len(SHAPES), _ICON_PX), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
