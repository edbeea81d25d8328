"""The Overview page's numbers (``ruralaction.measures.overview``), checked against hand counts.

The inputs are the tiny county of ``tiny_county.py`` run through the real pipeline; every
expected number below is counted from its rows by hand.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from tiny_county import TINY_EXPECTED

from ruralaction.measures import overview

JAN, FEB, MAR = (pd.Timestamp(m) for m in ("2024-01-01", "2024-02-01", "2024-03-01"))
CATEGORIES = ["burglary", "theft from the person", "vehicle crime", "robbery", "criminal damage", "wildlife crime"]


def test_headline_counts_match_hand_counts(tiny):
    h = overview.headline(tiny.incidents)
    got = {k: getattr(h, k) for k in TINY_EXPECTED if k != "rejected"}
    assert got == {k: v for k, v in TINY_EXPECTED.items() if k != "rejected"}
    assert h.share_rural == pytest.approx(7 / 8)
    assert (h.first_month, h.latest_month) == (JAN, MAR)
    assert h.missing_months == (FEB,)  # no file for February 2024
    assert len(tiny.rejected) == TINY_EXPECTED["rejected"]


def test_headline_of_no_incidents_has_no_share_and_no_months(tiny):
    h = overview.headline(tiny.incidents.iloc[:0])
    assert (h.incidents, h.rural_crimes, h.in_scope_in_county, h.months) == (0, 0, 0, 0)
    assert h.share_rural is None
    assert h.first_month is None and h.latest_month is None and h.missing_months == ()


def test_share_rural_is_none_when_nothing_in_scope_in_county(tiny):
    df = tiny.incidents
    out_of_scope = df[df["rural_category"].isna()]  # shoplifting and anti-social behaviour
    h = overview.headline(out_of_scope)
    assert (h.incidents, h.in_scope_in_county, h.rural_crimes, h.share_rural) == (2, 0, 0, None)


def test_rural_by_month_is_zero_filled_over_every_month_with_data_and_category(tiny):
    got = overview.rural_by_month(tiny.incidents)
    assert list(got.columns) == ["month", "category", "crimes"]
    # January and March; February has no incident at all (no file), so it is left out, not a zero.
    assert len(got) == 2 * 6
    assert got["month"].unique().tolist() == [JAN, MAR]
    assert list(got["category"].cat.categories) == CATEGORIES
    table = got.pivot(index="month", columns="category", values="crimes")
    assert table.loc[JAN].to_dict() == dict.fromkeys(CATEGORIES, 0) | {"burglary": 2, "vehicle crime": 1}
    assert FEB not in table.index
    assert table.loc[MAR].to_dict() == dict.fromkeys(CATEGORIES, 0) | {
        "burglary": 1,
        "robbery": 1,
        "criminal damage": 1,
        "wildlife crime": 1,
    }
    assert got["crimes"].sum() == TINY_EXPECTED["rural_crimes"]
    assert got["crimes"].dtype == np.int64


def test_rural_by_month_of_no_incidents_is_empty_with_columns(tiny):
    got = overview.rural_by_month(tiny.incidents.iloc[:0])
    assert got.empty and list(got.columns) == ["month", "category", "crimes"]


def test_rural_by_reason_ranks_by_count_then_reason(tiny):
    got = overview.rural_by_reason(tiny.incidents, n=3)
    assert got[["reason", "crimes"]].values.tolist() == [
        ["Burglary in a rural ward (Brixworth)", 2],
        ["Burglary at a farm location", 1],
        ["Criminal damage in a rural ward (Brixworth)", 1],
    ]
    assert got["share"].tolist() == pytest.approx([2 / 7, 1 / 7, 1 / 7])


def test_rural_by_reason_all_reasons_sum_to_rural_crimes(tiny):
    got = overview.rural_by_reason(tiny.incidents, n=None)
    assert len(got) == 6
    assert got["crimes"].sum() == TINY_EXPECTED["rural_crimes"]
    assert got["share"].sum() == pytest.approx(1.0)
    assert "Urban ward, not at a farm" not in set(got["reason"])  # a non-rural reason never appears


def test_rural_by_ward_counts_farm_crime_in_an_urban_ward(tiny):
    got = overview.rural_by_ward(tiny.incidents)
    assert got[["ward_code", "ward_name", "crimes"]].values.tolist() == [["W1", "Brixworth", 6], ["W2", "Castle", 1]]
    assert got["share"].tolist() == pytest.approx([6 / 7, 1 / 7])
    assert overview.rural_by_ward(tiny.incidents, n=1)["ward_name"].tolist() == ["Brixworth"]


def test_rural_by_ward_leaves_out_unknown_wards_but_keeps_them_in_the_share(tiny):
    df = tiny.incidents.copy()
    # The farm burglary in Castle loses its ward (as if outside every boundary): still rural.
    df["ward_code"] = df["ward_code"].where(df["crime_id"] != "a3")
    df["ward_name"] = df["ward_name"].where(df["crime_id"] != "a3")
    got = overview.rural_by_ward(df)
    assert got[["ward_code", "crimes"]].values.tolist() == [["W1", 6]]
    assert got["share"].tolist() == pytest.approx([6 / 7])


def test_empty_tables_have_their_columns(tiny):
    empty = tiny.incidents.iloc[:0]
    assert list(overview.rural_by_reason(empty).columns) == ["reason", "crimes", "share"]
    assert list(overview.rural_by_ward(empty).columns) == ["ward_code", "ward_name", "crimes", "share"]


def test_rejected_csv_round_trips_with_file_line_and_reason(tiny):
    got = pd.read_csv(io.BytesIO(overview.rejected_csv(tiny.rejected)), dtype=str)
    assert list(got.columns) == ["source_file", "line", "column", "reason", "raw"]
    assert got.loc[0, "line"] == "7"  # header + five good January rows, then the bad one
    assert got.loc[0, "column"] == "Month" and "2024-13" in got.loc[0, "reason"]
    assert got.loc[0, "raw"].startswith("bad,2024-13,")


# ----------------------------------------------------------------------------- the data directory


def test_demo_data_is_labelled_and_has_rural_crime(demo_dir):
    """The real demo: its overview is consistent."""
    from ruralaction.incidents.pipeline import load_data_dir

    df = load_data_dir(demo_dir).incidents
    h = overview.headline(df)
    assert h.rural_crimes > 0 and 0 < h.share_rural < 1
    assert h.latest_month == pd.Timestamp("2026-09-01") and h.months == 36 and h.missing_months == ()
    by_month = overview.rural_by_month(df)
    assert by_month["crimes"].sum() == h.rural_crimes
    assert by_month["month"].nunique() == 36


def test_rural_by_evidence_hand_counted(tiny):
    t = overview.rural_by_evidence(tiny.incidents).set_index("category")
    assert list(t.columns) == [*overview.EVIDENCE, "total"]
    assert t.loc["burglary"].tolist() == [2, 1, 0, 3]
    assert t["total"].sum() == TINY_EXPECTED["rural_crimes"]
    assert t.loc["theft from the person"].tolist() == [0, 0, 0, 0]
