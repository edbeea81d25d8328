"""The classified store: every loaded row, classified once, as Parquet inside the data version.

Layout inside a data version (``versions/<id>/``, see :mod:`ruralaction.incidents.versions`)::

    classified/<dataset>/manifest.json              what it was built from, row accounting, categories
    classified/<dataset>/rejected.parquet           rejected rows with file, line, column and reason
    classified/<dataset>/rows/<force>/<month>/<format>.parquet   one force-month of classified rows
    classified/<dataset>/cube/<force>/<month>/<format>.parquet   its rural crimes counted (see below)
    classified/<dataset>/rural/<force>/<month>/<format>.parquet  its rural crimes' rows

It is written while a data change is staged (:meth:`ruralaction.incidents.store.Store.change`),
so it switches in with the raw files in the same atomic step and readers never see one without
the other. When a change only *adds* incident files that sort after every file already there
(an upload, a fetched month) and neither the definition nor the geography changed, only the
added files are read and classified; every other force-month's file is a hard link to the
previous version's. Anything else (a deletion, new boundaries, a changed definition) classifies
everything again. Raw files stay the source of truth: the store can always be rebuilt from them.

The rows are those of :func:`ruralaction.incidents.pipeline.load_data_dir` (grouped by
force-month) plus the map's hexagon (``hex_q``, ``hex_r``); :func:`read_classified` gives back
the same :class:`~ruralaction.incidents.pipeline.Classified`, and DuckDB queries the files
directly (:mod:`ruralaction.measures.store_queries`).

Beside each force-month's rows is its **cube**: the rural crimes counted by every column a map or
chart filters or groups on (month, category, ward, parish, hexagon, the two reasons, and the snap
point: police.uk anonymises each crime to one of a few thousand points). It is two orders of
magnitude smaller than the rows (10M incidents give ~50,000 cube rows), so the Overview's and the
Map's numbers come from it in milliseconds whatever the data's size. A table of crimes reads
``rural/``: the same force-month's rural crimes only (about one row in twenty), in the rows' order,
so listing an area's newest crimes never scans the other nineteen.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ruralaction.definition import Definition, load_definition
from ruralaction.geography.boundaries import Geography
from ruralaction.geography.hexgrid import lonlat_cells
from ruralaction.incidents import source_names, store_geography
from ruralaction.incidents.classify import classify
from ruralaction.incidents.loader import FileReport, LoadSummary, load_incidents
from ruralaction.incidents.pipeline import GEOGRAPHY_DIRS, INCIDENT_DIRS, Classified

FORMAT = 1
FOLDER = "classified"
MANIFEST = "manifest.json"
ROWS = "rows"
CUBE = "cube"
RURAL = "rural"
#: What the cube counts rural crimes by (those the rows have); ``crimes`` is the count.
CUBE_COLUMNS = (
    "month",
    "rural_category",
    "ward_code",
    "ward_name",
    "parish_code",
    "hex_q",
    "hex_r",
    "in_rural_ward",
    "at_farm",
    "longitude",
    "latitude",
)
NO_CELL = np.iinfo(np.int32).min


class ColumnarError(RuntimeError):
    """The classified store is missing or was built for other data or another definition."""


def definition_key(definition: Definition) -> str:
    """A fingerprint of what the definition says (not where its file is)."""

    def default(o):
        if isinstance(o, (set, frozenset)):
            return sorted(map(str, o))
        return str(o)

    raw = {k: v for k, v in asdict(definition).items() if k != "path"}
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=default).encode()).hexdigest()[:16]


def _signature(p: Path) -> str:
    st = p.stat()
    return f"{st.st_size}|{st.st_mtime_ns}"


def _files(base: Path, dirs: tuple[str, ...]) -> dict[str, str]:
    return {
        p.relative_to(base).as_posix(): _signature(p)
        for d in dirs
        if (base / d).is_dir()
        for p in sorted((base / d).rglob("*"))
        if p.is_file()
    }


def geography_key(dataset_dir: Path) -> str:
    h = hashlib.sha256(json.dumps(_files(dataset_dir, GEOGRAPHY_DIRS), sort_keys=True).encode())
    return h.hexdigest()[:16]


def store_dir(version_dir: Path, dataset: str) -> Path:
    return version_dir / FOLDER / dataset


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def is_current(version_dir: Path, dataset: str, definition: Definition) -> bool:
    """Whether the version holds a classified store of this dataset's files and definition."""
    m = read_manifest(store_dir(version_dir, dataset))
    base = version_dir / dataset
    return (
        m is not None
        and m.get("format") == FORMAT
        and m.get("definition") == definition_key(definition)
        and m.get("geography") == geography_key(base)
        and m.get("files") == _files(base, INCIDENT_DIRS)
    )


