"""``python -m ruralaction classify``: outputs, summary, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from policeuk import row, write

from ruralaction.cli import main
from ruralaction.definition import load_definition
from ruralaction.exports import write_csv
from ruralaction.geography.boundaries import build_geography, find_geography_files
from ruralaction.incidents import csvwrite
from ruralaction.incidents.csvwrite import write_frame_csv
from ruralaction.incidents.pipeline import output_frame, run
from ruralaction.incidents.schema import CLASSIFICATION_COLUMNS, POLICE_UK_COLUMNS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _geography(folder):
    (folder / "boundaries" / "wards_by_lad").mkdir(parents=True)
    (folder / "ruc").mkdir()

    def sq(x):
        return {
            "type": "Polygon",
            "coordinates": [[[x, 52.0], [x + 0.1, 52.0], [x + 0.1, 52.1], [x, 52.1], [x, 52.0]]],
        }

    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"WD13CD": "W1", "WD13NM": "Brixworth"}, "geometry": sq(-1.0)},
            {"type": "Feature", "properties": {"WD13CD": "W2", "WD13NM": "Castle"}, "geometry": sq(-0.9)},
        ],
    }
    (folder / "boundaries" / "wards_by_lad" / "X.json").write_text(json.dumps(fc))
    (folder / "ruc" / "wards.csv").write_text(
        "WD11CD,WD11NM,RUC11\nW1,Brixworth,Rural town and fringe\nW2,Castle,Urban city and town\n"
    )
    (folder / "ruc" / "lsoa.csv").write_text(
        "LSOA11CD,LSOA11NM,RUC11CD,RUC11\nE01000001,A 001A,C1,Urban city and town\n"
    )


def test_classify_writes_rows_rejected_and_summary(tmp_path, capsys):
    _geography(tmp_path / "geo")
    src = write(
        tmp_path / "in" / "2024-01" / "2024-01-northamptonshire-street.csv",
        [
            row("a", lon="-0.95", lat="52.05"),
            row("b", lon="-0.85", lat="52.05", crime_type="Vehicle crime"),
            row("c", lon="-0.95", lat="52.05", month="nope"),
            row("", lon="-0.95", lat="52.05", crime_type="Anti-social behaviour", outcome=""),
        ],
    )
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    code = main(
        [
            "classify",
            str(tmp_path / "in"),
            "--geography",
            str(tmp_path / "geo"),
            "--out",
            str(out),
            "--rejected",
            str(rej),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "Rows: 4 read = 3 loaded + 1 rejected + 0 replaced" in text
    assert "Rural crimes: 1 of 3 incidents in Northamptonshire" in text
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns[:12]) == list(POLICE_UK_COLUMNS)
    assert set(CLASSIFICATION_COLUMNS) <= set(df.columns) and {"source_file", "line"} <= set(df.columns)
    assert df.set_index("Crime ID").loc["a", "rural_reason"] == "Burglary in a rural ward (Brixworth)"
    assert df.set_index("Crime ID").loc["b", "rural_reason"] == "Urban ward, not at a farm"
    assert df.loc[df["Crime ID"] == "", "Crime type"].tolist() == ["Anti-social behaviour"]
    assert df["Month"].tolist() == ["2024-01"] * 3
    assert set(df["source_file"]) == {str(src)} and df["line"].tolist() == ["2", "3", "5"]
    r = pd.read_csv(rej, dtype=str)
    assert list(r.columns) == ["source_file", "line", "column", "reason", "raw"]
    assert r.loc[0, "line"] == "4" and "Month 'nope'" in r.loc[0, "reason"]


def test_nothing_readable_exits_non_zero_with_message(tmp_path, capsys):
    bad = tmp_path / "notes.csv"
    bad.write_text("hello,world\n1,2\n")
    assert main(["classify", str(bad), "--out", str(tmp_path / "o.csv")]) == 1
    captured = capsys.readouterr()
    assert "notes.csv is not a police.uk street-level CSV" in captured.out
    assert "Nothing could be loaded" in captured.err
    assert not (tmp_path / "o.csv").exists()


def test_bad_geography_file_is_a_clear_error(tmp_path, capsys):
    src = write(tmp_path / "f.csv", [row("a")])
    junk = tmp_path / "wards.geojson"
    junk.write_text("{not json")
    assert main(["classify", str(src), "--wards", str(junk), "--out", str(tmp_path / "o.csv")]) == 2
    assert "wards.geojson could not be read as a boundaries file" in capsys.readouterr().err


def test_module_entry_point_runs(tmp_path):
    src = write(tmp_path / "f.csv", [row("a")])
    proc = subprocess.run(
        [sys.executable, "-m", "ruralaction", "classify", str(src), "--out", str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Wrote 1 classified rows" in proc.stdout


def test_load_adds_files_and_geography_to_the_data_dir(tmp_path, capsys):
    _geography(tmp_path / "geo")
    src = write(
        tmp_path / "in" / "2024-01-northamptonshire-street.csv",
        [row("a", lon="-0.95", lat="52.05"), row("b", month="x")],
    )
    data = tmp_path / "data"
    assert main(["load", str(src), "--geography", str(tmp_path / "geo"), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Added ward file X.json." in out and "Added ward lookup file wards.csv." in out
    assert "Rows: 2 read = 1 loaded + 1 rejected" in out and "shows our data" in out
    from ruralaction.incidents.store import Store

    loaded = Store(data).load("ours")
    assert list(loaded.incidents["rural_reason"]) == ["Burglary in a rural ward (Brixworth)"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n")
    assert main(["load", str(bad), "--data-dir", str(data)]) == 1
    assert "data directory is unchanged" in capsys.readouterr().err


# ------------------------------------------------------------------ the fast CSV writer and real months


def _awkward_frame() -> pd.DataFrame:
    """Every kind of column the classified output holds, with the cells a CSV writer gets wrong."""
    return pd.DataFrame(
        {
            "Crime ID": pd.Series(["a", None, 'b"c', "x\ry", "", "d,e", "f\ng", "é"], dtype="str"),
            "Longitude": [1.0, np.nan, 1e-05, -0.0, 0.0, 1.5e16, np.inf, -1.394138],
            "Location": pd.Categorical(["x", None, "y,z", 'q"\nr', "x", "", " sp ", "é"]),
            "line": np.arange(2, 10, dtype=np.int32),
            "at_farm": [True, False] * 4,
            "in_county": pd.array([True, None, False, True, None, False, True, False], dtype="boolean"),
            "mixed": ["a", "b", "=1", "", "'+x", "c", "d", "e"],  # object dtype, all text
            'odd "name", here': pd.Series([None] * 8, dtype="str"),
        }
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_write_frame_csv_is_pandas_to_csv_byte_for_byte(tmp_path, monkeypatch, encoding):
    monkeypatch.setattr(csvwrite, "CHUNK_ROWS", 3)  # chunks that split the rows unevenly
    frames = {
        "awkward": _awkward_frame(),
        "empty": _awkward_frame().iloc[:0],
        "one column": _awkward_frame()[["Crime ID"]],
        "dates (pandas writes them)": _awkward_frame().assign(when=pd.Timestamp("2024-01-01")),
        "mixed objects (pandas writes them)": _awkward_frame().assign(mixed=[1, "a", None, 2.5, "b", "c", "d", "e"]),
    }
    for name, df in frames.items():
        df.to_csv(tmp_path / "pandas.csv", index=False, encoding=encoding)
        write_frame_csv(df, tmp_path / "fast.csv", encoding=encoding)
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes(), name


@pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
def test_classify_output_on_real_months_is_the_library_in_memory_path(tmp_path, capsys):
    """The CLI's files are, byte for byte, what ``write_csv(output_frame(run(...).incidents))``
    writes (the library's in-memory path, and the CLI's own writer before it was made fast)."""
    files = [SHARED / "police_uk" / f"{m}-northamptonshire-street.csv" for m in ("2019-01", "2024-01")]
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    argv = ["classify", *map(str, files), "--geography", str(SHARED), "--out", str(out), "--rejected", str(rej)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    definition = load_definition()
    found = find_geography_files(SHARED)
    geography = build_geography(definition, found["boundaries"], found["lookups"])
    memory = run(files, geography, definition)
    write_csv(output_frame(memory.incidents), tmp_path / "memory.csv")
    write_csv(memory.rejected, tmp_path / "memory_rej.csv")
    assert len(memory.incidents) == 6420 + 5613 and f"Wrote {len(memory.incidents):,} classified rows" in printed
    assert out.read_bytes() == (tmp_path / "memory.csv").read_bytes()
    assert rej.read_bytes() == (tmp_path / "memory_rej.csv").read_bytes()
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["Month"].tolist() == memory.incidents["month"].dt.strftime("%Y-%m").tolist()
    assert back["rural_reason"].nunique() > 5 and (back["is_rural_crime"] == "True").sum() > 100
