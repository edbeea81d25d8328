"""Row validation: build canonical columns from a parsed file and say why each bad row is bad.

Every check runs on the distinct values of a column (police.uk files repeat months, snap
points and LSOAs heavily) and is broadcast back to rows by category code, so no Python runs
per row. Reasons are worded only for the rows that fail.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ruralaction.definition import Definition, SourceFormat
from ruralaction.incidents.schema import CRIME_TYPES, REJECTED_COLUMNS, UK_BOUNDS


def _cat_values(col: pd.Series) -> tuple[pd.Index, np.ndarray]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.categories, col.cat.codes.to_numpy()
    codes, uniques = pd.factorize(col)
    return pd.Index(uniques), codes


def _map_categories(col: pd.Series, fn: Callable[[pd.Index], np.ndarray], fill) -> np.ndarray:
    """Apply a vectorised ``fn`` to a column's distinct values and broadcast the result to rows."""
    cats, codes = _cat_values(col)
    mapped = np.asarray(fn(cats))
    if len(mapped) == 0:
        return np.full(len(codes), fill, dtype=mapped.dtype if mapped.dtype != object else object)
    out = mapped[np.where(codes < 0, 0, codes)]
    if (codes < 0).any():
        out = out.astype(object) if mapped.dtype.kind in "OUS" else out
        out[codes < 0] = fill
    return out


def _missing(n: int) -> pd.Categorical:
    """An all-missing categorical column of length ``n``."""
    return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=pd.Index([], dtype="str"))


def _to_category(col: pd.Series) -> pd.Series:
    """A categorical column with the empty string made missing."""
    col = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    cats = col.cat.categories
    stripped = cats.str.strip()
    if cats.dtype == "str" and stripped.equals(cats):  # nothing to strip: renaming would change nothing
        pass
    elif stripped.is_unique:
        col = col.cat.rename_categories(lambda c: str(c).strip())
    if "" in col.cat.categories:
        col = col.cat.remove_categories([""])
    return col


@dataclass
class Check:
    """A failed-row mask, the column to blame, and the reason: a template whose ``{}`` slots
    are filled from ``values`` (source columns) only for the rows that fail."""

    mask: np.ndarray
    column: str
    template: str
    values: tuple[pd.Series, ...] = ()

    def reasons(self, idx: np.ndarray) -> pd.Series:
        parts = self.template.split("{}")
        out = pd.Series([parts[0]] * len(idx), dtype="str")
        for part, v in zip(parts[1:], self.values):
            out = out + v.iloc[idx].astype("str").fillna("").reset_index(drop=True) + part
        return out


