"""Data: which data the dashboard shows and how complete and fresh it is (everyone); adding,
deleting and undoing data, and the dataset switch (admins only: the library checks it too)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import actions, errors, places, state
from ruralaction.actions import ANONYMOUS, DatabaseError, Permission, PermissionDenied, can
from ruralaction.exports import csv_bytes
from ruralaction.geography.boundaries import GeographyError
from ruralaction.incidents import accounting
from ruralaction.incidents.store import DATASETS, LABELS, StoreError
from ruralaction.measures import months, readiness, store_progress
from ruralaction.measures.coverage import RURAL_OF_ROWS, RURAL_OF_ROWS_HELP, freshness_sentence
from ruralaction.measures.overview import without_paths
from ruralaction.ops.refresh import last_refresh

REJECTED_SHOWN = 1_000

src = state.source()
store = src.store
data = state.meta()  # summary and geography only: the rows are counted in the store

st.title("Data")
if src.demo:
    st.warning(
        f"**The dashboard is showing {state.DEMO_LABEL.lower()}.** Add your own police.uk files "
        "below, then switch to them.",
        icon=":material/science:",
    )
else:
    st.success(
        "The dashboard is showing **our data**: the police.uk files added here or with `python -m ruralaction load`.",
        icon=":material/verified:",
    )

if not src.demo and (gaps := readiness.missing_geography(data.geography)):
    st.warning(
        "**Our data cannot be classified as rural crime yet.** "
        + " ".join(state.md(m.sentence) for m in gaps)
        + " Until then every crime's rural-urban class is unknown and the pages say so instead of showing 0.",
        icon=":material/help:",
    )

# --------------------------------------------------------------------------- coverage and freshness
st.subheader("Coverage and freshness")
if (refreshed := last_refresh(store.root)) is not None:  # the monthly job (python -m ruralaction refresh)
    (st.caption if refreshed.ok else st.warning)(state.md(refreshed.sentence()))
cov = store_progress.coverage(state.view())
if cov.rows == 0:
    st.info("No incidents are loaded in this dataset.", icon=":material/info:")
else:
    c = st.columns(4)
    c[0].metric(
        "Latest month",
        f"{cov.latest_month:%b %Y}",
        border=True,
        delta=f"{cov.months_behind} months behind today",
        delta_arrow="off",
        delta_color="off" if cov.up_to_date else "red",
    )
    c[1].metric("Rows", f"{cov.rows:,}", border=True)
    c[2].metric(
        "No location",
        f"{cov.share_no_location:.1%}",
        border=True,
        help="Records police.uk publishes without coordinates; they count in totals but not on maps.",
    )
    unclassifiable = not src.demo and bool(readiness.missing_geography(data.geography))
    c[3].metric(
        RURAL_OF_ROWS,
        "—" if unclassifiable else f"{cov.share_rural_of_rows:.1%}",  # not known is not 0%
        border=True,
        help=f"{RURAL_OF_ROWS_HELP} {cov.share_unknown_class:.1%} of rows are in an area with no rural-urban class."
        + (" Not known until the data can be classified (see above)." if unclassifiable else ""),
    )
    (st.success if cov.up_to_date else st.warning)(freshness_sentence(cov))
    if cov.gaps:
        st.error(
            f"No rows at all in {months.ranges_words(cov.gaps)}: those months' files are probably missing.",
            icon=":material/warning:",
        )
    loaded = cov.per_month[cov.per_month["status"] == "loaded"]
    fig = px.bar(
        loaded,
        x="month",
        y="rows",
        color_discrete_sequence=["#0072B2"],
        labels={"month": "", "rows": "Rows per month"},
    )
    fig.update_layout(margin={"t": 10, "b": 10}, height=260, bargap=0.1)
    months.month_axis(fig, loaded["month"])
    st.plotly_chart(fig, key="data_rows_per_month", config={"displaylogo": False})
    st.caption("Months covered per force")
    st.dataframe(
        cov.by_force,
        hide_index=True,
        column_config={
            "force": "Force (Reported by)",
            "first_month": st.column_config.DateColumn("First month", format="MMM YYYY"),
            "latest_month": st.column_config.DateColumn("Latest month", format="MMM YYYY"),
            "months": "Months",
            "missing_months": "Months missing",
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
        },
    )
for note in data.geography.notes:
    st.caption(f"Note: {state.md(note)}")
st.caption(state.md(places.loaded_words()))  # parishes, postcodes, place names: for everyone to see

# --------------------------------------------------------------------------- admins only from here
try:
    who = actions.actor()
except DatabaseError:  # the accounts database is down: nobody can be an admin just now
    who = ANONYMOUS
if not can(who, Permission.MANAGE_DATA):
    st.info(
        "Only admins add, delete or switch the data. Partners and admins sign in on the Actions page.",
        icon=":material/lock:",
    )
    st.page_link("dashboard/pages/actions.py", label="Go to the Actions page to sign in", icon=":material/login:")
    st.stop()


def _write(fn, *args, **kwargs):
    """Run a store write; its refusal or fault is one sentence on the page. True when it worked."""
    try:
        fn(*args, **kwargs)
    except (StoreError, PermissionDenied) as exc:
        st.session_state["data_flash"] = ("error", str(exc))
        return False
    return True


if (flash := st.session_state.pop("data_flash", None)) is not None:
    (st.error if flash[0] == "error" else st.success)(state.md(flash[1]))

# --------------------------------------------------------------------------- which data is shown
st.subheader("Data shown across the dashboard")
has_ours = store.has_incidents("ours")
choice = st.radio(
    "Data shown across the dashboard",
    DATASETS,
    index=DATASETS.index(src.dataset),
    format_func=lambda d: LABELS[d] + ("" if d != "ours" or has_ours else " — nothing added yet"),
    # Keyed on the saved choice, so the radio always shows it (also after another user changes it).
    horizontal=True,
    key=f"data_active_{src.dataset}",
    label_visibility="collapsed",
    help="This choice is saved for everyone who uses this dashboard, not just for you.",
)
if choice != src.dataset:
    try:
        if choice == "demo":
            store.ensure_demo(actor=who)
        store.set_active(choice, actor=who)
    except (StoreError, PermissionDenied) as exc:
        st.error(state.md(exc), icon=":material/error:")
    else:
        st.rerun()
st.caption("Saved for every user of this dashboard.")


# --------------------------------------------------------------------------- adding incidents
st.subheader("Add police.uk data")
st.markdown(
    "Street-level CSVs from [data.police.uk](https://data.police.uk/data/) — single files, several at "
    "once, or the monthly archive **.zip** as downloaded. Every row is checked; bad rows are listed "
    "with the reason and the good rows still load. Nothing already here is lost if a file is bad, "
    "and a newer copy of a force-month replaces the older one."
)
with st.form("data_add_incidents", clear_on_submit=True, border=True):
    files = st.file_uploader(
        "police.uk CSV files or archive", type=["csv", "zip"], accept_multiple_files=True, key="data_incident_files"
    )
    submitted = st.form_submit_button("Check and add", type="primary", icon=":material/upload:")
if submitted:
    if not files:
        st.warning("Choose one or more files first.")
    else:
        with st.spinner("Checking every row…"):
            st.session_state["data_last_add"] = store.add_incidents([(f.name, f.getvalue()) for f in files], actor=who)

result = st.session_state.get("data_last_add")
if result is not None:
    s = result.load.summary
    if result.accepted:
        st.success(
            f"Added {len(result.saved)} file{'s' if len(result.saved) != 1 else ''}: "
            f"{s.rows_loaded:,} rows loaded, {s.rows_rejected:,} rejected.",
            icon=":material/check_circle:",
        )
        if src.demo:
            st.button(
                "Show our data across the dashboard",
                key="data_switch_to_ours",
                on_click=errors.guarded(lambda: store.set_active("ours", actor=who)),
                icon=":material/swap_horiz:",
            )
    else:
        st.error(
            "Nothing was added: no row in these files could be loaded. The data already here is unchanged.",
            icon=":material/error:",
        )
    for line in s.lines():
        st.markdown(state.md(without_paths(line, store.root)))
    for line in result.warnings:
        st.warning(state.md(line), icon=":material/report:")
    for line in accounting.replaced_words(result.replaced):
        st.info(state.md(line), icon=":material/swap_horiz:")
    st.dataframe(s.table(), hide_index=True)
    rej = result.load.rejected
    if len(rej):
        st.caption(
            f"Rejected rows ({len(rej):,}), with file, line, column and reason"
            + (f" — the first {REJECTED_SHOWN:,} are shown" if len(rej) > REJECTED_SHOWN else "")
        )
        st.dataframe(rej.head(REJECTED_SHOWN), hide_index=True)
        st.download_button(
            "Download rejected rows (CSV)",
            data=csv_bytes(rej),
            file_name="rejected-rows.csv",
            mime="text/csv",
            key="data_rejected_download",
            icon=":material/download:",
            on_click="ignore",
        )

# --------------------------------------------------------------------------- adding geography
st.subheader("Add boundaries and rural-urban lookups")
st.markdown(
    "Ward or LSOA boundaries (**GeoJSON**, **GeoPackage** or a **zipped Shapefile**) and the ONS "
    "Rural-Urban Classification lookup (**CSV**, by LSOA or by ward). They apply to our data. "
    "For rates per 1,000 residents, add the ONS mid-year **Lower layer Super Output Area population "
    "estimates** saved as CSV (columns `LSOA 2021 Code` and `Total`, or `LSOA Code` and `All Ages`). "
    'Places people know: ONS **parish boundaries** ("Parishes (December 2023) Boundaries EW", columns '
    "`PAR23CD`/`PAR23NM`, or 2021's), a **postcode lookup** (an extract of the ONS Postcode Directory or "
    "the National Statistics Postcode Lookup, CSV with `pcds`, `lat`, `long`, ward, parish and LSOA "
    "columns) and **OS Open Names** CSV files for village names. All from the ONS Open Geography Portal "
    "(geoportal.statistics.gov.uk) and OS OpenData."
)
with st.form("data_add_geography", clear_on_submit=True, border=True):
    geo_files = st.file_uploader(
        "Boundaries or lookup files",
        type=["geojson", "json", "gpkg", "zip", "csv"],
        accept_multiple_files=True,
        key="data_geography_files",
    )
    geo_submitted = st.form_submit_button("Check and add", icon=":material/upload:")
if geo_submitted:
    for f in geo_files or []:
        try:
            kind, dest = store.add_geography(f.name, f.getvalue(), actor=who)
        except GeographyError as exc:
            st.error(f"Not added: {state.md(exc)}", icon=":material/error:")
        else:
            st.success(f"Added {state.md(kind)} file {state.md(dest.name)}.", icon=":material/check_circle:")

# --------------------------------------------------------------------------- uploads, versions, undo
st.subheader("What was added, and undo")
uploads = store.uploads("ours")
if uploads:
    st.caption("Each upload of our data; deleting one makes a new data version (undo brings it back).")
    for i, u in enumerate(uploads):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(
            f"{state.code(u.name)} — {state.md(u.kind)}, {u.files:,} file{'s' if u.files != 1 else ''}, "
            f"{u.bytes / 1e6:,.1f} MB"
        )
        if right.button("Delete", key=f"data_delete_{i}", icon=":material/delete:"):
            if _write(store.delete_upload, u.name, actor=who):
                st.session_state["data_flash"] = ("ok", f"Deleted {u.name}.")
            st.rerun()
else:
    st.caption("Nothing of our own has been added yet.")
versions = store.versions.list()
if len(versions) > 1 and versions[0].parent is not None:
    st.markdown(f"Last change: {state.md(versions[0].describe())}")
    if st.button("Undo the last change", key="data_undo", icon=":material/undo:"):
        if _write(store.undo, who):
            st.session_state["data_flash"] = ("ok", f"Undone: {versions[0].describe()}")
        st.rerun()
log = store.versions.audit_log(50)
if log:
    st.caption("Data changes (newest first)")
    st.dataframe(pd.DataFrame(log)[["at", "actor", "action", "note", "version"]], hide_index=True)
