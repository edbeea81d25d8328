"""Which ward someone means: a place name or postcode typed into the concern form, matched to a
ward of the loaded boundaries.

Residents know their village, not their ward code. :func:`match_ward` tries, in order, and stops
at the first step that finds anything (one ward: matched; several: ask them to choose):

1. a postcode, when a postcode lookup is loaded (:func:`read_postcode_lookup`);
2. the ward's name exactly (``"Woodford"``), or with its district (``"Castle, Northampton"``);
3. a place that is part of a ward's name (``"West Haddon"`` is in "Crick and West Haddon");
4. a ward's name inside what was typed (``"near Moulton village"``), longest name first;
5. the start of a name (``"Brix"``), at least 3 letters;
6. a close spelling (``"Brixwoth"``).

Case, accents, punctuation, ``&``/``and`` and ``St``/``Saint`` do not matter. Nothing is guessed
between two equally good wards.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b", re.IGNORECASE)
_FILLER = {
    "the",
    "ward",
    "parish",
    "village",
    "town",
    "near",
    "nr",
    "in",
    "at",
    "of",
    "on",
    "or",
    "area",
    "around",
    "council",
    "outside",
    "by",
    "just",
    "off",
}
MIN_PREFIX = 3
SIMILARITY = 0.82
_MAX_LISTED = 4


@dataclass(frozen=True)
class WardMatch:
    """The outcome of :func:`match_ward`.

    Attributes
    ----------
    ward_code, ward_name : str or None
        The ward, when exactly one matched.
    how : {"postcode", "exact", "part", "contains", "prefix", "similar", ""}
        Which step found it ("" when none did).
    candidates : tuple of str
        Ward codes that matched equally well (more than one: the person must choose).
    message : str
        One sentence to show: what it matched, or why it did not.
    """

    ward_code: str | None
    ward_name: str | None
    how: str
    candidates: tuple[str, ...] = field(default=())
    message: str = ""


def normalise_place(text: str) -> str:
    """Text reduced for comparing place names: lower case, no accents or punctuation, ``&`` as
    ``and``, ``Saint`` as ``st``, single spaces."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    t = t.replace("&", " and ").replace("'", "").replace("\u2019", "")
    t = re.sub(r"[^a-z0-9]+", " ", t)
    t = re.sub(r"\bsaint\b", "st", t)
    return " ".join(t.split())


def _strip_filler(norm: str) -> str:
    return " ".join(w for w in norm.split() if w not in _FILLER)


def normalise_postcode(text: str) -> str:
    """A postcode without spaces, upper case (``"nn6 9ab"`` -> ``"NN69AB"``)."""
    return re.sub(r"\s+", "", text).upper()


def looks_like_postcode(text: str) -> bool:
    """Whether ``text`` is a full UK postcode or just its first half (``"NN6"``)."""
    t = normalise_postcode(text)
    return bool(_POSTCODE.match(t) or _OUTWARD.match(t))


def ward_table(wards: pd.DataFrame | Mapping[str, str]) -> pd.DataFrame:
    """``ward_code, ward_name, district, label`` from a ward frame (``Geography.wards`` or a
    frame with those columns) or a code -> name mapping. ``label`` is "Name (District)"."""
    if isinstance(wards, pd.DataFrame):
        out = pd.DataFrame(
            {
                "ward_code": wards["ward_code"].astype(str).to_numpy(),
                "ward_name": wards["ward_name"].astype(str).to_numpy(),
            }
        )
        district = wards["district"].astype("object").to_numpy() if "district" in wards else [None] * len(out)
    else:
        out = pd.DataFrame({"ward_code": [str(k) for k in wards], "ward_name": [str(v) for v in wards.values()]})
        district = [None] * len(out)
    out["district"] = [d if isinstance(d, str) and d.strip() else "" for d in district]
    out["label"] = [f"{n} ({d})" if d else n for n, d in zip(out["ward_name"], out["district"])]
    return out.drop_duplicates("ward_code").reset_index(drop=True)


def _parts(norm_name: str) -> list[str]:
    """A ward name's places: "crick and west haddon" -> ["crick", "west haddon"]."""
    return [p.strip() for p in re.split(r"\band\b|\bwith\b", norm_name) if p.strip()]


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def _result(table: pd.DataFrame, codes: list[str], how: str, typed: str) -> WardMatch:
    codes = list(dict.fromkeys(codes))
    labels = dict(zip(table["ward_code"], table["label"]))
    if len(codes) == 1:
        code = codes[0]
        name = dict(zip(table["ward_code"], table["ward_name"]))[code]
        return WardMatch(code, name, how, (code,), f"'{typed}' is in {labels[code]}.")
    shown = [labels[c] for c in codes[:_MAX_LISTED]]
    more = f" and {len(codes) - _MAX_LISTED} more" if len(codes) > _MAX_LISTED else ""
    return WardMatch(
        None,
        None,
        "",
        tuple(codes),
        f"'{typed}' could be {', '.join(shown[:-1])} or {shown[-1]}{more}: choose your ward from the list."
        if not more
        else f"'{typed}' could be {', '.join(shown)}{more}: choose your ward from the list.",
    )


