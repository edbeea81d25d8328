"""Progress: is Rural Action working? The three aims as a scorecard for a period and an area
(``?period=2025-26&ward=<code>``), the charts behind it, and the meeting pack."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import actions, errors, evidence_views, filters, places, progress, state
from ruralaction.exports import csv_bytes
from ruralaction.measures import store_progress
from ruralaction.measures.filters import link_note
from ruralaction.measures.periods import (
    KINDS,
    PeriodError,
    choices,
    latest_full,
    parse_period,
)
from ruralaction.progress import charts
from ruralaction.progress.config import AIMS
from ruralaction.reports import cache as pack_cache
from ruralaction.reports import pack as report
from ruralaction.reports.cache import pack_key

KIND, PERIOD, WARD = "progress_kind", "progress_period", "progress_ward"
ROWS_SHOWN = store_progress.DETAIL_ROWS  # what a scorecard from the store holds of a figure's crimes
md = state.md

src = state.source()
data = state.meta()  # the numbers come from the classified store (dashboard/progress.py)
st.title("Progress against the three aims")
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The figures below show how the dashboard works; "
        "they are not police records or real partners' actions.",
        icon=":material/science:",
    )
loaded = progress.months()
if not loaded:
    st.info("No incidents are loaded yet. Add police.uk files on the Data page.", icon=":material/info:")
    st.stop()
today = dt.date.today()
names = progress.ward_names()

# A shared link (?period=…&ward=…) sets the widgets on the first run of a session; after that the
# widgets lead and the URL follows them.
if KIND not in st.session_state:
    try:
        start = (
            parse_period(st.query_params["period"]) if "period" in st.query_params else progress.default_period(loaded)
        )
    except PeriodError as exc:
        errors.note(link_note("period", st.query_params["period"], f"was ignored: {exc}"))
        start = progress.default_period(loaded)
    st.session_state[KIND], st.session_state[PERIOD] = start.kind, start.spec
    st.session_state[WARD] = st.query_params.get("ward", "") if st.query_params.get("ward", "") in names else ""
    if st.query_params.get("ward", "").strip() and not st.session_state[WARD]:
        errors.note(link_note("ward", st.query_params["ward"], "was ignored: no loaded ward has that code"))

c = st.columns([2, 2, 3])
kind = c[0].radio(
    "Period",
    options=list(KINDS),
    format_func=KINDS.get,
    key=KIND,
    horizontal=True,
    help="Financial years run April to March; rolling periods are the 12 months to a month.",
)
options = [p.spec for p in choices(kind, loaded[0], loaded[-1], today)]
if st.session_state.get(PERIOD) not in options:  # the kind changed: its latest full period
    full = latest_full(kind, loaded[-1]).spec
    st.session_state[PERIOD] = full if full in options else options[0]
latest = latest_full(kind, loaded[-1]).spec
spec = c[1].selectbox(
    "Which",
    options=options,
    key=PERIOD,
    format_func=lambda s: parse_period(s).short + (" (latest full)" if s == latest else ""),
)
labels = dict(sorted(names.items(), key=lambda kv: kv[1]))
ward = c[2].selectbox(
    "Area",
    options=["", *labels],
    key=WARD,
    format_func=lambda w: labels.get(w, "Whole county"),
    help="A ward's scorecard; counts whose target is for the whole county are not rated for one ward.",
)
for k, v in (("period", spec), ("ward", ward)):
    if v and st.query_params.get(k) != v:
        st.query_params[k] = v
    elif not v and k in st.query_params:
        del st.query_params[k]

period = parse_period(spec)
sc, acts = progress.scorecard(period, ward or None)
st.caption(
    f"**{md(sc.area)}** · {md(period.label)} · {md(sc.as_of_text)}. "
    f"Crime figures are compared with the baseline year {md(sc.baseline.spec)}."
)
st.caption(
    "Status: ✓ On track (meets the target) · ! At risk (misses it, meets the amber threshold) · ✗ Off track · "
    "– Not rated (no fair value: no data, under 5 to count, months missing, or a county target with one ward)."
)


# a figure in words ("699 in 3 of 12 months") wraps in its tile rather than ending in "…"
st.html(
    "<style>[data-testid='stMetricValue'], [data-testid='stMetricValue'] *"
    "{white-space:normal !important;overflow:visible !important;text-overflow:clip !important}</style>"
)


def tile(s) -> None:
    with st.container(border=True):
        st.markdown(f"**{md(s.title)}**", help=s.note)
        st.metric(s.title, s.value_text, label_visibility="collapsed")
        progress.badge(s.status)
        st.caption(md(s.detail_text))
        st.markdown(f"**Change:** {md(s.change_text)}")
        st.caption(f"{md(s.target_text)} · Baseline: {md(s.baseline_text)}")
        st.caption(f"**Period:** {md(s.period_text)} · {md(s.as_of_text)}")
        n = s.n_rows  # the rows held may be only the first of them
        with st.expander(f"The {n:,} row{'s' if n != 1 else ''} behind this figure"):
            if n:
                if n > ROWS_SHOWN:
                    st.caption(f"The first {ROWS_SHOWN:,} of {n:,}; the download has all of them.")
                st.dataframe(s.rows.head(ROWS_SHOWN), hide_index=True, key=f"progress_rows_{s.key}")
                st.download_button(
                    "Download these rows (CSV)",
                    data=lambda: csv_bytes(progress.all_rows(s)),  # read when clicked
                    mime="text/csv",
                    file_name=f"{s.key}-{period.spec}.csv",
                    on_click="ignore",
                    icon=":material/download:",
                    key=f"progress_rows_csv_{s.key}",
                )
            else:
                st.caption("No rows: nothing counted for this figure.")


for aim, name in AIMS.items():
    st.subheader(f"Aim {aim}: {name}", divider="green")
    scores = sc.by_aim(aim)
    for i in range(0, len(scores), 3):
        cols = st.columns(3)
        for col, s in zip(cols, scores[i : i + 3]):
            with col:
                tile(s)
    if aim == 1:
        st.markdown(f"**Rural crime by category**, {md(period.short)} against {md(sc.baseline.spec)}")
        counts = ("crimes", "baseline_year", "previous_12_months")  # "—" where a year has months missing
        st.dataframe(
            sc.categories.assign(
                category=sc.categories["category"].str.capitalize(),
                **{c: sc.categories[c].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}") for c in counts},
            ),
            hide_index=True,
            key="progress_categories",
            column_order=["category", "crimes", "baseline_year", "previous_12_months", "vs_baseline", "status"],
            column_config={
                "category": "Category",
                "crimes": st.column_config.TextColumn(period.short),
                "baseline_year": st.column_config.TextColumn(f"Baseline {sc.baseline.spec}"),
                "previous_12_months": st.column_config.TextColumn("12 months before"),
                "vs_baseline": "Against the baseline year",
                "status": "Status",
            },
        )
        st.markdown("**National rural priorities**, where the data allows")
        prios = sc.priorities.assign(
            **{
                c: sc.priorities[c].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
                for c in ("crimes", "baseline_year")
            }
        )
        st.dataframe(
            prios,
            hide_index=True,
            key="progress_priorities",
            column_order=["priority", "crimes", "baseline_year", "vs_baseline", "status", "actions", "how"],
            column_config={
                "priority": "Priority",
                "crimes": "Crimes",
                "baseline_year": "Baseline",
                "vs_baseline": "Against the baseline year",
                "status": "Status",
                "actions": st.column_config.NumberColumn("Actions"),
                "how": "How it is counted",
            },
        )
        if sc.concerns_note:
            st.caption(f"Residents' concerns: {md(sc.concerns_note)}")

st.subheader("Charts", divider="green")
# made once per data version, period, area (and actions) and shared by every viewer
chart_list = [
    state.kept("progress.trend", lambda: charts.trend_chart(sc.trend, period), period.spec, ward),
    state.kept(
        "progress.actions",
        lambda: charts.actions_chart(sc.actions_monthly, period),
        period.spec,
        ward,
        actions.actions_key(acts),
    ),
]
ward_map = progress.map_chart(sc, acts)
if ward_map is not None:
    chart_list.append(ward_map)
for chart in chart_list:
    st.markdown(
        f"**{md(chart.title)}** · {md(sc.crimes_as_of if chart.name != 'actions-per-month' else sc.actions_as_of)}"
    )
    st.plotly_chart(chart.fig, key=f"progress_chart_{chart.name}", config={"displaylogo": False})
    progress.downloads(chart, f"progress_{chart.name}")

evidence_views.rollup()

st.subheader("Take it to the meeting", divider="green")


def pack() -> report.Pack:
    wards = data.geography.wards
    return report.build_pack(
        sc,
        acts,
        state.view(),
        wards,
        filters.prepared().areas,
        data.definition.rural_classes,
        progress.shapes(),
        basemap=places.basemap(),
    )


st.caption(
    "One file with the scorecard, the map, the trends and the actions list for this period and area, "
    "readable when printed. Made when first asked for (a few seconds), then kept until the data or actions change."
)


def made_once(fmt: str) -> bytes:
    """The pack from the shared cache: made once per data version, actions, period and area, at
    most two at a time across instances (ruralaction.reports.cache)."""
    src = state.source()
    key = pack_key(
        data_version=f"{src.dataset}:{src.version}",
        actions=acts,
        fmt=fmt,
        period=period.spec,
        ward=ward or "county",
        definition=data.definition.path,
    )
    return pack_cache.cached(key, fmt, lambda: report.render(pack(), fmt))


d = st.columns([1, 1, 2])
d[0].download_button(
    "Meeting pack (PDF)",
    data=lambda: made_once("pdf"),
    mime="application/pdf",
    file_name=report.file_name(sc, "pdf"),
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    key="progress_pack_pdf",
)
d[1].download_button(
    "Meeting pack (HTML)",
    data=lambda: made_once("html"),
    mime="text/html",
    file_name=report.file_name(sc, "html"),
    on_click="ignore",
    icon=":material/print:",
    key="progress_pack_html",
)
d[2].download_button(
    "Scorecard (CSV)",
    data=lambda: csv_bytes(sc.frame()),
    mime="text/csv",
    file_name=f"scorecard-{period.spec}-{(ward or 'county').lower()}.csv",
    on_click="ignore",
    icon=":material/download:",
    key="progress_scorecard_csv",
)
st.page_link(
    "dashboard/pages/present.py",
    label="Put it on the projector (presentation mode)",
    icon=":material/co_present:",
    query_params={"interval": "20"},
)
