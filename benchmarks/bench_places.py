"""Benchmark: parish assignment of N incidents as a ratio to ward assignment (figures, not a test).

    python benchmarks/bench_places.py [--rows 1000000] [--snap-points 20000] [--repeat 3]

Wards: the real Northamptonshire 2013 wards under ../shared/data (146 polygons). Parishes: the
public data here has no parish boundaries, so the benchmark makes a stand-in of realistic size,
splitting every ward into parish-sized pieces (Voronoi cells of random seeds, clipped to the
ward: ~330 polygons with the wards' own edge detail, about the number of parishes in the county,
none over the unparished towns' wards). Incidents: N rows drawn from a pool of snap points over
the county, as police.uk anonymises them. Prints the median of ``repeat`` runs of each:

- ward assignment: ``geography.boundaries.locate`` against the wards (as the classifier does);
- parish assignment: ``geography.parishes.assign_parishes`` (the same test, plus the names);
- search: ``concerns.search.search`` for a village and a postcode sector.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruralaction.concerns.search import build_index, search  # noqa: E402
from ruralaction.definition import load_definition  # noqa: E402
from ruralaction.geography.boundaries import build_geography, locate  # noqa: E402
from ruralaction.geography.parishes import assign_parishes  # noqa: E402
from ruralaction.geography.postcodes import Postcodes  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
URBAN_DISTRICT = "E07000154"  # Northampton: unparished, as it largely is


def stand_in_parishes(
    wards: gpd.GeoDataFrame, unparished: set[str], per_km2: float = 1 / 9, seed: int = 1
) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    bng = wards.to_crs("EPSG:27700")
    pieces, names = [], []
    for code, geom in zip(bng["ward_code"], bng.geometry):
        if code in unparished:
            continue
        k = max(1, int(round(geom.area / 1e6 * per_km2)))
        minx, miny, maxx, maxy = geom.bounds
        pts = []
        while len(pts) < k:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if geom.contains(shapely.Point(x, y)):
                pts.append((x, y))
        cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=geom).geoms if k > 1 else [geom]
        for c in cells:
            piece = shapely.intersection(c, geom)
            if not piece.is_empty:
                pieces.append(piece)
                names.append(f"P{len(names):04d}")
    out = gpd.GeoDataFrame(
        {"parish_code": [f"E0499{i:04d}" for i in range(len(pieces))], "parish_name": names},
        geometry=pieces,
        crs="EPSG:27700",
    )
    return out.to_crs("EPSG:4326")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--snap-points", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    ward_files = sorted((SHARED / "boundaries" / "wards_by_lad").glob("*.json"))
    geo = build_geography(load_definition(), wards=ward_files)
    wards = geo.wards
    urban = set(gpd.read_file(SHARED / "boundaries" / "wards_by_lad" / f"{URBAN_DISTRICT}.json")["WD13CD"].astype(str))
    parishes = stand_in_parishes(wards, urban)
    rng = np.random.default_rng(2)
    minx, miny, maxx, maxy = wards.total_bounds
    px, py = rng.uniform(minx, maxx, args.snap_points), rng.uniform(miny, maxy, args.snap_points)
    pick = rng.integers(0, args.snap_points, args.rows)
    lon, lat = px[pick], py[pick]
    print(
        f"{args.rows:,} incidents on {args.snap_points:,} snap points; {len(wards)} real wards; "
        f"{len(parishes)} stand-in parishes (median of {args.repeat})"
    )

    t_ward, ward_idx = timed(lambda: locate(lon, lat, wards.geometry), args.repeat)
    inside = ward_idx >= 0
    t_parish, (codes, names) = timed(lambda: assign_parishes(lon, lat, parishes, inside), args.repeat)
    print(f"ward assignment    {t_ward:7.3f} s")
    print(f"parish assignment  {t_parish:7.3f} s   ratio parish / ward = {t_parish / t_ward:.2f}")
    print(
        f"  in a parish {int(codes.notna().sum()):,}, unparished {int((names == 'Unparished area').sum()):,}, "
        f"outside the wards {int((~inside).sum()):,}"
    )

    pcs = pd.DataFrame(
        {
            "postcode": [
                f"NN{d} {s}{a}{b}"
                for d in range(1, 30)
                for s in range(10)
                for a in "ABDEFGHJLNPQRSTUWXYZ"
                for b in "ABDEFGHJLNPQRSTUWXYZ"
            ]
        }
    )
    pcs = pcs.assign(lat=52.3, lon=-0.9, ward_code=None, parish_code=None, lsoa_code=None)
    index = build_index(wards, parishes, postcodes=Postcodes(pcs.sort_values("postcode", ignore_index=True)))
    t_b, _ = timed(lambda: build_index(wards, parishes), 1)
    t_v, _ = timed(lambda: search("Brixworth", index), args.repeat)
    t_p, found = timed(lambda: search("NN6 9", index), args.repeat)
    print(
        f"search index build {t_b:7.3f} s; search a name {t_v * 1000:6.1f} ms; "
        f"a postcode sector among {len(pcs):,} postcodes {t_p * 1000:6.1f} ms"
    )


if __name__ == "__main__":
    main()
