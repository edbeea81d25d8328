"""Sections that show the evidence on several pages (drawing only; numbers from the library).

Each function draws one section with its method in one sentence and its numbers downloadable:
"is this month unusual?" (Overview, Local area), the rural crime calendar and rural against
urban (Overview), what an action did against comparable wards (Actions, Local area) and which
kinds of action are followed by falls (Progress).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import evidence, state
from ruralaction.exports import csv_bytes
from ruralaction.measures import evidence_charts, rural_urban, seasonal, store_evidence
from ruralaction.measures.trends import MIN_COUNT
from ruralaction.progress import impact

md = state.md


def _expected_download(frame: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(
        "Download these numbers (CSV)",
        data=lambda: csv_bytes(frame.drop(columns=[c for c in ("m",) if c in frame])),  # made on a click
        file_name=name,
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=key,
    )


def unusual_county() -> None:
    """Overview: the latest month for the county and each district, and the county's chart."""
    ex = evidence.expected()
    county = ex["county"].frame
    st.subheader("Is this month unusual?")
    if county.empty:
        st.caption("No months with data.")
        return
    st.markdown(f"**County.** {md(seasonal.month_words(county.iloc[-1]))}")
    if "districts" in ex and not ex["districts"].frame.empty:
        lines = [
            f"- **{md(r['area'])}**: {md(seasonal.month_words(r, str(r['area'])))}"
            for _, r in ex["districts"].latest().iterrows()
        ]
        st.markdown("\n".join(lines))
    wards = ex["wards"].frame
    flagged = wards[wards["flag"]]
    if len(flagged):
        names = dict(zip(state.meta().geography.wards["ward_code"], state.meta().geography.wards["ward_name"]))
        st.markdown(
            "**Wards above their expected range this month:** "
            + ", ".join(md(f"{names.get(a, a)} ({o})") for a, o in zip(flagged["area"], flagged["observed"]))
        )
    elif (wards["status"] == "ok").any():
        st.caption("No ward is above its own expected range this month.")
    if (county["status"] == "ok").any():
        st.plotly_chart(
            state.kept("overview.expected", lambda: evidence_charts.expected_chart(county)),
            key="overview_expected",
            config={"displaylogo": False},
        )
    st.caption(md(ex["county"].method))
    _expected_download(
        pd.concat([f for f in (county, ex.get("districts") and ex["districts"].frame, wards) if f is not None]),
        "expected-counts.csv",
        "overview_expected_csv",
    )


def calendar() -> None:
    """Overview: the typical year by category."""
    st.subheader("Rural crime calendar: the typical year")
    cal = seasonal.calendar(evidence.calendar_table())
    words = seasonal.calendar_words(cal)
    if not cal.empty:
        st.plotly_chart(
            state.kept("overview.calendar", lambda: evidence_charts.calendar_chart(cal)),
            key="overview_calendar",
            config={"displaylogo": False},
        )
    if words:
        st.markdown("\n".join(f"- {md(w)}" for w in words))
    st.caption(
        "Each cell is the average number of rural crimes in that calendar month over the years with data "
        "(months without data are left out), so partners can plan patrols ahead of the season."
    )
    _expected_download(cal, "rural-crime-calendar.csv", "overview_calendar_csv")


def rural_and_urban() -> None:
    """Overview: rural against urban, counts and rates."""
    data = state.meta()
    wards = data.geography.wards
    st.subheader("Rural and urban side by side")
    if wards is None or not len(wards):
        st.caption("Ward boundaries are needed to tell rural from urban.")
        return
    p = evidence.prepared()
    table = store_evidence.side_table(state.view(), p.covered)
    den = rural_urban.denominators(
        wards, evidence.ward_areas(), data.definition.rural_classes, evidence.ward_residents()
    )
    frame = rural_urban.side_by_side(table, den)
    options = {"crimes": "Crimes", "per_km2_year": "Per km² a year"}
    if den.residents.get("Rural"):
        options = {"crimes": "Crimes", "per_1000_year": "Per 1,000 residents a year", "per_km2_year": "Per km² a year"}
    measure = (
        st.segmented_control(
            "Measure", list(options), format_func=options.get, default="crimes", key="overview_ru_measure"
        )
        or "crimes"
    )
    st.plotly_chart(
        state.kept("overview.rural_urban", lambda: evidence_charts.rural_urban_chart(frame, measure), measure),
        key="overview_ru",
        config={"displaylogo": False},
    )
    st.markdown(md(rural_urban.summary_words(frame)))
    note = (
        ""
        if den.residents.get("Rural")
        else " Add the ONS mid-year LSOA population estimates on the Data page for rates per 1,000 residents."
    )
    st.caption(md(rural_urban.METHOD) + note)
    if p.population is not None:
        for n in p.population.notes:
            st.caption(f"Population: {md(n)}")
    if p.population_error:
        st.warning(f"The population file was not used: {md(p.population_error)}", icon=":material/warning:")
    _expected_download(frame, "rural-and-urban.csv", "overview_ru_csv")


