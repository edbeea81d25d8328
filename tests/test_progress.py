"""Progress measures, periods, settings and RAG status, on hand-built frames counted by eye."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from progress_helpers import (
    action,
    actions,
    concerns,
    incidents,
    monthly_rows,
    months_between,
)

from ruralaction.measures.periods import (
    PeriodError,
    calendar_year,
    choices,
    coverage,
    financial_year,
    latest_full,
    loaded_months,
    parse_period,
    rolling_12,
)
from ruralaction.progress import aims as pm
from ruralaction.progress import concern_measures as cm
from ruralaction.progress import partner_measures as ptm
from ruralaction.progress.config import (
    MEASURE_AIMS,
    MeasureConfig,
    ProgressConfigError,
    load_progress_config,
    rag,
)
from ruralaction.progress.scorecard import (
    build_scorecard,
    change_from_baseline,
    target_words,
)

FY25 = financial_year(2025)  # Apr 2025 – Mar 2026
AS_OF = dt.date(2026, 6, 1)  # after FY25 ended


# --------------------------------------------------------------------------- periods


def test_periods_are_twelve_whole_months_written_three_ways():
    fy = parse_period("2025-26")
    assert (fy.start, fy.end, fy.kind, fy.spec) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31), "fy", "2025-26")
    assert fy.label == "Financial year 2025-26 (Apr 2025 – Mar 2026)"
    assert parse_period("2025") == calendar_year(2025)
    r = parse_period("12m-2026-09")
    assert r == rolling_12("2026-09")
    assert (r.start, r.end, r.spec, r.short) == (
        dt.date(2025, 10, 1),
        dt.date(2026, 9, 30),
        "12m-2026-09",
        "12 months to Sep 2026",
    )
    assert fy.previous() == financial_year(2024)
    assert len(fy.months) == 12 and fy.months[0] == "2025-04" and fy.months[-1] == "2026-03"
    # 1999-00 wraps the century
    assert parse_period("1999-00").end == dt.date(2000, 3, 31)


@pytest.mark.parametrize("bad", ["2025-27", "2025/26", "25-26", "12m-2026-13", "", "last year"])
def test_a_period_written_wrongly_says_how_to_write_it(bad):
    with pytest.raises(PeriodError, match="2025-26|write it as"):
        parse_period(bad)


@pytest.mark.parametrize(
    ("kind", "last", "expected"),
    [
        ("fy", "2026-03", "2025-26"),
        ("fy", "2026-02", "2024-25"),
        ("fy", "2026-09", "2025-26"),
        ("cy", "2026-12", "2026"),
        ("cy", "2026-11", "2025"),
        ("r12", "2026-09", "12m-2026-09"),
    ],
)
def test_the_latest_full_period_ends_at_or_before_the_last_month_loaded(kind, last, expected):
    assert latest_full(kind, last).spec == expected


def test_choices_cover_the_loaded_months_and_today_newest_first():
    fy = [p.spec for p in choices("fy", "2023-10", "2026-09", dt.date(2026, 11, 25))]
    assert fy == ["2026-27", "2025-26", "2024-25", "2023-24"]
    cy = [p.spec for p in choices("cy", "2023-10", "2026-09")]
    assert cy == ["2026", "2025", "2024", "2023"]
    r12 = [p.spec for p in choices("r12", "2025-01", "2026-03", dt.date(2026, 5, 2))]
    assert r12 == ["12m-2026-05", "12m-2026-03", "12m-2026-02", "12m-2026-01", "12m-2025-12"]


def test_the_last_quarter_is_the_three_months_to_the_period_end_or_to_today():
    assert FY25.last_quarter(AS_OF) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    running = financial_year(2026)
    assert running.last_quarter(dt.date(2026, 11, 25)) == (dt.date(2026, 9, 1), dt.date(2026, 11, 25))
    assert running.last_quarter(dt.date(2026, 5, 10)) == (dt.date(2026, 4, 1), dt.date(2026, 5, 10))


def test_coverage_names_the_missing_months():
    c = coverage(FY25, months_between("2025-04", "2026-01"))
    assert (c.loaded, c.missing, c.complete) == (10, ("2026-02", "2026-03"), False)
    assert c.words == "only 10 of its 12 months loaded; no data for February 2026 – March 2026 (2 months)"
    assert coverage(FY25, FY25.months).complete
    df = incidents(monthly_rows({"2025-05": 1, "2025-04": 2}) + [{"month": "2025-07", "rural": False}])
    assert loaded_months(df) == ["2025-04", "2025-05", "2025-07"]  # any incident loads its month


# --------------------------------------------------------------------------- settings and RAG


def test_the_shipped_definition_has_every_measure_with_its_thresholds():
    cfg = load_progress_config()
    assert list(cfg.measures) == list(MEASURE_AIMS)
    assert cfg.baseline_period == "2024-25" and cfg.police_partners == ("Police",)
    for m in cfg.measures.values():
        better = (lambda a, b: a >= b) if m.direction == "up" else (lambda a, b: a <= b)
        assert better(m.target, m.amber), m.key
    assert cfg.measure("rural_crime").target == -0.05 and cfg.measure("rural_crime").baseline is None
    assert cfg.measure("wards_visible_quarter").county_only
    assert any(p.name.startswith("Fly-tipping") and not p.has_crime_measure for p in cfg.priorities)


def test_the_shipped_definition_file_is_unchanged_above_the_progress_section():
    from ruralaction.definition import DEFAULT_DEFINITION, load_definition

    text = DEFAULT_DEFINITION.read_text("utf-8")
    assert text.index("[progress]") > text.index("[formats.force_export.crime_types]")
    assert load_definition().county == "Northamptonshire"


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "def.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_a_definition_without_a_progress_section_or_with_a_muddled_one_is_refused(tmp_path):
    with pytest.raises(ProgressConfigError, match=r"no \[progress\] section"):
        load_progress_config(_write(tmp_path, "[county]\nname = 'X'\n"))
    shipped = load_progress_config().path.read_text("utf-8")
    muddled = shipped.replace("target = 0.6\namber = 0.45", "target = 0.4\namber = 0.45")
    with pytest.raises(ProgressConfigError, match="visible_share.*at least as good"):
        load_progress_config(_write(tmp_path, muddled))
    percent = shipped.replace("target = 0.6\namber = 0.45", "target = 60\namber = 45")
    with pytest.raises(ProgressConfigError, match="fractions"):
        load_progress_config(_write(tmp_path, percent))
    with pytest.raises(ProgressConfigError, match="financial year"):
        load_progress_config(
            _write(tmp_path, shipped.replace('baseline_period = "2024-25"', 'baseline_period = "2024"'))
        )


UP = MeasureConfig("visible_share", "Visible", "up", 0.3, target=0.6, amber=0.45)
DOWN = MeasureConfig("days_to_first_action", "Days", "down", 42, target=14, amber=28)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0.61, "green"),
        (0.6, "green"),
        (3 / 5, "green"),
        (0.5999, "amber"),
        (0.45, "amber"),
        (9 / 20, "amber"),
        (0.4499, "red"),
        (0.0, "red"),
        (None, "none"),
    ],
)
def test_rag_where_higher_is_better_gives_a_threshold_the_better_status(value, level):
    s = rag(value, UP)
    assert s.level == level
    assert s.word and s.symbol and s.text == f"{s.symbol} {s.word}"  # never colour alone


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (13, "green"),
        (14, "green"),
        (14.5, "amber"),
        (28, "amber"),
        (28.01, "red"),
        (None, "none"),
    ],
)
def test_rag_where_lower_is_better_is_mirrored(value, level):
    assert rag(value, DOWN).level == level


def test_statuses_have_distinct_words_symbols_and_readable_colours():
    from ruralaction.progress.config import status

    all_ = [status(level) for level in ("green", "amber", "red", "none")]
    assert len({s.word for s in all_}) == len({s.symbol for s in all_}) == 4
    assert [s.text for s in all_] == ["✓ On track", "! At risk", "✗ Off track", "– Not rated"]
    assert rag(None, UP, "Fewer than 5 actions").why == "Fewer than 5 actions"


def test_targets_and_changes_in_words():
    cfg = load_progress_config()
    assert target_words(cfg.measure("rural_crime"), "2024-25") == (
        "Target: 5% fewer than 2024-25; at risk while no more than 2024-25"
    )
    assert target_words(UP) == "Target: 60% or more; at risk from 45%"
    assert target_words(DOWN) == "Target: 14 days or fewer; at risk from 28 days"
    assert change_from_baseline(0.42, UP) == "up 12 points on the baseline of 30%"
    assert change_from_baseline(0.29, UP) == "down 1 point on the baseline of 30%"
    assert change_from_baseline(40, DOWN) == "down 2 days on the baseline of 42 days"
    assert change_from_baseline(None, UP) == "—"


# --------------------------------------------------------------------------- aim 1: crime


def _crime_frame(period_n: int, baseline_n: int, previous_n: int | None = None) -> pd.DataFrame:
    """Baseline FY 2023-24 … period FY 2025-26, every month loaded; counts spread from each year's first month."""
    # one non-rural incident a month: every month loaded
    rows = [{"month": m, "rural": False} for m in months_between("2023-04", "2026-03")]
    rows += monthly_rows({"2023-06": baseline_n}) + monthly_rows({"2025-06": period_n})
    rows += monthly_rows({"2024-06": previous_n if previous_n is not None else baseline_n})
    return incidents(rows)


