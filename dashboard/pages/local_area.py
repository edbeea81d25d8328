"""Local area: one ward's or parish's rural crime, how it is changing, how it compares, and its map
(``?ward=<code>`` or ``?parish=<code>``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import actions, errors, evidence_views, filters, places, state
from ruralaction.concerns import ward_concern_counts
from ruralaction.exports import csv_bytes
from ruralaction.measures import area_report, evidence_charts, maplayers, readiness, store_local, trends
from ruralaction.measures.filters import link_note, month_label
from ruralaction.reports import staticmap

PICKER = "local_area_ward"
PARISH_PICKER = "local_area_parish"

src = state.source()
data = state.meta()  # no incident in memory: the numbers and the area's rows come from the store in SQL
view = state.view()
prep = filters.prepared()
f = filters.current()
opts = prep.options
wards = data.geography.wards
md = state.md
pl = places.current()

parish = st.query_params.get(places.PARISH_PARAM) or None
if parish is not None and pl.parish_name(parish) is None:
    errors.note(link_note("parish", parish, "was ignored: no loaded parish has that code"))
    del st.query_params[places.PARISH_PARAM]
    parish = None
SEEN = "local_area_ward_seen"  # the ward this page showed with last run (None on a parish's page)
if parish is not None and f.ward is not None:
    if SEEN in st.session_state and st.session_state[SEEN] != f.ward:
        del st.query_params[places.PARISH_PARAM]  # a ward chosen in the sidebar since: the ward now
        parish = None
    else:
        filters.choose_ward(None)  # a parish link: the parish decides, not a ward left in the filters
        f = replace(f, ward=None, district=None)
st.session_state[SEEN] = f.ward


def _choose_parish() -> None:
    code = st.session_state[PARISH_PICKER]
    if code:
        filters.choose_ward(None)
        st.query_params[places.PARISH_PARAM] = code
    elif places.PARISH_PARAM in st.query_params:
        del st.query_params[places.PARISH_PARAM]


def _choose_ward() -> None:
    if places.PARISH_PARAM in st.query_params:
        del st.query_params[places.PARISH_PARAM]
    filters.choose_ward(st.session_state[PICKER])


def _go(place) -> None:
    """Open the place searched for: its parish when it has one, else its ward."""
    q = places.local_area_query(place, {})
    if places.PARISH_PARAM in q:
        filters.choose_ward(None)
        st.query_params[places.PARISH_PARAM] = q[places.PARISH_PARAM]
    elif "ward" in q:
        if places.PARISH_PARAM in st.query_params:
            del st.query_params[places.PARISH_PARAM]
        filters.choose_ward(q["ward"])


if st.session_state.get(PICKER, "") != (f.ward or ""):
    st.session_state[PICKER] = f.ward or ""  # follow the sidebar and the URL (before the widget exists)
labels = dict(
    zip(
        opts.wards["ward_code"],
        (f"{n} ({d})" if d else n for n, d in zip(opts.wards["ward_name"], opts.wards["district"].fillna(""))),
    )
)

if f.ward is None and parish is None:
    st.title("Local area")
    if src.demo:
        st.warning(f"**{state.DEMO_LABEL}.**", icon=":material/science:")
if wards is None or not len(wards) or not opts.months:
    st.info(
        "Ward boundaries and incidents are needed for a local area page. "
        + (
            " ".join(md(m.sentence) for m in readiness.missing_geography(data.geography))
            or "Add them on the Data page."
        ),
        icon=":material/info:",
    )
    st.stop()

pick = st.columns([2, 2, 3])
found = None
with pick[2]:
    found = places.search_box("local_area")
if found is not None and st.session_state.get("local_area_went") != found:
    st.session_state["local_area_went"] = found  # go once per search, not on every rerun after it
    _go(found)
    st.rerun()
pick[0].selectbox(
    "Ward",
    options=["", *opts.wards["ward_code"]],
    key=PICKER,
    format_func=lambda c: labels.get(c, "Choose a ward…"),
    on_change=_choose_ward,
    help="Your ward's page has its own address: bookmark it or share the link.",
)
if pl.parishes is not None:
    if st.session_state.get(PARISH_PICKER, "") != (parish or ""):
        st.session_state[PARISH_PICKER] = parish or ""
    parish_labels = dict(zip(pl.table["parish_code"], pl.table["label"]))
    pick[1].selectbox(
        "…or parish",
        options=["", *pl.table["parish_code"]],
        key=PARISH_PICKER,
        format_func=lambda c: parish_labels.get(c, "Choose a parish…"),
        on_change=_choose_parish,
        help="Your parish's page has its own address too.",
    )
if f.ward is None and parish is None:
    st.info(
        "Choose a ward or a parish, or search for a postcode or village, to see how rural crime there is "
        "changing, how it compares with the county's rural average, and what stands out.",
        icon=":material/location_on:",
    )
    st.stop()

if parish is not None:
    s = store_local.parish_summary(
        view, pl.parishes, parish, pl.areas, pl.rural, data.definition.rural_classes, f, opts, demo=src.demo
    )
    s = replace(s, spans=pl.spans_text(parish))
    outline = next((x for x in pl.features if x["properties"]["code"] == parish), None)
else:
    s = store_local.local_area_summary(view, wards, prep.areas, data.definition.rural_classes, f, opts, demo=src.demo)
    outline = next((x for x in prep.index.ward_features if x["properties"]["ward_code"] == s.ward_code), None)
st.title(md(s.ward_name))
in_wards = f", in {md(s.spans)} ward{'s' if ' and ' in s.spans else ''}" if s.spans else ""
st.caption(
    f"{md(area_report.area_heading(s))}{', ' + md(s.district) if s.district else in_wards} · "
    f"{s.area} code {md(s.ward_code)} · {md(s.period)} · showing {md(s.filters_text)}"
)
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The figures below show how the dashboard works; they are not police records.",
        icon=":material/science:",
    )

if s.coverage_words:
    st.warning(md(s.coverage_words), icon=":material/event_busy:")

ch, cmp = s.change, s.comparison
c = st.columns(4)
c[0].metric(
    "Rural crimes",
    f"{s.crimes:,}",
    border=True,
    help=f"In this {s.area}, {s.period} ({s.months_with_data} months with data), with the filters in the sidebar.",
)
c[1].metric(
    f"12 months to {month_label(ch.end_month)}"
    if ch.recent_covered == 12
    else f"{ch.recent_covered} of the 12 months to {month_label(ch.end_month)}",
    f"{ch.recent:,}",
    border=True,
    delta=f"{ch.difference:+,} on the year before" if ch.complete else None,
    delta_color="inverse",
    help="Rural crimes in the last 12 months, against the 12 months before; compared only when every "
    "month of both has data.",
)
c[2].metric(
    f"Rate {cmp.unit}",
    "—" if cmp.rate is None else f"{cmp.rate:,.2f}",
    border=True,
    help=f"Rural crimes in the months shown that have data, per km² of the {s.area}'s area, a year.",
)
c[3].metric(
    f"County rural-{s.area} average",
    "—" if cmp.county_rate is None else f"{cmp.county_rate:,.2f}",
    border=True,
    help=f"All rural crimes in the county's rural {s.area}{'es' if s.area == 'parish' else 's'} over their total "
    "area, a year (same filters).",
)

st.subheader("Where")
map_box = st.container()

st.subheader("How it is changing")
if ch.complete:
    st.markdown(f"12 months to {month_label(ch.end_month)} against the 12 before: **{md(ch.words)}**.")
else:  # the words say which months have no data, so no comparison is made
    st.markdown(f"**{md(ch.words[:1].upper() + ch.words[1:])}**.")
if ch.complete and ch.percent is not None:
    st.caption(
        "A change this size is more than chance alone would often give."
        if ch.beyond_chance
        else "A change this size can happen by chance alone, so it may not be a real trend."
    )
fig = evidence_charts.by_month_chart(s.trend, s.covered)
st.plotly_chart(fig, key="local_area_trend", config={"displaylogo": False})

if parish is None:
    evidence_views.unusual_ward(s.ward_code, s.ward_name)

left, right = st.columns(2)
with left:
    st.subheader("Compared with the county")
    st.markdown(md(cmp.words))
    st.subheader("What stands out")
    lines = area_report.standout_lines(s)
    if lines:
        st.markdown("\n".join(f"- {md(x)}" for x in lines))
    else:
        st.markdown("Nothing stands out clearly: no month or category is higher than chance alone would often give.")
    st.caption(
        f"A month stands out when it is well above the ward's usual month; a category when it is well above "
        f"what the rest of the county's rural crime mix predicts. Counts under {trends.MIN_COUNT} never do."
    )
with right:
    st.subheader("Outcomes")
    if s.outcomes.empty:
        st.markdown("No rural crimes in the months shown.")
    else:
        st.dataframe(
            s.outcomes,
            hide_index=True,
            key="local_area_outcomes",
            height="content",
            column_order=["outcome", "crimes", "share_text"],
            column_config={
                "outcome": st.column_config.TextColumn("Last outcome"),
                "crimes": st.column_config.NumberColumn("Crimes", format="localized"),
                "share_text": st.column_config.TextColumn("Share"),
            },
        )
        st.caption(f"Counts under {trends.MIN_COUNT} are not turned into percentages (shown as “—”).")

span_codes = (
    pl.spans.loc[pl.spans["parish_code"] == parish, "ward_code"].astype(str).tolist() if parish else [s.ward_code]
)
if parish is None:
    actions.ward_section(s.ward_code, s.ward_name)
    evidence_views.ward_impact(s.ward_code)
else:
    st.subheader(f"What partners did in {md(s.ward_name)}")
    here = errors.attempt(lambda: places.actions_in(parish, span_codes), "Partners' actions", "local area")
    if here is not None and here.empty:
        st.caption("No actions are recorded in this parish yet. Partners add them on the Actions page.")
    elif here is not None:
        st.dataframe(
            here[["date", "title", "partner", "visible"]],
            hide_index=True,
            key="local_parish_actions",
            column_config={"date": "Date", "title": "Action", "partner": "Lead partner", "visible": "Visible"},
        )

raised_in = md(s.ward_name) if parish is None else f"the wards {md(s.ward_name)} lies in ({md(s.spans)})"
st.subheader(f"What residents raised in {raised_in}")
raised = errors.attempt(
    lambda: (
        ward_concern_counts(actions.engine(), actions.dataset(), s.ward_code)
        if parish is None
        else places.concerns_in(span_codes)
    ),
    "Concerns",
    "local area",
)
if raised is not None and raised.empty:
    st.caption(f"No concerns have been raised for this {s.area} yet.")
elif raised is not None:
    st.dataframe(
        raised[["category_label", "concerns", "actioned", "last_raised"]],
        hide_index=True,
        key="local_concerns",
        column_config={
            "category_label": "Concern",
            "concerns": st.column_config.NumberColumn("Raised", format="localized"),
            "actioned": st.column_config.NumberColumn("With an action", format="localized"),
            "last_raised": st.column_config.DateColumn("Last raised", format="MMM YYYY"),
        },
    )
st.page_link(
    "dashboard/pages/get_involved.py",
    label="You said, we did — and raise a concern",
    query_params={"ward": s.ward_code} if parish is None else {"ward": span_codes[0]} if span_codes else {},
    icon=":material/campaign:",
)

with map_box:
    area_points = errors.attempt(
        lambda: actions.map_points(ward_codes=span_codes), "Partners' actions on the map", "local area"
    )

    def area_map():
        # the area's crimes as points when there are few enough: one more than the most drawn says "too many"
        shown = store_local.area_rows(view, f, wards, parish, limit=maplayers.POINTS_MAX + 1)
        return places.area_map(outline, shown, np.ones(len(shown), bool), area_points)

    # the same for every viewer of this area, filters and actions: made once per data version
    drawn = None if area_points is None else int(pd.util.hash_pandas_object(area_points.astype(str)).sum())
    deck, picture = state.kept("local_area.map", area_map, s.ward_code, parish, f, drawn)
    st.pydeck_chart(
        deck,
        key=f"local_area_map_{s.ward_code}",
        height=420,
        alt=f"Map of {s.ward_name}: its boundary, its rural crimes and partners' actions.",
    )
    places.basemap_caption(places.basemap())


def _summary_actions():
    """The area's actions for the printable summary (None when the database cannot be read: the
    summary then says so; the page has already said why above)."""
    if parish is not None:
        return here
    try:
        from ruralaction.actions import filter_actions

        found = filter_actions(actions.actions(), wards=[s.ward_code])
    except Exception:  # noqa: BLE001 - the section above has put the fault into words
        return None
    found = found.rename(columns={"action_date": "date", "lead_partner": "partner"})
    return found[["date", "title", "partner", "visible"]]


st.subheader("Download")
slug = s.ward_code.lower()
d = st.columns(3)
d[0].download_button(
    f"This {s.area}'s crimes (CSV)",
    data=lambda: csv_bytes(
        trends.incident_table(every := store_local.area_rows(view, f, wards, parish), np.ones(len(every), bool))
    ),
    file_name=f"rural-crimes-{slug}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
d[1].download_button(
    "Summary (CSV)",
    data=area_report.summary_csv(s),
    file_name=f"rural-crime-summary-{slug}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
d[2].download_button(
    "Print-friendly summary (HTML)",
    data=lambda: area_report.summary_html(
        s, staticmap.area_map_png(**picture), f"Map of {s.ward_name}", _summary_actions(), raised
    ),
    file_name=f"rural-crime-summary-{slug}.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/print:",
)
