"""The classified store read back whole after months were added one change at a time: each
month's Parquet file is written on its own, so a dictionary column may have int8 indices in one
month and int16 in another (more than 127 distinct values); reading them together must work."""

from __future__ import annotations

from policeuk import csv_text, row

from ruralaction.incidents import columnar
from ruralaction.incidents.pipeline import load_data_dir
from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role

ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)


def test_months_added_separately_with_different_dictionary_widths_read_back_whole(tmp_path):
    store = Store(tmp_path)
    few = [row(f"a{i}", month="2024-01", location="On or near Church Lane") for i in range(3)]
    many = [row(f"b{i}", month="2024-02", location=f"On or near Street {i}") for i in range(300)]
    assert store.add_incidents([("jan.csv", csv_text(few).encode())], actor=ADMIN).accepted
    assert store.add_incidents([("feb.csv", csv_text(many).encode())], actor=ADMIN).accepted
    got = columnar.read_classified(store.versions.current_dir(), "ours").incidents
    memory = load_data_dir(store.path("ours")).incidents
    assert len(got) == len(memory) == 303
    assert sorted(got["crime_id"]) == sorted(memory["crime_id"])
    assert (
        got["location"]
        .astype(str)
        .value_counts()
        .sort_index()
        .equals(memory["location"].astype(str).value_counts().sort_index())
    )