@pytest.mark.parametrize(
    ("now", "before", "level"),
    [
        (95, 100, "green"),
        (94, 100, "green"),
        (96, 100, "amber"),
        (100, 100, "amber"),
        (101, 100, "red"),
    ],
)
def test_rural_crime_is_rated_on_its_change_against_the_baseline_year(now, before, level):
    df = _crime_frame(now, before, previous_n=120)
    mask = df["is_rural_crime"].to_numpy()
    c, rows = pm.rural_crime(df, mask, FY25, financial_year(2023), loaded_months(df))
    assert (c.crimes, c.baseline, c.previous) == (now, before, 120)
    assert c.change == pytest.approx((now - before) / before)
    assert rag(c.change, load_progress_config().measure("rural_crime")).level == level
    assert len(rows) == now and set(rows["Month"]) == {"2025-06"}  # the drill-down is the period's crimes
    assert c.vs_previous.startswith("down")


def test_rural_crime_under_five_or_with_months_missing_is_not_rated():
    df = _crime_frame(4, 3)
    c, _ = pm.rural_crime(df, df["is_rural_crime"].to_numpy(), FY25, financial_year(2023), loaded_months(df))
    assert c.change is None and "Fewer than 5" in c.why_not
    assert c.vs_baseline == "4 incidents against 3 in the baseline year 2023-24: too few to call a trend"
    df = _crime_frame(50, 60)
    loaded = [m for m in loaded_months(df) if m != "2026-03"]  # a month's file missing
    c, _ = pm.rural_crime(df, df["is_rural_crime"].to_numpy(), FY25, financial_year(2023), loaded)
    assert c.change is None and c.why_not == (
        "The period is not fully loaded (only 11 of its 12 months loaded; no data for March 2026)."
    )
    c, _ = pm.rural_crime(df, df["is_rural_crime"].to_numpy(), FY25, financial_year(2022), loaded_months(df))
    assert c.change is None and "baseline year 2022-23 is not fully loaded (no month of it loaded)" in c.why_not


