"""Parish and postcode files in the exact ONS layouts, written by the tests over the real
Northamptonshire wards in ../shared/data.

- :func:`write_parishes`: "Parishes (December 2023) Boundaries EW" columns (``FID, PAR23CD,
  PAR23NM, PAR23NMW, BNG_E, BNG_N, LONG, LAT, GlobalID``; ``PAR21…`` for 2021) as GeoJSON,
  GeoPackage or a zipped Shapefile. Three parishes around Pitsford, Brixworth and Moulton (the
  real villages' places, simplified shapes; the codes are made up in the ONS form ``E04…``),
  clipped to the real wards, so Pitsford spans more than one ward and the rest of the county is
  unparished, as most of Northampton is.
- :func:`write_onspd`: an ONS Postcode Directory extract (its 52 columns, real names) for a few
  NN6 9 (Pitsford, Brixworth) and NN3 7 (Moulton) postcodes, with one terminated postcode and one
  that ONS could not place (``lat`` 99.999999); :func:`write_nspl`: the same in the NSPL layout.
"""

from __future__ import annotations

import csv
import tempfile
import uuid
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
WARDS_DAVENTRY = SHARED / "boundaries" / "wards_by_lad" / "E07000151.json"

PARISHES = (
    ("E04006901", "Pitsford", (-0.915, 52.292, -0.865, 52.318)),
    ("E04006902", "Brixworth", (-0.95, 52.318, -0.86, 52.37)),
    ("E04006903", "Moulton", (-0.865, 52.27, -0.82, 52.31)),
)
#: (pcds, lat, long, ward, parish, lsoa21, doterm): Pitsford's Glebe Lane / The Square, Brixworth's
#: High Slade, Moulton; one terminated, one without a grid reference.
POSTCODES = (
    ("NN6 9AA", 52.305735, -0.893724, "E05009016", "E04006901", "E01027134", ""),
    ("NN6 9AB", 52.303849, -0.897848, "E05009016", "E04006901", "E01027134", ""),
    ("NN6 9AD", 52.302519, -0.889301, "E05009016", "E04006901", "E01027134", ""),
    ("NN6 9DA", 52.321561, -0.899829, "E05009016", "E04006902", "E01027135", ""),
    ("NN3 7AA", 52.286000, -0.850000, "E05009020", "E04006903", "E01027150", ""),
    ("NN6 9ZZ", 52.305000, -0.890000, "E05009016", "E04006901", "E01027134", "202001"),
    ("NN6 9ZY", 99.999999, 0.000000, "", "", "", ""),
)
ONSPD_COLUMNS = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,"
    "nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,npark,lsoa01,msoa01,ur01ind,oac01,"
    "oa11,lsoa11,msoa11,wz11,sicbl,bua22,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
).split(",")
NSPL_COLUMNS = (
    "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa21,cty,ced,laua,ward,parish,nhser,ctry,rgn,"
    "pcon,ttwa,itl,npark,lsoa21,msoa21,wz11,sicbl,bua24,ruc21ind,oac21,lat,long,lep1,lep2,pfa,imd,icb"
).split(",")


