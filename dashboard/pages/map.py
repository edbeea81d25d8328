"""Map: where rural crime happens, as hotspots, wards or points, with the same data as a table.

Its figures, hexagons, ward rates and crime table are asked of the classified store in SQL
(:mod:`ruralaction.measures.store_queries`): only the crimes shown come into memory. The
significant-hotspot layer still works on the in-memory frame (loaded only when chosen)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import actions, evidence, filters, places, state
from ruralaction.exports import csv_bytes
from ruralaction.measures import hotspot_layers, hotspots, maplayers, parish_report, readiness, trends
from ruralaction.measures import store_queries as sq
from ruralaction.measures.area_report import with_ward
from ruralaction.measures.filters import month_end, month_label, month_start

LAYERS = {
    "hotspots": "Hotspots (hexagons)",
    "significant": "Significant hotspots",
    "wards": "Wards (per km²)",
    "wards_pop": "Wards (per 1,000 residents)",
    "parishes": "Parishes (per km²)",
    "points": "Crimes (points)",
}
SNAP_NOTE = (
    "police.uk places every crime at the nearest of a fixed set of anonymous *snap points* "
    "(a street, a car park, a village centre), never at the exact address: a point is approximate, "
    "several crimes can share one point, and a village's count can include nearby roads."
)

src = state.source()
data = state.meta()  # geography and definition: no incidents
view = state.view()
prep = filters.prepared()
f = filters.current()
wards = data.geography.wards

st.title("Rural crime map")
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The map shows how the dashboard works; it does not show police records.",
        icon=":material/science:",
    )
if wards is None or not len(wards):
    st.info(
        "There is no map without ward boundaries. "
        + " ".join(state.md(m.sentence) for m in readiness.missing_geography(data.geography)),
        icon=":material/info:",
    )
    st.stop()

opts = prep.options
if not opts.months:
    st.info("No incidents are loaded yet. Add police.uk files on the Data page.", icon=":material/info:")
    st.stop()

counts = sq.map_counts(view, f, wards)
n = counts.shown
first, last = f.month_from or opts.months[0], f.month_to or opts.months[-1]
span_months = opts.months.index(last) - opts.months.index(first) + 1
n_months = sum(first <= m <= last for m in opts.covered_months)  # rates a year over months with data
st.caption(f"Showing {state.md(f.describe(opts))}. Change the filters in the sidebar.")
pl = places.current()
found = places.search_box("map")

c = st.columns(4)
c[0].metric("Rural crimes shown", f"{n:,}", border=True, help="Rural crimes that pass every filter in the sidebar.")
c[1].metric(
    "In rural wards",
    f"{counts.in_rural_wards:,}",
    border=True,
    help="Of those shown, the ones in a rural ward (some are also at a farm).",
)
c[2].metric(
    "At farms",
    f"{counts.at_farms:,}",
    border=True,
    help="Of those shown, the ones at a farm or farm building, in any ward.",
)
c[3].metric(
    "Months with data",
    f"{n_months}" if n_months == span_months else f"{n_months} of {span_months}",
    border=True,
    help=f"{month_label(first)} to {month_label(last)}; rates a year are over the months with data.",
)

residents = evidence.ward_residents()
choice = st.segmented_control(
    "Show",
    options=[
        k
        for k in LAYERS
        if (k != "wards_pop" or residents is not None) and (k != "parishes" or pl.parishes is not None)
    ],
    format_func=LAYERS.get,
    key="map_layer",
    default="hotspots",
    help=f"Hotspots and wards are counted on the server; points are drawn for up to {maplayers.POINTS_MAX:,} crimes.",
)
choice = choice or "hotspots"
if choice == "points" and n > maplayers.POINTS_MAX:
    st.info(
        f"{n:,} crimes are too many to draw one by one (the limit is {maplayers.POINTS_MAX:,}): showing "
        "hotspots. Choose a district, a ward, fewer months or fewer categories to see each crime.",
        icon=":material/info:",
    )
    choice = "hotspots"

rates = sq.area_rates(
    view, f.without_area(), wards, prep.areas, n_months, data.definition.rural_classes, population=residents
)
# the newest crimes only: as many as the points layer draws, else as many as the table shows
limit = maplayers.POINTS_MAX if choice == "points" else trends.TABLE_ROWS
shown = sq.filtered_rows(view, f, wards, limit=limit)
if choice == "points":
    layers, legend = maplayers.point_layers(shown, np.ones(len(shown), dtype=bool))
    title = "Category (colour and shape)"
elif choice == "wards":
    layer, legend = maplayers.ward_layer(prep.index, rates)
    layers, title = [layer], "Rural crimes per km² a year, every ward"
elif choice == "wards_pop":
    layer, legend = maplayers.ward_layer(prep.index, rates, per="per_1000_year")
    layers, title = [layer], "Rural crimes per 1,000 residents a year, every ward"
elif choice == "parishes":
    p_rates = parish_report.parish_rates_from_counts(
        sq.parish_counts(view, f.without_area(), pd.Index(pl.parishes["parish_code"].astype(str)), wards),
        pl.parishes,
        pl.areas,
        pl.rural,
        n_months,
        data.definition.rural_classes,
    )
    layer, legend = maplayers.parish_layer(pl.features, p_rates)
    layers, title = [layer], "Rural crimes per km² a year, every parish (the rest is unparished)"
elif choice == "significant":
    ev = evidence.spatial()
    sig, emerging = evidence.significant(str(src.root), src.dataset, src.version, f)
    layers = [hotspot_layers.layer(ev.grid, sig, emerging), hotspot_layers.pattern_layer(ev.grid, emerging)]
    legend = [*hotspot_layers.legend(sig), *hotspot_layers.pattern_legend(emerging)] or [
        maplayers.LegendItem(maplayers.NONE_COLOUR, "No significant cell")
    ]
    title = "Significant hotspots and cold spots (Gi*, false-discovery-rate corrected)"
else:
    layer, legend = maplayers.density_layer_counts(sq.hex_counts(view, f, wards), view.categories)
    layers, title = [layer], f"Rural crimes per hexagon ({prep.index.cell_area_km2:.1f} km²)"
outline = None if choice in ("wards", "wards_pop", "parishes") else maplayers.outline_layer(prep.index)
bounds = prep.index.bounds
if f.ward is not None and f.ward in prep.index.ward_bounds.index:
    bounds = tuple(prep.index.ward_bounds.loc[f.ward])
elif f.district is not None:
    codes = opts.wards_in(f.district)["ward_code"]
    b = prep.index.ward_bounds.loc[prep.index.ward_bounds.index.isin(codes)]
    bounds = (b["minx"].min(), b["miny"].min(), b["maxx"].max(), b["maxy"].max()) if len(b) else bounds
if found is not None:
    bounds = found.bounds  # the map goes to the place searched for
show_actions = st.toggle(
    "Show partners' actions",
    value=True,
    key="map_show_actions",
    help="Actions partners recorded in the areas and months shown; a green star is visible Rural Action work.",
)
action_points = None
if show_actions:
    area = [f.ward] if f.ward else (list(opts.wards_in(f.district)["ward_code"]) if f.district else None)
    action_points = actions.map_points(ward_codes=area, date_from=month_start(first), date_to=month_end(last))
action_layer = maplayers.actions_layer(action_points)
basemap, labels = places.map_layers()
focus = None  # the parish (or ward) searched for, outlined
if found is not None and found.kind in ("parish", "ward"):
    features = pl.features if found.kind == "parish" else prep.index.ward_features
    code = found.parish_code if found.kind == "parish" else found.ward_code
    focus = next((x for x in features if code in (x["properties"].get("code"), x["properties"].get("ward_code"))), None)
deck = maplayers.deck(
    [outline, *layers, maplayers.focus_layer(focus), labels, action_layer],
    maplayers.view_for(bounds, height_px=680),
    basemap,
)

st.html(maplayers.legend_html(title, [*legend, *(maplayers.ACTION_LEGEND if action_layer is not None else ())]))
event = st.pydeck_chart(
    deck,
    key=f"map_deck_{abs(hash(found)) % 10**8}" if found is not None else "map_deck",  # a new place: a new view
    on_select="rerun",
    selection_mode="single-object",
    height=700,
    alt=f"Map of {n:,} rural crimes as {LAYERS[choice].lower()}; the table below has the same data.",
)
places.basemap_caption(basemap)
if choice == "points":
    st.caption(SNAP_NOTE)
if choice == "significant":
    st.markdown(f"**What this shows.** {state.md(sig.words)} {state.md(emerging.words)}")
    st.caption(
        "A significant hotspot is a hexagon whose neighbourhood holds more crime than chance alone would put there, "
        "tested for every hexagon at once so that random clusters are not shown. "
        + hotspots.METHOD.format(area=ev.grid.cell_area_km2, cells=ev.grid.n, min_count=trends.MIN_COUNT)
        + " "
        + hotspots.EMERGING_METHOD.format(steps=len(emerging.steps), unit="three-month periods")
    )
    st.caption(SNAP_NOTE + " A hotspot says “around here”, not an address.")
st.caption("Hover for details; click a ward to choose it. Use the table below if you would rather read.")

picked = maplayers.selected_ward(event) or f.ward
picked_parish = maplayers.selected_parish(event)
if picked_parish is None and found is not None and found.parish_code:
    picked_parish = found.parish_code
if found is not None and found.ward_code and not maplayers.selected_ward(event):
    picked = found.ward_code
if picked_parish is not None and pl.parish_name(picked_parish):
    st.page_link(
        "dashboard/pages/local_area.py",
        label=f"Open the local area page for {pl.parish_name(picked_parish)} (parish)",
        query_params={**f.without_area().to_query(), places.PARISH_PARAM: picked_parish},
        icon=":material/arrow_forward:",
    )
if picked is not None and picked in set(opts.wards["ward_code"]):
    st.page_link(
        "dashboard/pages/local_area.py",
        label=f"Open the local area page for {opts.ward_name(picked)}",
        query_params=with_ward(f, picked).to_query(),
        icon=":material/arrow_forward:",
    )
else:
    st.caption("Choose a ward (click it on the map, or in the sidebar) to open its local area page.")

st.subheader("The same data as a table")
by_ward = rates[rates["ward_code"].isin([f.ward] if f.ward else opts.wards_in(f.district)["ward_code"])]
tabs = st.tabs(["By ward", "Each crime", *(["Significant hotspots"] if choice == "significant" else [])])
tab_wards, tab_crimes = tabs[:2]
with tab_wards:
    st.dataframe(
        by_ward.sort_values("crimes", ascending=False),
        hide_index=True,
        key="map_ward_table",
        column_order=["ward_name", "district", "rural_class", "class_basis", "crimes", "area_km2", "per_km2_year"]
        + (["population", "per_1000_year"] if residents is not None else []),
        column_config={
            "ward_name": st.column_config.TextColumn("Ward"),
            "district": st.column_config.TextColumn("District"),
            "rural_class": st.column_config.TextColumn("Rural-urban class"),
            "class_basis": st.column_config.TextColumn("Class from"),
            "crimes": st.column_config.NumberColumn("Rural crimes", format="localized"),
            "area_km2": st.column_config.NumberColumn("Area (km²)", format="%.1f"),
            "per_km2_year": st.column_config.NumberColumn("Per km² a year", format="%.2f"),
            "population": st.column_config.NumberColumn("Residents", format="%.0f"),
            "per_1000_year": st.column_config.NumberColumn("Per 1,000 residents a year", format="%.2f"),
        },
    )
with tab_crimes:
    table = trends.incident_table(shown, np.ones(len(shown), dtype=bool), limit=trends.TABLE_ROWS)
    if n > len(table):
        st.caption(f"The newest {len(table):,} of {n:,} crimes; the download has all of them.")
    st.dataframe(
        table,
        hide_index=True,
        key="map_crime_table",
        column_config={
            "Longitude": st.column_config.NumberColumn(format="%.5f"),
            "Latitude": st.column_config.NumberColumn(format="%.5f"),
        },
    )
    st.download_button(
        "Download these crimes (CSV)",
        data=lambda: csv_bytes(
            trends.incident_table(every := sq.filtered_rows(view, f, wards), np.ones(len(every), dtype=bool))
        ),
        file_name="rural-crimes.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
if choice == "significant":
    with tabs[2]:
        sig_table = hotspot_layers.table(ev.grid, sig, emerging)
        if sig_table.empty:
            st.caption(state.md(sig.words))
        else:
            st.dataframe(sig_table, hide_index=True, key="map_sig_table")
            st.download_button(
                "Download the significant hexagons (CSV)",
                data=csv_bytes(sig_table),
                file_name="significant-hotspots.csv",
                mime="text/csv",
                on_click="ignore",
                icon=":material/download:",
                key="map_sig_download",
            )
if not np.isfinite(rates["per_km2_year"]).any():
    st.caption("Ward areas are unknown, so there are no rates per km².")
