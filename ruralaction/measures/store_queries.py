"""The Overview's and the Map's numbers asked of the classified store through DuckDB.

Each function here gives exactly what its in-memory twin in :mod:`ruralaction.measures.overview`
(or :meth:`~ruralaction.measures.filters.Filters.apply` for the map) gives on the same data, but
works in SQL over the store's Parquet files (:mod:`ruralaction.incidents.columnar`), so only the
small result comes into pandas: no page needs every incident in memory for these, and a fresh
process answers without reading or classifying the raw files. ``tests/test_store_queries.py``
holds them equal on the real police.uk files.

DuckDB (the maintained in-process analytical engine) reads only the columns a query names and
runs the aggregation on its own threads; one in-memory connection per :class:`StoreView`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ruralaction.incidents import columnar
from ruralaction.measures import overview, readiness, trends
from ruralaction.measures.filters import FilterOptions, Filters, options

#: Query answers a :class:`StoreView` keeps (bytes in memory, all answers), and the largest
#: answer it keeps (a download of every filtered crime is not kept).
ANSWER_CACHE_BYTES = 64 * 2**20
ANSWER_MAX_BYTES = 8 * 2**20

_NO_XY = "NOT coalesce(isfinite(longitude) AND isfinite(latitude), false)"


@dataclass(eq=False)
class StoreView:
    """The classified rows of one dataset in one data version, as the DuckDB view ``rows``.

    Attributes
    ----------
    files : tuple of str
        The Parquet files (see :func:`ruralaction.incidents.columnar.row_files`); empty with
        ``frame`` given.
    categories : tuple of str
        The rural-crime categories in the definition's order.
    frame : DataFrame, optional
        Classified rows already in memory (with ``hex_q``/``hex_r``), for data without a
        classified store (a read-only data directory): the same queries run over it.
    cube_files : tuple of str, optional
        The store's cube (:func:`ruralaction.incidents.columnar.cube`), the DuckDB view
        ``cube``: rural crimes counted by month, category, ward, parish, hexagon, reason and
        snap point. Without it (a store from before cubes, rows in memory) the cube is counted
        from the rows once, when first asked.
    rural_files : tuple of str, optional
        The rural crimes' rows alone (the view ``rural_rows``; without them, the rows filtered).
    """

    files: tuple[str, ...]
    categories: tuple[str, ...]
    frame: pd.DataFrame | None = field(default=None, repr=False)
    cube_files: tuple[str, ...] | None = None
    rural_files: tuple[str, ...] | None = None
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _answers: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _answer_bytes: int = field(default=0, repr=False)

    @classmethod
    def of(cls, version_dir: Path, dataset: str) -> StoreView:
        """The classified store of a dataset in a data version."""
        m = columnar.read_manifest(columnar.store_dir(version_dir, dataset)) or {}
        cats = tuple(m.get("categories", {}).get("rural_category") or ())
        cubes = columnar.cube_files(version_dir, dataset)
        rural = columnar.cube_files(version_dir, dataset, columnar.RURAL)
        return cls(
            tuple(columnar.row_files(version_dir, dataset)),
            cats,
            cube_files=None if cubes is None else tuple(cubes),
            rural_files=None if rural is None else tuple(rural),
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> StoreView:
        """Classified rows in memory (e.g. ``Classified.incidents``) behind the same queries."""
        col = df["rural_category"]
        cats = tuple(str(c) for c in col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else ()
        if "hex_q" not in df.columns:
            df = columnar.with_cells(df)
        return cls((), cats, df)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                con = duckdb.connect(config={"threads": 2})
                if self.frame is not None:  # a table of its own: cursors do not see registered frames
                    con.register("frame_in", self.frame)
                    con.execute("CREATE TABLE rows AS SELECT * FROM frame_in")
                    con.unregister("frame_in")
                elif self.files:
                    files = ", ".join("'" + f.replace("'", "''") + "'" for f in self.files)
                    con.execute(f"CREATE VIEW rows AS SELECT * FROM read_parquet([{files}], union_by_name=true)")
                    try:  # Parquet footers read once per connection, not once per query
                        con.execute("SET parquet_metadata_cache = true")
                    except duckdb.Error:
                        pass
                else:
                    con.execute(
                        "CREATE VIEW rows AS SELECT NULL::TIMESTAMP AS month, NULL::VARCHAR AS rural_category, "
                        "NULL::BOOLEAN AS is_rural_crime, NULL::BOOLEAN AS in_county, "
                        "NULL::BOOLEAN AS in_rural_ward, NULL::BOOLEAN AS at_farm, NULL::DOUBLE AS longitude, "
                        "NULL::DOUBLE AS latitude, NULL::VARCHAR AS ward_code, NULL::VARCHAR AS ward_name, "
                        "NULL::VARCHAR AS rural_basis, NULL::VARCHAR AS rural_reason, NULL::VARCHAR AS reported_by, "
                        "NULL::INTEGER AS hex_q, NULL::INTEGER AS hex_r WHERE false"
                    )
                self._cube(con)
                self._con = con
            return self._con

    def _cube(self, con: duckdb.DuckDBPyConnection) -> None:
        have = set(con.execute("SELECT * FROM rows LIMIT 0").df().columns)
        if self.rural_files:
            files = ", ".join("'" + f.replace("'", "''") + "'" for f in self.rural_files)
            con.execute(f"CREATE VIEW rural_rows AS SELECT * FROM read_parquet([{files}], union_by_name=true)")
        else:
            con.execute("CREATE VIEW rural_rows AS SELECT * FROM rows WHERE is_rural_crime")
        if self.cube_files:  # small (~50,000 rows at 10M incidents): held in DuckDB's memory, read once
            files = ", ".join("'" + f.replace("'", "''") + "'" for f in self.cube_files)
            con.execute(f"CREATE TABLE cube AS SELECT * FROM read_parquet([{files}], union_by_name=true)")
            return
        cols = ", ".join(c for c in columnar.CUBE_COLUMNS if c in have)
        con.execute(
            f"CREATE TABLE cube AS SELECT {cols}, count(*) AS crimes, true AS is_rural_crime FROM rows "
            "WHERE is_rural_crime GROUP BY ALL"
        )

    def columns(self) -> list[str]:
        """The columns of ``rows``."""
        return self.query("SELECT * FROM rows LIMIT 0").columns.tolist()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL over the view ``rows`` (a cursor of its own: safe from any thread); the
        (small) result as a DataFrame.

        A view's rows never change (a data version is immutable; a new one gets a new view), so
        answers are kept, most recently used first, up to :data:`ANSWER_CACHE_BYTES` in all and
        :data:`ANSWER_MAX_BYTES` each: the next viewer of a page, or a rerun, asks DuckDB nothing.
        Each caller gets its own copy.
        """
        key = (sql, repr(params or []))
        with self._lock:
            hit = self._answers.get(key)
            if hit is not None:
                self._answers.move_to_end(key)
                return hit[0].copy()
        cur = self._connection().cursor()
        try:
            out = cur.execute(sql, params or []).df()
        finally:
            cur.close()
        size = int(out.memory_usage(index=True, deep=True).sum())
        if size <= ANSWER_MAX_BYTES:
            with self._lock:
                if key not in self._answers:
                    self._answers[key] = (out.copy(), size)
                    self._answer_bytes += size
                while self._answer_bytes > ANSWER_CACHE_BYTES and self._answers:
                    _, (_, gone) = self._answers.popitem(last=False)
                    self._answer_bytes -= gone
        return out