def match_ward(
    text: str, wards: pd.DataFrame | Mapping[str, str], postcodes: Mapping[str, str] | None = None
) -> WardMatch:
    """The ward a typed place name or postcode means (see the module docstring for the order).

    Text with commas ("Castle, Northampton") that does not match as a whole is matched piece by
    piece: the ward every matching piece agrees on wins.

    Parameters
    ----------
    text : str
        What was typed: a village, town, ward name, "name, district", or a postcode.
    wards : DataFrame or mapping
        The loaded wards (see :func:`ward_table`).
    postcodes : mapping of str to str, optional
        Postcode -> ward code (:func:`read_postcode_lookup`); codes of wards not loaded are ignored.

    Returns
    -------
    WardMatch
    """
    table = ward_table(wards)
    whole = _match_one(text, table, postcodes)
    pieces = [p.strip() for p in str(text).split(",") if p.strip()]
    if whole.ward_code is not None or len(pieces) < 2:
        return whole
    agreed: set[str] | None = None
    how = ""
    districts = table["district"].map(normalise_place)
    for piece in pieces:
        m = _match_one(piece, table, postcodes)
        in_district = set(table.loc[districts == normalise_place(piece), "ward_code"])
        found = set(m.candidates) | in_district
        if found:
            agreed = found if agreed is None else agreed & found
            how = how or m.how
    if agreed and len(agreed) == 1:
        return _result(table, sorted(agreed), how or "part", " ".join(str(text).split()))
    return whole


def _match_one(text: str, table: pd.DataFrame, postcodes: Mapping[str, str] | None) -> WardMatch:
    typed = " ".join(str(text).split())[:100]
    if not typed:
        return WardMatch(None, None, "", (), "Type the name of your village or town.")
    if table.empty:
        return WardMatch(None, None, "", (), "No wards are loaded, so places cannot be matched yet.")
    known = set(table["ward_code"])

    found_postcode = _POSTCODE_IN_TEXT.search(typed)
    pc = normalise_postcode(found_postcode.group(0)) if found_postcode else normalise_postcode(typed)
    if found_postcode or _OUTWARD.match(pc):
        lookup = {normalise_postcode(k): v for k, v in (postcodes or {}).items() if v in known}
        if _POSTCODE.match(pc) and pc in lookup:
            return _result(table, [lookup[pc]], "postcode", typed)
        if _OUTWARD.match(pc) and lookup:
            codes = sorted({v for k, v in lookup.items() if _POSTCODE.match(k) and _POSTCODE.match(k).group(1) == pc})
            if codes:
                return _result(table, codes, "postcode", typed)
        rest = _POSTCODE_IN_TEXT.sub(" ", typed).strip(" ,") if found_postcode else ""
        if not rest:
            why = (
                "That postcode is not in our lookup"
                if lookup
                else "Postcodes cannot be looked up here yet: that needs the postcode lookup file (ONSPD or "
                "NSPL, free from the ONS Open Geography Portal), which an admin adds on the Data page"
            )
            return WardMatch(
                None, None, "", (), f"{why}. Type your village or town, or choose your ward from the list."
            )
        typed_place = rest
    else:
        typed_place = typed

    q = normalise_place(typed_place)
    q_core = _strip_filler(q) or q
    names = [normalise_place(n) for n in table["ward_name"]]
    labels = [normalise_place(f"{n} {d}") for n, d in zip(table["ward_name"], table["district"])]
    codes = table["ward_code"].tolist()

    exact = [c for c, n, lab in zip(codes, names, labels) if q in (n, lab) or q_core in (n, lab)]
    if exact:
        return _result(table, exact, "exact", typed)
    part = [c for c, n in zip(codes, names) if q_core in _parts(n)]
    if part:
        return _result(table, part, "part", typed)
    inside = [
        (len(p), c)
        for c, n in zip(codes, names)
        for p in {n, *_parts(n)}
        if len(p) >= MIN_PREFIX and _contains_words(q_core, p)
    ]
    if inside:
        longest = max(n for n, _ in inside)
        return _result(table, [c for n, c in inside if n == longest], "contains", typed)
    if len(q_core) >= MIN_PREFIX:
        words = [c for c, n in zip(codes, names) if _contains_words(n, q_core)]
        if words:
            return _result(table, words, "part", typed)
        prefix = [c for c, n in zip(codes, names) if any(p.startswith(q_core) for p in (n, *_parts(n), *n.split()))]
        if prefix:
            return _result(table, prefix, "prefix", typed)
        choices: dict[str, list[str]] = {}
        for c, n in zip(codes, names):
            for p in {n, *_parts(n)}:
                choices.setdefault(p, []).append(c)
        close = difflib.get_close_matches(q_core, list(choices), n=5, cutoff=SIMILARITY)
        if close:
            best = difflib.SequenceMatcher(None, q_core, close[0]).ratio()
            tied = [p for p in close if difflib.SequenceMatcher(None, q_core, p).ratio() >= best - 1e-9]
            return _result(table, [c for p in tied for c in choices[p]], "similar", typed)
    return WardMatch(
        None, None, "", (), f"No ward matches '{typed}': check the spelling, or choose your ward from the list."
    )


