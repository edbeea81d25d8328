"""Before/after an action on hand-counted incidents; actions as map points (escaped); demo actions."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from actions_helpers import SYSTEM, WARDS, patrol

from ruralaction.actions import (
    add_action,
    before_after,
    ensure_demo_actions,
    list_actions,
    load_vocabulary,
)
from ruralaction.actions.places import RURAL_ACTION_RGBA, action_points, ward_summary


def incidents(counts: dict[tuple[str, str, str], int]) -> pd.DataFrame:
    """A classified-incident frame with ``counts[(month, ward, category)]`` rows each."""
    rows = [(pd.Timestamp(m), w, c) for (m, w, c), n in counts.items() for _ in range(n)]
    df = pd.DataFrame(rows, columns=["month", "ward_code", "rural_category"])
    return df.astype({"ward_code": "category", "rural_category": "category"})


# Burglary in W1 and W2 and vehicle crime in W1, Jan..Dec 2024, counted by hand:
#   window before a mid-June completion (3 months): Mar, Apr, May; after: Jul, Aug, Sep.
HAND = incidents(
    {
        ("2024-01-01", "W1", "burglary"): 9,  # outside both windows
        ("2024-03-01", "W1", "burglary"): 2,
        ("2024-04-01", "W1", "burglary"): 3,
        ("2024-05-01", "W1", "burglary"): 1,
        ("2024-06-01", "W1", "burglary"): 5,  # the completion month: in neither window
        ("2024-07-01", "W1", "burglary"): 1,
        ("2024-08-01", "W1", "burglary"): 1,
        ("2024-09-01", "W1", "burglary"): 1,
        ("2024-04-01", "W2", "burglary"): 4,
        ("2024-08-01", "W2", "burglary"): 2,
        ("2024-05-01", "W1", "vehicle crime"): 7,
        ("2024-07-01", "W1", "vehicle crime"): 1,
        ("2024-10-01", "W3", "burglary"): 1,
        ("2024-02-01", "W3", "burglary"): 1,
        ("2024-11-01", "W3", "burglary"): 1,
        ("2024-12-01", "W3", "burglary"): 1,
    }
)
JUNE = dt.date(2024, 6, 15)


def test_one_ward_with_too_few_after_gives_counts_and_no_percentage():
    ba = before_after(HAND, ["W1"], "burglary", JUNE, months=3)
    assert (ba.status, ba.before, ba.after, ba.change) == ("too few", 6, 3, None)
    assert (str(ba.before_window[0]), str(ba.before_window[1]), str(ba.after_window[0]), str(ba.after_window[1])) == (
        "2024-03",
        "2024-05",
        "2024-07",
        "2024-09",
    )
    assert ba.sentence.startswith(
        "6 burglary incidents in the 3 months before (Mar 2024 to May 2024), "
        "3 in the 3 months after (Jul 2024 to Sep 2024). Too few to tell"
    )
    assert "%" not in ba.sentence


def test_two_wards_with_enough_incidents_give_the_change():
    ba = before_after(HAND, ["W1", "W2"], "burglary", JUNE, months=3)
    assert (ba.status, ba.before, ba.after) == ("measured", 10, 5)  # 2+3+1+4 and 1+1+1+2
    assert ba.change == pytest.approx(-0.5)
    assert ba.sentence.endswith(": down 50%.")


def test_the_category_decides_what_counts():
    ba = before_after(HAND, ["W1"], "vehicle crime", JUNE, months=3)
    assert (ba.before, ba.after, ba.status) == (7, 1, "too few")


def test_exactly_five_each_side_is_enough():
    df = incidents({("2024-05-01", "W1", "burglary"): 5, ("2024-07-01", "W1", "burglary"): 5})
    ba = before_after(df, ["W1"], "burglary", JUNE, months=1)
    assert (ba.status, ba.change) == ("measured", 0.0) and ba.sentence.endswith(": no change.")
    df = incidents({("2024-05-01", "W1", "burglary"): 8, ("2024-07-01", "W1", "burglary"): 10})
    assert before_after(df, ["W1"], "burglary", JUNE, months=1).sentence.endswith(": up 25%.")
    assert "the month before (May 2024)" in before_after(df, ["W1"], "burglary", JUNE, months=1).sentence


def test_windows_not_fully_loaded_give_no_percentage():
    upto_aug = HAND[HAND["month"] <= "2024-08-01"]
    ba = before_after(upto_aug, ["W1", "W2"], "burglary", JUNE, months=3)
    assert (ba.status, ba.before, ba.after, ba.months_after_loaded, ba.change) == ("incomplete", 10, 4, 2, None)
    assert "Only 3 of 3 months before and 2 of 3 after are loaded" in ba.sentence
    dec = before_after(HAND, ["W1"], "burglary", dt.date(2024, 12, 3), months=3)
    assert (dec.status, dec.before, dec.after) == ("too early", 1, None)  # Sep..Nov: W1 has 1 in Sep
    assert "No month after completion is loaded yet (Jan 2025 to Mar 2025)" in dec.sentence
    later = before_after(HAND, ["W1"], "burglary", dt.date(2026, 6, 1), months=3)
    assert (later.status, later.before, later.after) == ("no data", None, None)
    assert later.sentence == (
        "The incidents loaded (Jan 2024 to Dec 2024) do not cover the 3 months either side "
        "of its completion (Jun 2026)."
    )


def test_issues_without_a_measure_and_actions_not_completed_say_so():
    none = before_after(HAND, ["W1"], None, JUNE, issue="Fly-tipping")
    assert none.status == "no measure" and "no category for Fly-tipping" in none.sentence and none.before is None
    assert before_after(HAND, ["W1"], "burglary", None).status == "not completed"
    assert load_vocabulary().category_of("Hare coursing") == "wildlife crime"
    assert load_vocabulary().category_of("Fly-tipping") is None


# --------------------------------------------------------------------------- map points


def test_action_points_escape_text_and_place_each_action(actions_db):
    add_action(
        actions_db,
        SYSTEM,
        patrol(
            title="<img src=x onerror=alert(1)>",
            visible=True,
            latitude=52.05,
            longitude=-0.95,
            place_name="<b>Manor</b> Farm",
        ),
        WARDS,
    )
    add_action(actions_db, SYSTEM, patrol(title="Two wards", wards=("E05900001", "E05900002")), WARDS)
    add_action(actions_db, SYSTEM, patrol(title="Unknown ward", wards=("E05900003",)), WARDS)
    wards = gpd.GeoDataFrame(
        {"ward_code": ["E05900001", "E05900002"]},
        geometry=[shapely.box(-1.0, 52.0, -0.9, 52.1), shapely.box(-0.9, 52.0, -0.8, 52.1)],
        crs="EPSG:4326",
    )
    pts = action_points(list_actions(actions_db), wards)
    assert sorted(pts["located_by"]) == ["point", "ward", "ward"]  # the third action's ward has no polygon
    own = pts[pts["located_by"] == "point"].iloc[0]
    assert (own["lon"], own["lat"], own["marker"], own["color"]) == (
        -0.95,
        52.05,
        "rural action",
        list(RURAL_ACTION_RGBA),
    )
    assert own["title_html"] == "&lt;img src=x onerror=alert(1)&gt;" and own["title"] == "<img src=x onerror=alert(1)>"
    assert (own["date"], own["partner"]) == ("01 Jun 2025", "Police")
    assert "<img" not in own["tooltip_html"] and "&lt;b&gt;Manor&lt;/b&gt; Farm" in own["tooltip_html"]
    assert own["tooltip_html"].startswith("<b>Rural Action</b>")
    spread = pts[pts["located_by"] == "ward"]
    assert set(spread["ward_code"]) == {"E05900001", "E05900002"} and set(spread["marker"]) == {"action"}
    for i, r in enumerate(spread.sort_values("ward_code").itertuples()):  # a point inside each ward
        assert shapely.contains_xy(wards.geometry[i], r.lon, r.lat)
    assert not pts[["lon", "lat"]].isna().any().any()
    summary = ward_summary(list_actions(actions_db))
    assert summary.values.tolist() == [["E05900001", 2, 1, 2], ["E05900002", 1, 0, 1], ["E05900003", 1, 0, 1]]


# --------------------------------------------------------------------------- demo actions


def test_demo_actions_are_believable_tied_to_demo_wards_and_seeded_once(actions_db, demo_dir):
    added = ensure_demo_actions(actions_db, demo_dir)
    assert 50 <= added <= 100
    assert ensure_demo_actions(actions_db, demo_dir) == 0
    df = list_actions(actions_db, "demo")
    assert len(df) == added and list_actions(actions_db, "ours").empty
    demo_wards = gpd.read_file(demo_dir / "boundaries" / "wards" / "demo_wards.geojson")
    codes = set(demo_wards["WD13CD"])
    used = {c for cs in df["ward_codes"] for c in cs}
    assert used <= codes and len(used) >= 20
    urban = set(demo_wards.loc[demo_wards["RUC11CD"] == "C1", "WD13CD"])
    assert not used & urban  # rural wards only
    vocab = load_vocabulary()
    assert set(df["lead_partner"]) <= set(vocab.partners) and len(set(df["lead_partner"])) >= 5
    assert set(df["issue"]) <= set(vocab.issues) and set(df["status"]) <= {"completed", "in progress", "planned"}
    assert 0.4 < df["visible"].mean() < 0.9 and (df["status"] == "completed").mean() > 0.8
    import json

    months = json.loads((demo_dir / "demo.json").read_text())["months"]
    done = df.loc[df["status"] == "completed", "completed_on"]
    assert min(done) >= dt.date.fromisoformat(months[0] + "-01")
    assert max(done) <= (pd.Period(months[-1]) + 1).start_time.date()
    assert df["reference"].str.match(r"^DEMO-\d{4}$").all() and df["reference"].is_unique
