"""Benchmark: the whole app over the classified store at 1M, 5M and 10M rows (figures, not a test).

    python benchmarks/bench_app.py [--rows 1000000 5000000 10000000] [--months 24] [--keep DIR]
                                   [--add-month]

For each size, a data directory is built from the real Northamptonshire police.uk files under
``../shared/data`` (their rows resampled with their real snap points, LSOAs, crime types and
outcomes, one street-level CSV per month: ``bench_store.write_rows``) and the real boundaries and
rural-urban lookups, loaded through :meth:`Store.add_incidents` one month at a time (as a force
adds its monthly file), so the build never holds more than a month in memory. ``--keep DIR``
keeps the data directories (``DIR/<rows>``) and reuses them on the next run.

Then, in a fresh Python process per size (the app's own script, through Streamlit's AppTest,
which runs it the way the server does: one thread per session, in one process):

- **start-up**: process start to the first rendered Overview (data already loaded, the store on
  disk), wall seconds;
- each page's first view, and **CPU seconds per cached view** of every page (a rerun with the
  caches warm: what each extra viewer costs the server);
- **memory**: the process's resident memory after visiting every page (VmRSS) and its peak;
- **Map filter change**: server time of the Map page's rerun after a filter change (median);
- with ``--add-month``: adding the next month to the store against classifying it alone.

The machine's load is printed with the figures: the 2 cores are shared. Many viewers at once
are measured against a real server by ``bench_server.py`` (an AppTest per viewer would time
AppTest's own start, not the app's).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SHARED = ROOT.parent / "shared" / "data"

PAGES = ("overview", "map", "local_area", "region", "actions", "get_involved", "progress", "digest", "data")


def build(root: Path, rows: int, months: int) -> None:
    """A data directory with ``rows`` real-structured rows over ``months`` months (skipped when
    it is already there)."""
    from bench_store import write_rows

    from ruralaction.definition import load_definition
    from ruralaction.incidents.store import Store, geography_folder_files
    from ruralaction.permissions import Actor, Role

    store = Store(root)
    if store.has_incidents("ours"):
        return
    admin = Actor(email="bench@example.org", role=Role.ADMIN)
    definition = load_definition()
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-app-", dir=root.parent) as tmp:
        files = write_rows(Path(tmp), rows, months)
        print(f"  wrote {rows:,} rows as {months} CSVs in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        store.add_incidents(files[:1], definition, actor=admin, geography=geography_folder_files(SHARED))
        for f in files[1:]:
            store.add_incidents([f], definition, actor=admin)
    print(f"  loaded month by month into the store in {time.perf_counter() - t:.0f} s", flush=True)


def add_one_month(root: Path, rows: int) -> tuple[float, float]:
    """Add the month after the store's latest (``rows`` rows, as the others), then classify the
    same file alone: (seconds to add it to the store, seconds to classify it alone)."""
    import pandas as pd
    from bench_store import write_rows

    from ruralaction.definition import load_definition
    from ruralaction.incidents import columnar, store_geography
    from ruralaction.incidents.classify import classify
    from ruralaction.incidents.loader import load_incidents
    from ruralaction.incidents.store import Store
    from ruralaction.measures import store_queries as sq
    from ruralaction.permissions import Actor, Role

    store = Store(root)
    definition = load_definition()
    latest = (
        sq.StoreView.of(store.versions.current_dir(), "ours").query("SELECT max(month) AS m FROM cube")["m"].iloc[0]
    )
    nxt = (pd.Timestamp(latest).to_period("M") + 1).strftime("%Y-%m")
    with tempfile.TemporaryDirectory(prefix="bench-month-", dir=root.parent) as tmp:
        (f,) = write_rows(Path(tmp), rows, 1, seed=int(nxt.replace("-", "")), start=nxt)
        t = time.perf_counter()
        store.add_incidents([f], definition, actor=Actor(email="bench@example.org", role=Role.ADMIN))
        add = time.perf_counter() - t
        geo = store_geography.load(columnar.store_dir(store.versions.current_dir(), "ours"))
        t = time.perf_counter()
        classify(load_incidents([f], definition).incidents, geo, definition)
        alone = time.perf_counter() - t
    return add, alone


CHILD = r"""
import json, os, statistics, sys, time
t0 = time.perf_counter()
from pathlib import Path
root = sys.argv[1]
os.environ["RURALACTION_DATA_DIR"] = root
os.chdir(sys.argv[2])
from streamlit.testing.v1 import AppTest

