"""One ward's summary (``ruralaction.measures.area_report``) on the tiny county, and its downloads."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from ruralaction.measures import area_report, trends
from ruralaction.measures.filters import Filters, options

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def parts(tiny):
    wards = tiny.geography.wards
    return tiny.incidents, wards, trends.ward_areas_km2(wards), options(tiny.incidents, wards)


def summary(tiny, parts, f: Filters, **kw):
    df, wards, areas, opts = parts
    return area_report.local_area_summary(df, wards, areas, tiny.definition.rural_classes, f.clean(opts), opts, **kw)


def test_brixworth_summary_matches_hand_counts(tiny, parts):
    s = summary(tiny, parts, Filters(ward="W1"))
    assert (s.ward_name, s.rural, s.crimes, s.period, s.months) == ("Brixworth", True, 6, "Jan 2024 to Mar 2024", 3)
    assert s.by_category.to_dict() == {
        "burglary": 2,
        "theft from the person": 0,
        "vehicle crime": 1,
        "robbery": 1,
        "criminal damage": 1,
        "wildlife crime": 1,
    }
    # February has no file: it is left out of the trend (not a zero) and said so.
    assert s.trend["crimes"].sum() == 6 and s.trend["month"].nunique() == 2
    assert s.months_with_data == 2 and s.missing == ["2024-02"] and "none for February 2024" in s.coverage_words
    assert not s.change.complete and "no comparison with the 12 months before" in s.change.words
    # Brixworth is the only rural ward, so it *is* the county's rural-ward average.
    assert s.comparison.ratio == pytest.approx(1.0) and "about the same as" in s.comparison.words
    assert s.outcomes["crimes"].sum() == 6
    assert s.standout_months == [] and s.standout_categories == []


def test_castle_is_an_urban_ward_with_too_few_to_compare(tiny, parts):
    s = summary(tiny, parts, Filters(ward="W2"))
    assert (s.ward_name, s.rural, s.crimes) == ("Castle", False, 1)
    assert s.comparison.ratio is None and s.comparison.words.startswith("Only 1 rural crime here")
    assert area_report.area_kind(s) == "urban ward (class in the ward boundary file)"


def test_the_other_filters_apply_to_the_ward(tiny, parts):
    s = summary(tiny, parts, Filters(ward="W1", categories=("burglary",), month_from="2024-03"))
    assert s.crimes == 1 and s.period == "Mar 2024 to Mar 2024"
    assert s.filters_text == "Mar 2024 to the latest month; burglary"


def test_a_summary_needs_a_ward(tiny, parts):
    with pytest.raises(ValueError):
        summary(tiny, parts, Filters())


def test_summary_csv_has_every_section(tiny, parts):
    s = summary(tiny, parts, Filters(ward="W1"), demo=True)
    table = pd.read_csv(io.BytesIO(area_report.summary_csv(s)))
    assert list(table.columns) == ["section", "measure", "value"]
    assert set(table["section"]) >= {"Area", "Totals", "By category", "Change", "Compared with the county", "Outcomes"}
    got = dict(zip(table["measure"], table["value"].astype(str)))
    assert got["Ward"] == "Brixworth" and got["Rural crimes"] == "6" and got["Burglary"] == "2"
    assert got["Data"] == "Demo data: generated, not real incidents"


def test_summary_html_is_printable_and_escapes_data(tiny, parts):
    df, wards, areas, _ = parts
    hostile = wards.assign(ward_name=[XSS, "Castle"])
    hostile_opts = options(df, hostile)
    s = area_report.local_area_summary(
        df, hostile, areas, tiny.definition.rural_classes, Filters(ward="W1"), hostile_opts, demo=True
    )
    page = area_report.summary_html(s)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert "Demo data — generated, not real incidents." in page
    # one page: the trend as an inline chart (a bar per month with data), actions and "you said, we did"
    months_with_data = len(trends.monthly_totals(s.trend))
    assert page.count("<rect ") == months_with_data and "@page{size:A4" in page
    none = area_report.summary_html(
        s,
        actions=pd.DataFrame(columns=["date", "title", "partner", "visible"]),
        said=pd.DataFrame(columns=["category_label", "concerns", "actioned"]),
    )
    assert "No actions are recorded in this ward yet." in none and "No concerns have been raised" in none
    acts = pd.DataFrame(
        {"date": pd.to_datetime(["2024-03-02"]), "title": [XSS], "partner": ["Police"], "visible": [True]}
    )
    said = pd.DataFrame({"category_label": ["Hare coursing"], "concerns": [3], "actioned": [2]})
    page = area_report.summary_html(s, actions=acts, said=said)
    assert "<script>" not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    assert "02 Mar 2024" in page and "✓ Rural Action" in page
    assert "<td>Hare coursing</td><td class='n'>3</td><td class='n'>2</td>" in page
    page = area_report.summary_html(s, actions=None, said=None)  # the database could not be read
    assert "Partners' actions could not be read just now." in page
    assert "Residents' concerns could not be read just now." in page


def test_with_ward_drops_the_district():
    f = Filters(district="North", categories=("robbery",))
    assert area_report.with_ward(f, "W9") == Filters(categories=("robbery",), ward="W9")
    assert area_report.with_ward(Filters(ward="W1", district="North"), None) == Filters(district="North")
