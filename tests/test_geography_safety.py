"""Uploaded geography cannot reach anything else (issue #11, item 2).

Crafted files that make GDAL read the app's own SQLite database or ``/etc/passwd`` — an OGR VRT
named ``.gpkg`` or ``.geojson``, a GDAL pipeline, a GeoJSON whose ``crs`` names the database, a
GeoPackage with a virtual table or a view, zipped "shapefiles" holding a VRT or a symlink — are
each refused by the store with one sentence, nothing is kept, and the live database (WAL mode,
a connection open) keeps its ``-wal``/``-shm`` files and the writes committed afterwards. A
positive control shows the VRT payload really reads the users table when GDAL opens it freely.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from actions_helpers import SYSTEM

from ruralaction.actions import open_database
from ruralaction.actions.users import add_user
from ruralaction.concerns import submit_concern, validate_concern
from ruralaction.geography.boundaries import GeographyError, read_boundaries
from ruralaction.geography.safe_read import worker_env
from ruralaction.incidents.store import Store
from ruralaction.limits import limits, run_worker
from ruralaction.permissions import Actor, Role

ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)  # data writes need an admin

SECRET_EMAIL = "mina.carter0@example.org"
WARDS = {"W1": "Brixworth"}


def _wards_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"WD13CD": ["W1"], "WD13NM": ["Brixworth"]}, geometry=[shapely.box(-1.0, 52.0, -0.9, 52.1)], crs="EPSG:4326"
    )


def _vrt(source: str, layer: str) -> bytes:
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="wards"><SrcDataSource>{source}</SrcDataSource>'
        f"<SrcLayer>{layer}</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def _gpkg(tmp: Path, evil_sql: str, table: str) -> bytes:
    """A real GeoPackage of the wards with one more object in its schema, listed as features."""
    path = tmp / f"{table}.gpkg"
    _wards_frame().to_file(path, driver="GPKG", layer="wards")
    con = sqlite3.connect(path)
    if evil_sql.startswith("CREATE VIRTUAL"):  # modules only GDAL knows: written into the schema as-is
        con.execute("PRAGMA writable_schema=ON")
        con.execute("INSERT INTO sqlite_master VALUES ('table', ?, ?, 0, ?)", (table, table, evil_sql))
    else:
        con.execute(evil_sql)
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, 4326)",
        (table, table),
    )
    con.commit()
    con.close()
    return path.read_bytes()


def _zip(members: dict[str, bytes], links: dict[str, str] = {}) -> bytes:  # noqa: B006 - read only
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in links.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16) | 0x10  # a symlink, as `zip -y` stores one
            zf.writestr(info, target)
    return buf.getvalue()


def _shapefile_parts(tmp: Path) -> dict[str, bytes]:
    _wards_frame().to_file(tmp / "good.shp")
    return {f"wards{ext}": (tmp / f"good{ext}").read_bytes() for ext in (".shp", ".shx", ".dbf", ".prj")}


@pytest.fixture
def live(tmp_path):
    """A data directory with a live WAL-mode database holding an account and a concern."""
    root = tmp_path / "data"
    root.mkdir()
    db = root / "ruralaction.db"
    engine = open_database(f"sqlite:///{db}")
    add_user(engine, SYSTEM, "admin@pcc.example", "admin", name="Ada Admin")
    clean, errors = validate_concern(
        {
            "name": "Mina Carter",
            "email": SECRET_EMAIL,
            "ward_code": "W1",
            "category": "burglary",
            "description": "Shed broken into",
            "consent": True,
        },
        WARDS,
    )
    assert not errors
    submit_concern(engine, clean, now=dt.datetime(2024, 3, 2, tzinfo=dt.UTC))
    with engine.connect():  # a connection held open, as in the running app
        yield root, db, engine
    engine.dispose()


def payloads(db: Path, tmp: Path) -> dict[str, bytes]:
    shp = _shapefile_parts(tmp)
    return {
        "boundaries.gpkg": _vrt(str(db), "users"),
        "wards.geojson": _vrt("CSV:/etc/passwd", "passwd"),
        "wards.json": json.dumps(
            {"type": "gdal_streamed_alg", "command_line": f"gdal vector pipeline ! read {db} ! write out.geojson"}
        ).encode(),
        "crs.geojson": json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": str(db)}},
                "features": json.loads(_wards_frame().to_json())["features"],
            }
        ).encode(),
        "virtual.gpkg": _gpkg(tmp, f"CREATE VIRTUAL TABLE evil USING VirtualOGR('{db}', 0, 'users')", "evil"),
        "view.gpkg": _gpkg(tmp, "CREATE VIEW leak AS SELECT * FROM wards", "leak"),
        "vrt-in-zip.zip": _zip({"wards.shp": _vrt("/etc/passwd", "passwd"), "wards.dbf": shp["wards.dbf"]}),
        "link-in-zip.zip": _zip({k: v for k, v in shp.items() if k != "wards.dbf"}, links={"wards.dbf": str(db)}),
        "vrt-beside.zip": _zip({"wards.vrt": _vrt(str(db), "users"), "readme.txt": b"see wards.vrt"}),
    }


def test_the_vrt_payload_really_reads_the_database_when_gdal_opens_it_freely(live, tmp_path):
    """Positive control, on a copy of the database (GDAL opening it would damage its WAL)."""
    _root, db, _engine = live
    copy = tmp_path / "copy.db"
    src = sqlite3.connect(db)
    src.backup(dst := sqlite3.connect(copy))
    src.close(), dst.close()
    vrt = tmp_path / "boundaries.gpkg"
    vrt.write_bytes(_vrt(str(copy), "users"))
    code = f"import pyogrio; print(pyogrio.read_dataframe({str(vrt)!r}).to_csv())"
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert "admin@pcc.example" in out.stdout, out.stderr[-500:]


def test_hostile_geography_is_refused_in_one_sentence_and_the_database_is_untouched(live, tmp_path):
    root, db, engine = live
    store = Store(root)
    before = sorted(p.relative_to(root) for p in root.rglob("*") if "ruralaction.db" not in p.name)
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
    for name, data in payloads(db, tmp_path).items():
        with pytest.raises(GeographyError) as refused:
            store.add_geography(name, data, actor=ADMIN)
        msg = str(refused.value)
        assert msg.startswith(f"{name} was refused") or msg.startswith(f"{name} could not be read"), msg
        assert msg.endswith(".") and "\n" not in msg, msg
        assert SECRET_EMAIL not in msg and "root:" not in msg and "admin@pcc" not in msg
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "ruralaction.db" not in p.name)
    assert after == before, "nothing kept"
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists(), "the live database's WAL is intact"
    # a write committed now is kept, and the database is sound
    clean, _ = validate_concern(
        {"name": "Later", "email": "later@example.org", "ward_code": "W1", "category": "burglary",
         "description": "After the uploads", "consent": True},
        WARDS,
    )  # fmt: skip
    submit_concern(engine, clean, now=dt.datetime(2024, 3, 3, tzinfo=dt.UTC))
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM concerns").fetchone() == (2,)
    con.close()


def test_the_reading_worker_has_only_the_expected_driver(live, tmp_path):
    """Past the byte checks, the worker itself cannot open a VRT: it has the GeoJSON driver only."""
    _root, db, _engine = live
    vrt = tmp_path / "wards.geojson"
    vrt.write_bytes(_vrt(str(db), "users"))
    request = {"path": str(vrt), "driver": "GeoJSON", "out": str(tmp_path / "out.arrow")}
    answer = run_worker("ruralaction.geography.safe_read", request, limits(), worker_env("GeoJSON"))
    assert (
        answer["error"].startswith("could not be read as a boundaries file") and not (tmp_path / "out.arrow").exists()
    )
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()


def test_genuine_boundaries_still_load_in_every_format(tmp_path):
    """A GeoPackage and a zipped shapefile (with a read-me) through the worker; GeoJSON with an
    EPSG ``crs`` member in process (the store's own tests upload GeoJSON through the worker)."""
    store = Store(tmp_path / "data")
    frame = _wards_frame()
    frame.to_file(tmp_path / "w.gpkg", driver="GPKG")
    files = {
        "wards.gpkg": (tmp_path / "w.gpkg").read_bytes(),
        "wards.zip": _zip({**_shapefile_parts(tmp_path), "README.txt": b"ONS boundaries"}),
    }
    geojson = json.loads(frame.to_json())
    geojson["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    (tmp_path / "w.geojson").write_text(json.dumps(geojson))
    for name, data in files.items():
        kind, dest = store.add_geography(name, data, actor=ADMIN)
        assert kind == "ward" and dest.exists()
    kept = [p for p in store.path("ours").rglob("wards.*") if p.suffix in (".gpkg", ".zip")]  # not the built store
    assert len(kept) == 2
    for path in (*kept, tmp_path / "w.geojson"):
        gdf = read_boundaries(path)
        assert gdf["WD13NM"].tolist() == ["Brixworth"] and gdf.geometry.iloc[0].equals(frame.geometry.iloc[0])


def test_paths_that_are_not_local_files_are_refused(tmp_path):
    for path in ("/vsicurl/http://example.org/w.geojson", "https://example.org/w.geojson", "GPKG:/etc/passwd:x"):
        with pytest.raises(GeographyError, match="only a file on this server"):
            read_boundaries(path)
