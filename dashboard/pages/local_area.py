"""Local area: one ward's rural crime, how it is changing, and how it compares (``?ward=<code>``)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboard import actions, errors, evidence_views, filters, state
from ruralaction.concerns import ward_concern_counts
from ruralaction.exports import csv_bytes
from ruralaction.measures import area_report, months, readiness, trends
from ruralaction.measures.filters import month_label

PICKER = "local_area_ward"

src = state.source()
data = state.classified()
prep = filters.prepared()
f = filters.current()
opts = prep.options
df, wards = data.incidents, data.geography.wards
md = state.md

if st.session_state.get(PICKER, "") != (f.ward or ""):
    st.session_state[PICKER] = f.ward or ""  # follow the sidebar and the URL (before the widget exists)
labels = dict(
    zip(
        opts.wards["ward_code"],
        (f"{n} ({d})" if d else n for n, d in zip(opts.wards["ward_name"], opts.wards["district"].fillna(""))),
    )
)

if f.ward is None:
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

st.columns([2, 3])[0].selectbox(
    "Ward",
    options=["", *opts.wards["ward_code"]],
    key=PICKER,
    format_func=lambda c: labels.get(c, "Choose a ward…"),
    on_change=lambda: filters.choose_ward(st.session_state[PICKER]),
    help="Your ward's page has its own address: bookmark it or share the link.",
)
if f.ward is None:
    st.info(
        "Choose a ward to see how rural crime there is changing, how it compares with the county's rural "
        "average, and what stands out.",
        icon=":material/location_on:",
    )
    st.stop()

s = area_report.local_area_summary(df, wards, prep.areas, data.definition.rural_classes, f, opts, demo=src.demo)
st.title(md(s.ward_name))
st.caption(
    f"{md(area_report.area_heading(s))}{', ' + md(s.district) if s.district else ''} · "
    f"ward code {md(s.ward_code)} · {md(s.period)} · showing {md(s.filters_text)}"
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
    help=f"In this ward, {s.period} ({s.months_with_data} months with data), with the filters in the sidebar.",
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
    help="Rural crimes in the months shown that have data, per km² of the ward's area, a year.",
)
c[3].metric(
    "County rural-ward average",
    "—" if cmp.county_rate is None else f"{cmp.county_rate:,.2f}",
    border=True,
    help="All rural crimes in the county's rural wards over their total area, a year (same filters).",
)

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
trend = s.trend.assign(category=s.trend["category"].astype(str).str.capitalize())
fig = px.bar(
    trend,
    x="month",
    y="crimes",
    color="category",
    labels={"month": "Month", "crimes": "Rural crimes", "category": "Category"},
)
fig.update_layout(
    barmode="stack",
    bargap=0.15,
    hovermode="x unified",
    margin={"t": 10, "b": 10},
    legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title_text": "", "font_size": 15},
    hoverlabel_font_size=15,
)
months.month_axis(fig, s.covered or trend["month"], font_size=14)
fig.update_xaxes(title_text="")
fig.update_yaxes(tickfont_size=14, title_font_size=15, rangemode="tozero")
st.plotly_chart(fig, key="local_area_trend", config={"displaylogo": False})

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

actions.ward_section(s.ward_code, s.ward_name)
evidence_views.ward_impact(s.ward_code)

st.subheader(f"What residents raised in {state.md(s.ward_name)}")
raised = errors.attempt(
    lambda: ward_concern_counts(actions.engine(), actions.dataset(), s.ward_code), "Concerns", "local area"
)
if raised is not None and raised.empty:
    st.caption("No concerns have been raised for this ward yet.")
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
    query_params={"ward": s.ward_code},
    icon=":material/campaign:",
)

st.subheader("Download")
mask = f.apply(df, wards)
slug = s.ward_code.lower()
d = st.columns(3)
d[0].download_button(
    "This ward's crimes (CSV)",
    data=lambda: csv_bytes(trends.incident_table(df, mask)),
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
    data=area_report.summary_html(s),
    file_name=f"rural-crime-summary-{slug}.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/print:",
)
