"""Region: rural crime in the county beside its neighbouring forces, and crimes just across the border."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from ruralaction.exports import csv_bytes
from ruralaction.measures import region as rg

src = state.source()
data = state.meta()
df = state.view()  # the classified store: counts per force, ward and month in SQL, no incident in memory
wards = data.geography.wards
reg = rg.load_region(data.definition)

st.title("Rural crime across the region")
st.caption(
    f"{state.md(reg.name)}: rural crime by the force that recorded it, side by side. Rural crime crosses "
    "borders (hare coursing and machinery-theft gangs travel), so the crimes a neighbouring force records "
    "just across the county border are shown beside the county's border wards."
)
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The figures below show how the dashboard works; they are not police records.",
        icon=":material/science:",
    )
if not reg.neighbours:
    st.info(
        "The definition file names no neighbouring forces. Add a `[region]` section with their police.uk names "
        "(see the README) and load their police.uk files to compare them here.",
        icon=":material/info:",
    )

st.subheader("Forces side by side")
table = state.kept("region.table", lambda: rg.region_table(df, wards, reg))  # once per data version
st.dataframe(
    rg.region_display(table),
    hide_index=True,
    column_config={
        "Months of data": st.column_config.TextColumn(help="Months with files from this force.", alignment="right"),
        "All crimes": st.column_config.TextColumn(alignment="right"),
        "Rural crimes": st.column_config.TextColumn(
            help="Crimes that meet the county's rural-crime definition.", alignment="right"
        ),
        "Area (km²)": st.column_config.TextColumn(help="The area of its loaded ward boundaries.", alignment="right"),
        "Rural crimes a year per 100 km²": st.column_config.TextColumn(
            help="Rural crimes over its months of data, scaled to a year, per 100 km² of its area: "
            "forces of different sizes and coverage compare fairly.",
            alignment="right",
        ),
    },
)
for note, forces in rg.region_notes(table).items():
    st.caption(f"{state.md(note)}: " + ", ".join(state.md(f) for f in forces) + ".")

trend = state.kept("region.trend", lambda: rg.region_trend(df, reg))
if trend["force"].nunique() > 0:
    st.subheader("Rural crime by month")
    fig = state.kept("region.trend_chart", lambda: rg.trend_chart(trend))
    st.plotly_chart(fig, key="region_trend", config={"displaylogo": False})

st.subheader("Across the border")
km = reg.border_distance_m / 1000
if not reg.neighbours:
    st.caption("With no neighbouring force named, there is no border to look across.")
elif wards is None or wards.empty:
    st.caption("Border wards need the county's ward boundaries (Data page → Geography).")
else:
    border = state.kept("region.border", lambda: rg.border_crimes(df, wards, reg))
    if border.empty:
        st.caption(f"No crimes recorded by a neighbouring force lie within {km:g} km of the county's wards.")
    else:
        st.caption(
            f"Crimes recorded by a neighbouring force within {km:g} km of each of the county's wards: they are "
            "not the county's crimes and are not in its figures, but patrols and partners near the border "
            "may want to know of them."
        )
        st.dataframe(
            border,
            hide_index=True,
            column_config={
                "ward_code": None,
                "ward_name": "Our ward",
                "neighbour": "Recorded by",
                "crimes": st.column_config.NumberColumn(f"Crimes within {km:g} km", format="localized"),
                "rural_category_crimes": st.column_config.NumberColumn(
                    "Of the rural-crime types",
                    help="Burglary, theft from the person, vehicle crime, robbery, "
                    "criminal damage or wildlife crime, wherever it happened.",
                ),
            },
        )
        st.download_button(
            "Border crimes (CSV)",
            data=lambda: csv_bytes(border),
            file_name="border-crimes.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
        )
