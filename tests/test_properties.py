"""Property-based tests: arbitrary mixtures of valid and corrupted rows.

For any file built from valid rows and corrupted ones, in any order: nothing raises, every valid
row is loaded (by its Crime ID), no corrupted row is, and the accounting balances.
"""

from __future__ import annotations

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
