"""The Progress page's charts as plotly figures, with the data behind each, and their static images.

Every chart is a :class:`Chart`: a figure, the tidy frame it draws (the CSV download) and a file
name. The same functions draw the Progress page, the projector slides and the meeting pack.

The ward map is drawn with plain plotly shapes in the British National Grid (metres, equal
axes): no basemap, no tile server and no topojson download, so it renders offline, on screen
and as a static image alike.

Static images (PNG for downloads, SVG for the meeting pack) are made by kaleido, which drives a
headless Chromium: Debian's ``/usr/bin/chromium`` (or ``$RURALACTION_CHROMIUM``). The
process keeps one browser for every image (the first takes ~2 s to start it, later ones ~0.2 s);
MathJax is switched off so nothing is fetched from a CDN.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from ruralaction.actions.places import OTHER_ACTION_RGBA, RURAL_ACTION_RGBA
from ruralaction.geography.basemap import Basemap, bng_image
from ruralaction.geography.crs import SharedTransformer
from ruralaction.measures import months as mo
from ruralaction.measures.maplayers import (
    NONE_COLOUR,
    PALETTE,
    RAMP,
    class_breaks,
    classify_values,
    rgb,
)
from ruralaction.measures.periods import Period
from ruralaction.measures.store_queries import StoreView
from ruralaction.measures.trends import BNG, area_rates

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
GREEN = "#{:02X}{:02X}{:02X}".format(*RURAL_ACTION_RGBA[:3])
BLUE = "#{:02X}{:02X}{:02X}".format(*OTHER_ACTION_RGBA[:3])
_TO_BNG = SharedTransformer("EPSG:4326", BNG)


class ChartExportError(RuntimeError):
    """A static image could not be made (no Chromium, kaleido missing, or it timed out)."""


@dataclass(frozen=True)
class Chart:
    """A figure and the data it draws.

    Attributes
    ----------
    name : str
        File-name stem ("rural-crime-trend").
    title : str
    fig : plotly Figure
    data : DataFrame
        What the chart draws, for the CSV download.
    """

    name: str
    title: str
    fig: go.Figure
    data: pd.DataFrame


def _style(fig: go.Figure, big: bool, height: int) -> go.Figure:
    """House style for on-screen and exported charts.

    The margins are small and the axes grow them to fit their labels (``automargin``), set here
    rather than left to the default template: importing Streamlit makes its own template the
    process default, and that one has no automargin, so the exported PNG and the pack's SVG lost
    the y-axis labels' first digits ("400" read "0") and the month labels.
    """
    size = 22 if big else 14
    fig.update_layout(
        font={"family": FONT, "size": size, "color": "#111111"},
        height=height,
        bargap=0.15,
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title_text": "", "font_size": size},
        hoverlabel_font_size=size,
    )
    fig.update_xaxes(showgrid=False, linecolor="#444444", tickfont_size=size, automargin=True)
    fig.update_yaxes(gridcolor="#D0D0D0", rangemode="tozero", tickfont_size=size, title_font_size=size, automargin=True)
    return fig


# --------------------------------------------------------------------------- trends


def trend_chart(trend: pd.DataFrame, period: Period, big: bool = False, height: int = 420) -> Chart:
    """Rural crimes per month by category, the period shaded against the 12 months before.

    Parameters
    ----------
    trend : DataFrame
        :attr:`ruralaction.progress.scorecard.Scorecard.trend` (``month, category, crimes``).
    period : Period
    big : bool, default False
        Projector sizes.
    """
    data = trend.assign(category=trend["category"].astype(str).str.capitalize())
    fig = go.Figure()
    for i, (cat, part) in enumerate(data.groupby("category", sort=False)):
        fig.add_bar(
            x=part["month"],
            y=part["crimes"],
            name=cat,
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate="%{x}: %{y:,} " + cat.lower() + "<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    shown = mo.periods(data["month"])
    mo.month_axis(fig, shown, font_size=22 if big else 14)
    inside = [i for i, p in enumerate(shown) if period.first <= p <= period.last]
    if inside:
        fig.add_vrect(
            x0=inside[0] - 0.5,
            x1=inside[-1] + 0.5,
            fillcolor="#8A9A86",
            opacity=0.12,
            line_width=0,
            layer="below",
            annotation_text=period.short,
            annotation_position="top left",
            annotation_font_size=22 if big else 14,
        )
    fig.update_yaxes(title_text="Rural crimes")
    out = data.assign(month=data["month"].dt.strftime("%Y-%m"))
    return Chart("rural-crime-trend", "Rural crimes per month", _style(fig, big, height), out)


def actions_chart(monthly: pd.DataFrame, period: Period, big: bool = False, height: int = 380) -> Chart:
    """Actions completed per month of the period: visible (Rural Action) and other.

    Parameters
    ----------
    monthly : DataFrame
        :func:`ruralaction.progress.aims.actions_by_month`.
    """
    fig = go.Figure()
    fig.add_bar(
        x=monthly["month"],
        y=monthly["visible"],
        name="Visible (Rural Action)",
        marker_color=GREEN,
        marker_pattern_shape="",
        hovertemplate="%{x}: %{y} visible<extra></extra>",
    )
    fig.add_bar(
        x=monthly["month"],
        y=monthly["not_visible"],
        name="Other actions",
        marker_color=BLUE,
        marker_pattern_shape="/",
        hovertemplate="%{x}: %{y} other<extra></extra>",
    )
    fig.update_layout(barmode="stack")
    mo.month_axis(fig, monthly["month"], font_size=22 if big else 14)
    fig.update_yaxes(
        title_text="Actions completed", dtick=1 if monthly[["visible", "not_visible"]].sum(axis=1).max() <= 6 else None
    )
    data = monthly.assign(month=monthly["month"].dt.strftime("%Y-%m"))
    return Chart("actions-per-month", f"Actions completed per month, {period.short}", _style(fig, big, height), data)


# --------------------------------------------------------------------------- the ward map


@dataclass(frozen=True)
class WardShapes:
    """Ward outlines in the British National Grid, ready to draw (build once per data version).

    Attributes
    ----------
    codes, names : list of str
    xs, ys : list of list
        Each ward's rings, joined with None (plotly draws them as one filled path).
    label_x, label_y : ndarray
        A point inside each ward (for hover).
    places : DataFrame
        Place names drawn on the map (``name, x, y`` in metres): the districts, named after
        their towns, so the map reads without a basemap.
    """

    codes: list[str]
    names: list[str]
    xs: list[list]
    ys: list[list]
    label_x: np.ndarray
    label_y: np.ndarray
    places: pd.DataFrame | None = None


def ward_shapes(wards: gpd.GeoDataFrame, tolerance_m: float = 40.0) -> WardShapes:
    """Simplified ward outlines in metres (BNG), one list of rings per ward."""
    geoms = wards.geometry.to_crs(BNG).simplify(tolerance_m, preserve_topology=True)
    xs, ys = [], []
    for g in geoms:
        x: list = []
        y: list = []
        for poly in getattr(g, "geoms", [g]):
            if poly.is_empty or not hasattr(poly, "exterior"):
                continue
            cx, cy = poly.exterior.coords.xy
            x += [*np.round(np.asarray(cx)).tolist(), None]
            y += [*np.round(np.asarray(cy)).tolist(), None]
        xs.append(x)
        ys.append(y)
    pts = shapely.point_on_surface(geoms.to_numpy())
    places = None
    if "district" in wards and wards["district"].notna().any():
        by = gpd.GeoDataFrame({"district": wards["district"].to_numpy()}, geometry=geoms.to_numpy(), crs=BNG)
        merged = by.dropna(subset=["district"]).dissolve("district")
        at = shapely.point_on_surface(merged.geometry.to_numpy())
        places = pd.DataFrame({"name": merged.index.astype(str), "x": shapely.get_x(at), "y": shapely.get_y(at)})
    return WardShapes(
        wards["ward_code"].astype(str).tolist(),
        wards["ward_name"].astype(str).tolist(),
        xs,
        ys,
        shapely.get_x(pts),
        shapely.get_y(pts),
        places,
    )


def map_data(
    incidents: pd.DataFrame | StoreView,
    mask: np.ndarray | None,
    wards: pd.DataFrame,
    areas: pd.Series,
    period: Period,
    rural_classes: Sequence[str],
) -> pd.DataFrame:
    """Rural crimes per ward in the period and per km² a year (:func:`ruralaction.measures.trends.area_rates`),
    a year being the period's months with data (a period with files missing is not a year of crime).

    ``mask`` None is every rural crime; with the classified store (a ``StoreView``) it must be
    None, and the wards' counts are made in SQL.
    """
    from ruralaction.measures import store_progress as sp
    from ruralaction.measures.filters import Filters
    from ruralaction.measures.periods import coverage, loaded_months
    from ruralaction.measures.trends import rates_from_counts
    from ruralaction.progress.aims import window_mask

    if isinstance(incidents, StoreView):
        if mask is not None:
            raise ValueError("map_data over the store counts every rural crime: give no mask")
        with_data = coverage(period, sp.loaded_months(incidents)).loaded
        crimes = sp.period_ward_counts(incidents, period, pd.Index(wards["ward_code"].astype(str)))
        return rates_from_counts(crimes, wards, areas, max(with_data, 1), tuple(rural_classes))
    mask = Filters().apply(incidents) if mask is None else mask
    with_data = coverage(period, loaded_months(incidents)).loaded
    return area_rates(
        incidents, mask & window_mask(incidents, period), wards, areas, max(with_data, 1), tuple(rural_classes)
    )


def map_chart(
    shapes: WardShapes,
    rates: pd.DataFrame,
    period: Period,
    actions: pd.DataFrame | None = None,
    big: bool = False,
    height: int = 620,
    highlight: str | None = None,
    basemap: Basemap | None = None,
) -> Chart:
    """The ward choropleth: rural crimes per km² a year in the period, in colour-blind-safe classes,
    with visible actions as green stars and other actions as blue circles, on the basemap's tiles
    (reprojected into the grid, :func:`ruralaction.geography.basemap.bng_image`) when there are
    raster tiles to be had, the wards then drawn see-through.

    Parameters
    ----------
    shapes : WardShapes
    rates : DataFrame
        :func:`map_data`.
    period : Period
    actions : DataFrame, optional
        :func:`ruralaction.actions.action_points` (``lon, lat, visible, title``) of the period.
    highlight : str, optional
        A ward code to outline in black.
    basemap : Basemap, optional
        The configured basemap (None: no tiles, the ward outlines are the map).
    """
    tiles, attribution = None, ""
    flat_x = [v for xs in shapes.xs for v in xs if v is not None]
    flat_y = [v for ys in shapes.ys for v in ys if v is not None]
    if basemap is not None and flat_x:
        pad = 0.03 * (max(flat_x) - min(flat_x))
        box = (min(flat_x) - pad, min(flat_y) - pad, max(flat_x) + pad, max(flat_y) + pad)
        tiles, attribution = bng_image(basemap, *box)
    per = rates.set_index("ward_code")["per_km2_year"].reindex(shapes.codes).to_numpy(dtype=float)
    crimes = rates.set_index("ward_code")["crimes"].reindex(shapes.codes).fillna(0).to_numpy(dtype=int)
    breaks = class_breaks(per)
    cls = classify_values(per, breaks)
    fig = go.Figure()
    labels = ["No rural crime"] + [f"{_nice(lo)} – {_nice(hi)}" for lo, hi in zip([0, *breaks[:-1]], breaks)]
    for k, label in zip(range(-1, len(breaks)), labels):
        idx = np.flatnonzero(cls == k)
        if not len(idx):
            continue
        x = [v for i in idx for v in shapes.xs[i]]
        y = [v for i in idx for v in shapes.ys[i]]
        colour = NONE_COLOUR if k < 0 else RAMP[min(k, len(RAMP) - 1)]
        fill = colour if tiles is None else "rgba({},{},{},{})".format(*rgb(colour)[:3], 0.1 if k < 0 else 0.62)
        fig.add_scatter(
            x=x,
            y=y,
            mode="lines",
            fill="toself",
            fillcolor=fill,
            name=label,
            showlegend=False,
            line={"color": "#FFFFFF", "width": 0.8},
            hoverinfo="skip",
            legendgroup=label,
        )
        # a filled square in the legend (a filled path's own legend entry is a line)
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=label,
            legendgroup=label,
            marker={
                "symbol": "square",
                "size": 22 if big else 15,
                "color": colour,
                "line": {"color": "#666666", "width": 1},
            },
        )
    if highlight in shapes.codes:
        i = shapes.codes.index(highlight)
        fig.add_scatter(
            x=shapes.xs[i],
            y=shapes.ys[i],
            mode="lines",
            line={"color": "#000000", "width": 3},
            name=shapes.names[i],
            hoverinfo="skip",
        )
    hover = [
        f"{n}: {c:,} rural crimes, {'—' if not np.isfinite(p) else f'{p:.2f}'} per km² a year"
        for n, c, p in zip(shapes.names, crimes, per)
    ]
    fig.add_scatter(
        x=shapes.label_x,
        y=shapes.label_y,
        mode="markers",
        marker={"size": 2, "opacity": 0},
        hovertext=hover,
        hoverinfo="text",
        showlegend=False,
    )
    if shapes.places is not None and len(shapes.places):
        fig.add_scatter(
            x=shapes.places["x"],
            y=shapes.places["y"],
            mode="text",
            text=shapes.places["name"],
            textfont={"size": 20 if big else 13, "color": "#222222", "family": FONT},
            hoverinfo="skip",
            showlegend=False,
            name="Places",
        )
    if actions is not None and len(actions):
        x, y = _TO_BNG.transform(actions["lon"].to_numpy(float), actions["lat"].to_numpy(float))
        vis = actions["visible"].to_numpy(dtype=bool)
        for sel, name, symbol, colour in (
            (vis, "Visible action (Rural Action)", "star", GREEN),
            (~vis, "Other action", "circle", BLUE),
        ):
            if sel.any():
                fig.add_scatter(
                    x=np.asarray(x)[sel],
                    y=np.asarray(y)[sel],
                    mode="markers",
                    name=name,
                    marker={
                        "symbol": symbol,
                        "size": 20 if big else 13,
                        "color": colour,
                        "line": {"color": "#FFFFFF", "width": 1.5},
                    },
                    hovertext=actions["title"].astype(str).to_numpy()[sel],
                    hoverinfo="text",
                )
    if tiles is not None:
        fig.add_layout_image(
            source=tiles,
            xref="x",
            yref="y",
            x=box[0],
            y=box[3],
            sizex=box[2] - box[0],
            sizey=box[3] - box[1],
            sizing="stretch",
            layer="below",
        )
        if attribution:
            fig.add_annotation(
                text=attribution,
                xref="paper",
                yref="paper",
                x=1,
                y=0,
                xanchor="right",
                yanchor="bottom",
                showarrow=False,
                font={"size": 11 if not big else 14, "color": "#333333"},
                bgcolor="rgba(255,255,255,0.7)",
            )
    _style(fig, big, height)
    fig.update_xaxes(visible=False, showgrid=False, rangemode="normal")
    fig.update_yaxes(visible=False, showgrid=False, rangemode="normal", scaleanchor="x", scaleratio=1)
    fig.update_layout(
        legend={
            "title_text": "Rural crimes per km² a year",
            "title_font_size": 22 if big else 14,
            "orientation": "v",
            "x": 1.0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
        }
    )
    data = rates.loc[:, ["ward_code", "ward_name", "district", "rural", "crimes", "area_km2", "per_km2_year"]]
    return Chart("ward-map", f"Rural crime by ward, {period.short}", fig, data)


def _nice(x: float) -> str:
    """A class bound to two significant figures ("0.75", "8.1", "12")."""
    return f"{x:.2g}" if abs(x) < 100 else f"{x:,.0f}"


# --------------------------------------------------------------------------- static images


def chromium_path() -> str | None:
    """The Chromium to use: ``$RURALACTION_CHROMIUM``, ``$BROWSER_PATH``, else one on the PATH."""
    for env in ("RURALACTION_CHROMIUM", "BROWSER_PATH"):
        if os.environ.get(env) and os.path.isfile(os.environ[env]):
            return os.environ[env]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


class _Renderer:
    """One headless Chromium (kaleido) for the whole process, started on first use and shared by
    every thread (Streamlit sessions, the meeting pack), so an image after the first takes
    ~0.2 s instead of a browser start (~2 s). It runs its own event loop in a daemon thread and
    is closed at exit; a browser that died is started again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None

    def _start(self, timeout: float) -> None:
        import kaleido

        loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                k = kaleido.Kaleido(n=1, timeout=timeout, mathjax=False)  # no MathJax: nothing from a CDN
                loop.run_until_complete(k.open())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                ready.set_exception(exc)
                return
            self._kaleido = k
            ready.set_result(True)
            loop.run_forever()

        thread = threading.Thread(target=run, name="kaleido", daemon=True)
        thread.start()
        ready.result(timeout=60)
        self._loop, self._thread = loop, thread
        if not getattr(self, "_atexit", False):
            atexit.register(self.close)
            self._atexit = True

    def render(self, figs: Sequence[go.Figure], opts: Sequence[dict], timeout: float) -> list[bytes]:
        for attempt in (1, 2):
            with self._lock:
                if self._loop is None or self._thread is None or not self._thread.is_alive():
                    self._start(timeout)
                loop, k = self._loop, self._kaleido
            futures = [asyncio.run_coroutine_threadsafe(k.calc_fig(f, opts=o), loop) for f, o in zip(figs, opts)]
            try:
                return [f.result(timeout) for f in futures]
            except Exception:  # a dead browser: start a new one once
                if attempt == 2:
                    raise
                self.close()
        return []  # not reached

    def close(self) -> None:
        with self._lock:
            loop, k, thread = self._loop, self._kaleido, self._thread
            self._loop = self._kaleido = self._thread = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)


