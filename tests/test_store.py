"""The data store (validated additions that never lose good data) and coverage/freshness."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pandas as pd
import pytest
from policeuk import csv_text, row

from ruralaction.geography.boundaries import GeographyError
from ruralaction.incidents.store import Store, StoreError, safe_name
from ruralaction.measures.coverage import coverage, freshness_sentence, months_between
from ruralaction.permissions import Actor, Role

ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)

WARDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"WD13CD": "W1", "WD13NM": "Brixworth"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-1, 52], [-0.8, 52], [-0.8, 52.2], [-1, 52.2], [-1, 52]]],
            },
        }
    ],
}


def upload(name, rows):
    return (name, csv_text(rows).encode())


def test_bad_upload_keeps_previous_good_data(tmp_path):
    store = Store(tmp_path)
    first = store.add_incidents([upload("2024-01-northamptonshire-street.csv", [row("a"), row("b")])], actor=ADMIN)
    assert first.accepted and len(first.saved) == 1
    version = store.version("ours")
    bad = store.add_incidents([("notes.csv", b"hello,world\n1,2\n"), ("empty.csv", b"")], actor=ADMIN)
    assert not bad.accepted and len(bad.load.summary.errors) == 2
    assert store.version("ours") == version  # nothing written
    assert sorted(store.load("ours").incidents["crime_id"]) == ["a", "b"]


def test_rejected_rows_reported_and_good_rows_kept(tmp_path):
    store = Store(tmp_path)
    res = store.add_incidents([upload("m.csv", [row("a"), row("x", month="13/2024")])], actor=ADMIN)
    assert res.accepted and len(res.load.rejected) == 1 and res.load.rejected.iloc[0]["line"] == 3
    assert list(store.load("ours").incidents["crime_id"]) == ["a"]


def test_later_upload_of_same_month_replaces_earlier(tmp_path):
    store = Store(tmp_path)
    store.add_incidents([upload("2024-01-x-street.csv", [row("a"), row("b"), row("c")])], actor=ADMIN)
    store.add_incidents([upload("2024-01-x-street.csv", [row("a"), row("b")])], actor=ADMIN)
    loaded = store.load("ours")
    assert sorted(loaded.incidents["crime_id"]) == ["a", "b"] and loaded.summary.rows_replaced == 3


def test_zip_upload_and_folder_input(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("2024-02/2024-02-northamptonshire-street.csv", csv_text([row("z", month="2024-02")]))
    store = Store(tmp_path / "data")
    assert store.add_incidents([("archive.zip", buf.getvalue())], actor=ADMIN).accepted
    folder = tmp_path / "in" / "2024-03"
    folder.mkdir(parents=True)
    (folder / "2024-03-northamptonshire-street.csv").write_text(csv_text([row("y", month="2024-03")]))
    assert store.add_incidents([tmp_path / "in"], actor=ADMIN).accepted
    assert sorted(store.load("ours").incidents["crime_id"]) == ["y", "z"]


def test_geography_uploads_validated(tmp_path):
    store = Store(tmp_path)
    kind, dest = store.add_geography("../../wards.geojson", json.dumps(WARDS).encode(), actor=ADMIN)
    assert kind == "ward" and dest.parent == store.path("ours") / "boundaries" and dest.name == "wards.geojson"
    kind, _ = store.add_geography(
        "ruc.csv", b"LSOA11CD,LSOA11NM,RUC11CD,RUC11\nE01000001,A,E1,Rural village and dispersed\n", actor=ADMIN
    )
    assert kind == "lsoa lookup"
    with pytest.raises(GeographyError, match="junk.geojson could not be read"):
        store.add_geography("junk.geojson", b"{nope", actor=ADMIN)
    with pytest.raises(GeographyError, match="people.csv is not a rural-urban lookup"):
        store.add_geography("people.csv", b"name,age\nann,3\n", actor=ADMIN)
    with pytest.raises(GeographyError, match="is not a boundaries file"):
        store.add_geography("evil.exe", b"MZ", actor=ADMIN)
    assert sorted(p.name for p in store.path("ours").rglob("*") if p.is_file()) == ["ruc.csv", "wards.geojson"]


def test_active_dataset_switch(tmp_path):
    store = Store(tmp_path)
    assert store.active() == "demo"
    with pytest.raises(StoreError, match="no data of our own"):
        store.set_active("ours", actor=ADMIN)
    store.add_incidents([upload("a.csv", [row("a")])], actor=ADMIN)
    assert store.active() == "ours"
    store.set_active("demo", actor=ADMIN)
    assert store.active() == "demo" and Store(tmp_path).active() == "demo"
    with pytest.raises(StoreError):
        store.set_active("../etc", actor=ADMIN)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\a b.csv", "a_b.csv"),
        (".hidden", "hidden"),
        ("", "upload"),
        ("<script>.csv", "_script_.csv"),
    ],
)
def test_safe_name(name, safe):
    assert safe_name(name) == safe


def test_coverage_gaps_and_freshness(tmp_path):
    store = Store(tmp_path)
    rows = [
        row("a", month="2024-01"),
        row("b", month="2024-01"),
        row("c", month="2024-03"),
        row("d", month="2024-04", lon="", lat="", location="No Location"),
        row("e", month="2024-02", force="British Transport Police"),
    ]
    store.add_incidents([upload("x.csv", rows)], actor=ADMIN)
    cov = coverage(store.load("ours").incidents, today=date(2024, 6, 15))
    assert list(cov.per_month["rows"]) == [2, 1, 1, 1]
    nap = cov.by_force.set_index("force").loc["Northamptonshire Police"]
    assert (nap["months"], nap["missing_months"], nap["rows"]) == (3, 1, 4)
    assert cov.gaps == [] and cov.latest_month == pd.Timestamp("2024-04-01")
    assert cov.months_behind == 2 and cov.up_to_date
    assert cov.share_no_location == pytest.approx(1 / 5)
    assert "2 months behind today, as expected" in freshness_sentence(cov)
    late = coverage(store.load("ours").incidents, today=date(2025, 1, 1))
    assert late.months_behind == 9 and not late.up_to_date and "newer months can be added" in freshness_sentence(late)


def test_coverage_gap_month_is_zero_not_missing(tmp_path):
    store = Store(tmp_path)
    store.add_incidents([upload("x.csv", [row("a", month="2024-01"), row("b", month="2024-04")])], actor=ADMIN)
    cov = coverage(store.load("ours").incidents, today=date(2024, 5, 1))
    assert list(cov.per_month["rows"]) == [1, 0, 0, 1]
    assert [m.strftime("%Y-%m") for m in cov.gaps] == ["2024-02", "2024-03"]
    assert months_between(date(2023, 11, 30), date(2024, 2, 1)) == 3


def test_coverage_of_nothing():
    from ruralaction.incidents.loader import empty_incidents

    cov = coverage(
        empty_incidents().assign(is_rural_crime=pd.Series(dtype=bool), in_rural_ward=pd.Series(dtype="boolean"))
    )
    assert cov.rows == 0 and cov.latest_month is None and freshness_sentence(cov) == "No incidents are loaded."


def test_ensure_demo_writes_only_the_demo_dataset(tmp_path, monkeypatch):
    import ruralaction.incidents.demo as demo

    calls = []
    real = demo.write_demo
    monkeypatch.setattr(demo, "write_demo", lambda d, **kw: calls.append(d) or real(d, years=1, end_month="2026-09"))
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", [row("a")])], actor=ADMIN)
    before = sorted(p.relative_to(store.path("ours")) for p in store.path("ours").rglob("*"))
    assert store.ensure_demo(actor=ADMIN) is True and store.has_incidents("demo")
    assert (store.path("demo") / "demo.json").is_file()
    assert sorted(p.relative_to(store.path("ours")) for p in store.path("ours").rglob("*")) == before
    assert store.ensure_demo(actor=ADMIN) is False and len(calls) == 1
    assert not list(tmp_path.glob(".*-*")), "no temporary folder left behind"


def test_outcomes_files_are_not_incidents(tmp_path):
    store = Store(tmp_path)
    f = tmp_path / "ours" / "police_uk" / "2024-01" / "2024-01-x-outcomes.csv"
    f.parent.mkdir(parents=True)
    f.write_text("Crime ID,Month\n")
    assert not store.has_incidents("ours") and store.active() == "demo"
