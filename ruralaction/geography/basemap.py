"""The background under every map: which tiles (if any), as configuration, never code.

Every map (Map, Local area, the concern form's picker, the printable summary) draws ward
outlines and place labels itself, so it works with no tiles at all; a basemap adds roads,
fields and villages underneath. Where the tiles come from is one setting,
``RURALACTION_BASEMAP``:

``osm`` (the default)
    OpenStreetMap's standard tiles (``tile.openstreetmap.org``): good enough for a council's
    dashboard with light traffic, but a **third party**: every visitor's browser asks it for
    tiles, so it sees their IP address and roughly which part of the county they look at.
``none``
    No tiles: the browser asks no tile server for anything (offline, CI, the strictest privacy).
``https://…/{z}/{x}/{y}.png``
    Any raster XYZ tile server (the council's own GIS server, a commercial provider with a key).
``https://…/style.json``
    A MapLibre style (vector tiles with their own labels, e.g. a hosted OpenFreeMap style).
``/srv/ruralaction/county.pmtiles``
    A PMTiles extract of the county **served by the app itself** (``/basemap/tiles/z/x/y``): no
    visitor's browser talks to anyone but the dashboard. Raster (PNG/JPEG/WebP) and vector
    (Protomaps basemap layers, drawn without labels: the app draws its own) extracts both work.

``RURALACTION_BASEMAP_ATTRIBUTION`` overrides the attribution shown on and under the map
(OpenStreetMap's is set for ``osm``; a PMTiles extract's own attribution is used when it has one).

The deck gets a MapLibre *style URL* (Streamlit's ``st.pydeck_chart`` accepts nothing else), so
for tiles and PMTiles the app serves a small style at :data:`STYLE_PATH` (``dashboard/basemap_web.py``).
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

#: Where the app serves the style and the self-hosted tiles (after Streamlit's base path).
STYLE_PATH = "/basemap/style.json"
TILE_PATH = "/basemap/tiles"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
KINDS = ("none", "tiles", "style", "pmtiles")


class BasemapError(ValueError):
    """A basemap setting that cannot be used; one sentence naming the setting and why."""


@dataclass(frozen=True)
class Basemap:
    """Where a map's background tiles come from.

    Attributes
    ----------
    kind : {"none", "tiles", "style", "pmtiles"}
    url : str
        The tile URL template (``tiles``), the style URL (``style``) or the PMTiles file (``pmtiles``).
    attribution : str
        Shown on the map (MapLibre's attribution control) and under it.
    base_path : str
        The app's URL prefix (Streamlit's ``server.baseUrlPath``), for the styles it serves.
    max_zoom : int
        Deepest zoom the tiles exist for (deeper views over-zoom them).
    problem : str
        Why the configured basemap is not used (a broken setting), in one sentence; "" if none.
    """

    kind: str = "none"
    url: str = ""
    attribution: str = ""
    base_path: str = ""
    max_zoom: int = 19
    problem: str = ""

    @property
    def third_party(self) -> bool:
        """Whether a visitor's browser asks someone other than the dashboard for tiles."""
        return self.kind in ("tiles", "style") and self.url.lower().startswith(("http://", "https://", "//"))

    def map_style(self) -> str | None:
        """The MapLibre style URL a deck draws on (None: no basemap, no tile request)."""
        if self.kind == "none":
            return None
        if self.kind == "style":
            return self.url
        return f"{self.base_path.rstrip('/')}{STYLE_PATH}"

    def caption(self) -> str:
        """One line for under a map: what the background is and whose it is."""
        if self.problem:
            return f"{self.problem} The map shows ward outlines and place names only."
        if self.kind == "none":
            return "No background map is configured: ward outlines and place names only."
        who = f" {self.attribution}." if self.attribution else ""
        if self.third_party:
            return f"Background map tiles come from another server, which sees your IP address.{who}"
        return f"Background map served by this dashboard.{who}"

    def style(self, origin: str = "") -> dict:
        """The MapLibre style for ``tiles`` and ``pmtiles`` (what :data:`STYLE_PATH` serves).

        ``origin`` (``https://host[/base]``) makes the self-hosted tile URL absolute: MapLibre
        fetches vector tiles from a web worker, where a relative URL does not resolve.
        """
        if self.kind == "tiles":
            return raster_style([self.url], self.attribution, self.max_zoom)
        if self.kind == "pmtiles":
            archive = open_pmtiles(self.url)
            tiles = [f"{origin.rstrip('/')}{self.base_path.rstrip('/')}{TILE_PATH}/{{z}}/{{x}}/{{y}}"]
            attribution = self.attribution or archive.attribution
            style = (
                vector_style(tiles, attribution, archive.min_zoom, archive.max_zoom)
                if archive.vector
                else raster_style(tiles, attribution, archive.max_zoom, archive.min_zoom)
            )
            if archive.bounds is not None:  # no request for a tile the extract does not have
                style["sources"]["basemap"]["bounds"] = list(archive.bounds)
            return style
        raise BasemapError(f"A {self.kind!r} basemap has no style served by the app.")


