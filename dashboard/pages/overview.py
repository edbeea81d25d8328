"""Overview: how much rural crime there is, when, where, and why each one counts.

Its headline, monthly chart and tables are asked of the classified store in SQL
(:mod:`ruralaction.measures.store_queries`): this page holds no incidents in memory."""

from __future__ import annotations

import streamlit as st

from dashboard import evidence_views, state
from ruralaction.measures import evidence_charts, months, overview
from ruralaction.measures import store_queries as sq

REJECTED_SHOWN = 1_000  # rows of the rejected table drawn in the page; the download has all

src = state.source()
data = state.meta()  # summary, rejected rows, geography, definition: no incidents
view = state.view()
h = sq.headline(view)

st.title("Rural crime overview")
st.caption(
    f"{state.md(data.definition.county)}'s definition: burglary, theft from the person, vehicle crime, "
    "robbery, criminal damage or wildlife crime at a farm anywhere in the county, or in one of its rural wards."
)
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The figures below show how the dashboard works; they are not police records.",
        icon=":material/science:",
    )

why_empty = None
if h.incidents == 0:
    st.info(
        "No incidents are loaded. Add police.uk street-level CSVs on the Data page, or from the command "
        "line with `python -m ruralaction load FILES...` (the bulk-download layout, YYYY-MM folders, "
        "and .zip archives work as they are).",
        icon=":material/info:",
    )
elif (partial := sq.empty_result_words(view, data.geography)) and not h.rural_crimes:
    why_empty = partial  # no number to show: say why instead of a county of zeros
    st.warning(state.md(why_empty), icon=":material/help:")
else:
    if partial:
        st.warning(state.md(partial), icon=":material/help:")
    c = st.columns(4)
    c[0].metric(
        "Rural crimes",
        f"{h.rural_crimes:,}",
        border=True,
        help="Crimes that meet the county's rural-crime definition, over every month loaded.",
    )
    c[1].metric(
        overview.RURAL_OF_IN_SCOPE,
        "—" if h.share_rural is None else f"{h.share_rural:.0%}",
        border=True,
        help=f"{overview.RURAL_OF_IN_SCOPE_HELP} {h.rural_crimes:,} of {h.in_scope_in_county:,}.",
    )
    c[2].metric(
        "Latest month",
        f"{h.latest_month:%b %Y}",
        border=True,
        help="police.uk publishes each month's crimes about two months later.",
    )
    c[3].metric(
        "Months covered",
        f"{h.months}",
        border=True,
        help=f"Months with data between {h.first_month:%B %Y} and {h.latest_month:%B %Y}.",
    )
    c = st.columns(4)
    c[0].metric("Incidents loaded", f"{h.incidents:,}", help="Every crime and anti-social behaviour record loaded.")
    c[1].metric(
        "In the county",
        f"{h.in_county:,}",
        help=f"{h.outside_county:,} are outside the county; {h.county_unknown:,} have no place to tell.",
    )
    c[2].metric("No location", f"{h.no_location:,}", help="Records police.uk publishes without coordinates.")
    c[3].metric(
        "Area class unknown",
        f"{h.unknown_class:,}",
        help="Records in an area with no rural-urban class; they count as rural crime only when at a farm.",
    )

    if h.missing_months:
        st.warning(
            f"No incidents at all in {months.ranges_words(h.missing_months)}: those months' files are "
            "probably missing, so they are left out of the charts, not counted as crime-free.",
            icon=":material/warning:",
        )

    st.subheader("Rural crimes by month")
    fig = state.kept("overview.by_month", lambda: evidence_charts.by_month_chart(sq.rural_by_month(view)))
    st.plotly_chart(fig, key="overview_by_month", config={"displaylogo": False})

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Why they count")
        evidence = sq.rural_by_evidence(view)
        st.dataframe(
            evidence.assign(category=evidence["category"].str.capitalize()),
            hide_index=True,
            column_config={
                "category": st.column_config.TextColumn("Category"),
                **{e: st.column_config.NumberColumn(e.capitalize(), format="localized") for e in overview.EVIDENCE},
                "total": st.column_config.NumberColumn("Total", format="localized"),
            },
        )
        st.caption(
            "A crime counts as rural crime when it is in one of the definition's categories and happens "
            "in a rural ward, or at a farm anywhere in the county."
        )
    with right:
        st.subheader("Top wards")
        st.dataframe(
            sq.rural_by_ward(view, n=10).style.format({"share": "{:.1%}"}),
            hide_index=True,
            column_order=["ward_name", "crimes", "share"],
            column_config={
                "ward_name": st.column_config.TextColumn("Ward"),
                "crimes": st.column_config.NumberColumn("Crimes", format="localized"),
                "share": st.column_config.NumberColumn("Share", help="Of all rural crime"),
            },
        )

if h.incidents and not why_empty:
    evidence_views.unusual_county()
    evidence_views.calendar()
    evidence_views.rural_and_urban()

st.subheader("What was loaded")
st.markdown("\n".join(f"- {state.md(overview.without_paths(line, src.root))}" for line in data.summary.lines()))
for note in data.geography.notes:
    st.caption(f"Note: {state.md(note)}")

rejected = overview.shown_sources(data.rejected, src.root)  # file names as added, not server paths
if len(rejected):
    st.markdown(f"**Rejected rows ({len(rejected):,})**, with the file, line and reason:")
    st.dataframe(rejected.head(REJECTED_SHOWN), hide_index=True)
    if len(rejected) > REJECTED_SHOWN:
        st.caption(f"Showing the first {REJECTED_SHOWN:,}; the download has all {len(rejected):,}.")
    st.download_button(
        "Download rejected rows (CSV)",
        data=lambda: overview.rejected_csv(rejected),
        file_name="rejected-rows.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
else:
    st.caption("No rows were rejected.")
