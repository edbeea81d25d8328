"""Helpers that write small files in the real police.uk street-level format for tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ruralaction.incidents.schema import POLICE_UK_COLUMNS

FORCE = "Northamptonshire Police"


def row(
    crime_id: str = "c1",
    month: str = "2024-01",
    lon: str = "-0.90",
    lat: str = "52.30",
    location: str = "On or near Church Lane",
    lsoa_code: str = "E01027000",
    lsoa_name: str = "Daventry 001A",
    crime_type: str = "Burglary",
    outcome: str = "Under investigation",
    force: str = FORCE,
    context: str = "",
) -> list[str]:
    """One police.uk row as a list of field strings (defaults: an in-county burglary)."""
    return [crime_id, month, force, force, lon, lat, location, lsoa_code, lsoa_name, crime_type, outcome, context]


def csv_text(rows: list[list[str]], header: tuple[str, ...] = POLICE_UK_COLUMNS, newline: str = "\n") -> str:
    """The CSV text of a header and rows, quoted the way police.uk (and csv) quote."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write(path: Path, rows: list[list[str]], **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(rows, **kw), encoding="utf-8", newline="")
    return path