# ----------------------------------------------------------------------------- the Overview


def headline(view: StoreView) -> overview.Headline:
    """:func:`ruralaction.measures.overview.headline`, in SQL."""
    row = view.query(
        f"""SELECT count(*) AS incidents,
               count(*) FILTER (in_county) AS in_county,
               count(*) FILTER (NOT in_county) AS outside_county,
               count(*) FILTER (in_county IS NULL) AS county_unknown,
               count(*) FILTER (rural_category IS NOT NULL AND in_county) AS in_scope_in_county,
               count(*) FILTER (is_rural_crime) AS rural_crimes,
               count(*) FILTER ({_NO_XY}) AS no_location,
               count(*) FILTER (in_rural_ward IS NULL) AS unknown_class
           FROM rows"""
    ).iloc[0]
    months = view.query("SELECT DISTINCT month FROM rows WHERE month IS NOT NULL ORDER BY month")["month"]
    months = pd.to_datetime(months).astype("datetime64[s]")
    span = overview._month_span(months)
    base, n_rural = int(row["in_scope_in_county"]), int(row["rural_crimes"])
    return overview.Headline(
        incidents=int(row["incidents"]),
        in_county=int(row["in_county"]),
        outside_county=int(row["outside_county"]),
        county_unknown=int(row["county_unknown"]),
        in_scope_in_county=base,
        rural_crimes=n_rural,
        share_rural=n_rural / base if base else None,
        no_location=int(row["no_location"]),
        unknown_class=int(row["unknown_class"]),
        months=len(months),
        first_month=months.min() if len(months) else None,
        latest_month=months.max() if len(months) else None,
        missing_months=tuple(span[~span.isin(months)]),
    )