def test_crime_by_category_counts_each_category_in_each_window():
    rows = [{"month": m, "rural": False} for m in months_between("2024-04", "2026-03")]
    rows += monthly_rows({"2024-05": 10}, category="burglary") + monthly_rows({"2025-05": 8}, category="burglary")
    rows += monthly_rows({"2024-05": 2}, category="robbery") + monthly_rows({"2025-05": 6}, category="robbery")
    df = incidents(rows)
    t = pm.crime_by_category(df, df["is_rural_crime"].to_numpy(), FY25, financial_year(2024), loaded_months(df))
    b = t.set_index("category")
    assert (b.loc["burglary", "crimes"], b.loc["burglary", "baseline_year"]) == (8, 10)
    assert b.loc["burglary", "change"] == pytest.approx(-0.2)
    assert b.loc["burglary", "vs_baseline"] == "down 20%, 2 fewer incidents"
    assert np.isnan(b.loc["robbery", "change"])  # 2 before: too few for a change
    assert b.loc["vehicle crime", "crimes"] == 0 and list(t["category"])[:2] == ["burglary", "theft from the person"]


def test_priorities_are_counted_where_the_data_allows():
    from ruralaction.progress.config import Priority

    rows = [{"month": m, "rural": False} for m in months_between("2024-04", "2026-03")]
    rows += [{"month": "2025-05", "description": "Tractor taken from yard"} for _ in range(6)]
    rows += [{"month": "2025-05", "description": "Three tractors seen"}]  # not the whole word
    rows += [{"month": "2024-05", "description": "TRACTOR GPS stolen"} for _ in range(5)]
    rows += [{"month": "2025-07", "farm": True} for _ in range(5)]
    df = incidents(rows)
    items = [
        Priority("Machinery", keywords=("tractor", "gps"), issues=("Machinery theft",)),
        Priority("Farms", at_farm=True),
        Priority("Fly-tipping", issues=("Fly-tipping",)),
        Priority("Wildlife", categories=("wildlife crime",)),
    ]
    acts = actions(
        [
            action("2025-06-01", issue="Machinery theft"),
            action("2025-07-01", issue="Fly-tipping"),
            action("2024-07-01", issue="Machinery theft"),
        ]
    )
    t = pm.priorities(
        df, df["is_rural_crime"].to_numpy(), acts, FY25, financial_year(2024), loaded_months(df), items, as_of=AS_OF
    ).set_index("priority")
    assert (t.loc["Machinery", "crimes"], t.loc["Machinery", "baseline_year"]) == (6, 5)
    assert t.loc["Machinery", "actions"] == 1 and t.loc["Machinery", "measured"]
    assert t.loc["Farms", "crimes"] == 5
    assert not t.loc["Fly-tipping", "measured"] and pd.isna(t.loc["Fly-tipping", "crimes"])
    assert t.loc["Fly-tipping", "actions"] == 1 and "does not record" in t.loc["Fly-tipping", "how"]
    # without any description text, keyword and wildlife priorities cannot be measured
    bare = df.assign(description=pd.array([None] * len(df), dtype="str"))
    t = pm.priorities(
        bare,
        bare["is_rural_crime"].to_numpy(),
        acts,
        FY25,
        financial_year(2024),
        loaded_months(bare),
        items,
        as_of=AS_OF,
    ).set_index("priority")
    assert not t.loc["Machinery", "measured"] and not t.loc["Wildlife", "measured"] and t.loc["Farms", "measured"]


