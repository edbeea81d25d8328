"""The shared filters (``ruralaction.measures.filters``): masks counted by hand on the tiny county, the
URL round trip, and junk in the query string that must never raise.

Rural crimes of the tiny county (``tiny_county.py``), by hand::

    2024-01  a1 burglary        W1 Brixworth (rural ward)
    2024-01  a2 vehicle crime   W1
    2024-01  a3 burglary        W2 Castle (urban), at Manor Farm
    2024-03  c1 criminal damage W1
    2024-03  c3 robbery         W1
    2024-03  c4 wildlife crime  W1
    2024-03  c5 burglary        W1
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruralaction.measures.filters import (
    QUERY_KEYS,
    REASONS,
    Filters,
    options,
    parse_month,
)

CATEGORIES = ("burglary", "theft from the person", "vehicle crime", "robbery", "criminal damage", "wildlife crime")


@pytest.fixture(scope="module")
def opts(tiny):
    wards = tiny.geography.wards.assign(district=["North", "South"])
    return options(tiny.incidents, wards)


@pytest.fixture(scope="module")
def wards(tiny):
    return tiny.geography.wards.assign(district=["North", "South"])


def ids(tiny, f: Filters, wards=None) -> list[str]:
    df = tiny.incidents
    return sorted(df.loc[f.apply(df, wards), "crime_id"].tolist())


def test_default_filters_show_every_rural_crime(tiny):
    assert ids(tiny, Filters()) == ["a1", "a2", "a3", "c1", "c3", "c4", "c5"]


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (Filters(month_from="2024-03"), ["c1", "c3", "c4", "c5"]),
        (Filters(month_to="2024-01"), ["a1", "a2", "a3"]),
        (Filters(month_from="2024-02", month_to="2024-02"), []),
        (Filters(categories=("burglary",)), ["a1", "a3", "c5"]),
        (Filters(categories=("robbery", "wildlife crime")), ["c3", "c4"]),
        (Filters(reason="farm"), ["a3"]),
        (Filters(reason="ward"), ["a1", "a2", "c1", "c3", "c4", "c5"]),
        (Filters(ward="W2"), ["a3"]),
        (Filters(ward="W1", categories=("burglary",), month_from="2024-03"), ["c5"]),
    ],
)
def test_each_filter_narrows_to_the_hand_counted_rows(tiny, f, expected):
    assert ids(tiny, f) == expected


def test_district_uses_the_wards_table(tiny, wards):
    assert ids(tiny, Filters(district="North"), wards) == ["a1", "a2", "c1", "c3", "c4", "c5"]
    assert ids(tiny, Filters(district="South"), wards) == ["a3"]
    assert ids(tiny, Filters(district="Nowhere"), wards) == []


def test_mask_is_one_bool_per_row_and_never_includes_non_rural_rows(tiny):
    df = tiny.incidents
    mask = Filters().apply(df)
    assert mask.dtype == np.bool_ and mask.shape == (len(df),)
    assert not (mask & ~df["is_rural_crime"].to_numpy()).any()


def test_options_come_from_the_data(opts):
    assert opts.months == ("2024-01", "2024-02", "2024-03")  # February has no file but is in the span
    assert opts.categories == CATEGORIES
    assert opts.districts == ("North", "South")
    assert opts.wards["ward_code"].tolist() == ["W1", "W2"]
    assert opts.ward_name("W2") == "Castle" and opts.ward_district("W2") == "South"
    assert opts.ward_name("nope") is None


def test_query_round_trip_leaves_defaults_out():
    f = Filters(month_from="2024-03", categories=("burglary", "vehicle crime"), reason="farm", ward="W1")
    q = f.to_query()
    assert q == {"from": "2024-03", "cat": "burglary,vehicle crime", "reason": "farm", "ward": "W1"}
    assert Filters.from_query(q) == f
    assert Filters().to_query() == {}


def test_repeated_and_listed_parameters_are_read():
    class QueryParams(dict):  # like st.query_params: repeated keys through get_all
        def get_all(self, key):
            return self.get(key, [])

    q = QueryParams({"cat": ["burglary", "robbery"], "ward": ["W1", "W2"]})
    f = Filters.from_query(q)
    assert f.categories == ("burglary", "robbery") and f.ward == "W2"  # the last ward wins


def test_clean_drops_what_the_data_does_not_have(opts):
    f = Filters(categories=("burglary", "arson"), district="Atlantis", ward="<img src=x onerror=alert(1)>")
    assert f.clean(opts) == Filters(categories=("burglary",))


def test_clean_clamps_and_orders_months_and_drops_full_span(opts):
    assert Filters(month_from="1999-01", month_to="2030-12").clean(opts) == Filters()
    assert Filters(month_from="2024-03", month_to="2024-01").clean(opts) == Filters()
    assert Filters(month_from="2024-03", month_to="2024-02").clean(opts) == Filters(
        month_from="2024-02"
    )  # to = the latest
    assert Filters(categories=CATEGORIES).clean(opts) == Filters()  # every category is no filter
    assert Filters(month_from="Jan 2024", month_to="2024-13").clean(opts) == Filters()  # unreadable: dropped


def test_ward_from_a_link_wins_over_a_district_it_is_not_in(opts):
    assert Filters(district="North", ward="W2").clean(opts) == Filters(ward="W2")
    assert Filters(district="North", ward="W1").clean(opts) == Filters(district="North", ward="W1")


@pytest.mark.parametrize("value", ["2024-13", "2024-00", "24-01", "2024-1", "", "2024-01-05", "x" * 5000, None, 3])
def test_bad_months_are_ignored(value):
    assert parse_month(value) is None
    assert Filters.from_query({"from": value, "to": value}).month_from is None


def test_junk_query_strings_never_raise(opts):
    for q in (
        {"ward": "'; DROP TABLE wards;--"},
        {"reason": "everything"},
        {"cat": ",,,"},
        {"from": ["2024-01", None]},
        {"ward": ["x" * 10_000]},
        {"cat": 5},
        {"unknown": "1"},
    ):
        assert Filters.from_query(q, opts) in (Filters(), Filters(month_from=None))


class Exploding(dict):
    def get_all(self, key):
        raise RuntimeError("broken mapping")


def test_a_mapping_that_raises_gives_no_filters():
    assert Filters.from_query(Exploding({"ward": "W1"})) == Filters()


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*QUERY_KEYS, "other"]),
        st.one_of(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=4)),
    )
)
def test_any_query_mapping_gives_valid_filters(q):
    f = Filters.from_query(q)
    assert f.reason in REASONS
    assert f.month_from is None or parse_month(f.month_from) == f.month_from


months = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2100), st.integers(1, 12))
names = st.text(
    st.characters(blacklist_characters=",", blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        Filters,
        month_from=st.none() | months,
        month_to=st.none() | months,
        categories=st.lists(st.sampled_from(CATEGORIES), unique=True).map(tuple),
        reason=st.sampled_from(REASONS),
        district=st.none() | names,
        ward=st.none() | names,
    )
)
def test_every_filter_value_round_trips_through_the_query(f):
    assert Filters.from_query(f.to_query()) == f


def test_describe_says_what_is_shown(opts):
    assert Filters().describe(opts) == "every month loaded; all categories"
    text = Filters(month_from="2024-03", categories=("burglary",), reason="farm", ward="W2").describe(opts)
    assert text == "Mar 2024 to the latest month; burglary; at a farm; Castle"


def test_without_area_and_months_keep_the_rest():
    f = Filters(month_from="2024-01", categories=("robbery",), district="North", ward="W1")
    assert f.without_area() == Filters(month_from="2024-01", categories=("robbery",))
    assert f.without_months() == Filters(categories=("robbery",), district="North", ward="W1")


def test_apply_on_a_plain_string_frame_still_works(tiny):
    df = tiny.incidents.assign(
        rural_category=tiny.incidents["rural_category"].astype(object),
        ward_code=tiny.incidents["ward_code"].astype(object),
    )
    assert sorted(df.loc[Filters(categories=("burglary",), ward="W1").apply(df), "crime_id"]) == ["a1", "c5"]


def test_month_filter_works_on_any_datetime_unit(tiny):
    df = tiny.incidents.assign(month=tiny.incidents["month"].astype("datetime64[ns]"))
    assert pd.Series(Filters(month_from="2024-03").apply(df)).sum() == 4
