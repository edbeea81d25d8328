"""Boundary files read as what they say they are, and nothing else.

GDAL, under geopandas, opens whatever a file's bytes say it is: a file named ``wards.gpkg``
that is really an OGR VRT (a few lines of XML naming another data source) makes it read the
app's own database or ``/etc/passwd``, a GeoPackage can hold views and virtual tables that
reach other files, a zip can hold a symlink or a VRT, a GeoJSON ``crs`` can name a file. So a
boundary file is checked by its bytes before GDAL sees it, and then opened with only the one
driver it must be:

1. **Content by bytes.** GeoJSON starts with ``{`` and is a ``Feature``/``FeatureCollection``
   (never a GDAL pipeline, a VRT or TopoJSON), and its ``crs`` (if any) is a plain EPSG/OGC
   name; a GeoPackage is an SQLite file with the GeoPackage application id whose feature
   tables are ordinary tables in that file (no views, no virtual tables but the R*Tree spatial
   index, nothing attached); a shapefile is a zip whose ``.shp``/``.shx``/``.dbf``/``.prj`` are
   extracted by us (no symlinks, no paths, sizes counted while extracting) and each checked by
   its magic bytes. The path is local, absolute, and never a ``/vsi…``, URL or ``DRIVER:``
   prefix.
2. **One driver.** Uploads are read in a worker process (:func:`ruralaction.limits.run_worker`)
   started with ``GDAL_SKIP`` naming every other driver, network access and external access
   from SQLite switched off (``OGR_SQLITE_ALLOW_EXTERNAL_ACCESS=NO``, ``/vsicurl`` allowed no
   extension, a dead proxy), with CPU, memory and time limits, an empty working directory and
   no secrets in its environment; it hands back GeoParquet. Files already in the data
   directory (checked when they were added) and the command line's own folders are read in
   process with the same checks, and with the chaining and network drivers skipped for the
   whole process.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ruralaction.limits import UploadLimits, WorkerFailed, limits, run_worker


class GeographyError(ValueError):
    """A boundary or lookup file that cannot be used; the message names the file and why."""


#: Drivers that read other files or the network (VRT, GDAL pipelines, web services, databases)
#: or formats a boundary upload never is: skipped for the whole process before GDAL registers
#: its drivers (pyogrio reads ``GDAL_SKIP`` when it is first imported).
CHAINING_DRIVERS = (
    "OGR_VRT,VRT,GDALG,WFS,OAPIF,OGCAPI,HTTP,ADBC,AIVector,CSW,Elasticsearch,Carto,AmigoCloud,NGW,PLSCENES,"
    "EEDA,GPSBabel,SQLite,MBTiles,PMTiles,GTFS,MVT,LVBAG,VFK,OSM,GML,KML,LIBKML,GeoRSS,ESRIJSON,TopoJSON,"
    "GeoJSONSeq,JSONFG,CSV,XLSX,ODS,MapML,OpenFileGDB,DXF,S57,DGN"
)
#: GDAL configuration for every read: no network, no access from SQLite to other files, no
#: listing of the file's folder.
GDAL_SAFE_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".ruralaction-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_DRIVER_PATH": "disable",
}
DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shapefile": "ESRI Shapefile"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SQLITE_MAGIC = b"SQLite format 3\x00"
GPKG_IDS = {b"GPKG", b"GP10", b"GP11"}
SHP_MAGIC = b"\x00\x00\x27\x0a"
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB}
ZIP_MAGIC = b"PK\x03\x04"
_CRS_NAME = re.compile(rb"^(urn:ogc:def:crs:(EPSG|OGC):[0-9.]*:[A-Za-z0-9]+|EPSG:\d+)$")
_CRS = re.compile(rb'"crs"\s*:\s*(null|\{[^{}]*(\{[^{}]*\}[^{}]*)?\})')
_JSON_FORBIDDEN = (b"gdal_streamed_alg", b"<OGRVRTDataSource", b"/vsi", b'"Topology"')


def _configure_process() -> None:
    if "pyogrio" not in sys.modules:
        skip = os.environ.get("GDAL_SKIP", "").strip()
        if skip and "," not in skip:  # GDAL splits on commas when there is one, else on spaces
            skip = ",".join(skip.split())
        os.environ["GDAL_SKIP"] = ",".join(x for x in (skip, CHAINING_DRIVERS) if x)
    for key, value in GDAL_SAFE_CONFIG.items():
        os.environ.setdefault(key, value)


_configure_process()


@dataclass(frozen=True)
class Checked:
    """A file that passed the byte checks: its kind, GDAL driver and the local path to open."""

    kind: str
    driver: str
    path: Path


def _refuse(name: str, why: str) -> GeographyError:
    return GeographyError(f"{name} was refused: {why}.")


def _local_path(path: str | os.PathLike, name: str) -> Path:
    text = os.fspath(path)
    if text.startswith("/vsi") or "://" in text or re.match(r"^[A-Za-z][A-Za-z0-9_ ]+:", text):
        raise _refuse(name, "only a file on this server can be read, not a /vsi, network or driver path")
    p = Path(text).resolve()
    if not p.is_file():
        raise GeographyError(f"{name} could not be read as a boundaries file (it is not a file).")
    return p


def _check_crs(found: re.Match | None, name: str) -> None:
    """A GeoJSON ``crs`` member must be null or a plain EPSG/OGC name (GDAL would otherwise try
    to read a file or address it names)."""
    if not found:
        raise _refuse(name, "its coordinate system is not a plain EPSG name")
    if found.group(1) == b"null":
        return
    names = re.findall(rb'"name"\s*:\s*"([^"]*)"', found.group(0))
    types = re.findall(rb'"type"\s*:\s*"([^"]*)"', found.group(0))
    if types != [b"name"] or len(names) != 1 or not _CRS_NAME.match(names[0]):
        raise _refuse(name, "its coordinate system is not a plain EPSG name")


def _check_geojson(path: Path, name: str, lim: UploadLimits) -> None:
    """Stream the file once (bounded by the size limit): a Feature/FeatureCollection, no token of
    another format or of a reference, every ``crs`` member plain."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not body.startswith(b"{") or not re.search(rb'"type"\s*:\s*"(FeatureCollection|Feature)"', head):
        raise GeographyError(
            f"{name} could not be read as a boundaries file (it is not a GeoJSON Feature or FeatureCollection)."
        )
    keep = 4096  # a crs member is checked once it is whole inside the window (they are < 1 KB)
    tail, offset, checked_upto, size = b"", 0, -1, 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            size += len(chunk)
            if size > lim.max_bytes:
                raise _refuse(name, f"it is larger than {lim.max_bytes // 1024**2:,} MB")
            window, at_end = tail + chunk, not chunk
            low = window.lower()
            if any(t.lower() in low for t in _JSON_FORBIDDEN):
                raise _refuse(name, "it is not plain GeoJSON (it refers to other data or is another format)")
            for m in re.finditer(rb'"crs"\s*:', window):
                absolute = offset + m.start()
                if absolute <= checked_upto or (not at_end and m.start() > len(window) - keep // 2):
                    continue
                _check_crs(_CRS.match(window, m.start()), name)
                checked_upto = absolute
            if at_end:
                return
            offset += len(window) - min(len(window), keep)
            tail = window[-keep:]


def _check_gpkg(path: Path, name: str, lim: UploadLimits) -> None:
    with path.open("rb") as fh:
        head = fh.read(100)
    if not head.startswith(SQLITE_MAGIC) or head[68:72] not in GPKG_IDS:
        raise _refuse(name, "it is not a GeoPackage (an SQLite file with the GeoPackage id)")
    if path.stat().st_size > lim.max_bytes:
        raise _refuse(name, f"it is larger than {lim.max_bytes // 1024**2:,} MB")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        raise _refuse(name, "it is not a readable GeoPackage") from None
    try:
        con.execute("PRAGMA trusted_schema=OFF")
        schema = con.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master").fetchall()
        tables = {n for t, n, _ in schema if t == "table"}
        for typ, obj, sql in schema:
            if typ == "view":
                raise _refuse(name, f"it holds a view ({obj}); only plain feature tables are read")
            if re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE", sql, re.I) and not re.search(
                r"\bUSING\s+rtree\s*\(", sql, re.I
            ):
                raise _refuse(name, f"it holds a virtual table ({obj}) that could read other files")
        if "gpkg_contents" not in tables:
            raise _refuse(name, "it has no GeoPackage contents table")
        contents = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    except sqlite3.Error:
        raise _refuse(name, "it is not a readable GeoPackage") from None
    finally:
        con.close()
    features = [t for t, kind in contents if kind == "features"]
    if not features:
        raise _refuse(name, "it has no feature table")
    missing = [t for t, _ in contents if t not in tables]
    if missing:
        raise _refuse(name, f"its table {missing[0]} is not stored in the file itself")


def _check_shapefile_parts(folder: Path, stem: str, name: str) -> None:
    def head(ext: str, n: int = 4) -> bytes | None:
        p = folder / f"{stem}{ext}"
        if not p.exists():
            return None
        with p.open("rb") as fh:
            return fh.read(n)

    if head(".shp") != SHP_MAGIC:
        raise _refuse(name, "its .shp is not an ESRI shapefile")
    shx, dbf = head(".shx"), head(".dbf", 1)
    if shx is not None and shx != SHP_MAGIC:
        raise _refuse(name, "its .shx is not a shapefile index")
    if dbf is None or dbf[0] not in DBF_VERSIONS:
        raise _refuse(name, "it has no dBase (.dbf) attribute table")
    prj = head(".prj", 4096)
    if prj is not None and not re.match(rb"^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|COMPD_CS|GEOCCS|BOUNDCRS)\[", prj):
        raise _refuse(name, "its .prj is not a coordinate system")
    cpg = head(".cpg", 64)
    if cpg is not None and not re.match(rb"^[A-Za-z0-9_ .-]{0,40}\s*$", cpg):
        raise _refuse(name, "its .cpg is not an encoding name")


def _extract_shapefile(path: Path, name: str, into: Path, lim: UploadLimits) -> Path:
    """Extract the one shapefile of a zip into ``into`` (flat names), counting bytes as they come."""
    with path.open("rb") as fh:
        if fh.read(4) != ZIP_MAGIC:
            raise _refuse(name, "it is not a zip archive")
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(name, "it is not a readable zip archive") from None
    with zf:
        if len(infos) > lim.max_members:
            raise _refuse(name, f"it holds more than {lim.max_members:,} files")
        shps = [i for i in infos if i.filename.lower().endswith(".shp") and not Path(i.filename).name.startswith("._")]
        if len(shps) != 1:
            raise _refuse(name, "a zipped shapefile must hold exactly one .shp file")
        stem = shps[0].filename[:-4]
        wanted = {f"{stem}{ext}".lower(): ext for ext in SHAPEFILE_PARTS}
        total = 0
        for info in infos:
            ext = wanted.get(info.filename.lower())
            if ext is None:
                continue  # read-me files, metadata: never extracted
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _refuse(name, f"{info.filename} is a link to another file")
            if info.flag_bits & 0x1:
                raise _refuse(name, "it is encrypted")
            written = 0
            with zf.open(info) as src, (into / f"layer{ext}").open("wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    total += len(chunk)
                    if written > lim.max_member_bytes or total > lim.max_total_bytes:
                        raise _refuse(name, "it expands beyond the size limits for a boundary file")
                    if written > lim.max_ratio * max(info.compress_size, 1) and written > _MIN_RATIO_BYTES:
                        raise _refuse(name, "it expands far more than a boundary file compresses (a zip bomb)")
                    dst.write(chunk)
    _check_shapefile_parts(into, "layer", name)
    return into / "layer.shp"


_MIN_RATIO_BYTES = 1024**2


@contextmanager
def checked(path: str | os.PathLike, name: str | None = None, lim: UploadLimits | None = None):
    """Check a boundary file by its bytes; yield a :class:`Checked` whose path is safe to open.

    Raises :class:`GeographyError` (one sentence naming the file) for anything that is not
    plain GeoJSON, a self-contained GeoPackage or a zipped (or on-disk) ESRI shapefile.
    """
    lim = lim or limits()
    name = name or Path(os.fspath(path)).name
    p = _local_path(path, name)
    suffix = p.suffix.lower()
    if suffix in (".json", ".geojson"):
        _check_geojson(p, name, lim)
        yield Checked("geojson", DRIVERS["geojson"], p)
    elif suffix == ".gpkg":
        _check_gpkg(p, name, lim)
        yield Checked("gpkg", DRIVERS["gpkg"], p)
    elif suffix == ".shp":
        _check_shapefile_parts(p.parent, p.stem, name)
        yield Checked("shapefile", DRIVERS["shapefile"], p)
    elif suffix == ".zip":
        tmp = Path(tempfile.mkdtemp(prefix="ra-shp-"))
        try:
            yield Checked("shapefile", DRIVERS["shapefile"], _extract_shapefile(p, name, tmp, lim))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        raise _refuse(name, "boundaries must be GeoJSON, a GeoPackage or a zipped shapefile")


def _all_drivers() -> list[str]:
    import pyogrio

    return sorted(pyogrio.list_drivers())


def worker_env(driver: str) -> dict[str, str]:
    """The environment of a reading worker: every driver but ``driver`` skipped, and no network."""
    others = [d for d in {*_all_drivers(), *CHAINING_DRIVERS.split(",")} if d != driver]
    return {"GDAL_SKIP": ",".join(sorted(others)), **GDAL_SAFE_CONFIG}


def read_isolated(path: str | os.PathLike, name: str | None = None, lim: UploadLimits | None = None):
    """Check a boundary file and read it in a limited worker with only its own driver.

    Returns a GeoDataFrame in the file's CRS. Raises :class:`GeographyError` in one sentence.
    """
    import geopandas as gpd
    import pyarrow.feather as feather

    lim = lim or limits()
    name = name or Path(os.fspath(path)).name
    with checked(path, name, lim) as c, tempfile.TemporaryDirectory(prefix="ra-geo-") as out:
        request = {"path": str(c.path), "driver": c.driver, "out": str(Path(out) / "layer.arrow")}
        try:
            answer = run_worker("ruralaction.geography.safe_read", request, lim, worker_env(c.driver))
        except WorkerFailed as exc:
            raise _refuse(name, f"it {exc}") from None
        if answer.get("error"):
            raise GeographyError(f"{name} {answer['error']}")
        df = feather.read_table(request["out"]).to_pandas()
    geometry = gpd.GeoSeries.from_wkb(df.pop(answer["geometry"]).to_numpy(), crs=answer["crs"])
    return gpd.GeoDataFrame(df, geometry=geometry.rename("geometry").values, crs=answer["crs"])


def _worker() -> None:
    """The worker's side of :func:`read_isolated` (``python -m ruralaction.geography.safe_read``):
    the file's layer as Arrow (geometry as WKB), and its CRS, or one sentence why not."""
    import json

    from ruralaction.limits import read_request

    request, lim = read_request()
    import pyarrow.compute as pc
    import pyarrow.feather as feather
    import pyogrio
    from pyogrio.raw import read_arrow

    def answer(**kw) -> None:
        print(json.dumps(kw))

    if set(pyogrio.list_drivers()) != {request["driver"]}:  # GDAL_SKIP was not applied: never read with more
        return answer(error="could not be read safely (the reader has other drivers loaded).")
    try:
        info = pyogrio.read_info(request["path"])
        if info["features"] > lim.max_features or len(info["fields"]) > lim.max_columns:
            return answer(
                error=f"was refused: it has {info['features']:,} features and {len(info['fields']):,} columns, "
                f"more than the limits ({lim.max_features:,} and {lim.max_columns:,})."
            )
        meta, table = read_arrow(request["path"])
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types; every one means "not readable"
        return answer(error=f"could not be read as a boundaries file ({str(exc).splitlines()[0][:200]}).")
    geometry = meta["geometry_name"] or "wkb_geometry"
    for name in table.column_names:
        col = table[name]
        too_long = len(name) > lim.max_field_chars or (
            name != geometry
            and (col.type == "string" or col.type == "large_string")
            and (pc.max(pc.utf8_length(col)).as_py() or 0) > lim.max_field_chars
        )
        if too_long:
            return answer(
                error=f"was refused: a value in {name[:40]} is longer than {lim.max_field_chars:,} characters."
            )
    feather.write_feather(table, request["out"])
    return answer(ok=True, features=table.num_rows, geometry=geometry, crs=meta["crs"])


if __name__ == "__main__":
    _worker()