def validate_rows(
    raw: pd.DataFrame, fmt: SourceFormat, definition: Definition, name: str
) -> tuple[pd.DataFrame, list[Check]]:
    """Build canonical columns from the file's own and return them with the failed checks."""
    n = len(raw)
    col = {canon: raw[src] for canon, src in fmt.columns.items() if src in raw.columns}
    src_name = fmt.columns.get
    out: dict[str, object] = {}
    checks: list[Check] = []

    def text(canon: str) -> pd.Series:
        if canon in col:
            return col[canon]
        value = fmt.constants.get(canon, "")
        return pd.Series(
            pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([value], dtype="str"))
        )

    # Month (police.uk) or the exact date/time (force exports).
    if "occurred_at" in col:

        def parse_dt(cats: pd.Index) -> np.ndarray:
            return pd.to_datetime(cats.str.strip(), format=fmt.datetime_format or "ISO8601", errors="coerce").to_numpy(
                "datetime64[s]"
            )

        occurred = _map_categories(col["occurred_at"], parse_dt, np.datetime64("NaT"))
        occurred = occurred.astype("datetime64[s]")
        bad = np.isnat(occurred)
        checks.append(
            Check(
                bad,
                src_name("occurred_at"),
                "'{}' is not a date and time (" + (fmt.datetime_format or "ISO 8601") + ")",
                (col["occurred_at"],),
            )
        )
        out["occurred_at"] = occurred
        month = occurred.astype("datetime64[M]").astype("datetime64[s]")
    else:
        out["occurred_at"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")

        def parse_month(cats: pd.Index) -> np.ndarray:
            return pd.to_datetime(cats.str.strip(), format="%Y-%m", errors="coerce").to_numpy("datetime64[s]")

        month = _map_categories(text("month"), parse_month, np.datetime64("NaT")).astype("datetime64[s]")
        checks.append(
            Check(
                np.isnat(month),
                src_name("month", "Month"),
                "Month '{}' is not a year and month (YYYY-MM)",
                (text("month"),),
            )
        )
    out["month"] = month

    # Coordinates: blank pair = police.uk could not map it (kept); anything else must be a real UK point.
    lon_s, lat_s = text("longitude"), text("latitude")
    lon = _map_categories(lon_s, lambda c: pd.to_numeric(c.str.strip(), errors="coerce"), np.nan).astype(float)
    lat = _map_categories(lat_s, lambda c: pd.to_numeric(c.str.strip(), errors="coerce"), np.nan).astype(float)
    lon_blank = _map_categories(lon_s, lambda c: c.str.strip() == "", True).astype(bool)
    lat_blank = _map_categories(lat_s, lambda c: c.str.strip() == "", True).astype(bool)
    lon_name, lat_name = src_name("longitude", "Longitude"), src_name("latitude", "Latitude")
    bad_lon = ~lon_blank & ~np.isfinite(lon)
    bad_lat = ~lat_blank & ~np.isfinite(lat)
    checks.append(Check(bad_lon, lon_name, lon_name + " '{}' is not a number", (lon_s,)))
    checks.append(Check(bad_lat, lat_name, lat_name + " '{}' is not a number", (lat_s,)))
    checks.append(Check(lon_blank & ~lat_blank, lon_name, f"{lon_name} is blank but {lat_name} is not"))
    checks.append(Check(lat_blank & ~lon_blank, lat_name, f"{lat_name} is blank but {lon_name} is not"))
    both = np.isfinite(lon) & np.isfinite(lat)
    zero = both & (lon == 0) & (lat == 0)
    checks.append(Check(zero, lon_name, "coordinates are 0,0, which is not a real location"))
    b = UK_BOUNDS
    outside = (
        both & ~zero & ~((lon >= b["min_lon"]) & (lon <= b["max_lon"]) & (lat >= b["min_lat"]) & (lat <= b["max_lat"]))
    )
    checks.append(Check(outside, lon_name, "coordinates ({}, {}) are outside the UK", (lon_s, lat_s)))
    ok_coords = both & ~zero & ~outside
    out["longitude"] = np.where(ok_coords, lon, np.nan)
    out["latitude"] = np.where(ok_coords, lat, np.nan)

    # Crime type: police.uk's fourteen, after the format's own aliases.
    ct_src = text("crime_type")
    aliases = {k.lower(): v for k, v in fmt.crime_types.items()}
    known = {t.lower(): t for t in CRIME_TYPES}

    def map_type(cats: pd.Index) -> np.ndarray:
        low = cats.str.strip().str.lower()
        return np.array(
            [aliases.get(c, known.get(aliases.get(c, c).lower(), "")) if c else "" for c in low], dtype=object
        )

    crime_type = _map_categories(ct_src, map_type, "")
    unknown = crime_type == ""
    ct_name = src_name("crime_type", "Crime type")
    blank_ct = _map_categories(ct_src, lambda c: c.str.strip() == "", True).astype(bool)
    checks.append(Check(unknown & blank_ct, ct_name, f"{ct_name} is blank"))
    checks.append(Check(unknown & ~blank_ct, ct_name, "unknown crime type '{}'", (ct_src,)))
    out["crime_type"] = pd.Categorical.from_codes(
        pd.Index(CRIME_TYPES).get_indexer(crime_type), categories=list(CRIME_TYPES)
    )

    for canon in (
        "reported_by",
        "falls_within",
        "location",
        "lsoa_code",
        "lsoa_name",
        "last_outcome",
        "context",
        "premises_type",
    ):
        out[canon] = _to_category(text(canon)) if canon in col or canon in fmt.constants else _missing(n)
    crime_id = text("crime_id").astype("str") if "crime_id" in col else pd.Series([""] * n, dtype="str")
    out["crime_id"] = crime_id.where(crime_id != "", None)
    desc = col.get("description")
    out["description"] = desc.astype("str") if desc is not None else pd.Series([None] * n, dtype="str")
    if "wildlife_flag" in col:
        truthy = set(definition.wildlife_flag_true)
        out["wildlife_flag"] = _map_categories(
            col["wildlife_flag"], lambda c: c.str.strip().str.lower().isin(truthy), False
        ).astype(bool)
    else:
        out["wildlife_flag"] = pd.arrays.BooleanArray(np.zeros(n, bool), np.ones(n, bool))
    frame = pd.DataFrame(
        {
            k: (
                v.to_numpy()
                if isinstance(v, pd.Series)
                and not isinstance(v.dtype, pd.CategoricalDtype)
                and k not in ("crime_id", "description")
                else v
            )
            for k, v in out.items()
        }
    )
    for k in ("crime_id", "description"):
        frame[k] = pd.Series(out[k]).reset_index(drop=True).astype("str")
    return frame, checks


def rejected_frame(
    name: str,
    raw: pd.DataFrame,
    checks: list[Check],
    bad_mask: np.ndarray,
    lines: np.ndarray,
    extra: list[tuple[int, str, str, str]],
) -> pd.DataFrame:
    parts = []
    if bad_mask.any():
        idx = np.flatnonzero(bad_mask)
        reasons = pd.Series([""] * len(idx), dtype="str")
        column = pd.Series([""] * len(idx), dtype="str")
        for c in checks:
            m = c.mask[idx]
            if not m.any():
                continue
            r = c.reasons(idx)
            reasons = reasons.where(~m, np.where(reasons == "", r, reasons + "; " + r))
            column = column.where(~(m & (column == "").to_numpy()), c.column)
        sub = raw.iloc[idx].astype(str)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        rows_text = []
        for rec in sub.itertuples(index=False):  # rejected rows only, never the hot path
            buf.seek(0)
            buf.truncate()
            writer.writerow(rec)
            rows_text.append(buf.getvalue().rstrip("\n"))
        parts.append(
            pd.DataFrame(
                {"line": lines[idx], "column": column.to_numpy(), "reason": reasons.to_numpy(), "raw": rows_text}
            )
        )
    if extra:
        parts.append(pd.DataFrame(extra, columns=["line", "column", "reason", "raw"]))
    if not parts:
        return empty_rejected()
    rej = pd.concat(parts, ignore_index=True).sort_values("line", kind="stable").reset_index(drop=True)
    rej.insert(0, "source_file", name)
    return rej[list(REJECTED_COLUMNS)].astype({"line": "int64"})


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-rows table with the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "line" else "str") for c in REJECTED_COLUMNS})
