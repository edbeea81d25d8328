"""The Progress, Present, Region and Data pages' numbers asked of the classified store in SQL.

Each function gives what its in-memory twin gives on the same rows (``tests/test_store_progress.py``
holds them equal on the real police.uk files), with only small answers brought into pandas: months
loaded, the few rows a scorecard drills down to, counts per ward, force and month, and the
candidate crimes near the county border.

- the scorecard (:func:`ruralaction.progress.scorecard.build_scorecard` given a
  :class:`~ruralaction.measures.store_queries.StoreView`): :func:`loaded_months`,
  :func:`area_crime_counts` (the area's rural crimes in the scorecard's three years counted by
  month, category and farm from the cube; with a force export's text, from the rows by whether
  they mention each priority's keywords), :func:`has_text`, :func:`area_rural_crimes` (the rows
  themselves: only for a keyword SQL cannot match as Python does) and :func:`crime_rows` (the
  newest of a figure's crimes, or all of them for a download);
- the progress map: :func:`period_ward_counts`;
- the Region page: :func:`ward_force_counts`, :func:`force_month_counts`, :func:`neighbour_points`
  (see :mod:`ruralaction.measures.region`);
- the Data page: :func:`coverage` (:func:`ruralaction.measures.coverage.coverage`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ruralaction.measures import coverage as cv
from ruralaction.measures.periods import Period
from ruralaction.measures.store_queries import StoreView, _span
from ruralaction.measures.trends import incident_table

#: Whitespace as Python's ``str.strip`` sees it (RE2's ``\s`` is ASCII only).
_SPACE = r"\s\x{0b}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
#: The columns of the scorecard's rows (:mod:`ruralaction.progress.aims`), when the store has them.
SCORECARD_COLUMNS = (
    "month",
    "rural_category",
    "is_rural_crime",
    "ward_code",
    "ward_name",
    "in_rural_ward",
    "at_farm",
    "location",
    "last_outcome",
    "rural_reason",
    "crime_id",
    "longitude",
    "latitude",
    "description",
    "context",
    "wildlife_flag",
)
_CATEGORY_COLUMNS = ("ward_code", "ward_name", "location", "last_outcome", "rural_reason", "context")
#: The columns :func:`ruralaction.measures.trends.incident_table` shows.
_ROW_COLUMNS = (
    "month",
    "rural_category",
    "location",
    "last_outcome",
    "ward_name",
    "rural_reason",
    "crime_id",
    "longitude",
    "latitude",
)


def loaded_months(view: StoreView) -> list[str]:
    """:func:`ruralaction.measures.periods.loaded_months`, in SQL."""
    return [f"{m:%Y-%m}" for m in _span(view)]


def _in_windows(periods: Sequence[Period]) -> tuple[str, list]:
    """Rows whose month (truncated, as :func:`ruralaction.progress.aims.window_mask`) is in one of
    ``periods``."""
    sql = " OR ".join("date_trunc('month', month) BETWEEN ? AND ?" for _ in periods)
    params = [t for p in periods for t in (p.first.start_time.to_pydatetime(), p.last.start_time.to_pydatetime())]
    return f"({sql or 'false'})", params


def has_text(view: StoreView, periods: Sequence[Period]) -> bool:
    """:func:`ruralaction.progress.aims.has_text` for every row (rural or not) in ``periods``."""
    cols = set(view.columns())
    tests = [f"regexp_matches({c}::VARCHAR, '[^{_SPACE}]')" for c in ("description", "context") if c in cols]
    if "wildlife_flag" in cols:
        tests.append("wildlife_flag IS NOT NULL")
    if not tests:
        return False
    win, params = _in_windows(periods)
    sql = f"SELECT count(*) AS n FROM (SELECT 1 FROM rows WHERE {win} AND ({' OR '.join(tests)}) LIMIT 1)"
    return bool(int(view.query(sql, params)["n"].iloc[0]))


def area_rural_crimes(view: StoreView, periods: Sequence[Period], ward: str | None = None) -> pd.DataFrame:
    """The rural crimes of the county (or of ``ward``) in ``periods``, in the store's order, with the
    :data:`SCORECARD_COLUMNS` typed as a classified frame's: all a scorecard counts or lists."""
    cols = set(view.columns())
    win, params = _in_windows(periods)
    cond = f"is_rural_crime AND {win}"
    if ward is not None:
        cond += " AND ward_code = ?"
        params.append(ward)
    names = [c for c in SCORECARD_COLUMNS if c in cols]
    return _typed(view, view.query(f"SELECT {', '.join(names)} FROM rows WHERE {cond}", params))


