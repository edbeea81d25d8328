"""Benchmark: a real ``streamlit run`` server over the classified store (figures, not a test).

    python benchmarks/bench_server.py DATA_DIR [--viewers 20] [--views 5]

Starts the app (``streamlit run app.py``) on ``DATA_DIR`` (e.g. one built by ``bench_app.py
--keep``) and talks to it the way a browser does — Streamlit's websocket protocol
(``/_stcore/stream``: a ``rerun_script`` message in, deltas and ``script_finished`` out) — with a
client so small it costs the 2 cores next to nothing, then prints:

- the server's **CPU seconds per page view** of every page (a new session opening it with the
  data cached; the server process's own CPU time from ``/proc``, divided by ``--views``);
- **many viewers**: ``--viewers`` sessions opening the Overview at the same moment, each one's
  time to its page finished (slowest, median), and the server's CPU for all of them;
- the server's resident memory after visiting every page;
- a **Map filter change**: the Map with filters nobody asked for yet (no kept answer), time to
  the script finished.

The machine's load is printed with the figures (the 2 cores are shared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PAGES = {
    "Overview": "",
    "Map": "crime-map",
    "Local area": "local-area?ward=E05006051",
    "Region": "region",
    "Actions": "action-tracker",
    "Get involved": "get-involved",
    "Progress": "scorecard",
    "Digest": "digest",
    "Data": "data",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (and its waited-for children) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks


def rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def view(port: int, page: str) -> float:
    """Open one page in a new session; seconds until the server says the script finished."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    path, _, query = page.partition("?")
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = path
    t = time.perf_counter()
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=2**28
    ) as ws:
        await ws.send(msg.SerializeToString())
        while True:
            raw = await ws.recv()
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            finished = fwd.WhichOneof("type") == "script_finished"
            if finished and fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--views", type=int, default=5)
    args = ap.parse_args()
    port = free_port()
    env = {**os.environ, "RURALACTION_DATA_DIR": str(args.data_dir.resolve())}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        print(f"{args.data_dir} (load {os.getloadavg()[0]:.2f}, 1-min average, 2 cores shared)")
        t = time.perf_counter()
        asyncio.run(view(port, ""))
        print(f"  first Overview after the server started: {time.perf_counter() - t:.1f} s")
        print("  server CPU-s per page view (new session, data cached):")
        for name, page in PAGES.items():
            first = asyncio.run(view(port, page))  # the page's own caches filled
            c = cpu_seconds(server.pid)
            walls = [asyncio.run(view(port, page)) for _ in range(args.views)]
            cpu = (cpu_seconds(server.pid) - c) / args.views
            print(f"    {name:13s} {cpu:.2f} CPU-s, {statistics.median(walls) * 1000:5.0f} ms (first {first:.1f} s)")
        print(f"  server resident memory after every page: {rss_mb(server.pid):,.0f} MB")

        # a filter change on the Map: the page with filters no one asked for yet (nothing kept),
        # as a session's rerun after a sidebar change; months, categories, reason, district
        changes = [
            "crime-map?from=2023-07",
            "crime-map?cat=burglary",
            "crime-map?reason=farm",
            "crime-map?cat=vehicle+crime&from=2024-01",
            "crime-map?district=Daventry",
            "crime-map?from=2023-03&to=2024-06&cat=criminal+damage",
        ]
        c = cpu_seconds(server.pid)
        walls = [asyncio.run(view(port, q)) for q in changes]
        cpu = (cpu_seconds(server.pid) - c) / len(changes)
        print(
            f"  Map filter change (a new filter, server to script finished): median "
            f"{statistics.median(walls) * 1000:.0f} ms, worst {max(walls) * 1000:.0f} ms, {cpu:.2f} CPU-s each"
        )

        async def crowd() -> list[float]:
            return await asyncio.gather(*(view(port, "") for _ in range(args.viewers)))

        c = cpu_seconds(server.pid)
        walls = asyncio.run(crowd())
        cpu = cpu_seconds(server.pid) - c
        print(
            f"  {args.viewers} viewers opening the Overview at once: slowest {max(walls):.1f} s, "
            f"median {statistics.median(walls):.1f} s; server {cpu / args.viewers:.2f} CPU-s each"
        )
        print(f"  load after: {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
