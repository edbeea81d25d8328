"""The Streamlit side of the Progress page and presentation mode.

The library (:mod:`ruralaction.progress.scorecard`, :mod:`ruralaction.progress.charts`, :mod:`ruralaction.reports.pack`)
does the work; this module decides when. Actions and concerns are read fresh on every run (a
few thousand rows take milliseconds), so a figure always includes what partners just saved; the
definition's ``[progress]`` settings are re-read when the file changes; ward outlines for the
map are built once per data version (``st.cache_resource``, read-only).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import actions, filters, places, state
from ruralaction.exports import csv_bytes
from ruralaction.measures import store_progress
from ruralaction.measures.periods import Period, latest_full
from ruralaction.progress import charts
from ruralaction.progress.config import ProgressConfig, Status, load_progress_config
from ruralaction.progress.scorecard import Score, Scorecard, build_scorecard
from ruralaction.reports import pack as report


@st.cache_resource(max_entries=4)
def _config(path: str, mtime_ns: int) -> ProgressConfig:
    # ``mtime_ns`` is unused in the body: an edited file is a new cache key.
    return load_progress_config(path)


def config() -> ProgressConfig:
    """The ``[progress]`` section of the loaded definition file (re-read when the file changes)."""
    path = state.meta().definition.path
    if not path or not Path(path).is_file():
        return load_progress_config()
    return _config(str(path), Path(path).stat().st_mtime_ns)


@st.cache_resource(max_entries=2, show_spinner="Preparing the ward map…")
def _shapes(root: str, dataset: str, version: str) -> charts.WardShapes | None:
    wards = state.meta().geography.wards
    return None if wards is None or not len(wards) else charts.ward_shapes(wards)


def shapes() -> charts.WardShapes | None:
    """Ward outlines in the British National Grid for the map (cached per data version)."""
    src = state.source()
    return _shapes(str(src.root), src.dataset, src.version)


def months() -> list[str]:
    """Months of crime data loaded, ``"YYYY-MM"`` (asked of the classified store)."""
    return store_progress.loaded_months(state.view())


def default_period(loaded: list[str]) -> Period:
    """The latest financial year fully loaded."""
    return latest_full("fy", loaded[-1])


def ward_names() -> dict[str, str]:
    wards = state.meta().geography.wards
    if wards is None or not len(wards):
        return {}
    return dict(zip(wards["ward_code"].astype(str), wards["ward_name"].astype(str)))


def scorecard(period: Period, ward: str | None = None) -> tuple[Scorecard, pd.DataFrame]:
    """Every measure for ``period`` and ``ward`` from the data as it is now; also every action.
    The crimes are counted in the classified store (counts of the area's rural crimes of the
    three years compared); the rural-crime figure holds only its newest crimes (:func:`all_rows`)."""
    data = state.meta()
    src = state.source()
    acts = actions.actions()
    concerns, note, issues = report.read_concerns(actions.engine(), actions.dataset())
    sc = build_scorecard(
        state.view(),
        acts,
        concerns,
        period,
        config(),
        read_at=dt.datetime.now(),
        ward=ward,
        ward_names=ward_names(),
        county=data.definition.county,
        demo=src.demo,
        issues_for=issues,
        wildlife_category=data.definition.wildlife_category,
        concerns_note=note,
    )
    return sc, acts


def all_rows(s: Score) -> pd.DataFrame:
    """Every row behind a score: those it holds, or (when it holds only the first) all of them
    read from the classified store (for a download, when clicked)."""
    return s.rows if s.rows_all is None else store_progress.crime_rows(state.view(), s.rows_all)


def map_chart(sc: Scorecard, acts: pd.DataFrame, big: bool = False, height: int = 620) -> charts.Chart | None:
    """The ward choropleth for the scorecard's period, with the period's actions (None without
    wards): made once per data version, period, area, size and actions, shared by every viewer."""
    key = (sc.period.spec, sc.ward, big, height, actions.actions_key(acts))
    return state.kept("progress.map", lambda: _map_chart(sc, acts, big, height), *key)


def _map_chart(sc: Scorecard, acts: pd.DataFrame, big: bool, height: int) -> charts.Chart | None:
    from ruralaction.actions import action_points

    shp = shapes()
    if shp is None:
        return None
    data = state.meta()
    wards = data.geography.wards
    rates = charts.map_data(
        state.view(),  # every rural crime of the period, counted per ward in SQL
        None,
        wards,
        filters.prepared().areas,
        sc.period,
        data.definition.rural_classes,
    )
    return charts.map_chart(
        shp,
        rates,
        sc.period,
        action_points(report.pack_actions(acts, sc), wards),
        big=big,
        height=height,
        highlight=sc.ward,
        basemap=places.basemap(),
    )


def badge(s: Status) -> None:
    """A RAG status as a chip: colour, symbol and word (never colour alone), with why as a tooltip."""
    st.html(
        f"<span class='ra-status ra-{s.level}' title='{html.escape(s.why, quote=True)}' "
        f"style='display:inline-block;padding:.1rem .55rem;border:2px solid {s.colour};border-radius:.4rem;"
        f"color:{s.colour};background:{s.background};font-weight:700;font-size:1.05rem'>{html.escape(s.text)}</span>"
    )


def downloads(chart: charts.Chart, key: str) -> None:
    """PNG (kaleido, drawn when clicked) and CSV downloads of a chart."""
    c = st.columns([1, 1, 4])
    c[0].download_button(
        "PNG",
        data=lambda: _png(chart),
        file_name=f"{chart.name}.png",
        mime="image/png",
        on_click="ignore",
        icon=":material/image:",
        key=f"{key}_png",
        help="The chart as an image (made when you click; takes a few seconds).",
    )
    c[1].download_button(
        "CSV",
        data=lambda: csv_bytes(chart.data),
        file_name=f"{chart.name}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_csv",
        help="The chart's data.",
    )


def _png(chart: charts.Chart) -> bytes:
    try:
        return charts.png(chart.fig)
    except charts.ChartExportError as exc:  # a download cannot show an error: say so in a text file's place
        raise RuntimeError(f"The PNG could not be made: {exc}") from exc
