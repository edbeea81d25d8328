"""The "raise a concern" form as data: its fields, limits and rules, checked by a pure function.

:func:`validate_concern` takes what someone typed (a mapping of field name to value, exactly as
widgets return it) and gives back either a clean :class:`ConcernInput` or a message for each
field that is wrong, so a page can show every message beside its field and save nothing until
the form is valid. Nothing here touches the database.

Text is kept as typed (trimmed, Unicode-normalised): HTML or script in any field is stored as
plain text and every page shows it escaped. Control characters other than line breaks and tabs
in the description are refused, as is text longer than the limits below.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ruralaction.concerns.places import WardMatch, match_ward, ward_table
from ruralaction.definition import Definition, load_definition
from ruralaction.incidents.schema import UK_BOUNDS

#: Fields of the form, in the order they are shown (the keys of ``errors_by_field``, plus
#: ``"contact"`` for the "email or phone, at least one" rule).
FIELDS: tuple[str, ...] = (
    "name",
    "email",
    "phone",
    "ward_code",
    "place",
    "category",
    "description",
    "latitude",
    "longitude",
    "consent",
)
#: Fields that must be filled in (contact is "email or phone", see :data:`CONTACT_FIELDS`).
REQUIRED: tuple[str, ...] = ("name", "ward", "category", "description", "consent")
CONTACT_FIELDS: tuple[str, ...] = ("email", "phone")

MAX_NAME = 100
MAX_EMAIL = 254  # RFC 5321's limit for a forward path
MAX_PHONE = 30  # as typed, with spaces and brackets
MAX_PLACE = 100
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 2000
#: Decimal places a location is kept to (~110 m north-south): near enough to find a tipping
#: spot or a gateway, too coarse to pinpoint one house.
LOCATION_DECIMALS = 3

#: Concern categories beyond the rural-crime definition's own, in display order.
EXTRA_CATEGORIES: tuple[str, ...] = ("fly-tipping", "hare coursing", "speeding", "anti-social behaviour", "other")
_LABELS = {"anti-social behaviour": "Anti-social behaviour (ASB)", "other": "Something else"}
#: Action-tracker issues (``vocabulary.toml``) that typically answer a concern category: the
#: admin's link picker offers those actions first. Any action may be linked.
CATEGORY_ISSUES: dict[str, tuple[str, ...]] = {
    "burglary": ("Burglary", "Machinery theft", "Fuel theft"),
    "theft from the person": ("Theft from the person",),
    "vehicle crime": ("Vehicle crime", "Machinery theft"),
    "robbery": ("Robbery",),
    "criminal damage": ("Criminal damage",),
    "wildlife crime": ("Wildlife crime", "Hare coursing"),
    "fly-tipping": ("Fly-tipping",),
    "hare coursing": ("Hare coursing", "Wildlife crime"),
    "speeding": ("Speeding",),
    "anti-social behaviour": ("Other rural concern", "Criminal damage"),
    "other": ("Other rural concern", "Livestock worrying"),
}

_EMAIL = re.compile(
    r"^(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class ConcernInput:
    """A valid concern, cleaned, ready to store.

    Attributes
    ----------
    name : str
        Personal: shown to admins only, erased after the retention period.
    email, phone : str
        Personal contact details (at least one is set; the other is ``""``). ``email`` has a
        lower-case domain; ``phone`` is digits with a leading ``+`` for international numbers.
    ward_code, ward_name : str
        The ward, from the picker or matched from ``place``.
    place : str
        What was typed to find the ward (a village, a postcode); personal, erased with the name.
    ward_matched_by : {"picker", "exact", "part", "prefix", "similar", "postcode"}
        How the ward was found.
    category : str
        One of :func:`concern_categories`.
    description : str
        What the concern is, as typed (never shown on public pages).
    latitude, longitude : float or None
        An optional point, rounded to :data:`LOCATION_DECIMALS` places.
    consent : bool
        Always true for a valid concern: they agreed to be contacted about it.
    """

    name: str
    email: str
    phone: str
    ward_code: str
    ward_name: str
    place: str
    ward_matched_by: str
    category: str
    description: str
    latitude: float | None
    longitude: float | None
    consent: bool = True


def concern_categories(definition: Definition | None = None) -> tuple[str, ...]:
    """The categories a concern can have: the rural-crime definition's categories (its police.uk
    categories, then wildlife crime), then :data:`EXTRA_CATEGORIES`. Lower-case keys."""
    d = definition or load_definition()
    core = [*dict.fromkeys(c.strip().lower() for c in d.categories.values()), d.wildlife_category.strip().lower()]
    return tuple(dict.fromkeys([*core, *EXTRA_CATEGORIES]))


def category_label(category: str) -> str:
    """How a category key reads on a page: ``"vehicle crime"`` -> ``"Vehicle crime"``."""
    return _LABELS.get(category, category[:1].upper() + category[1:])


def matching_issues(category: str) -> tuple[str, ...]:
    """The action issues that answer ``category`` (:data:`CATEGORY_ISSUES`, else the issue of
    the same name)."""
    return CATEGORY_ISSUES.get(category, (category_label(category),))


def _text(value: object) -> str:
    """A form value as trimmed NFC text (None and NaN are empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _one_line(field: str, label: str, value: str, limit: int, errors: dict[str, str]) -> str:
    value = re.sub(r"[ \t]+", " ", value)
    if _CONTROL_ONE_LINE.search(value):
        errors[field] = f"The {label} cannot contain line breaks or control characters."
    elif len(value) > limit:
        errors[field] = f"The {label} is too long: at most {limit} characters (this is {len(value):,})."
    return value


def normalise_email(value: str) -> str:
    """An email as stored: trimmed, domain lower-case (the local part is kept as typed)."""
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else value.strip()


def check_email(value: str) -> str | None:
    """Why ``value`` is not an email address we can use, or None when it is."""
    if len(value) > MAX_EMAIL:
        return f"The email address is too long: at most {MAX_EMAIL} characters."
    if " " in value:
        return "An email address has no spaces."
    if value.count("@") != 1:
        return "An email address looks like name@example.org."
    m = _EMAIL.match(value)
    if m is None or m["local"].startswith(".") or m["local"].endswith(".") or ".." in m["local"]:
        return "That is not a valid email address; it should look like name@example.org."
    return None


def normalise_phone(value: str) -> str:
    """A phone number as stored: its digits, with ``+`` kept for an international number."""
    digits = re.sub(r"\D", "", value)
    return ("+" + digits) if value.strip().startswith("+") else digits


def check_phone(value: str) -> str | None:
    """Why ``value`` is not a phone number we can ring, or None when it is.

    UK numbers are ``0`` and 9 or 10 more digits (``01604 123456``, ``07700 900123``), or
    ``+44`` and 9 or 10 digits; other international numbers are ``+`` and 8 to 15 digits.
    """
    if len(value) > MAX_PHONE:
        return f"The phone number is too long: at most {MAX_PHONE} characters."
    if not _PHONE_CHARS.match(value) or "+" in value[1:]:
        return "A phone number has only digits, spaces and an optional + at the start."
    digits = normalise_phone(value)
    if digits.startswith("+44"):
        national = digits[3:].removeprefix("0")  # "+44 (0)1604 …" is written both ways
        ok = 9 <= len(national) <= 10 and not national.startswith("0")
    elif digits.startswith("+"):
        ok = 8 <= len(digits) - 1 <= 15 and not digits.startswith("+0")
    else:
        ok = digits.startswith("0") and 10 <= len(digits) <= 11 and not digits.startswith("00")
    return None if ok else "That is not a phone number we can ring: a UK number is 0 and 9 or 10 more digits."


def _coordinate(value: object) -> tuple[float | None, bool]:
    """(number or None, whether the value was unreadable)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, True
    return (None, True) if not math.isfinite(number) else (number, False)


def _ward(
    form: Mapping[str, object], wards: pd.DataFrame | None, postcodes: Mapping[str, str] | None, errors: dict[str, str]
) -> tuple[str, str, str, str]:
    """(ward code, ward name, place text, matched by) from the picker or the place text."""
    code = _text(form.get("ward_code"))
    place = _one_line("place", "place name", _text(form.get("place")), MAX_PLACE, errors)
    table = ward_table(wards) if wards is not None else None
    if code:
        if table is None:
            return code, "", place, "picker"
        names = dict(zip(table["ward_code"], table["ward_name"]))
        if code not in names:
            errors["ward"] = "That ward is not one of ours; choose it from the list."
            return "", "", place, ""
        return code, names[code], place, "picker"
    if not place:
        errors["ward"] = "Choose your parish or ward, or type the name of your village or town."
        return "", "", place, ""
    if "place" in errors:
        return "", "", place, ""
    if table is None:
        errors["ward"] = "Choose your parish or ward from the list."
        return "", "", place, ""
    m: WardMatch = match_ward(place, table, postcodes)
    if m.ward_code is None:
        errors["ward"] = m.message
        return "", "", place, ""
    return m.ward_code, m.ward_name or "", place, m.how


def validate_concern(
    form: Mapping[str, object],
    wards: pd.DataFrame | Mapping[str, str] | None = None,
    *,
    categories: Sequence[str] | None = None,
    postcodes: Mapping[str, str] | None = None,
) -> tuple[ConcernInput | None, dict[str, str]]:
    """Check a filled-in concern form.

    Parameters
    ----------
    form : mapping
        ``name``, ``email``, ``phone``, ``ward_code`` (from the picker, may be empty),
        ``place`` (a village, town or postcode to match to a ward when no ward is picked),
        ``category``, ``description``, ``latitude`` and ``longitude`` (optional, numbers or
        text), ``consent`` (bool). Missing keys count as empty.
    wards : DataFrame or mapping, optional
        The loaded wards (``ward_code``, ``ward_name`` and optionally ``district``), or code ->
        name. Without it a picked ward code is accepted as given and place names cannot be
        matched.
    categories : sequence of str, optional
        Allowed categories (default :func:`concern_categories` of the loaded definition).
    postcodes : mapping of str to str, optional
        Postcode (any spacing or case) -> ward code, when a postcode lookup is loaded.

    Returns
    -------
    (ConcernInput or None, dict of str to str)
        The clean concern and ``{}`` when valid; else None and one message per field, keyed
        ``name``, ``email``, ``phone``, ``contact`` (neither email nor phone), ``ward``,
        ``place``, ``category``, ``description``, ``location``, ``consent``.
    """
    errors: dict[str, str] = {}
    allowed = tuple(categories) if categories is not None else concern_categories()

    name = _one_line("name", "name", _text(form.get("name")), MAX_NAME, errors)
    if not name:
        errors["name"] = "Tell us your name."
    elif "name" not in errors and not any(ch.isalpha() for ch in name):
        errors["name"] = "A name needs at least one letter."

    email = _text(form.get("email"))
    if email and (why := check_email(email)):
        errors["email"] = why
    phone = _text(form.get("phone"))
    if phone and (why := check_phone(phone)):
        errors["phone"] = why
    if not email and not phone:
        errors["contact"] = "Give an email address or a phone number (at least one), so we can reply."

    ward_code, ward_name, place, how = _ward(form, wards, postcodes, errors)

    category = _text(form.get("category")).lower()
    if not category:
        errors["category"] = "Choose what the concern is about."
    elif category not in allowed:
        errors["category"] = "Choose a category from the list."

    description = unicodedata.normalize("NFC", str(form.get("description") or "")).strip().replace("\r\n", "\n")
    if not description:
        errors["description"] = "Describe the concern."
    elif _CONTROL.search(description):
        errors["description"] = "The description contains control characters; please retype it."
    elif len(description) < MIN_DESCRIPTION:
        errors["description"] = f"Please say a little more: at least {MIN_DESCRIPTION} characters."
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = (
            f"The description is too long: at most {MAX_DESCRIPTION:,} characters (this is {len(description):,})."
        )

    lat, bad_lat = _coordinate(form.get("latitude"))
    lon, bad_lon = _coordinate(form.get("longitude"))
    if bad_lat or bad_lon:
        errors["location"] = "The location must be two numbers: latitude and longitude in decimal degrees."
    elif (lat is None) != (lon is None):
        errors["location"] = "Give both latitude and longitude, or leave the location empty."
    elif lat is not None and not (
        UK_BOUNDS["min_lat"] <= lat <= UK_BOUNDS["max_lat"] and UK_BOUNDS["min_lon"] <= lon <= UK_BOUNDS["max_lon"]
    ):
        errors["location"] = "That location is not in the UK."

    if form.get("consent") is not True:
        errors["consent"] = "Tick the box to agree that we may contact you about this concern."

    if errors:
        return None, errors
    return ConcernInput(
        name=name,
        email=normalise_email(email) if email else "",
        phone=normalise_phone(phone) if phone else "",
        ward_code=ward_code,
        ward_name=ward_name,
        place=place,
        ward_matched_by=how,
        category=category,
        description=description,
        latitude=None if lat is None else round(lat, LOCATION_DECIMALS),
        longitude=None if lon is None else round(lon, LOCATION_DECIMALS),
        consent=True,
    ), {}


__all__ = [
    "CATEGORY_ISSUES",
    "CONTACT_FIELDS",
    "EXTRA_CATEGORIES",
    "FIELDS",
    "REQUIRED",
    "ConcernInput",
    "category_label",
    "check_email",
    "check_phone",
    "concern_categories",
    "matching_issues",
    "validate_concern",
]