# ----------------------------------------------------------------------------- writing


def _slug(value: object) -> str:
    text = "unknown" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "unknown"


def with_cells(df: pd.DataFrame) -> pd.DataFrame:
    q, r = lonlat_cells(df["longitude"].to_numpy(dtype=float), df["latitude"].to_numpy(dtype=float))
    out = df.copy(deep=False)
    out["hex_q"] = pd.array(np.where(q == NO_CELL, 0, q), dtype="Int32")
    out["hex_r"] = pd.array(np.where(r == NO_CELL, 0, r), dtype="Int32")
    out.loc[q == NO_CELL, ["hex_q", "hex_r"]] = pd.NA
    return out


def _partition_key(fmt: object, force: object, month: pd.Timestamp) -> str:
    return f"{_slug(force)}/{pd.Timestamp(month):%Y-%m}/{_slug(fmt)}"


#: The key of one force-month's partition (``format, force, month -> key``), for callers
#: that compare an upload with what is stored.
partition_key = _partition_key


def cube(rows: pd.DataFrame) -> pd.DataFrame:
    """The rural crimes of ``rows`` counted by :data:`CUBE_COLUMNS` (missing values kept as a
    group of their own), with ``crimes`` and a constant ``is_rural_crime`` (so the Map's filter
    conditions read the same on the cube as on the rows)."""
    rural = rows["is_rural_crime"].fillna(False).to_numpy(dtype=bool)
    part = rows.loc[rural, [c for c in CUBE_COLUMNS if c in rows.columns]]
    out = part.groupby(list(part.columns), dropna=False, observed=True, sort=False).size()
    out = out.rename("crimes").reset_index()
    out["crimes"] = out["crimes"].astype("int64")
    out["is_rural_crime"] = True
    return out


def _write_cube(part: pd.DataFrame, folder: Path, key: str) -> None:
    """A force-month's cube and its rural crimes' rows, beside its rows."""
    rural = part["is_rural_crime"].fillna(False).to_numpy(dtype=bool)
    for sub, frame in ((CUBE, cube(part)), (RURAL, part[rural])):
        path = folder / sub / f"{key}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")


