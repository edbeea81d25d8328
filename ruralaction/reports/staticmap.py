"""A static map image of one area (ward or parish) for the printable one-page summary.

Drawn with Pillow in Web Mercator: the area's boundary, its rural crimes (each category its
colour, as on the screen), partners' actions (stars) and the place names, on the configured
basemap's tiles when they can be had quickly (a self-hosted raster PMTiles extract is read from
disk; a tile server is asked with a short timeout, and the first failure stops the asking), and
on a plain background otherwise. So the summary always has its map, offline too, and never
waits long for one.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from ruralaction.geography.basemap import Basemap, mosaic, open_pmtiles
from ruralaction.measures.maplayers import ACTION_RGBA, PALETTE, rgb

WIDTH, HEIGHT = 900, 560


def _world(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    scale = 256 * 2**zoom
    x = (np.asarray(lon, float) + 180) / 360 * scale
    s = np.sin(np.radians(np.clip(np.asarray(lat, float), -85, 85)))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def _rings(geometry: dict) -> list[np.ndarray]:
    t, c = geometry.get("type"), geometry.get("coordinates") or []
    polys = [c] if t == "Polygon" else c if t == "MultiPolygon" else []
    return [np.asarray(ring, float) for poly in polys for ring in poly if len(ring) >= 3]


def _font(size: int):
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _tiles(img: Image.Image, basemap: Basemap | None, zoom: int, x0: float, y0: float) -> str:
    """Draw the basemap's raster tiles under everything (faded, so the data reads); returns
    the attribution to print ("" when no tiles were had)."""
    tiles = mosaic(basemap, zoom, x0, y0, WIDTH, HEIGHT)
    if tiles is None:
        return ""
    img.paste(Image.blend(tiles, Image.new("RGB", img.size, (255, 255, 255)), 0.35))
    if basemap.attribution:
        return basemap.attribution
    return open_pmtiles(basemap.url).attribution if basemap.kind == "pmtiles" else ""


def area_map_png(
    outline: dict | None,
    points: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
    labels: pd.DataFrame | None = None,
    basemap: Basemap | None = None,
    categories: tuple[str, ...] = (),
) -> bytes | None:
    """A PNG of the area (None without an outline).

    Parameters
    ----------
    outline : dict
        The area as a GeoJSON Feature (lon/lat).
    points : DataFrame, optional
        Rural crimes: ``lon, lat, category``.
    actions : DataFrame, optional
        ``lon, lat`` and ``visible``.
    labels : DataFrame, optional
        :func:`ruralaction.geography.gazetteer.place_labels`.
    basemap : Basemap, optional
    categories : tuple of str
        The definition's categories in order (so colours match the screen).
    """
    rings = _rings((outline or {}).get("geometry") or {})
    if not rings:
        return None
    allxy = np.concatenate(rings)
    minx, miny = allxy.min(axis=0)
    maxx, maxy = allxy.max(axis=0)
    pad_x, pad_y = (maxx - minx) * 0.08 + 0.002, (maxy - miny) * 0.08 + 0.0012
    minx, maxx, miny, maxy = minx - pad_x, maxx + pad_x, miny - pad_y, maxy + pad_y
    zoom = 18
    while zoom > 5:
        (ax, bx), (ay, by) = _world(np.array([minx, maxx]), np.array([maxy, miny]), zoom)
        if bx - ax <= WIDTH and by - ay <= HEIGHT:
            break
        zoom -= 1
    (ax, bx), (ay, by) = _world(np.array([minx, maxx]), np.array([maxy, miny]), zoom)
    x0, y0 = (ax + bx) / 2 - WIDTH / 2, (ay + by) / 2 - HEIGHT / 2

    def px(lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x, y = _world(lon, lat, zoom)
        return x - x0, y - y0

    img = Image.new("RGB", (WIDTH, HEIGHT), (244, 244, 240))
    attribution = _tiles(img, basemap, zoom, x0, y0)
    over = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(over)
    for ring in rings:
        x, y = px(ring[:, 0], ring[:, 1])
        draw.polygon(list(zip(x.tolist(), y.tolist())), fill=(27, 94, 32, 28))
    for ring in rings:
        x, y = px(ring[:, 0], ring[:, 1])
        draw.line(list(zip(x.tolist(), y.tolist())) + [(x[0], y[0])], fill=(27, 94, 32, 255), width=4)
    if points is not None and len(points):
        order = list(categories) or sorted(points["category"].astype(str).unique())
        colour = {c: tuple(rgb(PALETTE[i % len(PALETTE)])) for i, c in enumerate(order)}
        x, y = px(points["lon"].to_numpy(float), points["lat"].to_numpy(float))
        for cx, cy, cat in zip(x, y, points["category"].astype(str)):
            draw.ellipse(
                [cx - 5, cy - 5, cx + 5, cy + 5], fill=colour.get(cat, (0, 0, 0, 255)), outline=(255, 255, 255)
            )
    if actions is not None and len(actions):
        x, y = px(actions["lon"].to_numpy(float), actions["lat"].to_numpy(float))
        vis = actions["visible"].fillna(False).to_numpy(bool) if "visible" in actions else np.zeros(len(actions), bool)
        for cx, cy, v in zip(x, y, vis):
            r = 11 if v else 8
            star = [
                (
                    cx + (r if k % 2 == 0 else r * 0.45) * math.sin(math.pi * k / 5),
                    cy - (r if k % 2 == 0 else r * 0.45) * math.cos(math.pi * k / 5),
                )
                for k in range(10)
            ]
            draw.polygon(star, fill=ACTION_RGBA[bool(v)], outline=(255, 255, 255))
    if labels is not None and len(labels):
        lx, ly = px(labels["lon"].to_numpy(float), labels["lat"].to_numpy(float))
        inside = (lx > 0) & (lx < WIDTH) & (ly > 0) & (ly < HEIGHT)
        font = _font(15)
        for cx, cy, name in zip(lx[inside], ly[inside], labels["name"].astype(str).to_numpy()[inside]):
            draw.text(
                (cx, cy), name, font=font, fill=(30, 30, 30, 255), anchor="mm", stroke_width=3, stroke_fill="white"
            )
    if attribution:
        font = _font(11)
        draw.text(
            (WIDTH - 6, HEIGHT - 4),
            attribution,
            font=font,
            fill=(40, 40, 40, 255),
            anchor="rd",
            stroke_width=2,
            stroke_fill="white",
        )
    img = Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