def _span(view: StoreView) -> pd.DatetimeIndex:
    """The months with data (a month with no incident at all has no file: left out, not zero)."""
    months = view.query("SELECT DISTINCT month FROM rows WHERE month IS NOT NULL ORDER BY month")["month"]
    return pd.DatetimeIndex(pd.to_datetime(months)).astype("datetime64[s]")


def empty_result_words(view: StoreView, geo) -> str | None:
    """:func:`ruralaction.measures.readiness.empty_result_words`, in SQL."""
    row = view.query(
        """SELECT count(*) AS n,
               count(*) FILTER (rural_category IS NOT NULL AND in_county) AS in_scope,
               count(*) FILTER (rural_category IS NOT NULL AND in_county AND in_rural_ward IS NULL) AS unclassed,
               count(*) FILTER (is_rural_crime) AS rural
           FROM rows"""
    ).iloc[0]
    if not int(row["n"]):
        return None
    share = int(row["unclassed"]) / int(row["in_scope"]) if int(row["in_scope"]) else None
    return readiness.words_for(geo, share, bool(int(row["rural"])))


def rural_by_month(view: StoreView) -> pd.DataFrame:
    """:func:`ruralaction.measures.overview.rural_by_month`, in SQL."""
    categories = list(view.categories)
    cat_dtype = pd.CategoricalDtype(categories, ordered=True)
    span = _span(view)
    if span.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[s]"),
                "category": pd.Series(dtype=cat_dtype),
                "crimes": pd.Series(dtype="int64"),
            }
        )
    counts = view.query(
        "SELECT month, rural_category AS category, sum(crimes)::BIGINT AS crimes FROM cube GROUP BY ALL"
    )
    counts["month"] = pd.to_datetime(counts["month"]).astype("datetime64[s]")
    grid = pd.MultiIndex.from_product([span, categories], names=["month", "category"])
    out = (
        counts.set_index(["month", "category"])["crimes"]
        .reindex(grid, fill_value=0)
        .rename("crimes")
        .astype("int64")
        .reset_index()
    )
    out["category"] = out["category"].astype(cat_dtype)
    return out


def rural_by_evidence(view: StoreView) -> pd.DataFrame:
    """:func:`ruralaction.measures.overview.rural_by_evidence`, in SQL."""
    e = overview.EVIDENCE
    counts = view.query(
        f"""SELECT rural_category AS category,
               CASE WHEN at_farm AND coalesce(in_rural_ward, false) THEN '{e[2]}'
                    WHEN at_farm THEN '{e[1]}' ELSE '{e[0]}' END AS evidence,
               sum(crimes)::BIGINT AS n
           FROM cube GROUP BY ALL"""
    )
    table = counts.pivot_table(index="category", columns="evidence", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(index=list(view.categories), columns=list(e), fill_value=0).astype("int64")
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index="category").reset_index()


