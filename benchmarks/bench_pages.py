"""Benchmark: the Map and Local area pages at 1,000,000 incidents (figures, not a pass/fail test).

    python benchmarks/bench_pages.py [--rows 1000000] [--snap-points 20000] [--no-apptest]

Writes N synthetic police.uk rows over three years (the approach of ``bench_classify.py``:
incidents drawn from a pool of snap points inside the demo county's wards, a county's mix of
crime types) into a data directory with the demo's boundaries, then prints in one run:

- the once-per-data-version work: load + classify, and the map index (hexagon of every
  incident, simplified ward outlines, ward areas, filter options);
- server time of each page's library calls for the default view and for a filter change
  (what a rerun costs once the data is cached), and the bytes of map JSON each layer sends;
- with AppTest (unless ``--no-apptest``): wall time of a cold start (an empty cache: load,
  classify and index included), of each page's first run, and of a rerun after a filter change.

Targets: a filter change <= 150 ms server time at 1M incidents; map payload <= 5 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_classify import MIX, STREETS  # noqa: E402

from ruralaction.incidents.demo import write_demo  # noqa: E402
from ruralaction.incidents.pipeline import load_data_dir  # noqa: E402
from ruralaction.incidents.schema import CRIME_TYPES, POLICE_UK_COLUMNS  # noqa: E402
from ruralaction.measures import (
    area_report,
    maplayers,
    trends,  # noqa: E402
)
from ruralaction.measures.filters import Filters, options  # noqa: E402

MONTHS = pd.period_range("2023-10", "2026-09", freq="M").strftime("%Y-%m").to_numpy()


def synthetic_csvs(folder: Path, n: int, n_points: int, wards, lsoas: np.ndarray, seed: int = 1) -> None:
    """Write n police.uk rows over :data:`MONTHS`, one CSV per year, drawn from snap points."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = wards.total_bounds
    lon, lat = rng.uniform(minx, maxx, n_points * 3), rng.uniform(miny, maxy, n_points * 3)
    keep = np.flatnonzero(shapely.contains_xy(wards.union_all(), lon, lat))[:n_points]
    lon, lat = lon[keep], lat[keep]
    point_lsoa = rng.choice(lsoas, len(lon))
    point_loc = np.array(["On or near " + s for s in STREETS])[rng.integers(0, len(STREETS), len(lon))]
    pick = rng.integers(0, len(lon), n)
    types = np.array(CRIME_TYPES)[rng.choice(len(CRIME_TYPES), n, p=MIX / MIX.sum())]
    asb = types == "Anti-social behaviour"
    months = MONTHS[rng.integers(0, len(MONTHS), n)]
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
    folder.mkdir(parents=True, exist_ok=True)
    for year in sorted({m[:4] for m in MONTHS}):
        df[df["Month"].str.startswith(year)].to_csv(folder / f"{year}-northamptonshire-street.csv", index=False)