def test_top_concerns_with_an_action_in_their_ward():
    c = concerns(
        [
            ("W1", "burglary", "2025-05-01", None),
            ("W1", "burglary", "2025-06-01", None),
            ("W1", "fly-tipping", "2025-06-02", None),  # W1's top: burglary
            ("W2", "speeding", "2025-07-01", None),
            ("W2", "other", "2025-07-02", None),  # W2: a tie, both top
            ("W3", "burglary", "2025-08-01", None),
            ("W4", "fly-tipping", "2025-08-01", None),
            ("W5", "burglary", "2024-08-01", None),  # before the period
        ]
    )
    acts = actions(
        [
            action("2025-09-01", wards=("W1",), issue="Burglary"),
            action("2025-09-01", wards=("W2", "W3"), issue="Speeding"),
            action("2025-10-01", wards=("W4",), issue="Fly-tipping", status="planned"),  # not taken
            action("2024-09-01", wards=("W5",), issue="Burglary"),
        ]
    )
    issues = {"burglary": ["Burglary"], "speeding": ["Speeding"], "fly-tipping": ["Fly-tipping"], "other": ["Other"]}
    m = cm.concerns_actioned(c, acts, FY25, AS_OF, issues)
    # top concerns: W1 burglary ✓, W2 speeding ✓, W2 other ✗, W3 burglary ✗ (only a speeding action), W4 fly-tipping ✗
    assert (m.numerator, m.denominator, m.value) == (2, 5, 0.4)
    assert m.text == "40% (2 of 5)"
    assert set(m.detail.loc[m.detail["has_action"], "ward_code"]) == {"W1", "W2"}
    m = cm.concerns_actioned(c, acts, FY25, AS_OF)  # any action in the ward
    assert (m.numerator, m.denominator) == (4, 5)
    few = cm.concerns_actioned(c[c["ward_code"] == "W1"], acts, FY25, AS_OF, issues)
    assert few.value is None and few.text == "1 of 1 top concern" and "too few" in few.why_not
    none = cm.concerns_actioned(c.iloc[:0], acts, FY25, AS_OF)
    assert none.value is None and none.text == "no concerns raised"