_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "postcode")
_WARD_COLUMN = re.compile(r"^(osward|ward_code|wd\d{2}cd)$", re.IGNORECASE)


def read_postcode_lookup(source: str | os.PathLike | bytes) -> dict[str, str]:
    """Postcode -> ward code from a CSV such as an extract of the ONS Postcode Directory.

    The postcode column is the first of ``pcds``, ``pcd``, ``pcd7``, ``pcd8``, ``postcode``
    (any case); the ward column is ``osward``, ``ward_code`` or ``wdNNcd``. Rows with either
    empty are skipped; postcodes are stored without spaces, upper case.

    Raises
    ------
    ValueError
        The file has no postcode or no ward column.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig", errors="replace")))
    header = [h.strip().lower() for h in next(reader, [])]
    pc_col = next((header.index(c) for c in _POSTCODE_COLUMNS if c in header), None)
    ward_col = next((i for i, h in enumerate(header) if _WARD_COLUMN.match(h)), None)
    if pc_col is None or ward_col is None:
        raise ValueError(
            "A postcode lookup needs a postcode column (pcds, pcd, postcode) and a ward column "
            "(osward, ward_code or wdNNcd)."
        )
    out: dict[str, str] = {}
    for row in reader:
        if len(row) > max(pc_col, ward_col):
            pc, ward = normalise_postcode(row[pc_col]), row[ward_col].strip()
            if pc and ward:
                out[pc] = ward
    return out


def location_grid(geometry, max_points: int = 500, decimals: int = 3) -> pd.DataFrame:
    """Clickable spots inside a ward for "where exactly?": a regular grid of points on round
    coordinates (``decimals`` places), as fine as ``max_points`` allows.

    The form keeps a location to 3 decimal places (~110 m), so the grid never offers more
    precision than is stored: a spot is "about here", never one house.

    Parameters
    ----------
    geometry : shapely geometry
        The ward (lon/lat).
    max_points : int
    decimals : int

    Returns
    -------
    DataFrame
        ``lon, lat`` (floats with at most ``decimals`` places); empty for an empty geometry.
    """
    import numpy as np
    import shapely

    if geometry is None or geometry.is_empty:
        return pd.DataFrame({"lon": [], "lat": []})
    unit = 10.0**-decimals
    minx, miny, maxx, maxy = geometry.bounds
    shapely.prepare(geometry)
    for k in range(2, 400):
        step_lat, step_lon = k * unit, round(k * 1.6) * unit  # ~square cells at 52 N
        lons = np.arange(np.ceil(minx / step_lon) * step_lon, maxx, step_lon)
        lats = np.arange(np.ceil(miny / step_lat) * step_lat, maxy, step_lat)
        if lons.size * lats.size > 8 * max_points:
            continue
        gx, gy = np.meshgrid(lons, lats)
        inside = shapely.contains_xy(geometry, gx.ravel(), gy.ravel())
        if not inside.any():
            break  # smaller than one grid cell: its representative point below
        if inside.sum() <= max_points:
            return pd.DataFrame(
                {"lon": np.round(gx.ravel()[inside], decimals), "lat": np.round(gy.ravel()[inside], decimals)}
            )
    c = geometry.representative_point()
    return pd.DataFrame({"lon": [round(c.x, decimals)], "lat": [round(c.y, decimals)]})


def picked_spot(event: object, layer: str = "spots") -> tuple[float, float] | None:
    """The ``(lon, lat)`` of the dot clicked on a :func:`location_grid` map (``st.pydeck_chart``'s
    selection state, objects drawn as ``{"p": [lon, lat]}`` in layer ``layer``), or None."""
    try:
        for obj in event["selection"]["objects"].get(layer) or []:  # type: ignore[index]
            lon, lat = obj["p"]
            return float(lon), float(lat)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return None
