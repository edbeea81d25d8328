"""Benchmark: the classified Parquet store + DuckDB against today's in-memory load (figures, not a test).

    python benchmarks/bench_store.py [--rows 1000000] [--months 24]

Builds N police.uk rows from the real Northamptonshire files under ``../shared/data`` (their
rows resampled, with their real snap points, LSOAs, crime types and outcomes, spread over
``--months`` months, one street-level CSV per month) and the real ward/LSOA boundaries and
rural-urban lookups, then prints in one run:

- store build: the first ``months - 1`` months added through the store (classified, written);
- add one month to that store, against classifying that month alone (target ≤ 3×);
- a fresh process to the Overview's numbers: from the store (DuckDB) against today's path
  (load and classify every raw file into one frame), wall seconds and peak resident memory;
- CPU seconds per cached Overview and Map view (the queries a rerun makes), and a Map filter
  change (server time).

Needs the real files (``../shared/data``); the machine's load is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"

from ruralaction.incidents.schema import POLICE_UK_COLUMNS  # noqa: E402


def write_rows(out: Path, n: int, months: int, seed: int = 1, start: str = "2023-01") -> list[Path]:
    """One police.uk CSV per month from ``start``, ``n`` rows in all, resampled from the real files."""
    real = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted((SHARED / "police_uk").glob("*-street.csv"))],
        ignore_index=True,
    )
    rng = np.random.default_rng(seed)
    labels = pd.period_range(start, periods=months, freq="M").strftime("%Y-%m")
    files = []
    per = np.full(months, n // months)
    per[: n % months] += 1
    for month, k in zip(labels, per):
        rows = real.iloc[rng.integers(0, len(real), k)].copy()
        rows["Month"] = month
        ids = pd.Series(rng.integers(0, 2**62, k)).map("{:064x}".format).to_numpy()
        rows["Crime ID"] = np.where(rows["Crime ID"].to_numpy() == "", "", ids)
        path = out / month / f"{month}-northamptonshire-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows[list(POLICE_UK_COLUMNS)].to_csv(path, index=False)
        files.append(path)
    return files


CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
from pathlib import Path
mode, root = sys.argv[1], Path(sys.argv[2])
from ruralaction.incidents.store import Store
from ruralaction.measures import overview
from ruralaction.measures import store_queries as sq
from ruralaction.measures.filters import options
store = Store(root)
if mode == "store":
    from ruralaction.incidents import columnar
    folder = store.versions.current_dir()
    meta = columnar.read_classified(folder, "ours", rows=False)
    view = sq.StoreView.of(folder, "ours")
    first = [sq.headline(view), sq.rural_by_month(view), sq.rural_by_evidence(view), sq.rural_by_ward(view),
             sq.filter_options(view, meta.geography.wards)]
else:
    data = store.load("ours")
    df = data.incidents
    first = [overview.headline(df), overview.rural_by_month(df), overview.rural_by_evidence(df),
             overview.rural_by_ward(df), options(df, data.geography.wards)]
wall = time.perf_counter() - t0
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across exec)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
rss = int(hwm.split()[1]) / 1024
print(json.dumps({"wall": wall, "rss_mb": rss, "rural": first[0].rural_crimes}))
"""


def child(mode: str, root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(root)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu(fn, repeat: int = 5) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call, every thread of the process counted."""
    fn()
    c, w = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.process_time() - c) / repeat, (time.perf_counter() - w) / repeat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    args = ap.parse_args()
    if not (SHARED / "police_uk").is_dir():
        sys.exit(f"The real files are needed under {SHARED}.")

    from ruralaction.definition import load_definition
    from ruralaction.incidents import columnar, store_geography
    from ruralaction.incidents.classify import classify
    from ruralaction.incidents.loader import load_incidents
    from ruralaction.incidents.store import Store, geography_folder_files
    from ruralaction.measures import store_queries as sq
    from ruralaction.measures.filters import Filters
    from ruralaction.permissions import Actor, Role

    admin = Actor(email="bench@example.org", role=Role.ADMIN)
    definition = load_definition()
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared)")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        files = write_rows(tmp / "in", args.rows, args.months)
        print(f"rows: {args.rows:,} over {args.months} months from the real files ({time.perf_counter() - t:.1f} s)")
        store = Store(tmp / "data")
        t = time.perf_counter()
        store.add_incidents(files[:-1], definition, actor=admin, geography=geography_folder_files(SHARED))
        build = time.perf_counter() - t
        print(f"store build, {args.months - 1} months (validate, classify, write Parquet): {build:.1f} s")

        t = time.perf_counter()
        store.add_incidents(files[-1:], definition, actor=admin)
        add = time.perf_counter() - t
        folder = store.versions.current_dir()
        mode = columnar.read_manifest(columnar.store_dir(folder, "ours"))["built"]
        geo = store_geography.build_for(folder / "ours", definition)
        t = time.perf_counter()
        classify(load_incidents(files[-1:], definition).incidents, geo, definition)
        alone = time.perf_counter() - t
        print(
            f"add one month: {add:.1f} s ({mode}); classify that month alone: {alone:.1f} s; ratio {add / alone:.1f}×"
        )

        s = child("store", store.root)
        m = child("memory", store.root)
        assert s["rural"] == m["rural"]
        print(f"fresh process to the Overview's numbers: store {s['wall']:.1f} s, {s['rss_mb']:,.0f} MB peak RSS")
        print(f"                            today (in memory): {m['wall']:.1f} s, {m['rss_mb']:,.0f} MB peak RSS")

        meta = columnar.read_classified(folder, "ours", rows=False)
        wards = meta.geography.wards
        view = sq.StoreView.of(folder, "ours")
        opts = sq.filter_options(view, wards)

        def overview_view():
            sq.headline(view), sq.rural_by_month(view), sq.rural_by_evidence(view), sq.rural_by_ward(view)

        areas = pd.Series(1.0, index=wards["ward_code"].astype(str))

        def map_view(f=None):
            f = f or Filters()
            sq.map_counts(view, f, wards), sq.hex_counts(view, f, wards), sq.filtered_rows(view, f, wards, limit=20_000)
            sq.area_rates(view, f.without_area(), wards, areas, len(opts.months), definition.rural_classes)

        c, w = cpu(overview_view)
        print(f"cached Overview view: {c:.2f} CPU-s, {w * 1000:.0f} ms")
        c, w = cpu(map_view)
        print(f"cached Map view: {c:.2f} CPU-s, {w * 1000:.0f} ms")
        changes = [
            Filters(month_from=opts.months[-6]),
            Filters(categories=("burglary",)),
            Filters(reason="farm"),
            Filters(district=opts.districts[0] if opts.districts else None),
        ]
        times = []
        for f in changes:
            t = time.perf_counter()
            map_view(f)
            times.append(time.perf_counter() - t)
        print(f"Map filter change: median {np.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms")
        f = changes[0]
        for name, fn in (
            ("counts", lambda: sq.map_counts(view, f, wards)),
            ("hexagons", lambda: sq.hex_counts(view, f, wards)),
            ("crimes table (20,000 newest)", lambda: sq.filtered_rows(view, f, wards, limit=20_000)),
            ("ward rates", lambda: sq.area_rates(view, f, wards, areas, 6, definition.rural_classes)),
        ):
            c, w = cpu(fn, 3)
            print(f"  of which {name}: {w * 1000:.0f} ms ({c:.2f} CPU-s)")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