def test_median_days_from_a_concern_to_its_first_action():
    c = concerns(
        [
            ("W1", "burglary", "2025-05-01", "2025-05-03"),  # 2 days
            ("W1", "burglary", "2025-05-01", "2025-05-05"),  # 4
            ("W2", "speeding", "2025-06-01", "2025-06-11"),  # 10
            ("W2", "speeding", "2025-06-01", "2025-06-21"),  # 20
            ("W3", "other", "2025-07-01", "2025-06-20"),  # already under way: 0
            ("W3", "other", "2025-07-01", None),  # still waiting
            ("W3", "other", "2024-07-01", "2024-09-01"),  # raised before the period
        ]
    )
    m = cm.days_to_first_action(c, FY25, AS_OF)
    assert m.value == 4.0  # median of 0, 2, 4, 10, 20
    assert m.text == "4 days (median of 5 concerns; 1 still without an action)"
    assert (m.numerator, m.denominator, len(m.detail)) == (5, 6, 6)
    assert cm.days_to_first_action(c.iloc[:4], FY25, AS_OF).value is None  # 4 < 5: no median
    # an action dated after "as of" has not happened yet
    assert cm.days_to_first_action(c, FY25, dt.date(2025, 6, 15)).numerator == 3


# --------------------------------------------------------------------------- aim 2 and 3: actions


def _taken_mix() -> pd.DataFrame:
    return actions(
        [
            action("2025-04-10", visible=True, lead="Police", support="NFU"),
            action("2025-08-10", visible=True, lead="Fire and Rescue"),
            action(
                "2026-01-15",
                visible=True,
                lead="Highways",
                support="Police; Parish or town council",
                wards=("W2", "W3"),
            ),
            action("2026-03-31", visible=False, lead="Police", status="in progress"),
            action("2026-02-01", visible=True, lead="NFU", wards=("W2",)),
            action("2025-12-01", visible=True, lead="Police", status="cancelled"),  # never counts
            action("2026-02-01", visible=True, lead="Police", status="planned"),  # not taken yet
            action("2025-03-31", visible=True, lead="Police"),  # before the period
            action("2026-04-01", visible=True, lead="Police"),  # after it
        ]
    )


def test_shares_of_the_actions_taken_in_the_period():
    acts = _taken_mix()
    assert len(pm.actions_taken(acts, FY25.start, FY25.end)) == 5
    v = pm.visible_share(acts, FY25, AS_OF)
    assert (v.numerator, v.denominator, v.value, v.text) == (4, 5, 0.8, "80% (4 of 5)")
    n = ptm.non_police_share(acts, FY25, ("Police",), AS_OF)
    assert (n.numerator, n.value) == (3, 0.6)
    assert rag(n.value, load_progress_config().measure("non_police_share")).level == "green"  # 3/5 on the 0.5 target
    m = ptm.multi_agency_share(acts, FY25, AS_OF)
    assert (m.numerator, m.value) == (2, 0.4)
    assert list(v.detail.columns) == list(pm.ACTION_DETAIL)
    few = pm.visible_share(acts.iloc[:3], FY25, AS_OF)
    assert few.value is None and few.text == "3 of 3 actions" and "too few" in few.why_not


