"""Benchmark: load and classify N synthetic police.uk rows (figures, not a pass/fail test).

    python benchmarks/bench_classify.py [--rows 1000000] [--snap-points 20000]

Writes one police.uk street-level CSV of N rows whose locations are drawn from a pool of
"snap points" spread over the demo county (police.uk anonymises every incident to such a
point), with a realistic mix of crime types, then prints in one run: pandas CSV parse time,
full load + validate time, classify time (categories + farm + LSOA lookup + point in polygon
against the demo's ward polygons), peak memory, and the ratio classify / parse.
Target: classify <= 0.5 x parse at 1M rows.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruralaction.definition import load_definition  # noqa: E402
from ruralaction.incidents.classify import classify  # noqa: E402
from ruralaction.incidents.demo import write_demo  # noqa: E402
from ruralaction.incidents.loader import load_incidents  # noqa: E402
from ruralaction.incidents.pipeline import geography_from_folder  # noqa: E402
from ruralaction.incidents.schema import CRIME_TYPES, POLICE_UK_COLUMNS  # noqa: E402

MIX = np.array(
    [0.34, 0.17, 0.02, 0.07, 0.09, 0.03, 0.02, 0.08, 0.01, 0.06, 0.02, 0.01, 0.05, 0.03]
)  # ≈ a county's year
STREETS = [
    "Church Lane",
    "High Street",
    "Main Road",
    "Station Road",
    "Mill Lane",
    "Manor Farm",
    "Home Farm Close",
    "Parking Area",
    "Supermarket",
    "Petrol Station",
    "School Lane",
    "The Green",
    "Glebe Farm",
    "London Road",
]


def synthetic_csv(path: Path, n: int, n_points: int, geography, seed: int = 1) -> None:
    """Write n police.uk rows drawn from n_points snap points inside the county's wards."""
    rng = np.random.default_rng(seed)
    wards = geography.wards
    minx, miny, maxx, maxy = wards.total_bounds
    lon = rng.uniform(minx, maxx, n_points * 2)
    lat = rng.uniform(miny, maxy, n_points * 2)
    keep = np.flatnonzero(
        wards.union_all().contains_xy(lon, lat)
        if hasattr(wards.union_all(), "contains_xy")
        else __import__("shapely").contains_xy(wards.union_all(), lon, lat)
    )[:n_points]
    lon, lat = lon[keep], lat[keep]
    lsoas = geography.lsoa_classes.index.to_numpy()
    point_lsoa = rng.choice(lsoas, len(lon))
    point_loc = np.array(["On or near " + s for s in STREETS])[rng.integers(0, len(STREETS), len(lon))]
    pick = rng.integers(0, len(lon), n)
    types = np.array(CRIME_TYPES)[rng.choice(len(CRIME_TYPES), n, p=MIX / MIX.sum())]
    asb = types == "Anti-social behaviour"
    months = np.array([f"2025-{m:02d}" for m in range(1, 13)])[rng.integers(0, 12, n)]
    ids = pd.Series(rng.integers(0, 2**62, n)).map("{:064x}".format).to_numpy()
    df = pd.DataFrame(
        {
            "Crime ID": np.where(asb, "", ids),
            "Month": months,
            "Reported by": "Northamptonshire Police",
            "Falls within": "Northamptonshire Police",
            "Longitude": np.char.mod("%.6f", lon[pick]),
            "Latitude": np.char.mod("%.6f", lat[pick]),
            "Location": point_loc[pick],
            "LSOA code": point_lsoa[pick],
            "LSOA name": "Demo 001A",
            "Crime type": types,
            "Last outcome category": np.where(asb, "", "Under investigation"),
            "Context": "",
        }
    )[list(POLICE_UK_COLUMNS)]
    df.to_csv(path, index=False)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--snap-points", type=int, default=20_000)
    args = ap.parse_args()
    definition = load_definition()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_demo(tmp / "demo", years=1, end_month="2026-09")
        geography = geography_from_folder(tmp / "demo", definition)
        csv_path = tmp / "2025-northamptonshire-street.csv"
        _, t_write = timed(lambda: synthetic_csv(csv_path, args.rows, args.snap_points, geography))
        size_mb = csv_path.stat().st_size / 1e6
        _, t_parse = timed(lambda: pd.read_csv(csv_path, dtype=str, keep_default_na=False))
        loaded, t_load = timed(lambda: load_incidents([csv_path], definition))
        classified, t_classify = timed(lambda: classify(loaded.incidents, geography, definition))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rural = int(classified["is_rural_crime"].sum())
    print(
        f"rows                      {args.rows:>12,}  ({size_mb:.0f} MB CSV, {args.snap_points:,} snap points, "
        f"{len(geography.wards)} ward polygons; written in {t_write:.1f} s)"
    )
    print(f"pandas read_csv (parse)   {t_parse:>12.3f} s")
    print(
        f"load + validate           {t_load:>12.3f} s   ({loaded.summary.rows_loaded:,} loaded, {loaded.summary.rows_rejected:,} rejected)"
    )
    print(f"classify                  {t_classify:>12.3f} s   ({rural:,} rural crimes)")
    print(f"classify / parse          {t_classify / t_parse:>12.2f}     (target <= 0.5)")
    print(f"load+validate / parse     {t_load / t_parse:>12.2f}")
    print(f"peak memory (max RSS)     {peak_mb:>12,.0f} MB")


if __name__ == "__main__":
    main()
