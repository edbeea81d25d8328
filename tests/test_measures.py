"""Measures of the Map and Local area pages (``ruralaction.measures.trends``), on hand-computed cases.

Most cases use small frames built here (a month, a category, a ward and an outcome per row),
so every expected number can be counted by eye.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ruralaction.measures import trends
from ruralaction.measures.trends import (
    change,
    change_words,
    compare_with_rural_average,
    monthly,
    monthly_totals,
    outcomes,
    poisson_tail,
    standout_categories,
    standout_months,
)

CATEGORIES = ["burglary", "theft from the person", "vehicle crime", "robbery", "criminal damage", "wildlife crime"]
WARDS = ["W1", "W2", "W3"]


def frame(rows: list[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    """A classified-like frame from (month, category, ward code, outcome) rows; all rural."""
    months, cats, wards, outs = zip(*rows) if rows else ((), (), (), ())
    n = len(rows)
    return pd.DataFrame(
        {
            "crime_id": [f"id{i}" for i in range(n)],
            "month": pd.to_datetime(list(months), format="%Y-%m").astype("datetime64[s]"),
            "rural_category": pd.Categorical(cats, categories=CATEGORIES),
            "ward_code": pd.Categorical(wards, categories=WARDS),
            "ward_name": pd.Categorical([{"W1": "One", "W2": "Two", "W3": "Three"}.get(w) for w in wards]),
            "last_outcome": pd.Categorical(outs),
            "location": pd.Categorical(["On or near Mill Lane"] * n),
            "rural_reason": pd.Categorical(["Burglary in a rural ward (One)"] * n),
            "longitude": np.full(n, -0.9),
            "latitude": np.full(n, 52.3),
            "is_rural_crime": np.ones(n, bool),
        }
    )


def every(df: pd.DataFrame) -> np.ndarray:
    return np.ones(len(df), bool)


# ----------------------------------------------------------------------------- monthly trend


def test_monthly_is_zero_filled_over_the_range_and_ignores_rows_outside_it():
    df = frame(
        [
            ("2024-01", "burglary", "W1", None),
            ("2024-01", "burglary", "W1", None),
            ("2024-03", "robbery", "W1", None),
            ("2023-12", "robbery", "W1", None),
        ]
    )
    got = monthly(df, every(df), "2024-01", "2024-03")
    assert list(got.columns) == ["month", "category", "crimes"] and len(got) == 3 * 6
    table = got.pivot(index="month", columns="category", values="crimes")
    assert table.loc["2024-01-01", "burglary"] == 2 and table.loc["2024-03-01", "robbery"] == 1
    assert table.loc["2024-02-01"].sum() == 0
    assert got["crimes"].sum() == 3  # December 2023 is outside the range
    assert monthly_totals(got).tolist() == [2, 0, 1]


def test_monthly_counts_only_masked_rows():
    df = frame([("2024-01", "burglary", "W1", None), ("2024-01", "vehicle crime", "W2", None)])
    mask = np.array([False, True])
    assert monthly(df, mask, "2024-01", "2024-01").set_index("category")["crimes"]["vehicle crime"] == 1
    assert monthly(df, mask, "2024-01", "2024-01")["crimes"].sum() == 1


# ----------------------------------------------------------------------------- change in words


@pytest.mark.parametrize(
    ("recent", "previous", "words"),
    [
        (141, 164, "down 14%, 23 fewer incidents"),
        (15, 10, "up 50%, 5 more incidents"),
        (101, 100, "up 1%, 1 more incident"),
        (1001, 1000, "up less than 1%, 1 more incident"),
        (10, 10, "no change (10 incidents in each period)"),
        (3, 1, "3 incidents against 1 the year before: too few to call a trend"),
        (0, 0, "0 incidents against 0 the year before: too few to call a trend"),
        (6, 4, "up from 4 to 6 incidents (2 more): too few before to give a percentage"),
        (2, 40, "down from 40 to 2 incidents (38 fewer): too few now to give a percentage"),
        (1, 4, "1 incident against 4 the year before: too few to call a trend"),
    ],
)
def test_change_words_follow_the_small_number_rule(recent, previous, words):
    assert change_words(recent, previous) == words
    if min(recent, previous) < trends.MIN_COUNT:
        assert "%" not in change_words(recent, previous)


def year_rows(month_counts: dict[str, int]) -> pd.DataFrame:
    return frame([(m, "burglary", "W1", None) for m, k in month_counts.items() for _ in range(k)])


def test_change_compares_the_last_twelve_months_with_the_twelve_before():
    months = pd.period_range("2023-01", "2024-12", freq="M").strftime("%Y-%m")
    counts = {m: (7 if m < "2024-01" else 5) for m in months}  # 84 then 60
    df = year_rows(counts)
    c = change(df, every(df), "2024-12", "2023-01")
    assert (c.recent, c.previous, c.difference, c.complete) == (60, 84, -24, True)
    assert c.percent == pytest.approx(-24 / 84)
    assert c.words == "down 29%, 24 fewer incidents"
    assert c.beyond_chance == (24 / math.sqrt(144) >= 1.96)  # z = 2.0


def test_change_says_when_there_is_no_year_before():
    df = year_rows({"2024-06": 8, "2024-12": 9})
    c = change(df, every(df), "2024-12", "2024-01")
    assert not c.complete and c.percent is None and not c.beyond_chance
    assert c.words == (
        "17 incidents in the 12 months to December 2024; no comparison with the 12 months before, "
        "because there is no data for January 2023 – December 2023 (12 months)"
    )
    assert c.missing == tuple(f"2023-{m:02d}" for m in range(1, 13)) and c.recent_covered == 12


def test_change_within_chance_and_small_numbers_are_not_beyond_chance():
    df = year_rows({"2023-06": 3, "2024-06": 4})
    c = change(df, every(df), "2024-12", "2023-01")
    assert (c.recent, c.previous, c.percent, c.beyond_chance) == (4, 3, None, False)


# ----------------------------------------------------------------------------- rates and comparison


def squares() -> gpd.GeoDataFrame:
    """Three 2 km x 1 km, 1 km x 1 km and 4 km x 1 km rectangles in the British National Grid."""
    boxes = [
        shapely.box(450_000, 250_000, 452_000, 251_000),
        shapely.box(452_000, 250_000, 453_000, 251_000),
        shapely.box(453_000, 250_000, 457_000, 251_000),
    ]
    g = gpd.GeoDataFrame(
        {
            "ward_code": WARDS,
            "ward_name": ["One", "Two", "Three"],
            "district": ["D", "D", "E"],
            "ruc_code": ["E1", "C1", "D1"],
        },
        geometry=boxes,
        crs="EPSG:27700",
    )
    return g.to_crs("EPSG:4326")


def test_ward_areas_are_measured_in_the_british_national_grid():
    areas = trends.ward_areas_km2(squares())
    assert areas.to_dict() == pytest.approx({"W1": 2.0, "W2": 1.0, "W3": 4.0}, rel=1e-6)


def test_area_rates_per_km2_a_year_and_per_1000_residents():
    df = frame(
        [("2024-01", "burglary", "W1", None)] * 6
        + [("2024-02", "burglary", "W3", None)] * 2
        + [("2024-02", "robbery", None, None)]
    )
    wards = squares()
    pop = pd.Series({"W1": 3000, "W2": 1000, "W3": 500})
    r = trends.area_rates(df, every(df), wards, trends.ward_areas_km2(wards), 6, ["D1", "E1"], pop)
    r = r.set_index("ward_code")
    assert r["crimes"].tolist() == [6, 0, 2]  # the crime with no ward is in no ward's count
    assert r["rural"].tolist() == [True, False, True]
    # 6 crimes in 6 months = 12 a year, over 2 km² = 6 per km² a year; per 1,000: 12 / 3000 * 1000 = 4
    assert r.loc["W1", "per_km2_year"] == pytest.approx(6.0, rel=1e-6)
    assert r.loc["W1", "per_1000_year"] == pytest.approx(4.0)
    assert r.loc["W3", "per_km2_year"] == pytest.approx(1.0, rel=1e-6)


def test_comparison_pools_the_rural_wards():
    # Rural W1 (2 km²) and W3 (4 km²): 30 + 6 = 36 crimes a year over 6 km² = 6 per km² a year.
    df = frame(
        [("2024-01", "burglary", "W1", None)] * 30
        + [("2024-01", "burglary", "W3", None)] * 6
        + [("2024-01", "burglary", "W2", None)] * 3
    )
    wards = squares()
    rates = trends.area_rates(df, every(df), wards, trends.ward_areas_km2(wards), 12, ["D1", "E1"])
    w1 = compare_with_rural_average(rates, "W1", 12)
    assert w1.rate == pytest.approx(15.0, rel=1e-6) and w1.county_rate == pytest.approx(6.0, rel=1e-6)
    assert w1.ratio == pytest.approx(2.5, rel=1e-6)
    assert (
        w1.words
        == "15.0 rural crimes per km² a year: 2.5 times the county's rural-ward average of 6.00 per km² a year."
    )
    w3 = compare_with_rural_average(rates, "W3", 12)
    assert w3.words.endswith("75% below the county's rural-ward average of 6.00 per km² a year.")
    w2 = compare_with_rural_average(rates, "W2", 12)  # 3 crimes: the small-number rule
    assert w2.ratio is None and w2.words.startswith("Only 3 rural crimes here: too few to compare fairly")
    assert compare_with_rural_average(rates, "nope", 12).words == "This ward is not in the loaded boundaries."
    no_pop = compare_with_rural_average(rates, "W1", 12, per="1000")
    assert no_pop.rate is None and "No population table" in no_pop.words


def test_comparison_about_the_same():
    df = frame([("2024-01", "burglary", "W1", None)] * 10 + [("2024-01", "burglary", "W3", None)] * 20)
    wards = squares()
    rates = trends.area_rates(df, every(df), wards, trends.ward_areas_km2(wards), 12, ["D1", "E1"])
    assert "about the same as" in compare_with_rural_average(rates, "W1", 12).words


# ----------------------------------------------------------------------------- standouts


def test_poisson_tail_hand_values():
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 0.0) == 0.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(3, 1.0) == pytest.approx(1 - 2.5 / math.e)  # 1 - e^-1 (1 + 1 + 1/2)
    assert 0 < poisson_tail(60, 5.0) < 1e-30


def test_poisson_tail_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for k in (1, 2, 5, 9, 20, 50, 300):
        for lam in (0.3, 2.0, 7.5, 40.0, 250.0):
            assert poisson_tail(k, lam) == pytest.approx(stats.poisson.sf(k - 1, lam), rel=1e-7, abs=1e-300)


def test_a_month_far_above_the_usual_stands_out():
    totals = pd.Series([2] * 11 + [12], index=pd.date_range("2024-01-01", periods=12, freq="MS"))
    out = standout_months(totals)
    assert [s.label for s in out] == ["December 2024"]
    assert out[0].expected == pytest.approx(2.0)  # the mean of the other 11 months
    assert out[0].words == "December 2024: 12 incidents, against 2.0 in the area's usual month"


def test_small_counts_never_stand_out_and_normal_variation_does_not():
    idx = pd.date_range("2024-01-01", periods=12, freq="MS")
    assert standout_months(pd.Series([0] * 11 + [4], index=idx)) == []  # 4 < 5, however unusual
    assert standout_months(pd.Series([10, 12, 9, 11, 10, 13, 8, 10, 12, 11, 9, 14], index=idx)) == []


def test_a_category_far_above_the_rest_of_the_county_mix_stands_out():
    area = pd.Series({"burglary": 20, "vehicle crime": 5})
    county = pd.Series({"burglary": 120, "vehicle crime": 905})  # the rest: 100 and 900
    out = standout_categories(area, county)
    assert [s.label for s in out] == ["Burglary"]
    assert out[0].expected == pytest.approx(2.5)  # 25 crimes x 100 / 1000
    assert out[0].words.startswith("Burglary: 20 incidents, 8.0 times the 2.5 expected")
    assert standout_categories(pd.Series({"burglary": 4}), pd.Series({"burglary": 4, "robbery": 100})) == []


# ----------------------------------------------------------------------------- outcomes and tables


def test_outcomes_count_blank_as_no_outcome_and_share_only_from_five():
    df = frame(
        [("2024-01", "burglary", "W1", "Under investigation")] * 2
        + [("2024-01", "burglary", "W1", "Local resolution"), ("2024-01", "burglary", "W1", None)]
    )
    small = outcomes(df, every(df))
    assert small[["outcome", "crimes"]].values.tolist() == [
        ["Under investigation", 2],
        ["Local resolution", 1],
        ["No outcome recorded", 1],
    ]
    assert small["share"].isna().all()  # 4 crimes: no percentages
    df5 = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    assert outcomes(df5, every(df5))["share"].tolist() == pytest.approx([0.6, 0.2, 0.2])


def test_by_category_and_share_or_none():
    df = frame([("2024-01", "robbery", "W1", None)] * 3)
    assert trends.by_category(df, every(df)).to_dict() == dict.fromkeys(CATEGORIES, 0) | {"robbery": 3}
    assert trends.share_or_none(3, 4) is None and trends.share_or_none(1, 5) == 0.2


def test_incident_table_is_newest_first_and_limited():
    df = frame(
        [
            ("2024-01", "burglary", "W1", None),
            ("2024-03", "robbery", "W2", "Local resolution"),
            ("2024-02", "burglary", None, None),
        ]
    )
    t = trends.incident_table(df, every(df))
    assert list(t.columns) == list(trends.INCIDENT_COLUMNS)
    assert t["Month"].tolist() == ["2024-03", "2024-02", "2024-01"]
    assert t["Outcome"].tolist() == ["Local resolution", "No outcome recorded", "No outcome recorded"]
    assert t["Ward"].tolist() == ["Two", "Unknown", "One"]
    assert trends.incident_table(df, every(df), limit=1)["Category"].tolist() == ["Robbery"]


def test_partial_classes_are_said_as_they_are():
    """Some wards without a class (and no LSOA boundaries to derive one): nothing to say when every
    in-scope crime is in a classed ward; "counted in part" with the share when some are not; only
    farm crimes when most are not (the demo county drew the last sentence with every crime classed)."""
    import geopandas as gpd
    from shapely.geometry import box

    from ruralaction.geography.boundaries import Geography
    from ruralaction.measures import readiness

    wards = gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"], "ward_name": ["One", "Two"], "ruc_code": ["E1", None]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    geo = Geography(wards=wards)
    assert readiness.missing_geography(geo) == [readiness.LSOA_BOUNDARIES]
    assert readiness.words_for(geo, 0.0, True) is None
    some = readiness.words_for(geo, 0.2, True)
    assert some.startswith("Rural crime is counted in part: 20% of the in-scope crimes have no rural-urban class")
    assert "only crimes at a farm count" not in some and readiness.LSOA_BOUNDARIES.sentence in some
    most = readiness.words_for(geo, 0.7, True)
    assert "only crimes at a farm count, not those in rural wards" in most
    assert readiness.words_for(geo, 0.7, False).startswith("No rural crime can be counted yet")
