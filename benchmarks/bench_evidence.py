"""Benchmark: the evidence statistics at a million incidents (figures, not a pass/fail test).

    python benchmarks/bench_evidence.py [--rows 1000000] [--months 36]

Builds N incidents from the real police.uk files under ../shared/data, classified against the
real ward and LSOA boundaries (their snap points, wards and rural classification are kept; rows
are resampled to N and spread over ``--months`` months with a seasonal swing), then prints:

- once per data version: the hexagon grid for the county and each incident's cell;
- per page view: Gi* with FDR over the county's hexagons (count table + test), target < 1 s;
- the seasonal model for every ward (latest month; and every month, leave one out), target < 1 s;
- emerging hotspots over 12 three-month steps, and difference-in-differences for 20 actions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruralaction.definition import load_definition  # noqa: E402
from ruralaction.geography.boundaries import build_geography, find_geography_files  # noqa: E402
from ruralaction.incidents.pipeline import run  # noqa: E402
from ruralaction.measures import hotspots, seasonal  # noqa: E402
from ruralaction.measures.counts import area_positions, from_frame, month_span  # noqa: E402
from ruralaction.progress import impact  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    args = ap.parse_args()
    t0 = time.perf_counter()
    import esda  # noqa: F401
    import libpysal.graph  # noqa: F401
    import scipy.special  # noqa: F401
    import statsmodels.api  # noqa: F401

    print(f"importing esda, libpysal, scipy.special, statsmodels (once per process): {time.perf_counter() - t0:.1f} s")
    definition = load_definition()
    found = find_geography_files(SHARED)
    geo = build_geography(definition, found["boundaries"], found["lookups"])
    real = run(sorted((SHARED / "police_uk").glob("*-street.csv")), geo, definition)
    rng = np.random.default_rng(1)
    df = real.incidents.iloc[rng.integers(0, len(real.incidents), args.rows)].reset_index(drop=True)
    months = month_span("2021-01", str(np.datetime64("2021-01", "M") + args.months - 1))
    moy = np.arange(len(months)) % 12
    weight = 1 + 0.25 * np.cos(2 * np.pi * (moy - 9) / 12)
    df["month"] = pd.to_datetime(np.array(months)[rng.choice(len(months), args.rows, p=weight / weight.sum())])
    wards = geo.wards
    print(f"{args.rows:,} incidents from the real files' rows, {len(months)} months, {len(wards)} wards")

    t, grid = timed(lambda: hotspots.grid_for_area(wards.geometry), 1)
    print(f"once per data version: hexagon grid          {t * 1000:8.0f} ms  ({grid.n:,} cells)")
    lon, lat = df["longitude"].to_numpy(float), df["latitude"].to_numpy(float)
    t, cell = timed(lambda: hotspots.assign_cells(lon, lat, grid), 1)
    print(f"once per data version: cell of every incident {t * 1000:7.0f} ms")
    t, graph = timed(lambda: hotspots.neighbour_graph(grid), 1)
    print(f"once per data version: neighbour weights     {t * 1000:8.0f} ms")

    rural = df["is_rural_crime"].to_numpy(bool)

    def gi():
        c = cell[rural]
        return hotspots.gi_star(grid, np.bincount(c[c >= 0], minlength=grid.n), graph)

    t, res = timed(gi)
    print(
        f"per view: Gi* + FDR over the county          {t * 1000:8.0f} ms  (target < 1,000; {len(res.hot)} hot cells)"
    )

    codes = pd.Index(wards["ward_code"].astype(str))
    pos = area_positions(df, "ward_code", codes)
    t, table = timed(lambda: from_frame(df, rural, pos, codes, months))
    print(f"per view: ward x month count table           {t * 1000:8.0f} ms")
    t, ex = timed(lambda: seasonal.expected_counts(table, assess=[months[-1]]))
    print(
        f"seasonal model, every ward, latest month     {t * 1000:8.0f} ms  (target < 1,000; {int(ex.frame['flag'].sum())} flagged)"
    )
    t, ex = timed(lambda: seasonal.expected_counts(table), 1)
    print(f"seasonal model, every ward, every month (LOO){t * 1000:8.0f} ms  ({len(ex.frame):,} fits)")

    steps = 12
    block = np.minimum(np.arange(len(months)) // 3, steps - 1)
    m_idx = pd.Index(months).get_indexer(df["month"].dt.strftime("%Y-%m"))

    def emerging():
        ok = rural & (cell >= 0)
        k = block[m_idx[ok]]
        counts = np.bincount(k * grid.n + cell[ok], minlength=steps * grid.n).reshape(steps, grid.n)
        return hotspots.emerging(grid, counts, [months[i * 3] for i in range(steps)], graph)

    t, em = timed(emerging, 1)
    print(f"emerging hotspots, 12 steps                  {t * 1000:8.0f} ms  ({len(em.cells)} patterned cells)")
    kind = pd.Series(wards["ruc_code"].isin(list(definition.rural_classes)).to_numpy(), index=codes)
    done = dt.date(2022, 6, 15)

    def did():
        return [impact.evaluate(table, [w], done, kind, months=6, category="rural crime") for w in codes[:20]]

    t, out = timed(did, 1)
    print(
        f"difference-in-differences, 20 actions        {t * 1000:8.0f} ms  ({sum(o.status == 'measured' for o in out)} measured)"
    )


if __name__ == "__main__":
    main()