def timed(fn, repeat: int = 1):
    """(result, best seconds of ``repeat`` runs)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def map_page_calls(c, prep, f: Filters, layer: str) -> int:
    """What ``pages/map.py`` computes on a rerun; returns the map JSON bytes."""
    df, wards = c.incidents, c.geography.wards
    opts, index = prep["options"], prep["index"]
    mask = f.apply(df, wards)
    n = int(mask.sum())
    first, last = f.month_from or opts.months[0], f.month_to or opts.months[-1]
    n_months = opts.months.index(last) - opts.months.index(first) + 1
    int((mask & df["in_rural_ward"].to_numpy(dtype=bool, na_value=False)).sum())
    int((mask & df["at_farm"].to_numpy(dtype=bool)).sum())
    rates = trends.area_rates(
        df, f.without_area().apply(df, wards), wards, prep["areas"], n_months, c.definition.rural_classes
    )
    if layer == "points" and n <= maplayers.POINTS_MAX:
        layers, _ = maplayers.point_layers(df, mask)
    elif layer == "wards":
        layers = [maplayers.ward_layer(index, rates)[0]]
    else:
        layers = [maplayers.density_layer(index, df, mask)[0]]
    outline = None if layer == "wards" else maplayers.outline_layer(index)
    deck = maplayers.deck([outline, *layers], maplayers.view_for(index.bounds))
    trends.incident_table(df, mask, limit=maplayers.POINTS_MAX)
    return maplayers.payload_bytes(deck)


def local_page_calls(c, prep, f: Filters) -> None:
    """What ``pages/local_area.py`` computes on a rerun (its downloads are built on click)."""
    s = area_report.local_area_summary(
        c.incidents, c.geography.wards, prep["areas"], c.definition.rural_classes, f, prep["options"]
    )
    area_report.summary_csv(s)
    area_report.summary_html(s)


def apptest_runs(root: Path, ward: str) -> dict[str, float]:
    """Wall time of AppTest runs: a cold start, each page's first run, reruns after a filter change."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1 import app_test as app_test_module

    class V2(PagesManager):  # as tests/test_app_map.py: pages/ discovery off, like a real server
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            PagesManager.uses_pages_directory = False

    app_test_module.PagesManager = V2
    os.environ["RURALACTION_DATA_DIR"] = str(root)
    out: dict[str, float] = {}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    _, out["cold start: load, classify, index, Overview"] = timed(at.run)
    at.switch_page("dashboard/pages/map.py")  # AppTest knows the pages' URL paths only after a first run
    _, out["map: first run"] = timed(at.run)
    assert not at.exception and at.title[0].value == "Rural crime map", (at.exception, at.main)
    _, out["map: rerun, same filters"] = timed(at.run)
    at.multiselect(key="filters_cat").set_value(["burglary"])
    _, out["map: rerun after a category change"] = timed(at.run)
    at.get("button_group")[0].set_value("wards")
    _, out["map: rerun after switching to wards"] = timed(at.run)
    at.switch_page("dashboard/pages/local_area.py")
    at.query_params["ward"] = ward
    _, out["local area: first run of the page"] = timed(at.run)
    at.multiselect(key="filters_cat").set_value(["vehicle crime"])
    _, out["local area: rerun after a category change"] = timed(at.run)
    assert not at.exception, at.exception
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--snap-points", type=int, default=20_000)
    ap.add_argument("--no-apptest", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        demo = Path(tmp) / "demo"
        write_demo(demo, years=1, end_month="2026-09")
        for sub in ("boundaries", "ruc"):
            shutil.copytree(demo / sub, root / "ours" / sub)
        geo = load_data_dir(demo).geography
        _, t_write = timed(
            lambda: synthetic_csvs(
                root / "ours" / "police_uk", args.rows, args.snap_points, geo.wards, geo.lsoa_classes.index.to_numpy()
            )
        )
        c, t_load = timed(lambda: load_data_dir(root / "ours"))
        df, wards = c.incidents, c.geography.wards

        def prepare():
            return {
                "options": options(df, wards),
                "index": maplayers.build_index(df, wards),
                "areas": trends.ward_areas_km2(wards),
            }

        prep, t_prep = timed(prepare)
        busiest = (
            trends.area_rates(df, Filters().apply(df, wards), wards, prep["areas"], 36, c.definition.rural_classes)
            .sort_values("crimes")
            .iloc[-1]
        )
        ward = str(busiest["ward_code"])
        print(
            f"incidents                          {len(df):>12,}  ({int(df['is_rural_crime'].sum()):,} rural crimes, "
            f"{len(wards)} wards, {len(prep['index'].cell_polygons):,} hexagons; CSVs written in {t_write:.1f} s)"
        )
        print(f"load + classify (once per version) {t_load:>12.2f} s")
        print(f"map index, options, ward areas     {t_prep:>12.3f} s   (once per data version, cached)")
        print("\nServer time of the pages' library calls (best of 5), and map JSON bytes:")
        cases = [
            ("map, hotspots, all rural crime", lambda: map_page_calls(c, prep, Filters(), "hotspots")),
            (
                "map, hotspots, burglary (filter change)",
                lambda: map_page_calls(c, prep, Filters(categories=("burglary",)), "hotspots"),
            ),
            (
                "map, wards, 2026 only (filter change)",
                lambda: map_page_calls(c, prep, Filters(month_from="2026-01"), "wards"),
            ),
            (
                "map, points, one ward, one category",
                lambda: map_page_calls(c, prep, Filters(ward=ward, categories=("robbery",)), "points"),
            ),
            ("local area, all rural crime", lambda: local_page_calls(c, prep, Filters(ward=ward))),
            (
                "local area, vehicle crime (filter change)",
                lambda: local_page_calls(c, prep, Filters(ward=ward, categories=("vehicle crime",))),
            ),
        ]
        for label, fn in cases:
            size, t = timed(fn, repeat=5)
            extra = f"   map JSON {size / 1e6:6.2f} MB" if size else ""
            print(f"  {label:<44} {t * 1000:8.1f} ms{extra}")
        _, t_mask = timed(
            lambda: Filters(categories=("burglary",), reason="ward", month_from="2025-01").apply(df, wards), repeat=5
        )
        print(f"  {'Filters.apply alone (three filters)':<44} {t_mask * 1000:8.1f} ms")
        if not args.no_apptest:
            print("\nAppTest wall time (server side of a page run, Streamlit included):")
            for label, t in apptest_runs(root, ward).items():
                print(f"  {label:<44} {t * 1000:8.0f} ms")
        print("\nTargets: filter change <= 150 ms server time; map payload <= 5 MB.")


if __name__ == "__main__":
    main()