def basemap_from_env(env: dict[str, str] | None = None, base_path: str = "") -> Basemap:
    """The configured basemap (see the module docstring). Raises :class:`BasemapError` for a
    setting that cannot work (a PMTiles file that does not exist, an unknown word)."""
    env = os.environ if env is None else env
    raw = (env.get("RURALACTION_BASEMAP") or "osm").strip()
    attribution = (env.get("RURALACTION_BASEMAP_ATTRIBUTION") or "").strip()
    low = raw.lower()
    if low in ("none", "off", "no", "false", ""):
        return Basemap("none", base_path=base_path)
    if low in ("osm", "default", "openstreetmap"):
        return Basemap("tiles", OSM_TILES, attribution or OSM_ATTRIBUTION, base_path)
    if low.endswith(".pmtiles"):
        if low.startswith(("http://", "https://")):
            raise BasemapError(
                "RURALACTION_BASEMAP: a PMTiles extract is served by the app from a local file; "
                "give its path, not a web address."
            )
        path = Path(raw).expanduser()
        if not path.is_file():
            raise BasemapError(f"RURALACTION_BASEMAP: the PMTiles file {path} does not exist.")
        return Basemap("pmtiles", str(path), attribution, base_path)
    if low.startswith(("http://", "https://")):
        if all(k in raw for k in ("{z}", "{x}", "{y}")):
            return Basemap("tiles", raw, attribution, base_path)
        return Basemap("style", raw, attribution, base_path)
    raise BasemapError(
        f"RURALACTION_BASEMAP '{raw[:60]}' is not understood: use osm, none, a tile URL with "
        "{z}/{x}/{y}, a style URL, or the path of a .pmtiles file."
    )


def raster_style(tiles: list[str], attribution: str, max_zoom: int = 19, min_zoom: int = 0) -> dict:
    """A MapLibre style of one raster tile source, slightly faded so data reads on top."""
    return {
        "version": 8,
        "name": "Rural Action basemap",
        "sources": {
            "basemap": {
                "type": "raster",
                "tiles": tiles,
                "tileSize": 256,
                "minzoom": int(min_zoom),
                "maxzoom": int(max_zoom),
                "attribution": attribution,
            }
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#F4F4F0"}},
            {"id": "basemap", "type": "raster", "source": "basemap", "paint": {"raster-saturation": -0.5}},
        ],
    }


def vector_style(tiles: list[str], attribution: str, min_zoom: int = 0, max_zoom: int = 15) -> dict:
    """A quiet MapLibre style for a Protomaps basemap extract (layers ``earth``, ``water``,
    ``landuse``, ``roads``, ``buildings``): no text, so it needs no font server; the app draws
    its own place names above it."""
    src = "basemap"
    return {
        "version": 8,
        "name": "Rural Action basemap (self-hosted)",
        "sources": {
            src: {
                "type": "vector",
                "tiles": tiles,
                "minzoom": int(min_zoom),
                "maxzoom": int(max_zoom),
                "attribution": attribution,
            }
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#EEF0EA"}},
            {"id": "earth", "type": "fill", "source": src, "source-layer": "earth", "paint": {"fill-color": "#F4F4F0"}},
            {
                "id": "landuse",
                "type": "fill",
                "source": src,
                "source-layer": "landuse",
                "paint": {"fill-color": "#E3EBDD", "fill-opacity": 0.7},
            },
            {"id": "water", "type": "fill", "source": src, "source-layer": "water", "paint": {"fill-color": "#C9DCEB"}},
            {
                "id": "buildings",
                "type": "fill",
                "source": src,
                "source-layer": "buildings",
                "minzoom": 13,
                "paint": {"fill-color": "#DDDAD3"},
            },
            {
                "id": "roads-minor",
                "type": "line",
                "source": src,
                "source-layer": "roads",
                "filter": ["in", ["get", "kind"], ["literal", ["minor_road", "other"]]],
                "minzoom": 11,
                "paint": {"line-color": "#FFFFFF", "line-width": ["interpolate", ["linear"], ["zoom"], 11, 0.5, 16, 4]},
            },
            {
                "id": "roads-major",
                "type": "line",
                "source": src,
                "source-layer": "roads",
                "filter": ["in", ["get", "kind"], ["literal", ["highway", "major_road", "medium_road"]]],
                "paint": {"line-color": "#F2D9A6", "line-width": ["interpolate", ["linear"], ["zoom"], 7, 0.6, 16, 7]},
            },
        ],
    }


