"""Postcodes: an ONS postcode lookup (ONSPD or NSPL extract) read into a searchable table.

Residents know their postcode. The ONS Open Geography Portal publishes every UK postcode with
its coordinates and the areas it lies in: the **ONS Postcode Directory** (ONSPD: ``pcds``,
``lat``, ``long``, ``osward``, ``parish``, ``lsoa21`` …) and the **National Statistics Postcode
Lookup** (NSPL: ``pcds``, ``lat``, ``long``, ``ward``, ``parish``, ``lsoa21`` …). A county extract
(filter the national CSV on the county's local authorities) is a few MB.

:func:`read_postcodes` checks every row: a postcode that is not a postcode, or coordinates that
do not parse, refuses the whole file with the line and column, so nothing half-read is used.
Postcodes ONS could not place (``lat`` 99.999999) and terminated ones (``doterm`` set) are left out.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ruralaction.geography.boundaries import GeographyError, csv_header

#: Where a postcode lookup comes from, for messages.
WHERE = (
    "the ONS Postcode Directory (ONSPD) or the National Statistics Postcode Lookup (NSPL), free from the "
    "ONS Open Geography Portal (geoportal.statistics.gov.uk)"
)
NEEDS_LOOKUP = (
    "Postcodes need a postcode lookup file, and none is loaded: an admin can add an extract of "
    f"{WHERE} on the Data page. Meanwhile, type a village, parish or ward name."
)
_POSTCODE_COLS = ("pcds", "pcd", "pcd2", "pcd7", "pcd8", "postcode")
_WARD = re.compile(r"^(osward|ward|wd\d{2}cd|ward_code)$", re.IGNORECASE)
_PARISH = re.compile(r"^(parish|par\d{2}cd|parncp\d{2}cd|parish_code)$", re.IGNORECASE)
_LSOA = re.compile(r"^(lsoa\d{2}|lsoa\d{2}cd|lsoa11|lsoa21|lsoa_code)$", re.IGNORECASE)
_FULL = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
#: A postcode or the start of one: "NN6", "NN6 9", "NN6 9A", "NN6 9AB" (any case and spacing).
PARTIAL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?: ?([0-9](?:[A-Z]{0,2})))?$")


def tidy(text: str) -> str:
    """``"nn69ab"`` -> ``"NN6 9AB"``; ``" nn6  9"`` -> ``"NN6 9"``; other text upper-cased, spaces single."""
    t = " ".join(str(text).upper().split())
    compact = t.replace(" ", "")
    if re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}", compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return t


def looks_like_postcode(text: str) -> bool:
    """A full postcode or the start of one (district "NN6", sector "NN6 9", "NN6 9A")."""
    t = tidy(text)
    if " " not in t:
        return bool(re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?", t))
    return bool(PARTIAL.fullmatch(t))


@dataclass(frozen=True)
class Postcodes:
    """A postcode lookup, sorted by postcode (``"NN6 9AB"`` form) for prefix search.

    Attributes
    ----------
    table : DataFrame
        ``postcode, lat, lon, ward_code, parish_code, lsoa_code`` (codes may be missing).
    source : str
        The file name(s).
    """

    table: pd.DataFrame
    source: str = ""
    _keys: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", self.table["postcode"].to_numpy(dtype=str))

    def __len__(self) -> int:
        return len(self.table)

    def starting(self, text: str) -> pd.DataFrame:
        """The postcodes that start with what was typed: a whole postcode, a sector ("NN6 9")
        or a district ("NN6", which does not take in "NN60"). Binary search, no scan."""
        t = tidy(text)
        prefix = t if " " in t else f"{t} "
        lo = np.searchsorted(self._keys, prefix, side="left")
        hi = np.searchsorted(self._keys, prefix + "\uffff", side="left")
        return self.table.iloc[lo:hi]


def is_postcode_file(path: str | os.PathLike) -> bool:
    """Whether a CSV's header makes it an ONSPD/NSPL-style postcode lookup."""
    header = [h.lower() for h in csv_header(Path(path))]
    return any(c in header for c in _POSTCODE_COLS) and "lat" in header and "long" in header


def read_postcodes(source: str | os.PathLike | bytes, name: str | None = None) -> Postcodes:
    """Read an ONSPD/NSPL extract (see the module docstring).

    Raises
    ------
    GeographyError
        Missing columns, or a bad row (file, line, column and why); nothing is used then.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    label = name or ("The postcode file" if isinstance(source, bytes) else Path(source).name)
    try:
        df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise GeographyError(f"{label} could not be read as a CSV file ({str(exc).splitlines()[0]}).") from None
    cols = {c.strip().lower(): c for c in df.columns}
    pc = next((cols[c] for c in _POSTCODE_COLS if c in cols), None)
    if pc is None or "lat" not in cols or "long" not in cols:
        raise GeographyError(
            f"{label} is not a postcode lookup: it needs the columns pcds (or pcd), lat and long, as in {WHERE}."
        )

    def pick(pattern: re.Pattern) -> pd.Series:
        col = next((cols[c] for c in cols if pattern.match(c)), None)
        return df[col].str.strip().replace("", None) if col else pd.Series([None] * len(df), dtype=object)

    postcode = df[pc].map(tidy)
    lat = pd.to_numeric(df[cols["lat"]], errors="coerce")
    lon = pd.to_numeric(df[cols["long"]], errors="coerce")
    line = np.arange(len(df)) + 2  # the header is line 1
    bad_pc = ~postcode.str.match(_FULL).to_numpy(dtype=bool)
    bad_lat = lat.isna().to_numpy() | (np.abs(lat.to_numpy()) > 100)
    bad_lon = lon.isna().to_numpy() | (np.abs(lon.to_numpy()) > 180)
    for bad, col, what in (
        (bad_pc, pc, "is not a postcode"),
        (bad_lat, cols["lat"], "is not a latitude"),
        (bad_lon, cols["long"], "is not a longitude"),
    ):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise GeographyError(
                f"{label}, line {line[i]}, column {col}: '{str(df[col].iloc[i])[:30]}' {what}; "
                f"nothing was added ({int(bad.sum()):,} such rows)."
            )
    keep = (lat.to_numpy() < 99) & (lat.to_numpy() > 49)  # 99.999999: ONS has no grid reference for it
    if "doterm" in cols:
        keep &= df[cols["doterm"]].str.strip().eq("").to_numpy()
    table = pd.DataFrame(
        {
            "postcode": postcode.to_numpy()[keep],
            "lat": lat.to_numpy()[keep],
            "lon": lon.to_numpy()[keep],
            "ward_code": pick(_WARD).to_numpy()[keep],
            "parish_code": pick(_PARISH).to_numpy()[keep],
            "lsoa_code": pick(_LSOA).to_numpy()[keep],
        }
    )
    if table.empty:
        raise GeographyError(f"{label} has no live postcode with coordinates.")
    table = table.drop_duplicates("postcode", keep="last").sort_values("postcode", ignore_index=True)
    return Postcodes(table, label)


def read_postcode_folder(folder: str | os.PathLike) -> Postcodes | None:
    """Every postcode lookup CSV in a folder as one (later files win), or None when there is none."""
    files = sorted(p for p in Path(folder).glob("*.csv") if p.is_file()) if Path(folder).is_dir() else []
    parts = [read_postcodes(p) for p in files if is_postcode_file(p)]
    if not parts:
        return None
    table = pd.concat([p.table for p in parts], ignore_index=True).drop_duplicates("postcode", keep="last")
    return Postcodes(table.sort_values("postcode", ignore_index=True), ", ".join(p.source for p in parts))
