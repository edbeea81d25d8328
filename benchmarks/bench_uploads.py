"""Benchmark: what a hostile upload costs now (figures, not a pass/fail test).

    python benchmarks/bench_uploads.py

Each case runs in a fresh child process (its peak RSS is that process's alone) and prints the
seconds, the RSS growth over the imports and the first message:

- the issue's 4 MB zip of 100 police.uk CSVs of 10 MB each (refused from its headers);
- the same zip with the ratio check lifted (``RURALACTION_UPLOAD_MAX_RATIO``) and a 200,000-row
  limit: how far the row limit lets it get while streaming;
- a 1.4 MB CSV with 200,000 header columns (before: 889 s and 4.5 GB);
- a genuine ward boundary file read in process and through the limited worker (the worker's
  start-up is the price of reading an upload with only its own GDAL driver).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024**2
HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
ROW = "c1,2024-01,Northamptonshire Police,Northamptonshire Police,-0.90,52.30,On or near Church Lane,E01027000,Daventry 001A,Burglary,Under investigation,"


def repeated_zip(body: bytes, members: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(body) + comp.flush()
    crc, local, central, offset = zlib.crc32(body), [], [], 0
    for i in range(members):
        name = f"2024-{i:03d}/2024-{i:03d}-northamptonshire-street.csv".encode()
        head = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), len(body), len(name), 0)
        local.append(head + name + data)
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                len(body),
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        offset += len(head) + len(name) + len(data)
    cd = b"".join(central)
    return b"".join(local) + cd + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, members, members, len(cd), offset, 0)


CHILD = """
import json, resource, sys, time
from pathlib import Path
from ruralaction.incidents.store import Store
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
upload = Path(sys.argv[1])
t = time.perf_counter()
r = Store(Path(sys.argv[2])).add_incidents([(upload.name, upload.read_bytes())])
print(json.dumps({"s": time.perf_counter() - t, "rss": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024,
                  "kept": len(r.saved), "msg": (r.load.summary.errors or [""])[0]}))
"""


def run(upload: Path, tmp: Path, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(upload), str(tmp / "data")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(label: str, got: dict) -> None:
    print(f"{label:<58} {got['s']:7.2f} s  +{got['rss']:6.0f} MB RSS  kept {got['kept']}  {got['msg'][:90]}")


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        body = (HEADER + "\n" + (ROW + "\n") * (10 * MB // (len(ROW) + 1))).encode()
        bomb = tmp / "crimes.zip"
        bomb.write_bytes(repeated_zip(body, 100))
        print(f"zip: {bomb.stat().st_size / 1e6:.1f} MB holding 100 × {len(body) / MB:.0f} MB")
        show("100 × 10 MB zip", run(bomb, tmp))
        show(
            "  same, ratio check lifted, 200,000-row limit",
            run(bomb, tmp, RURALACTION_UPLOAD_MAX_RATIO="100000", RURALACTION_UPLOAD_MAX_ROWS="200000"),
        )
        wide = tmp / "wide.csv"
        wide.write_bytes((HEADER + "," + ",".join(f"c{i}" for i in range(200_000)) + "\n" + ROW + "\n").encode())
        show(f"{wide.stat().st_size / 1e6:.1f} MB CSV, 200,000 header columns", run(wide, tmp))

        from ruralaction.geography.boundaries import read_boundaries

        wards = sorted((ROOT.parent / "shared" / "data" / "boundaries" / "wards_by_lad").glob("*.json"))
        if wards:
            for isolated in (False, True):
                t = time.perf_counter()
                read_boundaries(wards[0], isolated=isolated)
                where = "in a limited worker (uploads)" if isolated else "in process (checked by bytes)"
                print(f"ward boundaries {wards[0].name} read {where}: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
