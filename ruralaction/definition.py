"""The rural-crime definition: one readable TOML file, loaded into a typed object.

The shipped default is Northamptonshire's (``definitions/northamptonshire.toml``). Another
county copies and edits that file; nothing about the definition lives in code.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ruralaction.faults import ConfigError
from ruralaction.tomlschema import error_at, read_toml, validate

DEFAULT_DEFINITION = Path(__file__).parent / "definitions" / "northamptonshire.toml"
WHAT = "Definition file"
#: The fields a ``[formats.*.columns]`` table may map (``ruralaction.incidents.schema``; listed
#: here because the definition sits below the incidents stage).
_CANONICAL_FIELDS = (
    "crime_id",
    "month",
    "occurred_at",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "last_outcome",
    "context",
    "premises_type",
    "description",
    "wildlife_flag",
)


class DefinitionError(ConfigError):
    """The definition file is missing, not TOML, or a setting is missing or of the wrong kind;
    the message names the file, the line and the setting."""


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
    report_online: str = ""

    def class_code(self, value: str) -> str | None:
        """Return the RUC code (``"D1"``) for a code or an ONS class name, or ``None``."""
        v = value.strip()
        if v.upper() in self.class_names.values():
            return v.upper()
        lowered = {k.lower(): c for k, c in self.class_names.items()}
        return lowered.get(v.lower())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_Words = list[Annotated[str, Field(min_length=1)]]


class _Bounds(_Strict):
    min_lon: float = Field(ge=-180, le=180)
    min_lat: float = Field(ge=-90, le=90)
    max_lon: float = Field(ge=-180, le=180)
    max_lat: float = Field(ge=-90, le=90)

    @model_validator(mode="after")
    def _ordered(self) -> _Bounds:
        if self.min_lon >= self.max_lon or self.min_lat >= self.max_lat:
            raise ValueError("min_lon must be below max_lon and min_lat below max_lat")
        return self


class _County(_Strict):
    name: str = Field(min_length=1)
    force: str = ""
    #: The force's own online crime reporting page, shown above the concern form.
    report_online: str = Field("", pattern=r"^(https://[^\s<>\"'()\[\]\\]+)?$")
    bounds: _Bounds


class _Wildlife(_Strict):
    category: str = Field("wildlife crime", min_length=1)
    keywords: _Words = []
    flag_true_values: _Words = ["y", "yes", "true", "1"]


class _Farm(_Strict):
    premises_words: _Words = []
    location_words: _Words = []
    street_types: _Words = []
    points_buffer_m: float = Field(150, ge=0, le=10_000)


class _Rural(_Strict):
    classes: list[Annotated[str, Field(min_length=2, max_length=2)]] = Field(min_length=1)
    class_names: dict[str, str] = {}
    extra_rural_wards: _Words = []
    extra_urban_wards: _Words = []


class _Format(_Strict):
    label: str | None = None
    required: _Words = Field(min_length=1)
    columns: dict[str, str]
    constants: dict[str, str] = {}
    crime_types: dict[str, str] = {}
    datetime_format: str | None = None
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"encoding {v!r} is not a text encoding Python knows") from None
        return v


class _DefinitionFile(BaseModel):
    """The schema of a definition file. Other top-level sections (``[progress]``) are read and
    checked by their own modules."""

    model_config = ConfigDict(extra="allow")
    county: _County
    categories: dict[str, Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    wildlife: _Wildlife
    farm: _Farm
    rural: _Rural
    formats: dict[str, _Format] = {}


def load_definition(path: str | os.PathLike | None = None) -> Definition:
    """Read a definition TOML file, checked against its schema.

    Parameters
    ----------
    path : path-like, optional
        The file. Default: ``$RURALACTION_DEFINITION`` if set, else the shipped
        Northamptonshire definition.

    Raises
    ------
    DefinitionError
        With the file name, the line and the setting that is missing or of the wrong kind.
    """
    p = Path(path or os.environ.get("RURALACTION_DEFINITION") or DEFAULT_DEFINITION)
    try:
        raw, text = read_toml(p, WHAT)
        d = validate(_DefinitionFile, raw, p, WHAT, text)
        unknown = [
            (name, field) for name, f in d.formats.items() for field in f.columns if field not in _CANONICAL_FIELDS
        ]
        if unknown:
            name, field = unknown[0]
            raise error_at(
                p,
                WHAT,
                text,
                ("formats", name, "columns", field),
                f"is not a field the loader knows (one of {', '.join(_CANONICAL_FIELDS)})",
            )
    except ConfigError as exc:
        raise DefinitionError(str(exc), path=exc.path, line=exc.line, key=exc.key) from None
    formats = tuple(
        SourceFormat(
            name=name,
            label=f.label or name,
            required=tuple(f.required),
            columns=dict(f.columns),
            constants=dict(f.constants),
            crime_types=dict(f.crime_types),
            datetime_format=f.datetime_format,
            encoding=f.encoding,
        )
        for name, f in d.formats.items()
    )
    return Definition(
        county=d.county.name,
        force=d.county.force,
        bounds=d.county.bounds.model_dump(),
        categories=dict(d.categories),
        wildlife_category=d.wildlife.category,
        wildlife_keywords=tuple(d.wildlife.keywords),
        wildlife_flag_true=tuple(v.lower() for v in d.wildlife.flag_true_values),
        farm_premises_words=tuple(d.farm.premises_words),
        farm_location_words=tuple(d.farm.location_words),
        street_types=tuple(d.farm.street_types),
        farm_points_buffer_m=float(d.farm.points_buffer_m),
        rural_classes=frozenset(c.upper() for c in d.rural.classes),
        class_names=dict(d.rural.class_names),
        extra_rural_wards=frozenset(d.rural.extra_rural_wards),
        extra_urban_wards=frozenset(d.rural.extra_urban_wards),
        formats=formats,
        path=p,
        report_online=d.county.report_online,
    )