PAGES = %(pages)r
PATHS = {p: f"dashboard/pages/{p}.py" for p in PAGES}

def status(key):
    line = next(l for l in open("/proc/self/status") if l.startswith(key + ":"))
    return int(line.split()[1]) / 1024

def check(at, name):
    if at.exception:
        raise SystemExit(f"{name}: {at.exception[0].message}")

at = AppTest.from_file("app.py", default_timeout=900).run()
check(at, "overview")
out = {"startup_s": time.perf_counter() - t0, "first_view_s": {}, "cpu_s": {}, "wall_ms": {}}
for p in PAGES[1:]:
    t = time.perf_counter()
    at.switch_page(PATHS[p]).run()
    check(at, p)
    out["first_view_s"][p] = time.perf_counter() - t
out["rss_mb"] = status("VmRSS")
for p in PAGES:
    at.switch_page(PATHS[p]).run()
    c, w = time.process_time(), time.perf_counter()
    for _ in range(3):
        at.run()
    out["cpu_s"][p] = (time.process_time() - c) / 3
    out["wall_ms"][p] = (time.perf_counter() - w) / 3 * 1000

# a Map filter change: the category filter in the sidebar, then back
at.switch_page(PATHS["map"]).run()
box = at.sidebar.multiselect[0] if len(at.sidebar.multiselect) else None
times = []
if box is not None:
    for choice in (box.options[:1], box.options[1:3], box.options[:2], []):
        box = at.sidebar.multiselect[0]
        box.set_value(choice)
        t = time.perf_counter()
        at.run()
        check(at, "map filter")
        times.append(time.perf_counter() - t)
out["map_filter_ms"] = statistics.median(times) * 1000 if times else None

out["rss_end_mb"] = status("VmRSS")
out["peak_mb"] = status("VmHWM")
print(json.dumps(out))
"""


def measure(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RURALACTION_DATA_DIR": str(root)}
    env.pop("RURALACTION_DEFINITION", None)
    script = CHILD % {"pages": PAGES}
    out = subprocess.run(
        [sys.executable, "-c", script, str(root), str(ROOT)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"the app process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000, 10_000_000])
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the data directories here")
    ap.add_argument("--add-month", action="store_true", help="also add one month to each store (it grows by one)")
    args = ap.parse_args()
    if not (SHARED / "police_uk").is_dir():
        sys.exit(f"The real files are needed under {SHARED}.")
    tmp = None
    base = args.keep
    if base is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-app-")
        base = Path(tmp.name)
    base.mkdir(parents=True, exist_ok=True)
    try:
        for n in args.rows:
            root = base / str(n)
            print(f"{n:,} rows (load {os.getloadavg()[0]:.2f}, 1-min average, 2 cores shared)", flush=True)
            build(root, n, args.months)
            if args.add_month:
                add, alone = add_one_month(root, n // args.months)
                print(
                    f"  add one month ({n // args.months:,} rows) to the store: {add:.1f} s; "
                    f"classify that month alone: {alone:.1f} s; ratio {add / alone:.1f}×"
                )
            r = measure(root)
            print(f"  start-up, fresh process to the first rendered Overview: {r['startup_s']:.1f} s")
            print("  first view: " + ", ".join(f"{p} {s:.1f} s" for p, s in r["first_view_s"].items()))
            print("  CPU-s per cached view: " + ", ".join(f"{p} {s:.2f}" for p, s in r["cpu_s"].items()))
            print("  wall per cached view: " + ", ".join(f"{p} {s:.0f} ms" for p, s in r["wall_ms"].items()))
            print(f"  resident memory after every page: {r['rss_mb']:,.0f} MB (peak {r['peak_mb']:,.0f} MB)")
            if r["map_filter_ms"] is not None:
                print(f"  Map filter change (AppTest rerun, median): {r['map_filter_ms']:.0f} ms")
            print(f"  load after: {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
