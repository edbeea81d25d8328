"""The loader: input layouts, typed output, rejections with reasons, row accounting."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from policeuk import csv_text, row, write

from ruralaction.incidents.loader import load_incidents
from ruralaction.incidents.schema import (
    CRIME_TYPES,
    INCIDENT_COLUMNS,
    POLICE_UK_COLUMNS,
)


def test_one_file_loads_typed_canonical_frame(tmp_path):
    p = write(
        tmp_path / "2024-01-northamptonshire-street.csv",
        [row("a"), row("", crime_type="Anti-social behaviour", outcome="")],
    )
    r = load_incidents([p])
    df = r.incidents
    assert list(df.columns) == list(INCIDENT_COLUMNS)
    assert len(df) == 2 and r.summary.balanced
    assert df["month"].dtype.kind == "M" and df["month"].iloc[0] == pd.Timestamp("2024-01-01")
    assert df["longitude"].dtype == np.float64 and df["latitude"].iloc[0] == pytest.approx(52.30)
    assert isinstance(df["crime_type"].dtype, pd.CategoricalDtype)
    assert list(df["crime_type"].cat.categories) == list(CRIME_TYPES)
    assert df["source_file"].iloc[0] == str(p) and list(df["line"]) == [2, 3]
    # Anti-social behaviour rows have no Crime ID and are kept.
    assert pd.isna(df["crime_id"].iloc[1]) and df["crime_type"].iloc[1] == "Anti-social behaviour"


def test_folder_in_archive_layout_and_many_files(tmp_path):
    for m in ("2024-01", "2024-02", "2024-03"):
        write(tmp_path / m / f"{m}-northamptonshire-street.csv", [row(f"{m}-a", month=m), row(f"{m}-b", month=m)])
    (tmp_path / "2024-01" / "2024-01-northamptonshire-outcomes.csv").write_text("Crime ID,Month\n")
    r = load_incidents([tmp_path])
    assert len(r.incidents) == 6
    assert sorted(r.incidents["month"].dt.strftime("%Y-%m").unique()) == ["2024-01", "2024-02", "2024-03"]
    assert not r.summary.errors  # the outcomes file is skipped, not an error
    assert any("outcomes" in (f.note or "") for f in r.summary.files)


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            # a fixed date: the bytes (and a test's id made from them) are the same at every collection
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def test_zip_archive_read_directly(tmp_path):
    data = _zip(
        {
            "2024-01/2024-01-northamptonshire-street.csv": csv_text([row("a"), row("b")]),
            "2024-02/2024-02-northamptonshire-street.csv": csv_text([row("c", month="2024-02")]),
            "2024-02/2024-02-northamptonshire-stop-and-search.csv": "Type,Date\n",
        }
    )
    path = tmp_path / "archive.zip"
    path.write_bytes(data)
    for source in (path, ("upload.zip", data)):
        r = load_incidents([source])
        assert sorted(r.incidents["crime_id"]) == ["a", "b", "c"]
        assert r.incidents["source_file"].astype(str).str.contains("!2024-0").all()


def test_same_force_month_twice_is_replaced_not_double_counted(tmp_path):
    old = write(tmp_path / "old" / "2024-01-northamptonshire-street.csv", [row("a"), row("b"), row("c")])
    new = write(tmp_path / "new" / "2024-01-northamptonshire-street.csv", [row("a"), row("b")])
    r = load_incidents([old, new])
    assert sorted(r.incidents["crime_id"]) == ["a", "b"]
    assert set(r.incidents["source_file"].astype(str)) == {str(new)}
    s = r.summary
    assert (s.rows_read, s.rows_loaded, s.rows_rejected, s.rows_replaced) == (5, 2, 0, 3)
    assert any("Replaced 3 rows" in line and str(new) in line for line in s.lines())
    # The same file given twice: the second copy replaces the first.
    r2 = load_incidents([new, new])
    assert len(r2.incidents) == 2 and r2.summary.rows_replaced == 2 and r2.summary.balanced


def test_duplicate_crime_ids_within_one_file_are_distinct_records(tmp_path):
    p = write(tmp_path / "f.csv", [row("same", lon="-0.90"), row("same", lon="-0.91"), row("same", lon="-0.92")])
    assert len(load_incidents([p]).incidents) == 3


def test_crlf_and_bom_files(tmp_path):
    p = tmp_path / "crlf.csv"
    p.write_bytes(b"\xef\xbb\xbf" + csv_text([row("a"), row("b")], newline="\r\n").encode())
    r = load_incidents([p])
    assert list(r.incidents["crime_id"]) == ["a", "b"] and list(r.incidents["line"]) == [2, 3]
    assert r.incidents["context"].isna().all()


BAD_ROWS = [
    (row("m", month="2024-13"), "Month", "'2024-13' is not a year and month"),
    (row("m", month="Jan 2024"), "Month", "is not a year and month"),
    (row("x", lon="abc"), "Longitude", "Longitude 'abc' is not a number"),
    (row("x", lat="north"), "Latitude", "Latitude 'north' is not a number"),
    (row("z", lon="0", lat="0"), "Longitude", "0,0"),
    (row("z", lon="-20.5", lat="52.3"), "Longitude", "outside the UK"),
    (row("z", lon="2.35", lat="48.85"), "Longitude", "outside the UK"),
    (row("h", lon="", lat="52.3"), "Longitude", "Longitude is blank but Latitude is not"),
    (row("t", crime_type="Shoplifting!"), "Crime type", "unknown crime type 'Shoplifting!'"),
    (row("t", crime_type=""), "Crime type", "Crime type is blank"),
]


@pytest.mark.parametrize(("bad", "column", "reason"), BAD_ROWS)
def test_each_rejection_reason_and_good_rows_still_load(tmp_path, bad, column, reason):
    p = write(tmp_path / "f.csv", [row("good1"), bad, row("good2")])
    r = load_incidents([p])
    assert list(r.incidents["crime_id"]) == ["good1", "good2"]
    assert len(r.rejected) == 1
    rej = r.rejected.iloc[0]
    assert (rej["source_file"], rej["line"], rej["column"]) == (str(p), 3, column)
    assert reason in rej["reason"]
    assert rej["raw"].split(",")[0] == bad[0]
    assert r.summary.balanced and r.summary.rows_rejected == 1


def test_wrong_field_count_and_undecodable_bytes_keep_line_numbers(tmp_path):
    text = csv_text([row("a")]) + "b,2024-01,short row\n" + "\n"
    data = (
        text.encode()
        + csv_text([row("c", location="Caf\u00e9 Street")]).split("\n", 1)[1].encode("latin-1")
        + csv_text([row("d")]).split("\n", 1)[1].encode()
    )
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    r = load_incidents([p])
    assert list(r.incidents["crime_id"]) == ["a", "d"]
    assert list(r.incidents["line"]) == [2, 6]
    by_line = r.rejected.set_index("line")["reason"]
    assert "wrong number of fields" in by_line[3] and "3 fields, expected 12" in by_line[3]
    assert "not UTF-8" in by_line[5]
    assert r.summary.balanced


def test_quoted_commas_and_newlines(tmp_path):
    p = write(
        tmp_path / "f.csv",
        [row("a", location="On or near Mill Lane, Brixworth"), row("b", location="line one\nline two"), row("c")],
    )
    r = load_incidents([p])
    assert list(r.incidents["location"]) == [
        "On or near Mill Lane, Brixworth",
        "line one\nline two",
        "On or near Church Lane",
    ]
    assert list(r.incidents["line"]) == [2, 3, 5]


def test_unmapped_crimes_kept_with_no_location(tmp_path):
    p = write(tmp_path / "f.csv", [row("a", lon="", lat="", location="No Location", lsoa_code="", lsoa_name="")])
    r = load_incidents([p])
    assert len(r.incidents) == 1 and len(r.rejected) == 0
    assert np.isnan(r.incidents["longitude"].iloc[0]) and pd.isna(r.incidents["lsoa_code"].iloc[0])


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.csv", b"", "empty.csv is empty"),
        ("blank.csv", b"\n\n", "blank.csv is empty"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv is not a CSV text file"),
        (
            "other.csv",
            b"name,age\nann,3\n",
            "other.csv is not a police.uk street-level CSV: it has no 'Crime ID', 'Month'",
        ),
        (
            "out.csv",
            b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\n",
            "looks like a police.uk outcomes file",
        ),
        ("nocsv.zip", _zip({"readme.txt": "hello"}), "nocsv.zip is a zip archive with no CSV files"),
        ("broken.zip", b"PK\x03\x04 not really", "broken.zip is not a readable zip archive"),
        ("cr.csv", b"\r\x01", "cr.csv is not a police.uk CSV: its first line is not a CSV header"),
    ],
)
def test_files_that_are_not_police_uk_csvs_fail_with_one_sentence(name, data, expected):
    good = ("good.csv", csv_text([row("a")]).encode())
    r = load_incidents([(name, data), good])
    assert len(r.incidents) == 1  # the other file still loads
    assert len(r.summary.errors) == 1
    message = r.summary.errors[0]
    assert expected in message and message.endswith(".") and "\n" not in message


def test_missing_path_is_reported(tmp_path):
    r = load_incidents([tmp_path / "nope.csv"])
    assert r.incidents.empty and "does not exist" in r.summary.errors[0]


def test_force_export_through_column_mapping(tmp_path):
    header = (
        "Occurrence Reference",
        "Date Committed",
        "Offence Group",
        "Longitude",
        "Latitude",
        "Location Description",
        "LSOA Code",
        "LSOA Name",
        "Premises Type",
        "Description",
        "Wildlife Flag",
        "Outcome",
        "Officer",
    )
    rows = [
        [
            "NP-1",
            "14/03/2024 22:30",
            "Hare coursing",
            "-0.9",
            "52.3",
            "Field off Harlestone Road",
            "E01027000",
            "Daventry 001A",
            "Agricultural land",
            "Hare coursing with dogs <b>reported</b>",
            "Y",
            "Under investigation",
            "PC 1",
        ],
        [
            "NP-2",
            "02/04/2024 09:05",
            "Burglary - residential",
            "-0.9",
            "52.3",
            "Church Lane",
            "",
            "",
            "Dwelling",
            "",
            "N",
            "",
            "PC 2",
        ],
        ["NP-3", "31/02/2024 09:05", "Burglary", "-0.9", "52.3", "x", "", "", "", "", "N", "", "PC 3"],
    ]
    p = write(tmp_path / "export.csv", rows, header=header)
    r = load_incidents([p])
    df = r.incidents
    assert list(df["crime_id"]) == ["NP-1", "NP-2"]
    assert list(df["crime_type"]) == ["Other crime", "Burglary"]
    assert list(df["month"].dt.strftime("%Y-%m")) == ["2024-03", "2024-04"]
    assert df["occurred_at"].iloc[0] == pd.Timestamp("2024-03-14 22:30")
    assert list(df["wildlife_flag"]) == [True, False]
    assert df["premises_type"].iloc[0] == "Agricultural land"
    assert df["description"].iloc[0] == "Hare coursing with dogs <b>reported</b>"
    assert (df["reported_by"] == "Northamptonshire Police").all() and (df["source_format"] == "force_export").all()
    assert r.rejected.iloc[0]["column"] == "Date Committed" and r.rejected.iloc[0]["line"] == 4


def test_police_uk_header_order_does_not_matter(tmp_path):
    cols = list(POLICE_UK_COLUMNS)[::-1]
    p = write(tmp_path / "f.csv", [row("a")[::-1]], header=tuple(cols))
    r = load_incidents([p])
    assert r.incidents["crime_id"].iloc[0] == "a" and r.incidents["crime_type"].iloc[0] == "Burglary"


def test_zip_bomb_refused_before_decompressing():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2024-01/2024-01-x-street.csv", b"0" * (60 * 1024**2))  # 60 MB of zeros: ~1000:1
    r = load_incidents([("bomb.zip", buf.getvalue())])
    assert r.incidents.empty and "bomb.zip was refused" in r.summary.errors[0] and "zip bomb" in r.summary.errors[0]
