"""The basemap beside the app: the MapLibre style every map points at, and self-hosted tiles.

``st.pydeck_chart`` takes a basemap only as a style URL, so the app serves one
(:data:`~ruralaction.geography.basemap.STYLE_PATH`) built from ``RURALACTION_BASEMAP``
(:mod:`ruralaction.geography.basemap`), and, for a PMTiles extract, the tiles themselves
(:data:`~ruralaction.geography.basemap.TILE_PATH`), so no visitor's browser talks to a third party.
Mounted by ``app.py`` next to the account pages; pages call :func:`current`.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dashboard.accounts_web import base_path
from ruralaction.geography.basemap import (
    STYLE_PATH,
    TILE_PATH,
    Basemap,
    BasemapError,
    basemap_from_env,
    open_pmtiles,
)
from ruralaction.logs import event as log_event


@cache
def empty_png() -> bytes:
    """A 256 x 256 transparent PNG, for raster tiles the extract does not have."""
    buf = io.BytesIO()
    Image.new("RGBA", (256, 256), (0, 0, 0, 0)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def current() -> Basemap:
    """The configured basemap; a broken setting draws no basemap (and says why in the log),
    never an error on the page: the outlines and place names still make a map."""
    try:
        return basemap_from_env(base_path=base_path())
    except BasemapError as exc:
        log_event("basemap.unusable", level="warning", reason=str(exc))
        return Basemap("none", problem=f"The background map is not shown ({exc})")


async def style(request: Request) -> Response:
    """The MapLibre style for the configured tiles (404 when there is none to serve)."""
    bm = current()
    if bm.kind not in ("tiles", "pmtiles"):
        return Response("No basemap is served here.", status_code=404, media_type="text/plain")
    try:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        body = bm.style(origin)
    except BasemapError as exc:
        log_event("basemap.unusable", level="warning", reason=str(exc))
        return Response("The basemap cannot be read.", status_code=404, media_type="text/plain")
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=3600"})


async def tile(request: Request) -> Response:
    """One tile of the self-hosted PMTiles extract (204 where the extract has none)."""
    bm = current()
    if bm.kind != "pmtiles":
        return Response(status_code=404)
    try:
        z, x, y = (int(request.path_params[k]) for k in ("z", "x", "y"))
        archive = open_pmtiles(bm.url)
    except (ValueError, BasemapError):
        return Response(status_code=404)
    data = archive.tile(z, x, y)
    headers = {"Cache-Control": "public, max-age=86400"}
    if data is None:  # a tile the extract does not have: empty, never an error in the browser
        if archive.vector:
            return Response(status_code=204, headers=headers)  # MapLibre takes 204 as an empty vector tile
        return Response(empty_png(), media_type="image/png", headers=headers)  # a raster 204 will not decode
    if archive.gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=archive.content_type, headers=headers)


def routes() -> list[Route]:
    """The style and tile routes, under ``server.baseUrlPath``."""
    base = base_path()
    return [
        Route(f"{base}{STYLE_PATH}", style, methods=["GET"]),
        Route(f"{base}{TILE_PATH}/{{z:int}}/{{x:int}}/{{y:int}}", tile, methods=["GET"]),
    ]