def _write_rows(df: pd.DataFrame, folder: Path) -> dict[str, dict]:
    """Write one Parquet file per (force, month, format); returns the partitions written."""
    parts: dict[str, dict] = {}
    if df.empty:
        return parts
    keys = df["source_format"].astype(str) + "\0" + df["reported_by"].astype(str) + "\0" + df["month"].astype(str)
    codes, uniques = pd.factorize(keys, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for idx in np.split(order, bounds):
        part = df.iloc[idx]
        first = part.iloc[0]
        key = _partition_key(first["source_format"], first["reported_by"], first["month"])
        path = folder / ROWS / f"{key}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(part, preserve_index=False)
        pq.write_table(table, path, compression="zstd")
        _write_cube(part, folder, key)
        parts[key] = {
            "source": str(first["source_file"]),
            "force": str(first["reported_by"]),
            "format": str(first["source_format"]),
            "month": f"{pd.Timestamp(first['month']):%Y-%m-%d}",
            "rows": len(part),
            "first_row": int(idx.min()),
        }
    del uniques
    return parts


def _summary_json(summary: LoadSummary) -> dict:
    replaced = summary.replaced.copy()
    if "month" in replaced:
        replaced["month"] = pd.to_datetime(replaced["month"]).dt.strftime("%Y-%m-%d")
    return {"files": [asdict(f) for f in summary.files], "replaced": replaced.to_dict("records")}


def _summary_from(raw: dict) -> LoadSummary:
    replaced = pd.DataFrame(
        raw.get("replaced") or [], columns=["source_format", "reported_by", "month", "replaced_file", "by_file", "rows"]
    )
    if len(replaced):
        replaced["month"] = pd.to_datetime(replaced["month"])
    return LoadSummary(files=[FileReport(**f) for f in raw.get("files", [])], replaced=replaced)


def _dtypes(df: pd.DataFrame) -> dict[str, str]:
    """Datetime columns' exact dtypes (Parquet keeps milliseconds; the loader uses seconds)."""
    return {c: str(df[c].dtype) for c in df.columns if df[c].dtype.kind == "M"}


#: Categorical columns with more values than this (crime IDs, locations) keep no category list in
#: the manifest: the reader makes them categorical again from the values.
MAX_CATEGORIES = 5_000


def _categories(df: pd.DataFrame) -> dict[str, list | None]:
    """Each categorical column's categories in order (None: too many to list, see above)."""
    return {
        c: [str(x) for x in df[c].cat.categories] if len(df[c].cat.categories) <= MAX_CATEGORIES else None
        for c in df.columns
        if isinstance(df[c].dtype, pd.CategoricalDtype)
    }


def build(
    version_dir: Path,
    dataset: str,
    definition: Definition | None = None,
    previous: Path | None = None,
    loaded: tuple[dict[str, str], object] | None = None,
) -> str:
    """Write the classified store of ``version_dir/dataset`` (a staged, not yet switched version).

    Parameters
    ----------
    previous : Path, optional
        The version before (its store is reused where the change only added files).
    loaded : (names, LoadResult), optional
        The added files as the change already loaded them (to check them), with ``names``
        mapping each source name in it to the file's path in the dataset folder: when those
        are exactly the added files, they are not read and parsed a second time.

    Returns
    -------
    str
        ``"kept"`` (nothing to do), ``"added"`` (only the added files classified) or ``"full"``.
    """
    definition = definition or load_definition()
    base = version_dir / dataset
    out = store_dir(version_dir, dataset)
    files = _files(base, INCIDENT_DIRS)
    dkey, gkey = definition_key(definition), geography_key(base)
    current = read_manifest(out)
    if current and (
        current.get("format"),
        current.get("definition"),
        current.get("geography"),
        current.get("files"),
    ) == (
        FORMAT,
        dkey,
        gkey,
        files,
    ):
        return "kept"
    prev = read_manifest(store_dir(previous, dataset)) if previous is not None else None
    if out.exists():
        shutil.rmtree(out)  # hard links to the previous version: that one keeps its files
    out.mkdir(parents=True)
    added = _added_only(prev, files, dkey, gkey)
    reuse = previous is not None and prev is not None and prev.get("geography") == gkey
    geography = (store_geography.load(store_dir(previous, dataset)) if reuse else None) or store_geography.build_for(
        base, definition
    )
    store_geography.save(geography, out)
    if added is not None and previous is not None:
        _build_added(base, out, store_dir(previous, dataset), prev, added, geography, definition, loaded)
        mode = "added"
    else:
        _build_full(base, out, geography, definition)
        mode = "full"
    manifest = read_manifest(out) or {}
    manifest.update(format=FORMAT, definition=dkey, geography=gkey, files=files, built=mode, cube=True, rural=True)
    (out / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    return mode


def _added_only(prev: dict | None, files: dict[str, str], dkey: str, gkey: str) -> list[str] | None:
    """The added incident files, when the change only added files that sort after every file
    already in their folder (so they replace, never lose to, an older copy); else None."""
    if not prev or prev.get("format") != FORMAT or prev.get("definition") != dkey or prev.get("geography") != gkey:
        return None
    old = prev.get("files", {})
    if any(files.get(k) != v for k, v in old.items()):
        return None  # a file was removed or changed
    new = sorted(set(files) - set(old))
    if not new:
        return None
    for d in INCIDENT_DIRS:
        olds = [k for k in old if k.startswith(f"{d}/")]
        if olds and any(k.startswith(f"{d}/") and k <= max(olds) for k in new):
            return None
    return new


def _build_full(base: Path, out: Path, geography: Geography, definition: Definition) -> None:
    inputs = [base / d for d in INCIDENT_DIRS if (base / d).exists()]
    loaded = source_names.rebase(load_incidents(inputs, definition), f"{base}/", "")
    df = with_cells(classify(loaded.incidents, geography, definition))
    parts = _write_rows(df, out)
    loaded.rejected.to_parquet(out / "rejected.parquet", index=False)
    manifest = {
        "partitions": parts,
        "categories": _categories(df),
        "dtypes": _dtypes(df),
        "summary": _summary_json(loaded.summary),
    }
    (out / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def _build_added(
    base: Path,
    out: Path,
    prev_dir: Path,
    prev: dict,
    added: list[str],
    geography: Geography,
    definition: Definition,
    preloaded: tuple[dict[str, str], object] | None = None,
) -> None:
    if preloaded is not None and list(preloaded[0].values()) == added:  # the same files in the same order
        loaded = source_names.renamed(preloaded[1], preloaded[0])
    else:
        loaded = source_names.rebase(load_incidents([base / rel for rel in added], definition), f"{base}/", "")
    df = with_cells(classify(loaded.incidents, geography, definition))
    new_parts = _write_rows(df, out)
    parts = dict(prev.get("partitions", {}))
    summary = _summary_from(prev.get("summary", {}))
    by_source = {f.source: f for f in summary.files}
    replaced_rows = []
    offset = sum(p["rows"] for p in parts.values())
    for key, part in new_parts.items():
        old = parts.get(key)
        if old is not None:  # a later copy of the same force-month: the older one's rows are replaced
            report = by_source.get(old["source"])
            if report is not None:
                report.rows_loaded -= old["rows"]
                report.rows_replaced += old["rows"]
            replaced_rows.append(
                {
                    "source_format": old["format"],
                    "reported_by": old["force"],
                    "month": pd.Timestamp(old["month"]),
                    "replaced_file": old["source"],
                    "by_file": part["source"],
                    "rows": old["rows"],
                }
            )
        parts[key] = {**part, "first_row": offset + part["first_row"]}
    for key in prev.get("partitions", {}):
        if key not in new_parts:
            if not (prev_dir / RURAL / f"{key}.parquet").is_file():  # a store from before them: make them now
                _write_cube(pd.read_parquet(prev_dir / ROWS / f"{key}.parquet"), out, key)
            for sub in (ROWS, CUBE, RURAL):
                src, dst = prev_dir / sub / f"{key}.parquet", out / sub / f"{key}.parquet"
                dst.parent.mkdir(parents=True, exist_ok=True)
                if dst.exists():
                    continue
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)
    rejected = pd.concat([pd.read_parquet(prev_dir / "rejected.parquet"), loaded.rejected], ignore_index=True)
    rejected.to_parquet(out / "rejected.parquet", index=False)
    new_replaced = pd.DataFrame(replaced_rows, columns=summary.replaced.columns)
    merged = LoadSummary(
        files=[*summary.files, *loaded.summary.files],
        replaced=pd.concat(
            [x for x in (summary.replaced, loaded.summary.replaced, new_replaced) if len(x)], ignore_index=True
        )
        if any(len(x) for x in (summary.replaced, loaded.summary.replaced, new_replaced))
        else summary.replaced,
    )
    cats = prev.get("categories", {})
    for c, values in _categories(df).items():
        known = cats.get(c, [])
        if values is None or (c in cats and known is None):
            cats[c] = None
            continue
        seen = set(known)
        merged_cats = [*known, *(v for v in values if v not in seen)]
        cats[c] = merged_cats if len(merged_cats) <= MAX_CATEGORIES else None
    manifest = {"partitions": parts, "categories": cats, "dtypes": _dtypes(df), "summary": _summary_json(merged)}
    (out / MANIFEST).write_text(json.dumps(manifest), "utf-8")


# ----------------------------------------------------------------------------- reading


def row_files(version_dir: Path, dataset: str) -> list[str]:
    """The Parquet files of the classified rows, in load order (for DuckDB and pyarrow)."""
    folder = store_dir(version_dir, dataset)
    m = read_manifest(folder)
    if m is None:
        raise ColumnarError(f"There is no classified store of {dataset} in {version_dir}.")
    parts = sorted(m.get("partitions", {}).items(), key=lambda kv: kv[1]["first_row"])
    return [str(folder / ROWS / f"{key}.parquet") for key, _ in parts]


def cube_files(version_dir: Path, dataset: str, sub: str = CUBE) -> list[str] | None:
    """The Parquet files of the store's cube (or with ``sub=RURAL`` its rural crimes' rows, in
    load order); None for a store from before them."""
    folder = store_dir(version_dir, dataset)
    m = read_manifest(folder)
    if m is None or not m.get("rural" if sub == RURAL else "cube"):
        return None
    parts = sorted(m.get("partitions", {}).items(), key=lambda kv: kv[1]["first_row"])
    return [str(folder / sub / f"{key}.parquet") for key, _ in parts]


def read_classified(
    version_dir: Path,
    dataset: str,
    definition: Definition | None = None,
    columns: list[str] | None = None,
    rows: bool = True,
) -> Classified:
    """The :class:`Classified` of a dataset, read from its classified store (no reclassifying).

    ``rows=False`` leaves the incidents out (an empty frame): the summary, rejected rows,
    geography and definition only, for pages that ask the store in SQL for their numbers.
    """
    definition = definition or load_definition()
    folder = store_dir(version_dir, dataset)
    m = read_manifest(folder)
    if m is None:
        raise ColumnarError(f"There is no classified store of {dataset} in {version_dir}.")
    files = row_files(version_dir, dataset) if rows else []
    if files:
        # "permissive": a month written on its own may hold a dictionary column with narrower indices
        # (int8 for < 128 values) than another month (int16); the values are what matter
        table = pa.concat_tables([pq.read_table(f, columns=columns) for f in files], promote_options="permissive")
        df = table.to_pandas()
    else:
        from ruralaction.incidents.loader import empty_incidents

        df = with_cells(classify(empty_incidents(), Geography(), definition))
    for c, cats in m.get("categories", {}).items():
        if c in df.columns:
            values = df[c].astype(object).where(df[c].notna(), None)
            df[c] = pd.Categorical(values, categories=cats) if cats is not None else values.astype("category")
    for c, dtype in m.get("dtypes", {}).items():
        if c in df.columns:
            df[c] = df[c].astype(dtype)
    df = df.drop(columns=[c for c in ("hex_q", "hex_r") if c in df.columns and columns is None]).reset_index(drop=True)
    out = Classified(
        incidents=df,
        rejected=pd.read_parquet(folder / "rejected.parquet"),
        summary=_summary_from(m.get("summary", {})),
        geography=store_geography.load(folder) or store_geography.build_for(version_dir / dataset, definition),
        definition=definition,
    )
    return source_names.rebase(out, "", f"{version_dir / dataset}/")


__all__ = [
    "ColumnarError",
    "build",
    "cube",
    "cube_files",
    "definition_key",
    "is_current",
    "read_classified",
    "row_files",
    "store_dir",
]
