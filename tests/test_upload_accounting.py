"""What an upload says it did (issue 13, item 9), on the real police.uk files under ../shared/data:
a file that replaces a month already loaded says so (it said "0 replaced"), and a file whose every
Crime ID repeats 36 times is loaded with a warning (it loaded without a word)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from ruralaction.cli import main
from ruralaction.incidents import accounting
from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
JAN = SHARED / "police_uk" / "2024-01-northamptonshire-street.csv"
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)
pytestmark = pytest.mark.skipif(not JAN.is_file(), reason="../shared/data is not present")


def test_a_month_loaded_again_says_what_it_replaced(tmp_path):
    store = Store(tmp_path / "data")
    first = store.add_incidents([("2024-01-northamptonshire-street.csv", JAN.read_bytes())], actor=ADMIN)
    assert first.accepted and first.replaced.empty and first.lines() == []
    again = store.add_incidents([("january-again.csv", JAN.read_bytes())], actor=ADMIN)
    assert again.replaced[["reported_by", "rows_before", "replaced_file", "by_file"]].values.tolist() == [
        ["Northamptonshire Police", 5613, "2024-01-northamptonshire-street.csv", "january-again.csv"]
    ]
    assert again.lines() == [
        "Replaced Northamptonshire Police January 2024 (5,613 rows from 2024-01-northamptonshire-street.csv) "
        "with the copy in january-again.csv."
    ]
    assert not any(str(tmp_path) in line for line in again.lines())  # file names, never server paths
    assert len(store.load("ours").incidents) == 5613  # replaced, not added twice


def test_a_file_of_one_crime_id_repeated_36_times_loads_with_a_warning(tmp_path, capsys):
    real = pd.read_csv(JAN, dtype=str, keep_default_na=False)
    rows = real[real["Crime ID"] != ""].head(150)
    pasted = pd.concat([rows] * 36, ignore_index=True)  # every ID 36 times
    buf = io.StringIO()
    pasted.to_csv(buf, index=False)
    odd = tmp_path / "2024-01-pasted-street.csv"
    odd.write_text(buf.getvalue(), "utf-8")
    assert main(["load", str(odd), "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "2024-01-pasted-street.csv: its 5,400 rows use only 150 Crime IDs (36.0 rows per ID" in out
    assert "It was loaded as given" in out
    # every real file is plausible: no warning for any of them
    for f in sorted((SHARED / "police_uk").glob("*-street.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False).rename(columns={"Crime ID": "crime_id"})
        df["crime_id"] = df["crime_id"].replace("", None)
        assert accounting.implausible_files(df.assign(source_file=f.name)) == [], f.name
