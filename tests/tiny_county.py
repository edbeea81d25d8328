"""A tiny county in the real file formats, with every headline number counted by hand.

Two square wards side by side (lat 52.0..52.1), classed by the ``RUC11CD`` column of the
boundary file itself::

    W1 Brixworth  lon -1.0..-0.9  E1 (rural)
    W2 Castle     lon -0.9..-0.8  C1 (urban)

Each row's comment says how the definition treats it.
"""

from __future__ import annotations

import json
from pathlib import Path

from policeuk import row, write

RURAL_XY = ("-0.95", "52.05")
URBAN_XY = ("-0.85", "52.05")
FAR_XY = ("-2.50", "53.30")  # Cheshire: outside both wards

TINY_JAN = [
    row("a1", "2024-01", *RURAL_XY, crime_type="Burglary"),  # rural: ward
    row("a2", "2024-01", *RURAL_XY, crime_type="Vehicle crime"),  # rural: ward
    row("a3", "2024-01", *URBAN_XY, location="On or near Manor Farm"),  # rural: farm
    row("a4", "2024-01", *URBAN_XY),  # urban burglary
    row("a5", "2024-01", *RURAL_XY, crime_type="Shoplifting"),  # out of scope
    row("bad", "2024-13", *RURAL_XY),  # rejected: month
]
TINY_MAR = [
    row("c1", "2024-03", *RURAL_XY, crime_type="Criminal damage and arson"),  # rural: ward
    row("c2", "2024-03", *FAR_XY, location="On or near Manor Farm"),  # outside county
    row(
        "",
        "2024-03",
        "",
        "",
        location="No location",
        lsoa_code="",
        lsoa_name="",
        crime_type="Anti-social behaviour",
        outcome="",
    ),  # no location
    row("c3", "2024-03", *RURAL_XY, crime_type="Robbery"),  # rural: ward
    row(
        "c4", "2024-03", *RURAL_XY, crime_type="Other crime", context="Hare coursing reported on the fields"
    ),  # rural: wildlife
    row("c5", "2024-03", *RURAL_XY, crime_type="Burglary"),  # rural: ward
]
#: Hand-counted from the rows above.
TINY_EXPECTED = {
    "incidents": 11,
    "rejected": 1,
    "in_county": 9,
    "outside_county": 1,
    "county_unknown": 1,
    "in_scope_in_county": 8,
    "rural_crimes": 7,
    "no_location": 1,
    "unknown_class": 2,
    "months": 2,
}


def _square(x0: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, 52.0], [x0 + 0.1, 52.0], [x0 + 0.1, 52.1], [x0, 52.1], [x0, 52.0]]],
    }


def write_tiny_county(root: Path) -> Path:
    """Write the tiny county (police.uk CSVs for 2024-01 and 2024-03, two ward polygons with
    their rural-urban class) into ``root`` in the data-directory layout, without ``demo.json``."""
    wards = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"WD13CD": "W1", "WD13NM": "Brixworth", "RUC11CD": "E1"},
                "geometry": _square(-1.0),
            },
            {
                "type": "Feature",
                "properties": {"WD13CD": "W2", "WD13NM": "Castle", "RUC11CD": "C1"},
                "geometry": _square(-0.9),
            },
        ],
    }
    (root / "boundaries" / "wards").mkdir(parents=True, exist_ok=True)
    (root / "boundaries" / "wards" / "tiny_wards.geojson").write_text(json.dumps(wards), encoding="utf-8")
    write(root / "police_uk" / "2024-01" / "2024-01-northamptonshire-street.csv", TINY_JAN)
    write(root / "police_uk" / "2024-03" / "2024-03-northamptonshire-street.csv", TINY_MAR)
    return root
