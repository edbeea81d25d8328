"""The rural-crime definition: one readable TOML file, loaded into a typed object.

The shipped default is Northamptonshire's (``definitions/northamptonshire.toml``). Another
county copies and edits that file; nothing about the definition lives in code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DEFINITION = Path(__file__).parent / "definitions" / "northamptonshire.toml"


class DefinitionError(ValueError):
    """The definition file is missing, not TOML, or lacks a required setting."""


@dataclass(frozen=True)
class SourceFormat:
    """How to read a force's own CSV export.

    Attributes
    ----------
    name : str
        Key in the definition file (``[formats.<name>]``).
    label : str
        Human name shown in summaries.
    required : tuple of str
        Headers that identify the format; a CSV having all of them is read with this mapping.
    columns : dict
        Canonical field -> the file's header. Canonical fields: ``crime_id, month, occurred_at,
        reported_by, falls_within, longitude, latitude, location, lsoa_code, lsoa_name,
        crime_type, last_outcome, context, premises_type, description, wildlife_flag``.
    constants : dict
        Canonical field -> a value used for every row (e.g. the force name).
    crime_types : dict
        The file's offence names -> police.uk crime types.
    datetime_format : str or None
        strptime format of ``occurred_at``; ``None`` lets pandas infer ISO 8601.
    encoding : str
        Text encoding of the file.
    """

    name: str
    label: str
    required: tuple[str, ...]
    columns: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    crime_types: dict[str, str] = field(default_factory=dict)
    datetime_format: str | None = None
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Definition:
    """Every rule of the rural-crime definition (see the TOML file for meanings)."""

    county: str
    force: str
    bounds: dict[str, float]
    categories: dict[str, str]
    wildlife_category: str
    wildlife_keywords: tuple[str, ...]
    wildlife_flag_true: tuple[str, ...]
    farm_premises_words: tuple[str, ...]
    farm_location_words: tuple[str, ...]
    street_types: tuple[str, ...]
    farm_points_buffer_m: float
    rural_classes: frozenset[str]
    class_names: dict[str, str]
    extra_rural_wards: frozenset[str]
    extra_urban_wards: frozenset[str]
    formats: tuple[SourceFormat, ...]
    path: Path | None = None

    def class_code(self, value: str) -> str | None:
        """Return the RUC code (``"D1"``) for a code or an ONS class name, or ``None``."""
        v = value.strip()
        if v.upper() in self.class_names.values():
            return v.upper()
        lowered = {k.lower(): c for k, c in self.class_names.items()}
        return lowered.get(v.lower())


def _req(table: dict, key: str, where: str, path: Path):
    try:
        return table[key]
    except KeyError:
        raise DefinitionError(f"{path}: [{where}] has no '{key}' setting.") from None


def load_definition(path: str | os.PathLike | None = None) -> Definition:
    """Read a definition TOML file.

    Parameters
    ----------
    path : path-like, optional
        The file. Default: ``$RURALACTION_DEFINITION`` if set, else the shipped
        Northamptonshire definition.

    Raises
    ------
    DefinitionError
        With the file name and the missing or malformed setting.
    """
    p = Path(path or os.environ.get("RURALACTION_DEFINITION") or DEFAULT_DEFINITION)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(f"Definition file {p} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"Definition file {p} is not valid TOML: {exc}.") from None

    county = _req(raw, "county", "top level", p)
    wildlife = _req(raw, "wildlife", "top level", p)
    farm = _req(raw, "farm", "top level", p)
    rural = _req(raw, "rural", "top level", p)
    formats = tuple(
        SourceFormat(
            name=name,
            label=f.get("label", name),
            required=tuple(_req(f, "required", f"formats.{name}", p)),
            columns=dict(_req(f, "columns", f"formats.{name}", p)),
            constants=dict(f.get("constants", {})),
            crime_types=dict(f.get("crime_types", {})),
            datetime_format=f.get("datetime_format"),
            encoding=f.get("encoding", "utf-8"),
        )
        for name, f in raw.get("formats", {}).items()
    )
    return Definition(
        county=_req(county, "name", "county", p),
        force=county.get("force", ""),
        bounds={k: float(v) for k, v in _req(county, "bounds", "county", p).items()},
        categories=dict(_req(raw, "categories", "top level", p)),
        wildlife_category=wildlife.get("category", "wildlife crime"),
        wildlife_keywords=tuple(wildlife.get("keywords", ())),
        wildlife_flag_true=tuple(v.lower() for v in wildlife.get("flag_true_values", ("y", "yes", "true", "1"))),
        farm_premises_words=tuple(farm.get("premises_words", ())),
        farm_location_words=tuple(farm.get("location_words", ())),
        street_types=tuple(farm.get("street_types", ())),
        farm_points_buffer_m=float(farm.get("points_buffer_m", 150)),
        rural_classes=frozenset(c.upper() for c in _req(rural, "classes", "rural", p)),
        class_names=dict(rural.get("class_names", {})),
        extra_rural_wards=frozenset(rural.get("extra_rural_wards", ())),
        extra_urban_wards=frozenset(rural.get("extra_urban_wards", ())),
        formats=formats,
        path=p,
    )