def unusual_ward(ward: str, name: str) -> None:
    """Local area: the ward's months against its own expected range."""
    src = state.source()
    ex = evidence.ward_expected(str(src.root), src.dataset, src.version, ward)
    st.subheader("Is this month unusual here?")
    f = ex.frame
    if f.empty:
        st.caption("No months with data for this ward.")
        return
    st.markdown(md(seasonal.month_words(f.iloc[-1], name)))
    flagged = f[f["flag"]]
    if len(flagged):
        st.markdown(
            "Months above the expected range: "
            + ", ".join(f"{pd.Period(m, 'M'):%b %Y} ({o})" for m, o in zip(flagged["month"], flagged["observed"]))
        )
    if (f["status"] == "ok").any():
        st.plotly_chart(
            state.kept("local_area.expected", lambda: evidence_charts.expected_chart(f), ward),
            key="local_area_expected",
            config={"displaylogo": False},
        )
    st.caption(md(ex.method) + f" Counts under {MIN_COUNT} are never called unusual.")
    _expected_download(f, f"expected-counts-{ward.lower()}.csv", "local_area_expected_csv")


IMPACT_COLUMNS = {
    "title": "Action",
    "completed_on": st.column_config.DateColumn("Completed", format="DD MMM YYYY"),
    "verdict": "Verdict",
    "before": st.column_config.NumberColumn("Before"),
    "after": st.column_config.NumberColumn("After"),
    "change": st.column_config.NumberColumn("Change", format="percent"),
    "control_change": st.column_config.NumberColumn("Comparable wards' change", format="percent"),
    "ratio": st.column_config.NumberColumn("Beyond comparable wards (ratio)", format="%.2f"),
    "low": st.column_config.NumberColumn("95% from", format="%.2f"),
    "high": st.column_config.NumberColumn("95% to", format="%.2f"),
}


def action_impact(action_id: int, months: int) -> None:
    """Actions page: one action against comparable wards."""
    table = evidence.impacts(months)
    row = table[table["id"] == action_id] if len(table) else table
    st.markdown("**Against comparable wards**")
    if row.empty:
        st.caption("Only completed actions are compared with comparable wards.")
        return
    r = row.iloc[0]
    st.markdown(md(r["sentence"]))
    st.caption(md(impact.METHOD.format(n=months, k=impact.CONTROLS)))


def ward_impact(ward: str, months: int = 6) -> None:
    """Local area: every completed action in the ward against comparable wards."""
    table = evidence.impacts(months)
    if table.empty:
        return
    here = table[table["ward_codes"].map(lambda codes: ward in codes)]
    if here.empty:
        return
    st.markdown("**Did the actions here work?** Each completed action against comparable wards:")
    st.dataframe(here[list(IMPACT_COLUMNS)], hide_index=True, key="local_area_impact", column_config=IMPACT_COLUMNS)
    st.caption(md(impact.METHOD.format(n=months, k=impact.CONTROLS)))
    _expected_download(
        here.drop(columns=["log_ratio", "log_se"]), f"action-impact-{ward.lower()}.csv", "local_area_impact_csv"
    )


def rollup(months: int = 6) -> None:
    """Progress: which kinds of action are followed by falls."""
    st.subheader("Which kinds of action are followed by falls?", divider="green")
    table = evidence.impacts(months)
    if table.empty:
        st.caption("No completed actions to evaluate yet.")
        return
    by_type = impact.rollup(table)
    st.dataframe(
        by_type[["action_type", "completed", "measured", "too_few", "ratio", "low", "high", "verdict"]],
        hide_index=True,
        key="progress_rollup",
        column_config={
            "action_type": "Type of action",
            "completed": st.column_config.NumberColumn("Completed"),
            "measured": st.column_config.NumberColumn("Measured"),
            "too_few": st.column_config.NumberColumn("Too few crimes"),
            "ratio": st.column_config.NumberColumn("Beyond comparable wards (ratio)", format="%.2f"),
            "low": st.column_config.NumberColumn("95% from", format="%.2f"),
            "high": st.column_config.NumberColumn("95% to", format="%.2f"),
            "verdict": "Verdict",
        },
    )
    for w in by_type.loc[by_type["measured"] > 0, ["action_type", "words"]].itertuples(index=False):
        st.markdown(f"- **{md(w.action_type)}**: {md(w.words)}")
    st.caption(
        md(impact.METHOD.format(n=months, k=impact.CONTROLS))
        + " "
        + md(impact.ROLLUP_METHOD)
        + " A ratio under 1 means crime in the action's wards fell more (or rose less) than in comparable wards."
    )
    c = st.columns(2)
    c[0].download_button(
        "By type (CSV)",
        data=lambda: csv_bytes(by_type),
        file_name=f"action-impact-by-type-{months}m.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="progress_rollup_csv",
    )
    c[1].download_button(
        "Each action (CSV)",
        data=lambda: csv_bytes(table.drop(columns=["log_ratio", "log_se"])),
        file_name=f"action-impact-{months}m.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="progress_impact_csv",
    )
