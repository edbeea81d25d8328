"""Benchmark: ``python -m ruralaction classify`` against a plain pandas read and write (figures, not a test).

    python benchmarks/bench_cli.py [--rows 1000000] [--months 24] [--repeat 1]

Builds N police.uk rows from the real Northamptonshire files under ``../shared/data`` (their rows
resampled, one street-level CSV per month: ``bench_store.write_rows``), then times in one run:

- (a) plain pandas: ``pd.read_csv`` of each file, ``pd.concat``, and the file the CLI writes
  (a UTF-8 CSV with a BOM, ``to_csv(index=False)``) holding the rows read plus the CLI's
  ``source_file`` and ``line`` columns — no checks, no classification;
- (b) ``python -m ruralaction classify FILES --geography ../shared/data --out … --rejected …``
  as a subprocess (wall time, interpreter start-up and imports included) with the real
  boundaries and rural-urban lookups;

and prints both, the ratio (b) / (a) (issue 15's target: ≤ 1.0) and the machine's load, which
matters: 2 cores are shared. Wall and CPU seconds are both printed (the CLI reads the next file
and renders its output in threads, so when the machine is busy its wall time suffers more than
its CPU time). The two are run ``--repeat`` times, interleaved; the best of each counts.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_store import SHARED, write_rows  # noqa: E402


def plain_pandas(files: list[Path], out: Path) -> tuple[float, float]:
    """Read each CSV, concatenate, write the CLI's file type; (wall, CPU) seconds."""
    t, c = time.perf_counter(), time.process_time()
    parts = []
    for p in files:
        df = pd.read_csv(p)
        df["source_file"] = str(p)
        df["line"] = range(2, len(df) + 2)
        parts.append(df)
    pd.concat(parts, ignore_index=True).to_csv(out, index=False, encoding="utf-8-sig")
    return time.perf_counter() - t, time.process_time() - c


def cli(files: list[Path], out: Path, rejected: Path) -> tuple[float, float, str]:
    """``python -m ruralaction classify`` in a fresh process; (wall, CPU seconds, its stdout)."""
    cmd = [sys.executable, "-m", "ruralaction", "classify", *map(str, files)]
    cmd += ["--geography", str(SHARED), "--out", str(out), "--rejected", str(rejected)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"classify failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if not (SHARED / "police_uk").is_dir():
        sys.exit(f"The real files are needed under {SHARED}.")
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        files = write_rows(tmp / "in", args.rows, args.months)
        size = sum(p.stat().st_size for p in files)
        print(f"rows: {args.rows:,} over {args.months} files, {size / 1e6:,.0f} MB ({time.perf_counter() - t:.1f} s)")
        runs_a, runs_b = [], []
        for _ in range(args.repeat):  # interleaved, so a change in the machine's load hits both
            runs_a.append(plain_pandas(files, tmp / "pandas.csv"))
            runs_b.append(cli(files, tmp / "classified.csv", tmp / "rejected.csv"))
        (a, a_cpu), (b, b_cpu) = min(runs_a), min(r[:2] for r in runs_b)
        out_a, out_b = (tmp / "pandas.csv").stat().st_size, (tmp / "classified.csv").stat().st_size
        cols = len(pd.read_csv(tmp / "classified.csv", nrows=1).columns)
        print(
            f"(a) plain pandas read + concat + write CSV: {a:.1f} s, {a_cpu:.1f} CPU-s (output {out_a / 1e6:,.0f} MB)"
        )
        print(
            f"(b) python -m ruralaction classify: {b:.1f} s, {b_cpu:.1f} CPU-s "
            f"(output {out_b / 1e6:,.0f} MB, {cols} columns)"
        )
        print(f"ratio (b) / (a): {b / a:.2f} wall, {b_cpu / a_cpu:.2f} CPU (target ≤ 1.0)")
        print("classify's summary:", *runs_b[0][2].splitlines()[:2], sep="\n  ")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
