"""Plotly figures for the evidence: observed against the expected range, the rural crime
calendar, and rural against urban. Each takes the tidy frame its measure returns.

Month axes are drawn by :func:`ruralaction.measures.months.month_axis` (each bar or point under
its own month label); months without data are simply not on the axis rather than drawn as zero,
and each gap is marked.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ruralaction.measures.months import month_axis
from ruralaction.measures.rural_urban import SIDES

OBSERVED = "#0072B2"
RANGE_FILL = "rgba(136, 136, 136, 0.25)"
FLAG = "#D55E00"
SIDE_COLOURS = {"Rural": "#009E73", "Urban": "#56B4E9"}
_LAYOUT = {
    "margin": {"t": 30, "b": 10, "l": 10, "r": 10},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title_text": "", "font_size": 14},
    "hoverlabel_font_size": 15,
}


def expected_chart(frame: pd.DataFrame, what: str = "Rural crimes") -> go.Figure:
    """Observed crimes per month against the expected range (a :class:`~ruralaction.measures.seasonal.Expected`
    frame for one area). Flagged months are marked with a different colour *and* shape."""
    f = frame.copy()
    f["m"] = pd.to_datetime(f["month"])
    ok = f[f["status"] == "ok"]
    fig = go.Figure()
    if len(ok):
        fig.add_trace(
            go.Scatter(
                x=list(ok["m"]) + list(ok["m"])[::-1],
                y=list(ok["high"]) + list(ok["low"])[::-1],
                fill="toself",
                fillcolor=RANGE_FILL,
                line={"width": 0},
                hoverinfo="skip",
                name="Expected range (90%)",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=ok["m"], y=ok["expected"], mode="lines", line={"color": "#555", "dash": "dash"}, name="Expected"
            )
        )
    plain = f[~f["flag"]]
    fig.add_trace(
        go.Scatter(
            x=plain["m"],
            y=plain["observed"],
            mode="markers+lines",
            marker={"color": OBSERVED, "size": 8, "symbol": "circle"},
            line={"color": OBSERVED, "width": 1},
            name=what,
        )
    )
    flagged = f[f["flag"]]
    if len(flagged):
        fig.add_trace(
            go.Scatter(
                x=flagged["m"],
                y=flagged["observed"],
                mode="markers",
                marker={"color": FLAG, "size": 14, "symbol": "triangle-up", "line": {"color": "#000", "width": 1}},
                name="Unusual (above the range)",
            )
        )
    fig.update_layout(**_LAYOUT, hovermode="x unified", height=360)
    month_axis(fig, f["m"], font_size=13)
    fig.update_xaxes(title_text="")
    fig.update_yaxes(rangemode="tozero", title_text=what, tickfont_size=13)
    return fig


def calendar_chart(cal: pd.DataFrame) -> go.Figure:
    """The typical year as a heat map: categories down, months across, the mean count written in
    each cell (so the numbers are there without colour)."""
    table = cal.pivot(index="area", columns="month_of_year", values="mean").sort_index()
    labels = [str(a).capitalize() for a in table.index]
    text = [[("" if pd.isna(v) else f"{v:.1f}") for v in row] for row in table.to_numpy()]
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="Viridis",
            reversescale=True,
            colorbar={"title": "Crimes in a<br>typical month"},
            hovertemplate="%{y}, %{x}: %{text} in a typical month<extra></extra>",
        )
    )
    fig.update_layout(**{**_LAYOUT, "legend": {}}, height=80 + 40 * len(labels))
    fig.update_yaxes(autorange="reversed", tickfont_size=13)
    fig.update_xaxes(side="top", tickfont_size=13)
    return fig


def rural_urban_chart(frame: pd.DataFrame, measure: str = "crimes") -> go.Figure:
    """Rural and urban side by side per month with data: ``measure`` is ``crimes``,
    ``per_1000_year`` or ``per_km2_year``. Each month is labelled; months without data are not
    on the axis (the caption says so)."""
    titles = {"crimes": "Crimes", "per_1000_year": "Per 1,000 residents a year", "per_km2_year": "Per km² a year"}
    fig = go.Figure()
    for side in SIDES:
        sub = frame[frame["side"] == side]
        fig.add_trace(go.Bar(x=list(sub["month"]), y=sub[measure], name=side, marker_color=SIDE_COLOURS[side]))
    fig.update_layout(**_LAYOUT, barmode="group", bargap=0.2, hovermode="x unified", height=340)
    # months with data side by side (a category axis): a gap of years would squeeze the bars to lines
    month_axis(fig, frame["month"], font_size=13)
    fig.update_xaxes(title_text="")
    fig.update_yaxes(rangemode="tozero", title_text=titles[measure], tickfont_size=13)
    return fig


def by_month_chart(by_month: pd.DataFrame, covered=None) -> go.Figure:
    """Rural crimes by month, stacked by category (``month, category, crimes``:
    :func:`ruralaction.measures.overview.rural_by_month`, or an area's trend), on the Overview and
    the Local area page; ``covered`` the months with data (default: those of ``by_month``)."""
    import plotly.express as px

    fig = px.bar(
        by_month.assign(category=by_month["category"].astype(str).str.capitalize()),
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
    month_axis(fig, covered or by_month["month"], font_size=14)
    fig.update_xaxes(title_text="")
    fig.update_yaxes(tickfont_size=14, title_font_size=15, rangemode="tozero")
    return fig
