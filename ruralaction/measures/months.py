"""Months: the one place that turns months into axis labels, ranges and words.

Every monthly chart in the dashboard, the slides and the meeting pack draws its month axis with
:func:`month_axis`, so each bar is labelled with its own month for any number of months and with
gaps. The cause of the old mislabelled axes ("Jan 2024, Jan 2024, Feb 2024, Mar 2024" under
January–April) was plotly's automatic *date* ticks: a date axis puts a tick at the start of each
tick interval and formats it with ``%b %Y``, so with a handful of month-start bars its ticks fell
between bars and one month's label could repeat while another vanished. A month axis here is a
*category* axis of the month labels themselves, so a label can only ever sit under its own bar.

Months without data are never drawn as zero bars: they are left off the axis, and each gap is
marked with a dashed line and the months it leaves out (:func:`month_axis`). In words, missing
months are given as ranges (:func:`ranges_words`): "March 2019 – December 2023 (58 months)".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

#: Colour of the dashed line that marks months without data on a month axis.
GAP_COLOUR = "#767676"


def to_period(value: object) -> pd.Period:
    """A month as a monthly ``pandas.Period``, from ``"YYYY-MM"``, a date, a Timestamp or a Period."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, np.datetime64 | dt.date | pd.Timestamp):
        return pd.Timestamp(value).to_period("M")
    return pd.Period(str(value)[:7], "M")


def periods(months: Iterable[object]) -> list[pd.Period]:
    """Distinct months, sorted, as monthly Periods."""
    return sorted({to_period(m) for m in months})


def label(month: object) -> str:
    """A month as an axis label: ``"Apr 2024"``."""
    return to_period(month).strftime("%b %Y")


def long_label(month: object) -> str:
    """A month in words: ``"April 2024"``."""
    return to_period(month).strftime("%B %Y")


def ranges(months: Iterable[object]) -> list[tuple[pd.Period, pd.Period]]:
    """Runs of consecutive months, each ``(first, last)``, in order."""
    ps = periods(months)
    out: list[tuple[pd.Period, pd.Period]] = []
    for p in ps:
        if out and (p - out[-1][1]).n == 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def _range_words(first: pd.Period, last: pd.Period) -> str:
    n = (last - first).n + 1
    if n == 1:
        return long_label(first)
    return f"{long_label(first)} – {long_label(last)} ({n} months)"


def ranges_words(months: Iterable[object], limit: int = 6) -> str:
    """Months as ranges in words: ``"March 2019 – December 2023 (58 months)"``; several ranges are
    joined with "; ", and more than ``limit`` ranges end with "and N more periods (M months in all)".
    """
    rs = ranges(months)
    if not rs:
        return ""
    parts = [_range_words(a, b) for a, b in rs[:limit]]
    if len(rs) > limit:
        total = sum((b - a).n + 1 for a, b in rs)
        rest = len(rs) - limit
        parts.append(f"and {rest} more period{'s' if rest != 1 else ''} ({total} months in all)")
    return "; ".join(parts)


def missing(covered: Iterable[object], first: object, last: object) -> list[str]:
    """Months from ``first`` to ``last`` (inclusive) that are not in ``covered``, ``"YYYY-MM"``."""
    have = {to_period(m) for m in covered}
    span = pd.period_range(to_period(first), to_period(last), freq="M")
    return [f"{p:%Y-%m}" for p in span if p not in have]


def gaps(months: Sequence[object]) -> list[tuple[int, int]]:
    """Where consecutive shown months are not adjacent: ``(position of the later month, months
    left out)`` for each gap, positions counted along the sorted months."""
    ps = periods(months)
    return [(i, (ps[i] - ps[i - 1]).n - 1) for i in range(1, len(ps)) if (ps[i] - ps[i - 1]).n > 1]


def month_axis(fig: go.Figure, months: Iterable[object], *, font_size: int | None = None) -> go.Figure:
    """Give ``fig`` a month axis that labels each bar with its own month.

    The x values of every trace (dates, ``"YYYY-MM"`` strings or Periods) become month labels
    ("Apr 2024") on a category axis ordered as ``months``; the axis shows exactly those months, in
    order, for any number of months. Where months are left out between two shown months, a dashed
    line marks the gap with how many months it leaves out.

    Parameters
    ----------
    fig : plotly Figure
        Its traces' x values must all be among ``months``.
    months : iterable
        The months the axis shows (any order, duplicates ignored).
    font_size : int, optional
        Tick and gap-note font size.

    Raises
    ------
    ValueError
        When a trace has a month that is not among ``months``: that bar would have no place.
    """
    ps = periods(months)
    labels = [label(p) for p in ps]
    known = set(ps)
    for trace in fig.data:
        x = getattr(trace, "x", None)
        if x is None:
            continue
        xs = [to_period(v) for v in x]
        stray = sorted({p for p in xs if p not in known})
        if stray:
            raise ValueError(f"month {stray[0]:%Y-%m} is drawn but not on the month axis")
        trace.x = [label(p) for p in xs]
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=labels,
        tickmode="array" if len(labels) <= 36 else "auto",
        tickvals=labels if len(labels) <= 36 else None,
        ticktext=labels if len(labels) <= 36 else None,
        **({"tickfont_size": font_size} if font_size else {}),
    )
    for pos, left_out in gaps(ps):
        fig.add_vline(x=pos - 0.5, line_dash="dash", line_color=GAP_COLOUR, line_width=1.5)
        fig.add_annotation(
            x=pos - 0.5,
            y=1,
            xref="x",
            yref="paper",
            text=f"{left_out} month{'s' if left_out != 1 else ''} without data",
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": max(10, (font_size or 14) - 3), "color": GAP_COLOUR},
        )
    return fig
