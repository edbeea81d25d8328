"""Column names and types: the police.uk street-level format and the canonical incident frame."""

from __future__ import annotations

#: The twelve columns of a data.police.uk street-level crime CSV, in file order.
POLICE_UK_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

#: police.uk header -> canonical field name.
POLICE_UK_TO_CANONICAL: dict[str, str] = {
    "Crime ID": "crime_id",
    "Month": "month",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "last_outcome",
    "Context": "context",
}
CANONICAL_TO_POLICE_UK = {v: k for k, v in POLICE_UK_TO_CANONICAL.items()}

#: The fourteen crime types police.uk publishes (street-level files since 2013).
CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)

#: Extra fields a force's own export may carry (mapped through the definition file).
EXTRA_FIELDS: tuple[str, ...] = ("occurred_at", "premises_type", "description", "wildlife_flag")

#: Columns every loaded incident frame has, in order.
INCIDENT_COLUMNS: tuple[str, ...] = (
    *POLICE_UK_TO_CANONICAL.values(),
    *EXTRA_FIELDS,
    "source_format",
    "source_file",
    "line",
)

#: Columns the classifier adds.
CLASSIFICATION_COLUMNS: tuple[str, ...] = (
    "rural_category",
    "at_farm",
    "ward_code",
    "ward_name",
    "in_rural_ward",
    "rural_basis",
    "in_county",
    "is_rural_crime",
    "rural_reason",
)

#: Columns of the rejected-rows table.
REJECTED_COLUMNS: tuple[str, ...] = ("source_file", "line", "column", "reason", "raw")

#: A generous box around Great Britain and Northern Ireland (WGS84); coordinates outside it
#: cannot be a UK police record.
UK_BOUNDS = {"min_lon": -8.75, "max_lon": 1.85, "min_lat": 49.8, "max_lat": 60.95}

#: Categories the rural-crime definition knows, in display order.
RURAL_CATEGORIES: tuple[str, ...] = (
    "burglary",
    "theft from the person",
    "vehicle crime",
    "robbery",
    "criminal damage",
    "wildlife crime",
)
