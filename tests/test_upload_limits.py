"""Uploads with limits (issue #11, item 3): the two uploads that took the server down are refused
within seconds and without the process's memory growing past a bound, and nothing is kept.

- a 4 MB zip of 100 police.uk CSVs of 10 MB each (7M rows once decompressed): refused from its
  headers before anything is decompressed; and, with the ratio check lifted, the row limit stops
  it while streaming, before more than the limit is held;
- a 1.4 MB CSV whose header has 200,000 columns (the header check was quadratic: 889 s, 4.5 GB):
  refused in well under a second.

Memory is the process's peak RSS (``ru_maxrss``), measured in a fresh child process so that what
other tests allocated does not count.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from policeuk import csv_text, row

from ruralaction.geography.population import PopulationError, read_population
from ruralaction.incidents.loader import load_incidents
from ruralaction.incidents.store import Store
from ruralaction.limits import UploadLimits
from ruralaction.permissions import Actor, Role

ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)  # data writes need an admin

ROOT = Path(__file__).resolve().parent.parent
MB = 1024**2


def repeated_zip(body: bytes, members: int) -> bytes:
    """A zip of ``members`` copies of ``body`` (deflated once, written ``members`` times)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(body) + comp.flush()
    crc = zlib.crc32(body)
    local, central = [], []
    offset = 0
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
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, members, members, len(cd), offset, 0)
    return b"".join(local) + cd + end


def police_csv(size: int) -> bytes:
    line = csv_text([row()]).split("\n", 1)[1]
    return (csv_text([]) + line * (size // len(line))).encode()


def measured(tmp_path: Path, upload: Path, env: dict[str, str] | None = None) -> dict:
    """Add ``upload`` to a fresh store in a child process; its answer, seconds and peak RSS."""
    code = f"""
import json, resource, time
from pathlib import Path
from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role

ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)  # data writes need an admin
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
store = Store(Path({str(tmp_path / "data")!r}))
t = time.perf_counter()
result = store.add_incidents(
    [({upload.name!r}, Path({str(upload)!r}).read_bytes())], actor=Actor(email="a@pcc.example", role=Role.ADMIN)
)
print(json.dumps({{"seconds": time.perf_counter() - t, "errors": result.load.summary.errors,
    "saved": len(result.saved), "rows": len(result.load.incidents),
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base / 1024}}))
"""
    import os

    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_100_member_zip_is_refused_within_seconds_and_memory_bounded(tmp_path):
    upload = tmp_path / "crimes.zip"
    upload.write_bytes(repeated_zip(police_csv(10 * MB), 100))
    assert upload.stat().st_size < 5 * MB  # the 4.1 MB zip of 100 × 10 MB
    got = measured(tmp_path, upload)
    assert got["saved"] == 0 and got["rows"] == 0 and "crimes.zip was refused" in got["errors"][0], got
    assert got["seconds"] < 5 and got["rss_mb"] - got["base_mb"] < 100, got
    assert not (tmp_path / "data" / "ours").exists(), "nothing kept"
    # with the compression-ratio check lifted, the row limit stops it while streaming
    got = measured(
        tmp_path, upload, {"RURALACTION_UPLOAD_MAX_RATIO": "100000", "RURALACTION_UPLOAD_MAX_ROWS": "200000"}
    )
    assert got["saved"] == 0 and got["rows"] == 0, got
    assert "more than 200,000 rows" in got["errors"][0] and "nothing was loaded" in got["errors"][0], got
    assert got["seconds"] < 60 and got["rss_mb"] - got["base_mb"] < 600, got
    assert not (tmp_path / "data" / "ours").exists(), "nothing kept"


def test_a_200000_column_header_is_refused_in_seconds(tmp_path):
    header = ",".join(["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location"])
    header += "," + ",".join(f"c{i}" for i in range(200_000))
    upload = tmp_path / "wide.csv"
    upload.write_bytes((header + "\n" + "x," * 20 + "\n").encode())
    assert 1 * MB < upload.stat().st_size < 2 * MB
    got = measured(tmp_path, upload)
    assert got["saved"] == 0 and "wide.csv was refused" in got["errors"][0] and "line is longer" in got["errors"][0]
    assert got["seconds"] < 2 and got["rss_mb"] - got["base_mb"] < 100, got


def test_column_field_and_size_limits_in_the_loader(tmp_path, monkeypatch):
    monkeypatch.setenv("RURALACTION_UPLOAD_MAX_FIELD_CHARS", "50")
    monkeypatch.setenv("RURALACTION_UPLOAD_MAX_COLUMNS", "13")
    ok = csv_text([row("a")]).encode()
    long_field = csv_text([row("a", location="x" * 51)]).encode()
    wide = csv_text([[*row("a"), "", ""]], header=(*csv_text([]).strip().split(","), "x", "y")).encode()
    r = load_incidents([("ok.csv", ok), ("long.csv", long_field), ("wide.csv", wide)])
    assert len(r.incidents) == 1
    assert any(
        "long.csv was refused: a value in its 'Location' column is longer than 50" in e for e in r.summary.errors
    )
    assert any(
        "wide.csv was refused: its header has 14 columns, more than the limit of 13" in e for e in r.summary.errors
    )
    monkeypatch.setenv("RURALACTION_UPLOAD_MAX_BYTES", "100")
    r = load_incidents([("ok.csv", ok)])
    assert r.incidents.empty and "ok.csv was refused: it is larger than" in r.summary.errors[0]
    assert UploadLimits.from_env().max_bytes == 100 and UploadLimits().max_rows == 2_000_000
    with pytest.raises(PopulationError, match="more than an LSOA table"):  # bounded before splitting rows
        read_population(b"LSOA Code,Total\n" + b"E01000001,1\n" * 200_001, "pop.csv")


def test_a_member_whose_header_lies_about_its_size_is_refused_in_one_sentence(tmp_path):
    body = police_csv(2 * MB)
    data = bytearray(repeated_zip(body, 1))
    # forge the sizes in both headers to claim 1 KB: the reader must not trust them
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        data[i + at : i + at + 4] = struct.pack("<L", 1024)
    r = load_incidents([("forged.zip", bytes(data))])
    assert r.incidents.empty and "could not be read from the archive: it is damaged" in r.summary.errors[0]
    assert not Store(tmp_path / "data").add_incidents([("forged.zip", bytes(data))], actor=ADMIN).saved