def _typed(view: StoreView, out: pd.DataFrame) -> pd.DataFrame:
    """Rows read from the store typed as a classified frame's columns."""
    out["month"] = pd.to_datetime(out["month"]).astype("datetime64[s]")
    out["rural_category"] = pd.Categorical(out["rural_category"], categories=list(view.categories))
    for c in _CATEGORY_COLUMNS:
        if c in out:
            out[c] = out[c].astype(object).where(out[c].notna(), None).astype("category")
    for c in ("in_rural_ward", "wildlife_flag"):
        if c in out:
            out[c] = out[c].astype("boolean")
    for c in ("is_rural_crime", "at_farm"):
        if c in out:
            out[c] = out[c].astype(bool)
    return out


#: A character of a word as Python's ``re`` sees it in text (``\\w``), in RE2.
_WORD_CHAR = r"\p{L}\p{N}_"


def keyword_column(keywords: Sequence[str]) -> str:
    """The column of :func:`area_crime_counts` that says whether crimes mention one of ``keywords``."""
    return "mentions " + "|".join(sorted(keywords))


def keywords_in_sql(keywords: Sequence[str]) -> bool:
    """Whether SQL matches ``keywords`` as :func:`ruralaction.progress.aims.keyword_mask` does:
    whole words, any case, when each begins and ends with a word character (a boundary is then
    a non-word character or the end of the text, as Python's ``\\b``)."""
    return all(k and re.match(r"\w", k[0]) and re.match(r"\w", k[-1]) for k in keywords)


def _mentions(keywords: Sequence[str], cols: set[str]) -> str:
    """SQL: the row's description or context holds one of ``keywords`` (whole words, any case)."""
    words = "|".join(re.sub(r"([\\.^$*+?{}\[\]|()])", r"\\\1", k) for k in sorted(keywords, key=len, reverse=True))
    pattern = f"(?i)(?:^|[^{_WORD_CHAR}])(?:{words})(?:[^{_WORD_CHAR}]|$)".replace("'", "''")
    tests = [
        f"coalesce(regexp_matches({c}::VARCHAR, '{pattern}'), false)" for c in ("description", "context") if c in cols
    ]
    return " OR ".join(tests) or "false"


def area_crime_counts(
    view: StoreView, periods: Sequence[Period], ward: str | None = None, keywords: Sequence[Sequence[str]] = ()
) -> pd.DataFrame:
    """The rural crimes of the county (or of ``ward``) in ``periods`` counted: ``month``
    (datetime64, first of the month), ``rural_category`` (categorical, the definition's order),
    ``at_farm`` (bool), for each of ``keywords`` (each :func:`keywords_in_sql`) a bool column
    :func:`keyword_column` (whether their text mentions one), and ``crimes`` (int64): what the
    scorecard's crime figures, trend, categories and priorities count
    (:mod:`ruralaction.progress.aims` takes it in place of the rows). Without keywords, from the cube."""
    win, params = _in_windows(periods)
    if ward is not None:
        win += " AND ward_code = ?"
        params.append(ward)
    cols = set(view.columns()) if keywords else set()
    kw = "".join(f', {_mentions(k, cols)} AS "{c}"' for c, k in {keyword_column(k): k for k in keywords}.items())
    counted = (
        "count(*) AS crimes FROM rows WHERE is_rural_crime AND" if keywords else "sum(crimes) AS crimes FROM cube WHERE"
    )
    out = view.query(
        "SELECT date_trunc('month', month) AS month, rural_category, coalesce(at_farm, false) AS at_farm"
        f"{kw}, {counted} {win} GROUP BY ALL ORDER BY ALL",
        params,
    )
    out = _typed(view, out)
    out["crimes"] = out["crimes"].astype(np.int64)
    return out


#: How many of a scorecard figure's crimes it holds (the newest): the Progress page shows as many.
DETAIL_ROWS = 1_000


@dataclass(frozen=True)
class CrimeRows:
    """Which crimes a scorecard figure stands on: the rural crimes of the county (or of ``ward``)
    in ``period``. :func:`crime_rows` reads them (all, for a download, or the newest)."""

    period: Period
    ward: str | None = None


def _in_load_order(view: StoreView) -> tuple[str, str]:
    """The rows as a SQL source, and the ORDER BY terms of their load order (the order of
    :func:`ruralaction.incidents.columnar.read_classified`'s frame)."""
    if view.files:
        files = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in view.files) + "]"
        src = (
            f"(SELECT *, list_position({files}, filename) AS _file, file_row_number AS _line "
            f"FROM read_parquet({files}, union_by_name=true, filename=true, file_row_number=true))"
        )
        return src, "_file, _line"
    return "rows", "rowid" if view.frame is not None else "month"


