"""Bounds on what one upload may cost, and a worker process that enforces them.

Anyone an admin lets upload (and every file the command line is given) could be built to take
the server down: a 4 MB zip of a hundred 10 MB members, a CSV with 200,000 header columns, a
deeply nested GeoJSON. Every reader checks these limits *while streaming*, before anything is
kept or parsed into memory, and parsing that could still run away (GDAL reading an uploaded
boundary file) happens in a child process with a CPU-time, memory and wall-clock limit
(:func:`run_worker`), so the worst an upload can do is fail with one sentence.

Every limit can be changed from the environment (``RURALACTION_UPLOAD_<NAME>``, e.g.
``RURALACTION_UPLOAD_MAX_ROWS=5000000``); the defaults fit a year of a county's police.uk
files, ONS boundary and lookup files, and a whole country's bulk archive of a few months
(40 forces, four months: 1.3M rows); a bigger load is split, or the limit raised.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

_MB = 1024**2


@dataclass(frozen=True)
class UploadLimits:
    """What one upload (a file, or an archive with every file inside it) may hold.

    Attributes
    ----------
    max_bytes : int
        Size of one uploaded file as sent (the web server's own limit is 200 MB).
    max_member_bytes : int
        Size of one file inside a zip archive once decompressed.
    max_total_bytes : int
        Sum of every file inside one zip archive once decompressed.
    max_members : int
        Files inside one zip archive.
    max_ratio : int
        Decompressed / compressed size of any member (a zip bomb compresses ~1000:1; CSV ~10:1).
    max_rows : int
        Data rows in all the CSVs of one upload together.
    max_columns : int
        Fields in a header (police.uk has 12; ONS lookups a dozen or so).
    max_field_chars : int
        Characters in one field or one header name.
    max_features : int
        Features in one boundary file (England has ~35,000 LSOAs, ~7,000 wards).
    worker_cpu_seconds, worker_memory_bytes, worker_wall_seconds : int
        The reading worker's CPU time, address space and wall-clock time.
    """

    max_bytes: int = 250 * _MB
    max_member_bytes: int = 256 * _MB
    max_total_bytes: int = 1024 * _MB
    max_members: int = 2_000
    max_ratio: int = 200
    max_rows: int = 2_000_000
    max_columns: int = 200
    max_field_chars: int = 10_000
    max_features: int = 200_000
    worker_cpu_seconds: int = 120
    worker_memory_bytes: int = 2048 * _MB
    worker_wall_seconds: int = 180

    @classmethod
    def from_env(cls) -> UploadLimits:
        """The defaults, each overridden by ``RURALACTION_UPLOAD_<NAME>`` when set to an integer."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"RURALACTION_UPLOAD_{f.name.upper()}", "").strip().replace("_", "")
            if raw.isdigit() and int(raw) > 0:
                values[f.name] = int(raw)
        return cls(**values)


def limits() -> UploadLimits:
    """The limits in force (read from the environment at call time, so tests can set them)."""
    return UploadLimits.from_env()


class WorkerFailed(RuntimeError):
    """The worker ran out of time or memory, or failed; the message is one sentence."""


#: Only these reach a worker's environment: no database URL, password or secret.
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "HOME")


def run_worker(module: str, request: dict, lim: UploadLimits, extra_env: dict[str, str] | None = None) -> dict:
    """Run ``python -m <module>`` as a limited child process and return its JSON answer.

    The child reads ``request`` as JSON from standard input, calls :func:`limit_self` first, and
    prints one JSON object. Its working directory is an empty temporary folder and its
    environment holds only ``PATH``, the locale and ``extra_env``, so a relative path in a
    hostile file resolves to nothing of the app's and no secret is there to read.
    """
    root = Path(__file__).resolve().parent.parent
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    env.update(
        PYTHONPATH=str(root),
        PYTHONDONTWRITEBYTECODE="1",
        OPENBLAS_NUM_THREADS="1",  # one thread's buffers: the address-space limit is for the data
        OMP_NUM_THREADS="1",
        **(extra_env or {}),
    )
    payload = json.dumps({**request, "limits": {f.name: getattr(lim, f.name) for f in fields(lim)}})
    with tempfile.TemporaryDirectory(prefix="ra-worker-") as cwd:
        try:
            done = subprocess.run(
                [sys.executable, "-s", "-m", module],
                input=payload,
                capture_output=True,
                text=True,
                cwd=cwd,
                env=env,
                timeout=lim.worker_wall_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise WorkerFailed(f"took longer than {lim.worker_wall_seconds} s to read") from None
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    out_of_memory = ("MemoryError", "bad_alloc", "allocat", "failed to map", "out of memory")
    if done.returncode < 0 or any(word in done.stderr for word in out_of_memory):
        raise WorkerFailed(
            f"needed more than {lim.worker_cpu_seconds} s of CPU or {lim.worker_memory_bytes // _MB:,} MB of memory to read"
        )
    raise WorkerFailed("could not be read")


def limit_self(lim: UploadLimits) -> None:
    """In a worker, before reading anything: cap CPU time and address space (the kernel enforces
    them: past the CPU limit the process is killed, past the memory limit allocations fail)."""
    resource.setrlimit(resource.RLIMIT_CPU, (lim.worker_cpu_seconds, lim.worker_cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (lim.worker_memory_bytes, lim.worker_memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def read_request() -> tuple[dict, UploadLimits]:
    """In a worker: the request from standard input and its limits (already applied)."""
    request = json.loads(sys.stdin.read())
    lim = UploadLimits(**request.pop("limits"))
    limit_self(lim)
    return request, lim