def test_actions_completed_per_month_and_by_month():
    acts = _taken_mix()
    m = pm.completed_per_month(acts, FY25, AS_OF)  # 4 completed (the in-progress one is not)
    assert (m.value, m.numerator, m.denominator) == (4 / 12, 4, 12)
    assert m.text == "0.3 a month (4 actions in 12 months)"
    running = financial_year(2025)
    part = pm.completed_per_month(acts, running, dt.date(2025, 8, 20))  # Apr–Aug begun: 5 months, 2 completed
    assert (part.numerator, part.denominator) == (2, 5)
    assert pm.completed_per_month(acts, financial_year(2030), AS_OF).value is None
    by = pm.actions_by_month(acts, FY25, AS_OF).set_index("month")
    assert len(by) == 12 and by["visible"].sum() == 4 and by["not_visible"].sum() == 0
    assert by.loc[pd.Timestamp("2026-01-01"), "visible"] == 1


def test_wards_and_partners_of_the_last_quarter():
    acts = _taken_mix()  # Jan–Mar 2026: Highways (W2, W3, with Police and parish), NFU (W2), Police in progress
    w = pm.wards_with_visible_action(acts, FY25, AS_OF, {"W2": "Castle"})
    assert w.value == 2 and w.text == "2 wards (Jan – Mar 2026)"
    assert w.detail.to_dict("records")[0] == {"ward_code": "W2", "ward_name": "Castle", "visible_actions": 2}
    p = ptm.partners_active(acts, FY25, AS_OF)
    assert p.value == 4 and set(p.detail["partner"]) == {"Highways", "Police", "Parish or town council", "NFU"}
    assert p.detail.set_index("partner").loc["Police"].to_dict() == {"actions": 2, "led": 1}


# --------------------------------------------------------------------------- the scorecard


def test_the_scorecard_puts_it_together_for_the_county_and_for_a_ward():
    rows = [{"month": m, "rural": False} for m in months_between("2024-04", "2026-03")]
    rows += monthly_rows({"2024-05": 20}) + monthly_rows({"2025-05": 18}) + monthly_rows({"2025-05": 5}, ward="W2")
    df = incidents(rows)
    cfg = load_progress_config()
    read_at = dt.datetime(2026, 6, 1, 9, 30)
    sc = build_scorecard(
        df,
        _taken_mix(),
        None,
        FY25,
        cfg,
        read_at=read_at,
        ward_names={"W1": "Brixworth"},
        county="Tinyshire",
        concerns_note="No concerns recorded yet.",
    )
    assert [s.key for s in sc.scores] == list(MEASURE_AIMS)
    crime = sc.score("rural_crime")
    assert crime.value_text == "23" and crime.status.level == "red"  # 23 against 20: up 15%
    assert crime.period_text == "Financial year 2025-26 (Apr 2025 – Mar 2026)"
    assert crime.as_of_text == "Data as of: crime data to Mar 2026"
    assert sc.score("visible_share").as_of_text == "Data as of: actions as recorded at 01 Jun 2026 09:30"
    assert sc.score("concerns_actioned").status.level == "none"
    assert sc.score("concerns_actioned").status.why == "No concerns recorded yet."
    assert sc.score("wards_visible_quarter").status.level == "red"  # 2 wards against a county target of 20
    assert sc.score("wards_visible_quarter").period_text == "Last quarter of 2025-26: Jan – Mar 2026"
    assert len(sc.frame()) == 9 and sc.frame()["status"].str.match(r"^[✓!✗–] ").all()

    w1 = build_scorecard(df, _taken_mix(), None, FY25, cfg, read_at=read_at, ward="W1", ward_names={"W1": "Brixworth"})
    assert w1.area == "Brixworth" and w1.score("rural_crime").value_text == "18"
    assert w1.score("wards_visible_quarter").status.why.startswith("The target is for the whole county")
    assert w1.score("visible_share").rows["wards"].str.contains("W1").all()
    assert w1.trend["crimes"].sum() == 38