def crime_rows(view: StoreView, spec: CrimeRows, limit: int | None = None) -> pd.DataFrame:
    """:func:`ruralaction.measures.trends.incident_table` of the crimes of ``spec`` (newest first,
    then in load order, as in memory), at most ``limit`` of them: only the newest months that
    hold ``limit`` crimes are read."""
    win, params = _in_windows([spec.period])
    cond = f"is_rural_crime AND {win}"
    if spec.ward is not None:
        cond += " AND ward_code = ?"
        params.append(spec.ward)
    if limit is not None:
        per = view.query(
            f"SELECT date_trunc('month', month) AS month, sum(crimes)::BIGINT AS n FROM cube WHERE {cond} "
            "GROUP BY ALL ORDER BY month DESC",
            params,
        )
        reach = int(np.searchsorted(per["n"].cumsum().to_numpy(), limit))
        if reach < len(per):
            cond += " AND month >= ?"  # the same as its month's (a month's first moment), and prunes files
            params = [*params, pd.Timestamp(per["month"].iloc[reach]).to_pydatetime()]
    cols = set(view.columns())
    names = [c for c in _ROW_COLUMNS if c in cols]
    src, order = _in_load_order(view)
    sql = f"SELECT {', '.join(names)} FROM {src} WHERE {cond} ORDER BY date_trunc('month', month) DESC, {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    out = view.query(sql, params)
    out = _typed(view, out.assign(**{c: None for c in _ROW_COLUMNS if c not in out}))  # an empty store has few
    return incident_table(out, np.ones(len(out), dtype=bool))


def period_ward_counts(view: StoreView, period: Period, codes: pd.Index) -> np.ndarray:
    """Rural crimes in ``period`` in each ward of ``codes`` (in that order): the progress map's
    :func:`ruralaction.measures.trends.ward_counts`."""
    win, params = _in_windows([period])
    got = view.query(
        f"SELECT ward_code, count(*) AS n FROM rows WHERE is_rural_crime AND {win} AND ward_code IS NOT NULL "
        "GROUP BY ALL",
        params,
    )
    return got.set_index("ward_code")["n"].reindex(codes, fill_value=0).to_numpy(dtype=np.int64)


# ----------------------------------------------------------------------------- the Region page


def ward_force_counts(view: StoreView) -> pd.DataFrame:
    """Crimes per ward and recording force: ``ward_code, falls_within, n`` (in ward then force
    order), as :func:`ruralaction.measures.region.ward_forces` counts them."""
    out = view.query(
        "SELECT ward_code, falls_within, count(*) AS n FROM rows "
        "WHERE ward_code IS NOT NULL AND falls_within IS NOT NULL GROUP BY ALL ORDER BY ward_code, falls_within"
    )
    out["n"] = out["n"].astype(np.int64)
    return out


def force_month_counts(view: StoreView, forces: Sequence[str]) -> pd.DataFrame:
    """Crimes and rural crimes per force and month: ``falls_within, month, crimes, rural_crimes``."""
    out = view.query(
        "SELECT falls_within, month, count(*) AS crimes, count(*) FILTER (is_rural_crime) AS rural_crimes "
        "FROM rows WHERE falls_within IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL ORDER BY falls_within, month",
        [list(forces)],
    )
    out["month"] = pd.to_datetime(out["month"]).astype("datetime64[s]")
    return out.astype({"crimes": np.int64, "rural_crimes": np.int64})


def neighbour_points(view: StoreView, forces: Sequence[str], bounds: Sequence[float]) -> pd.DataFrame:
    """The located crimes of ``forces`` inside ``bounds`` (west, south, east, north in degrees):
    ``falls_within, in_scope, longitude, latitude`` (the candidates of a border test)."""
    west, south, east, north = (float(b) for b in bounds)
    return view.query(
        "SELECT falls_within, rural_category IS NOT NULL AS in_scope, longitude, latitude FROM rows "
        "WHERE falls_within IN (SELECT unnest(?::VARCHAR[])) AND longitude IS NOT NULL AND latitude IS NOT NULL "
        "AND NOT isnan(longitude) AND NOT isnan(latitude) "
        "AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?",
        [list(forces), west, east, south, north],
    )


# ----------------------------------------------------------------------------- the Data page


def coverage(view: StoreView, today: date | None = None) -> cv.Coverage:
    """:func:`ruralaction.measures.coverage.coverage`, in SQL."""
    row = view.query(
        "SELECT count(*) AS n, count(*) FILTER (longitude IS NULL OR isnan(longitude)) AS no_location, "
        "count(*) FILTER (is_rural_crime) AS rural, count(*) FILTER (in_rural_ward IS NULL) AS unknown FROM rows"
    ).iloc[0]
    counts = view.query(
        "SELECT coalesce(reported_by, '(blank)') AS force, month, count(*) AS rows FROM rows GROUP BY ALL"
    )
    counts["month"] = pd.to_datetime(counts["month"]).astype("datetime64[s]")
    return cv.coverage_from_counts(
        counts,
        int(row["n"]),
        no_location=int(row["no_location"]),
        rural=int(row["rural"]),
        unknown_class=int(row["unknown"]),
        today=today,
    )