def rural_by_ward(view: StoreView, n: int | None = 10) -> pd.DataFrame:
    """:func:`ruralaction.measures.overview.rural_by_ward`, in SQL."""
    total = int(view.query("SELECT coalesce(sum(crimes), 0)::BIGINT AS n FROM cube")["n"].iloc[0])
    counts = view.query(
        "SELECT ward_code, ward_name, sum(crimes)::BIGINT AS crimes FROM cube WHERE ward_code IS NOT NULL GROUP BY ALL"
    )
    series = counts.set_index(["ward_code", "ward_name"])["crimes"]
    out = overview._top(series, n, total)
    out["ward_code"] = out["ward_code"].astype(str)
    out["ward_name"] = out["ward_name"].fillna(out["ward_code"]).astype(str)
    return out


def rural_counts_by(view: StoreView, column: str) -> pd.Series:
    """Rural crimes by one column (``rural_category``, ``rural_basis``, ``rural_reason``,
    ``ward_code``, ``month``…): a Series, highest first, missing values left out."""
    if column not in {"rural_category", "rural_basis", "rural_reason", "ward_code", "month", "reported_by"}:
        raise ValueError(f"not a column to count by: {column!r}")
    out = view.query(
        f"SELECT {column} AS key, count(*) AS n FROM rows WHERE is_rural_crime AND {column} IS NOT NULL "
        "GROUP BY ALL ORDER BY n DESC, key"
    )
    return pd.Series(out["n"].to_numpy(dtype="int64"), index=out["key"].to_numpy(), name="count")


# ----------------------------------------------------------------------------- the Map


