"""Property-based tests: arbitrary mixtures of valid and corrupted rows.

For any file built from valid rows and corrupted ones, in any order: nothing raises, every valid
row is loaded (by its Crime ID), no corrupted row is, and the accounting balances.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policeuk import csv_text, row

from ruralaction.incidents.loader import load_incidents
from ruralaction.incidents.schema import CRIME_TYPES

SAFE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)

valid_rows = st.builds(
    lambda lon, lat, month, ct, loc, outcome: row(
        "",
        month=f"{month[0]}-{month[1]:02d}",
        lon=f"{lon:.6f}",
        lat=f"{lat:.6f}",
        location=loc,
        crime_type=ct,
        outcome=outcome,
    ),
    st.floats(-1.4, -0.3),
    st.floats(51.9, 52.7),
    st.tuples(st.integers(2010, 2030), st.integers(1, 12)),
    st.sampled_from(CRIME_TYPES),
    SAFE_TEXT,
    SAFE_TEXT,
)

CORRUPTIONS = {
    "month": lambda r: r[:1] + ["2024-13"] + r[2:],
    "lon": lambda r: r[:4] + ["east"] + r[5:],
    "zero": lambda r: r[:4] + ["0", "0"] + r[6:],
    "abroad": lambda r: r[:4] + ["12.5", "41.9"] + r[6:],
    "type": lambda r: r[:9] + ["Jaywalking"] + r[10:],
    "short": lambda r: r[:5],
    "long": lambda r: r + ["extra"],
}

corrupted_rows = st.tuples(valid_rows, st.sampled_from(sorted(CORRUPTIONS))).map(lambda t: CORRUPTIONS[t[1]](t[0]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), valid_rows, corrupted_rows), min_size=1, max_size=25), st.booleans())
def test_no_valid_row_lost_and_accounting_balances(mix, crlf):
    rows, valid_ids, bad_ids = [], [], []
    for i, (is_valid, good, bad) in enumerate(mix):
        r = list(good if is_valid else bad)
        r[0] = f"id{i}"
        rows.append(r)
        (valid_ids if is_valid else bad_ids).append(f"id{i}")
    data = csv_text(rows, newline="\r\n" if crlf else "\n").encode()
    result = load_incidents([("mixed.csv", data)])
    loaded = list(result.incidents["crime_id"])
    assert loaded == valid_ids
    s = result.summary
    assert s.balanced and s.rows_read == len(rows) and s.rows_rejected == len(bad_ids)
    assert sorted(result.rejected["raw"].str.extract(r"^(id\d+)")[0]) == sorted(bad_ids)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    header = csv_text([]).encode()
    for blob in (data, header + data):
        result = load_incidents([("fuzz.csv", blob)])
        assert result.summary.balanced
        assert len(result.incidents) + len(result.rejected) == result.summary.rows_read or result.summary.errors


# ----------------------------------------------------------------------------- months (issue #13)

month_sets = st.lists(st.integers(0, 179), min_size=1, max_size=130, unique=True).map(sorted)


@given(month_sets)
@settings(max_examples=30, deadline=None)
def test_a_month_axis_labels_exactly_the_months_given_in_order(offsets):
    import pandas as pd
    import plotly.graph_objects as go

    from ruralaction.measures import months

    ps = [pd.Period("2012-01", "M") + k for k in offsets]
    fig = go.Figure()
    fig.add_bar(x=[p.to_timestamp() for p in ps[::-1]], y=list(range(len(ps))))  # any order, as dates
    fig.add_bar(x=[f"{p:%Y-%m}" for p in ps], y=[1] * len(ps))  # or as "YYYY-MM"
    months.month_axis(fig, [p.to_timestamp() for p in ps])
    want = [p.strftime("%b %Y") for p in ps]
    axis = fig.layout.xaxis
    assert axis.type == "category" and list(axis.categoryarray) == want
    assert list(fig.data[0].x) == want[::-1] and list(fig.data[1].x) == want  # each bar keeps its own month
    if len(want) <= 36:
        assert list(axis.tickvals) == want and list(axis.ticktext) == want
    # Each gap is marked once, with the number of months it leaves out.
    span = (ps[-1] - ps[0]).n + 1
    left_out = [int(a.text.split()[0]) for a in fig.layout.annotations]
    assert len(fig.layout.shapes) == len(left_out) == sum(1 for a, b in zip(ps, ps[1:]) if (b - a).n > 1)
    assert sum(left_out) == span - len(ps)
    # The same gaps in words, as ranges.
    gone = months.missing(ps, ps[0], ps[-1])
    assert len(gone) == span - len(ps)
    words = months.ranges_words(gone, limit=1000)
    assert len(months.ranges(gone)) == (words.count(";") + 1 if gone else 0)


@given(st.lists(st.integers(0, 35), max_size=36, unique=True))
@settings(max_examples=60, deadline=None)
def test_a_change_is_compared_only_when_every_month_of_both_years_has_data(offsets):
    import pandas as pd

    from ruralaction.measures.trends import change

    covered = sorted(f"{pd.Period('2022-01', 'M') + k:%Y-%m}" for k in offsets)
    df = pd.DataFrame({"month": pd.to_datetime([f"{m}-01" for m in covered for _ in range(6)])})
    c = change(df, np.ones(len(df), bool), "2024-12", "2022-01", covered=covered)
    window = [f"{pd.Period('2023-01', 'M') + k:%Y-%m}" for k in range(24)]
    gone = [m for m in window if m not in covered]
    assert c.missing == tuple(gone)
    assert c.complete == (not gone)
    if gone:
        assert c.percent is None and not c.beyond_chance and "no comparison" in c.words
        assert c.recent_covered == sum(m in covered for m in window[12:])
    else:
        assert c.recent == c.previous == 72 and c.words.startswith("no change")