def parish_frame(year: int = 23) -> gpd.GeoDataFrame:
    wards = gpd.read_file(WARDS_DAVENTRY)
    county = shapely.union_all(wards.geometry.to_numpy())
    geoms = [shapely.intersection(shapely.box(*b), county) for _, _, b in PARISHES]
    bng = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs("EPSG:27700").representative_point()
    pts = gpd.GeoSeries(geoms, crs="EPSG:4326").representative_point()
    return gpd.GeoDataFrame(
        {
            "FID": range(1, len(PARISHES) + 1),
            f"PAR{year}CD": [c for c, _, _ in PARISHES],
            f"PAR{year}NM": [n for _, n, _ in PARISHES],
            f"PAR{year}NMW": [" "] * len(PARISHES),
            "BNG_E": bng.x.round().astype(int),
            "BNG_N": bng.y.round().astype(int),
            "LONG": pts.x.round(5),
            "LAT": pts.y.round(5),
            "GlobalID": [str(uuid.UUID(int=i + 1)) for i in range(len(PARISHES))],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def write_parishes(folder: Path, fmt: str = "geojson", year: int = 23) -> Path:
    """The parishes as ONS publishes them: ``geojson``, ``gpkg`` or ``zip`` (a zipped Shapefile)."""
    folder.mkdir(parents=True, exist_ok=True)
    gdf = parish_frame(year)
    stem = f"Parishes_December_20{year}_Boundaries_EW_BGC"
    if fmt == "geojson":
        path = folder / f"{stem}.geojson"
        gdf.to_file(path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / f"{stem}.gpkg"
        gdf.to_crs("EPSG:27700").to_file(path, driver="GPKG", layer=stem)
    else:
        path = folder / f"{stem}.zip"
        with tempfile.TemporaryDirectory() as tmp:  # only the zip is left, as downloaded
            gdf.to_crs("EPSG:27700").to_file(Path(tmp) / f"{stem}.shp")
            with zipfile.ZipFile(path, "w") as zf:
                for p in sorted(Path(tmp).iterdir()):
                    zf.write(p, p.name)
    return path


def _rows(columns: list[str], ward_col: str) -> list[dict]:
    out = []
    for pcds, lat, lon, ward, parish, lsoa, doterm in POSTCODES:
        row = dict.fromkeys(columns, "")
        row |= {
            "pcd": pcds.replace(" ", "").ljust(7),
            "pcd2": pcds.split()[0].ljust(5) + pcds.split()[1],
            "pcds": pcds,
            "dointr": "198001",
            "doterm": doterm,
            ward_col: ward,
            "parish": parish,
            "lsoa21": lsoa,
            "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}",
            "ctry": "E92000001",
        }
        out.append(row)
    return out


def write_onspd(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, ONSPD_COLUMNS)
        w.writeheader()
        w.writerows(_rows(list(ONSPD_COLUMNS), "osward"))
    return path


def write_nspl(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, NSPL_COLUMNS)
        w.writeheader()
        w.writerows(_rows(list(NSPL_COLUMNS), "ward"))
    return path


def wards() -> pd.DataFrame:
    """The real Daventry wards in the app's own form."""
    from ruralaction.definition import load_definition
    from ruralaction.geography.boundaries import build_geography

    return build_geography(load_definition(), wards=[WARDS_DAVENTRY]).wards


#: Where the test extract has its close-up tiles (zooms 11-14): around Pitsford and Brixworth.
CLOSE_UP = (-0.96, 52.26, -0.80, 52.35)


def write_pmtiles(path: Path, bbox=(-1.35, 51.97, -0.33, 52.65), zooms=range(6, 11), close=range(11, 15)) -> Path:
    """A small raster PMTiles extract over the county (plain PNG tiles, each with its z/x/y
    drawn on it), as ``pmtiles convert`` would make from raster tiles; the ``close`` zooms only
    over :data:`CLOSE_UP`."""
    import io
    import math

    from PIL import Image, ImageDraw
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2**z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    tiles = []
    for z in [*zooms, *close]:
        b = bbox if z in zooms else CLOSE_UP
        x0, y0 = tile_xy(b[0], b[3], z)
        x1, y1 = tile_xy(b[2], b[1], z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                img = Image.new("RGB", (256, 256), (226, 236, 220))
                ImageDraw.Draw(img).text((8, 8), f"{z}/{x}/{y}", fill=(90, 110, 90))
                buf = io.BytesIO()
                img.save(buf, format="PNG")
                tiles.append((zxy_to_tileid(z, x, y), buf.getvalue()))
    with write(str(path)) as w:
        for tile_id, data in sorted(tiles):
            w.write_tile(tile_id, data)
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_zoom": min(zooms),
                "max_zoom": max([*zooms, *close]),
                "min_lon_e7": int(bbox[0] * 1e7),
                "min_lat_e7": int(bbox[1] * 1e7),
                "max_lon_e7": int(bbox[2] * 1e7),
                "max_lat_e7": int(bbox[3] * 1e7),
                "center_zoom": min(zooms),
                "center_lon_e7": int((bbox[0] + bbox[2]) / 2 * 1e7),
                "center_lat_e7": int((bbox[1] + bbox[3]) / 2 * 1e7),
            },
            {"attribution": "Test extract"},
        )
    return path