def where(f: Filters, wards: pd.DataFrame | None = None) -> tuple[str, list]:
    """The SQL condition (and its parameters) for :meth:`Filters.apply`."""
    sql, params = ["is_rural_crime"], []
    if f.month_from:
        sql.append("month >= ?")
        params.append(pd.Timestamp(f"{f.month_from}-01").to_pydatetime())
    if f.month_to:
        sql.append("month <= ?")
        params.append(pd.Timestamp(f"{f.month_to}-01").to_pydatetime())
    if f.categories:
        sql.append("rural_category IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(f.categories))
    if f.reason == "ward":
        sql.append("coalesce(in_rural_ward, false)")
    elif f.reason == "farm":
        sql.append("at_farm")
    if f.ward is not None:
        sql.append("ward_code = ?")
        params.append(f.ward)
    elif f.district is not None:
        codes = [] if wards is None else wards.loc[wards["district"] == f.district, "ward_code"].astype(str).tolist()
        sql.append("ward_code IN (SELECT unnest(?::VARCHAR[]))")
        params.append(codes)
    return " AND ".join(sql), params


@dataclass(frozen=True)
class MapCounts:
    """The Map page's metrics: rural crimes shown, of them in rural wards and at farms."""

    shown: int
    in_rural_wards: int
    at_farms: int


def map_counts(view: StoreView, f: Filters, wards: pd.DataFrame | None = None) -> MapCounts:
    cond, params = where(f, wards)
    row = view.query(
        f"SELECT coalesce(sum(crimes), 0)::BIGINT AS n, "
        f"coalesce(sum(crimes) FILTER (coalesce(in_rural_ward, false)), 0)::BIGINT AS w, "
        f"coalesce(sum(crimes) FILTER (at_farm), 0)::BIGINT AS farm FROM cube WHERE {cond}",
        params,
    ).iloc[0]
    return MapCounts(int(row["n"]), int(row["w"]), int(row["farm"]))


def hex_counts(view: StoreView, f: Filters, wards: pd.DataFrame | None = None) -> pd.DataFrame:
    """Filtered rural crimes per map hexagon and category: ``hex_q, hex_r, category, crimes``
    (only cells with crimes; crimes without coordinates left out)."""
    cond, params = where(f, wards)
    out = view.query(
        f"SELECT hex_q, hex_r, rural_category AS category, sum(crimes)::BIGINT AS crimes FROM cube "
        f"WHERE {cond} AND hex_q IS NOT NULL GROUP BY ALL ORDER BY hex_q, hex_r, category",
        params,
    )
    out["crimes"] = out["crimes"].astype(np.int64)
    return out


def filter_options(view: StoreView, wards: pd.DataFrame | None) -> FilterOptions:
    """:func:`ruralaction.measures.filters.options` from the store (one small query: the months)."""
    # every month with data: the span runs first to last, and the months between without data
    # are named as missing (``FilterOptions.covered``), so all of them, not just the two ends
    months = list(_span(view))
    tiny = pd.DataFrame(
        {
            "month": pd.Series(months, dtype="datetime64[s]"),
            "rural_category": pd.Categorical([None] * len(months), categories=list(view.categories)),
        }
    )
    return options(tiny, wards)


def ward_counts(view: StoreView, f: Filters, codes: pd.Index, wards: pd.DataFrame | None = None) -> np.ndarray:
    """Filtered rural crimes in each of ``codes`` (in that order)."""
    cond, params = where(f, wards)
    got = view.query(
        f"SELECT ward_code, sum(crimes)::BIGINT AS n FROM cube WHERE {cond} AND ward_code IS NOT NULL GROUP BY ALL",
        params,
    )
    return got.set_index("ward_code")["n"].reindex(codes, fill_value=0).to_numpy(dtype=np.int64)


def parish_counts(view: StoreView, f: Filters, codes: pd.Index, wards: pd.DataFrame | None = None) -> np.ndarray:
    """Filtered rural crimes in each parish of ``codes`` (in that order); zeros when the store
    has no parish column (no parishes were loaded when it was classified)."""
    if "parish_code" not in view.columns():
        return np.zeros(len(codes), dtype=np.int64)
    cond, params = where(f, wards)
    got = view.query(
        f"SELECT parish_code, sum(crimes)::BIGINT AS n FROM cube WHERE {cond} AND parish_code IS NOT NULL GROUP BY ALL",
        params,
    )
    return got.set_index("parish_code")["n"].reindex(codes, fill_value=0).to_numpy(dtype=np.int64)


def area_rates(
    view: StoreView,
    f: Filters,
    wards: pd.DataFrame,
    areas: pd.Series,
    months: int,
    rural_classes,
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """:func:`ruralaction.measures.trends.area_rates` for ``f.apply(...)``'s rows, in SQL."""
    codes = pd.Index(wards["ward_code"].astype(str))
    crimes = ward_counts(view, f, codes, wards)
    return trends.rates_from_counts(crimes, wards, areas, months, rural_classes, population)


#: The columns a table of crimes, a download or the points layer needs.
ROW_COLUMNS = (
    "month",
    "rural_category",
    "location",
    "last_outcome",
    "ward_code",
    "ward_name",
    "rural_reason",
    "crime_id",
    "longitude",
    "latitude",
    "in_rural_ward",
    "at_farm",
)


def filtered_rows(view: StoreView, f: Filters, wards: pd.DataFrame | None = None, limit: int | None = None):
    """The filtered rural crimes themselves, newest first (only the :data:`ROW_COLUMNS`, and at
    most ``limit`` of them): for the "each crime" table, its download and the points layer."""
    return newest_rows(view, *where(f, wards), limit)


def newest_rows(view: StoreView, cond: str, params: list, limit: int | None = None) -> pd.DataFrame:
    """The rural crimes ``cond`` picks (a condition on the cube's columns, as :func:`where` makes),
    newest first in the store's order, at most ``limit``: only the newest months that hold
    ``limit`` crimes (counted in the cube) are read and sorted, from the rural crimes' own files."""
    if limit is not None:
        per = view.query(
            f"SELECT month, sum(crimes)::BIGINT AS n FROM cube WHERE {cond} GROUP BY month ORDER BY month DESC", params
        )
        reach = int(np.searchsorted(per["n"].cumsum().to_numpy(), limit))
        if reach < len(per):
            cond, params = f"{cond} AND month >= ?", [*params, pd.Timestamp(per["month"].iloc[reach]).to_pydatetime()]
    cols = ", ".join(ROW_COLUMNS)
    sql = f"SELECT {cols} FROM rural_rows WHERE {cond} ORDER BY month DESC, source_file, line"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    out = view.query(sql, params)
    out["month"] = pd.to_datetime(out["month"]).astype("datetime64[s]")
    out["rural_category"] = pd.Categorical(out["rural_category"], categories=list(view.categories))
    for c in ("ward_code", "ward_name", "rural_reason", "location", "last_outcome"):
        out[c] = out[c].astype("category")
    out["in_rural_ward"] = out["in_rural_ward"].astype("boolean")
    return out