_RENDERER = _Renderer()


def images(
    figs: Sequence[go.Figure],
    fmt: str = "png",
    width: int = 1200,
    height: int | None = None,
    scale: float = 2.0,
    timeout: float = 120,
) -> list[bytes]:
    """Static images of ``figs`` from the process's headless Chromium (kaleido).

    Parameters
    ----------
    figs : sequence of Figure
    fmt : {"png", "svg", "jpeg", "pdf"}
    width, height : int
        Pixels (height default: each figure's own).
    scale : float
        Pixel density (2 prints sharply).
    timeout : float
        Seconds for each image.

    Raises
    ------
    ChartExportError
        kaleido is not installed, no Chromium is found, or rendering failed or timed out.
    """
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        raise ChartExportError("kaleido is not installed (pip install kaleido).") from exc
    browser = chromium_path()
    if browser is None:
        raise ChartExportError("No Chromium was found (Debian: apt-get install chromium; or set RURALACTION_CHROMIUM).")
    os.environ.setdefault("BROWSER_PATH", browser)  # kaleido (choreographer) looks here first
    opts = [{"format": fmt, "width": width, "height": height or f.layout.height or 500, "scale": scale} for f in figs]
    try:
        return _RENDERER.render(list(figs), opts, timeout)
    except concurrent.futures.TimeoutError:
        raise ChartExportError(f"Chromium did not draw the chart within {timeout:.0f} s.") from None
    except Exception as exc:
        raise ChartExportError(f"The chart could not be drawn: {exc}") from exc


def png(fig: go.Figure, width: int = 1600, height: int | None = None) -> bytes:
    """One figure as a PNG (white background, 2× pixel density)."""
    return images([fig], "png", width=width, height=height)[0]