def test_scorecards_of_two_periods_differ_as_their_data_does():
    rows = [{"month": m, "rural": False} for m in months_between("2023-04", "2026-03")]
    rows += monthly_rows({"2024-05": 20}) + monthly_rows({"2025-05": 18})
    df = incidents(rows)
    cfg = load_progress_config()
    a = build_scorecard(df, _taken_mix(), None, FY25, cfg, read_at=dt.datetime(2026, 6, 1))
    b = build_scorecard(df, _taken_mix(), None, FY25.previous(), cfg, read_at=dt.datetime(2026, 6, 1))
    assert (a.score("rural_crime").value_text, b.score("rural_crime").value_text) == ("18", "20")
    assert a.score("visible_share").value_text == "80%" and b.score("visible_share").value_text == "—"


def test_the_crime_measures_count_counts_as_they_count_crimes():
    """Counts of the crimes (a ``crimes`` column, as the store gives them) give every crime
    measure, the trend and the priorities the crimes themselves give; from the store the
    rural-crime figure holds its newest crimes, says how many there are and reads them all."""
    from ruralaction.measures import store_progress as sp
    from ruralaction.measures.store_queries import StoreView
    from ruralaction.progress.config import Priority

    rows = [{"month": m, "rural": False} for m in months_between("2023-04", "2026-03")]
    rows += monthly_rows({"2024-05": 20, "2025-05": 18, "2025-09": 4}) + monthly_rows({"2025-05": 5}, ward="W2")
    rows += monthly_rows({"2024-05": 3, "2025-06": 7}, category="burglary")
    rows += [{"month": "2025-05", "description": "Tractor taken"} for _ in range(6)]
    rows += [{"month": "2024-06", "description": "tractors", "farm": True} for _ in range(5)]
    df = incidents(rows)
    counts = (
        df[df["is_rural_crime"]]
        .groupby(["month", "rural_category", "at_farm"], observed=True)
        .size()
        .rename("crimes")
        .reset_index()
    )
    mask, cmask, loaded = df["is_rural_crime"].to_numpy(), np.ones(len(counts), bool), loaded_months(df)
    base = financial_year(2024)
    c_rows, detail = pm.rural_crime(df, mask, FY25, base, loaded)
    c_counts, none = pm.rural_crime(counts, cmask, FY25, base, loaded)
    assert c_counts == c_rows and len(detail) == c_rows.crimes and none.empty
    pd.testing.assert_frame_equal(
        pm.crime_by_category(counts, cmask, FY25, base, loaded), pm.crime_by_category(df, mask, FY25, base, loaded)
    )
    items = [Priority("Farms", at_farm=True), Priority("Burglary", categories=("burglary",))]
    pd.testing.assert_frame_equal(
        pm.priorities(counts, cmask, actions([]), FY25, base, loaded, items, text=False),
        pm.priorities(df, mask, actions([]), FY25, base, loaded, items, text=False),
    )
    cfg = load_progress_config()
    read_at = dt.datetime(2026, 6, 1, 9, 30)
    for ward in (None, "W2"):
        mem = build_scorecard(df, _taken_mix(), None, FY25, cfg, read_at=read_at, ward=ward)
        view = StoreView.from_frame(df)
        got = build_scorecard(view, _taken_mix(), None, FY25, cfg, read_at=read_at, ward=ward, detail_rows=4)
        for name in ("categories", "priorities", "trend"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(mem, name), obj=name)
        a, b = got.score("rural_crime"), mem.score("rural_crime")
        assert (a.value_text, a.detail_text, a.status, a.change_text) == (
            b.value_text,
            b.detail_text,
            b.status,
            b.change_text,
        )
        assert a.n_rows == len(b.rows) > 4 and b.rows_total is None
        pd.testing.assert_frame_equal(a.rows, b.rows.head(4))
        pd.testing.assert_frame_equal(sp.crime_rows(view, a.rows_all), b.rows)
    empty = build_scorecard(StoreView((), ()), _taken_mix(), None, FY25, cfg, read_at=read_at)
    assert empty.score("rural_crime").n_rows == 0 and list(empty.score("rural_crime").rows) == list(b.rows)