# --------------------------------------------------------------------------- self-hosted PMTiles

_TILE_TYPES = {1: ("application/vnd.mapbox-vector-tile", True), 2: ("image/png", False), 3: ("image/jpeg", False)}
_TILE_TYPES |= {4: ("image/webp", False), 5: ("image/avif", False)}


@dataclass
class PMTilesArchive:
    """One PMTiles file, memory-mapped and read through the ``pmtiles`` package."""

    path: Path
    content_type: str
    vector: bool
    gzipped: bool
    min_zoom: int
    max_zoom: int
    attribution: str
    bounds: tuple[float, float, float, float] | None
    _reader: object
    _file: object

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The stored bytes of tile ``z/x/y`` (None when the extract has no such tile)."""
        if not (self.min_zoom <= z <= self.max_zoom and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        return self._reader.get(z, x, y)


_ARCHIVES: dict[str, PMTilesArchive] = {}
_LOCK = threading.Lock()


def open_pmtiles(path: str | os.PathLike) -> PMTilesArchive:
    """Open (once per process) a PMTiles v3 file. Raises :class:`BasemapError` when unreadable."""
    key = str(Path(path).resolve())
    with _LOCK:
        if key in _ARCHIVES:
            return _ARCHIVES[key]
        from pmtiles.reader import MmapSource, Reader

        try:
            fh = open(key, "rb")  # noqa: SIM115 - kept open for the memory map's life
            reader = Reader(MmapSource(fh))  # memory-maps the file
            header = reader.header()
            meta = reader.metadata() if header.get("metadata_length") else {}
        except (OSError, ValueError, KeyError, json.JSONDecodeError, gzip.BadGzipFile) as exc:
            raise BasemapError(
                f"The basemap file {Path(path).name} is not a readable PMTiles archive ({exc})."
            ) from None
        kind = int(getattr(header.get("tile_type"), "value", header.get("tile_type")) or 0)
        if kind not in _TILE_TYPES:
            raise BasemapError(f"The basemap file {Path(path).name} holds tiles of an unknown type.")
        content_type, vector = _TILE_TYPES[kind]
        compression = int(getattr(header.get("tile_compression"), "value", header.get("tile_compression")) or 0)
        archive = PMTilesArchive(
            path=Path(key),
            content_type=content_type,
            vector=vector,
            gzipped=compression == 2,
            min_zoom=int(header.get("min_zoom", 0)),
            max_zoom=int(header.get("max_zoom", 14)),
            attribution=str(meta.get("attribution", "")) if isinstance(meta, dict) else "",
            bounds=_bounds(header),
            _reader=reader,
            _file=fh,
        )
        _ARCHIVES[key] = archive
        return archive


def _bounds(header: dict) -> tuple[float, float, float, float] | None:
    try:
        b = tuple(header[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7"))
    except (KeyError, TypeError):
        return None
    return b if b[0] < b[2] and b[1] < b[3] else None


# --------------------------------------------------------------------------- static images (print, slides)

#: Longest a static map waits for tiles in all; the first failure stops the asking.
TILE_BUDGET_S = 4.0


def tile_fetcher(bm: Basemap | None):
    """A function ``(z, x, y) -> bytes | None`` reading the basemap's raster tiles on the server
    (a self-hosted raster extract from disk; a tile server over HTTP, 2 s timeout), or None when
    there are no raster tiles to read (no basemap, a style URL, a vector extract)."""
    if bm is None or bm.kind not in ("tiles", "pmtiles"):
        return None
    if bm.kind == "pmtiles":
        archive = open_pmtiles(bm.url)
        return None if archive.vector else archive.tile
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "RuralAction-dashboard/1 (printed maps)"

    def fetch(z: int, x: int, y: int) -> bytes | None:
        r = session.get(bm.url.format(z=z, x=x, y=y), timeout=2)
        r.raise_for_status()
        return r.content

    return fetch


def mosaic(bm: Basemap | None, zoom: int, x0: float, y0: float, width: int, height: int):
    """The basemap's tiles covering a Web Mercator window (``x0, y0`` world pixels at ``zoom``)
    as one RGB image, or None when none could be had within :data:`TILE_BUDGET_S`."""
    import io
    import time

    from PIL import Image

    fetch = tile_fetcher(bm)
    if fetch is None:
        return None
    img = Image.new("RGB", (width, height), (244, 244, 240))
    start, drawn, n = time.monotonic(), 0, 2**zoom
    for tx in range(int(x0 // 256), int((x0 + width) // 256) + 1):
        for ty in range(max(0, int(y0 // 256)), min(n - 1, int((y0 + height) // 256)) + 1):
            if time.monotonic() - start > TILE_BUDGET_S:
                break
            try:
                data = fetch(zoom, tx % n, ty)
            except Exception:  # noqa: BLE001 - offline, refused, a timeout: the map goes without tiles
                return img if drawn else None
            if data:
                try:
                    img.paste(Image.open(io.BytesIO(data)).convert("RGB"), (int(tx * 256 - x0), int(ty * 256 - y0)))
                    drawn += 1
                except OSError:
                    continue
    return img if drawn else None


_BNG_CACHE: dict[tuple, tuple[float, object]] = {}
#: A window whose tiles could not be had is not asked for again for this long (seconds).
RETRY_AFTER_S = 600.0


def bng_image(bm: Basemap | None, minx: float, miny: float, maxx: float, maxy: float, width_px: int = 1400):
    """The basemap under a British National Grid window (metres), reprojected from Web Mercator
    tiles pixel by pixel (vectorised), for maps drawn in BNG (the slides, the meeting pack).

    Returns ``(image, attribution)``; ``(None, "")`` when there are no tiles to be had. Kept per
    process (a slide refreshing every 20 s does not fetch again; a failure is retried after
    :data:`RETRY_AFTER_S`)."""
    import time

    key = (bm, round(minx), round(miny), round(maxx), round(maxy), width_px)
    with _LOCK:
        hit = _BNG_CACHE.get(key)
    if hit is not None and (hit[1][0] is not None or time.monotonic() - hit[0] < RETRY_AFTER_S):
        return hit[1]
    out = _bng_image(bm, minx, miny, maxx, maxy, width_px)
    with _LOCK:
        if len(_BNG_CACHE) > 16:
            _BNG_CACHE.clear()
        _BNG_CACHE[key] = (time.monotonic(), out)
    return out


def _bng_image(bm: Basemap | None, minx: float, miny: float, maxx: float, maxy: float, width_px: int):
    import numpy as np
    from PIL import Image
    from pyproj import Transformer

    if tile_fetcher(bm) is None:
        return None, ""
    height_px = max(1, int(round(width_px * (maxy - miny) / (maxx - minx))))
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    gx = np.linspace(minx, maxx, width_px)
    gy = np.linspace(maxy, miny, height_px)
    lon, lat = to_wgs.transform(*np.meshgrid(gx, gy))
    m_per_px = (maxx - minx) / width_px
    mid = float(np.radians(np.nanmean(lat)))
    lo, hi = 0, bm.max_zoom
    if bm.kind == "pmtiles":
        archive = open_pmtiles(bm.url)
        lo, hi = archive.min_zoom, archive.max_zoom
    zoom = int(np.clip(np.floor(np.log2(156543.03 * np.cos(mid) / m_per_px)), lo, hi))
    scale = 256 * 2**zoom
    wx = (lon + 180) / 360 * scale
    s = np.sin(np.radians(np.clip(lat, -85, 85)))
    wy = (0.5 - np.log((1 + s) / (1 - s)) / (4 * np.pi)) * scale
    x0, y0 = float(np.floor(wx.min())), float(np.floor(wy.min()))
    w, h = int(np.ceil(wx.max() - x0)) + 1, int(np.ceil(wy.max() - y0)) + 1
    src = mosaic(bm, zoom, x0, y0, w, h)
    if src is None:
        return None, ""
    arr = np.asarray(src)
    ix = np.clip((wx - x0).astype(int), 0, w - 1)
    iy = np.clip((wy - y0).astype(int), 0, h - 1)
    out = Image.fromarray(arr[iy, ix])
    attribution = bm.attribution or (open_pmtiles(bm.url).attribution if bm.kind == "pmtiles" else "")
    return out, attribution
