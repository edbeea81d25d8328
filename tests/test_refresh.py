"""The monthly refresh job and the health command, against the fake data.police.uk of
``test_fetch.py`` (served from 127.0.0.1): a normal month, nothing new, police.uk late or
unreachable, two runs at once, and the checks a council's monitoring calls."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from test_fetch import FORCE, FakeApi, Handler

from ruralaction.cli import main
from ruralaction.ops.health import check
from ruralaction.ops.lock import Busy, RunLock
from ruralaction.ops.refresh import RECORD, last_refresh, latest_loaded, refresh
from ruralaction.permissions import Actor

ROOT = Path(__file__).resolve().parent.parent
#: The fixture API serves 2023-11..2024-03; on this day 2024-03 is the month police.uk should have.
ON_TIME = dt.date(2024, 5, 20)
FAST = {"rate_per_s": 0, "timeout_s": 5, "max_retries": 0, "backoff_s": 0}


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.api = FakeApi()
    srv.api.base_url = f"http://127.0.0.1:{srv.server_address[1]}/api"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def api(server) -> FakeApi:
    server.api.reset()
    return server.api


def closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"  # nothing listens there once the socket is closed


def test_a_first_refresh_loads_what_police_uk_serves_and_records_it(api, tmp_path):
    steps = []
    rec = refresh(
        FORCE,
        tmp_path,
        base_url=api.base_url,
        today=ON_TIME,
        progress=lambda d, t, w: steps.append((d, t, w)),
        fetch_options=FAST,
    )
    assert rec.status == "ok", rec.message
    assert rec.months_added[-3:] == ["2024-01", "2024-02", "2024-03"]
    assert rec.rows_added > 0 and rec.latest_published == "2024-03" and rec.expected == "2024-03"
    assert steps and steps[-1][0] == steps[-1][1], "progress reaches the end"
    assert latest_loaded(_store(tmp_path), FORCE) == "2024-03"
    assert last_refresh(tmp_path) == rec
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".refresh-fetch-")], "the staging folder is gone"
    assert "Last refresh" in rec.sentence() and "Added" in rec.sentence()


def test_a_second_refresh_finds_nothing_new_and_asks_for_no_crimes(api, tmp_path):
    refresh(FORCE, tmp_path, base_url=api.base_url, today=ON_TIME, fetch_options=FAST)
    api.reset()
    rec = refresh(FORCE, tmp_path, base_url=api.base_url, today=ON_TIME, fetch_options=FAST)
    assert rec.status == "up to date" and rec.ok
    assert api.posts() == [] and [e.path for e in api.log] == ["crimes-street-dates"]


def test_police_uk_late_exits_non_zero_with_one_line(api, tmp_path, capsys):
    refresh(FORCE, tmp_path, base_url=api.base_url, today=ON_TIME, fetch_options=FAST)
    before = sorted(p for p in _store(tmp_path).path("ours").rglob("*") if p.is_file())
    # Two months on, police.uk still serves 2024-03 only: late.
    code = main(["refresh", "--data-dir", str(tmp_path), "--base-url", api.base_url, "--quiet"])
    out = capsys.readouterr()
    assert code == 1
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("refresh late: police.uk is late"), out.err
    assert "2024-03" in lines[0] and "Traceback" not in out.err
    assert sorted(p for p in _store(tmp_path).path("ours").rglob("*") if p.is_file()) == before
    assert last_refresh(tmp_path).status == "late"


def test_police_uk_unreachable_exits_non_zero_and_changes_nothing(tmp_path, capsys):
    code = main(["refresh", "--data-dir", str(tmp_path), "--base-url", closed_port_url(), "--quiet"])
    out = capsys.readouterr()
    assert code == 1
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "could not be reached" in lines[0] and "Nothing was changed" in lines[0]
    assert not _store(tmp_path).path("ours").exists() and not (tmp_path / "versions").exists()
    rec = last_refresh(tmp_path)
    assert rec.status == "unreachable" and not rec.ok


def test_a_disk_full_while_loading_is_recorded_in_words_and_loads_nothing(api, tmp_path, monkeypatch):
    import errno

    from ruralaction.incidents import store as store_mod

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.Store, "add_incidents", full)
    rec = refresh(FORCE, tmp_path, base_url=api.base_url, today=ON_TIME, fetch_options=FAST)
    assert rec.status == "failed" and "disk is full" in rec.message and "Nothing was changed" in rec.message
    assert latest_loaded(_store(tmp_path), FORCE) is None


def test_two_refreshes_at_once_run_once(api, tmp_path):
    """Two processes started together: one fetches and loads, the other finds the lock taken and
    does nothing (exit 75). A slow first answer from police.uk keeps the first one running."""
    api.script("GET", "crimes-street-dates", delay=2.0, times=1)
    env = {**os.environ, "RURALACTION_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "ruralaction", "refresh", "--base-url", api.base_url, "--quiet"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    busy = next(r for r in results if r[0] == 75)
    assert codes == [1, 75], results  # the one that ran: loaded, then "late" (the fixture stops at 2024-03)
    assert "Another refresh is running" in busy[2] and "did nothing" in busy[2]
    assert [e.path for e in api.log].count("forces/northamptonshire") == 1, "only one run went past the lock"
    neighbourhood_months = [(e.date, e.neighbourhood) for e in api.posts()]
    assert len(neighbourhood_months) == len(set(neighbourhood_months)), "no month was fetched twice"
    assert last_refresh(tmp_path).months_added[-1] == "2024-03"


def test_the_lock_is_exclusive_and_freed_when_its_holder_ends(tmp_path):
    lock = tmp_path / ".x.lock"
    held = RunLock(lock, "refresh").__enter__()
    with pytest.raises(Busy, match=r"Another refresh is running \(process \d+"):
        RunLock(lock, "refresh").__enter__()
    held.__exit__(None, None, None)
    with RunLock(lock, "refresh"):  # free again
        pass
    # A holder killed outright does not leave the lock held.
    code = "import sys,time; from ruralaction.ops.lock import RunLock; l=RunLock(sys.argv[1],'x').__enter__(); print('held', flush=True); time.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(lock)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(Busy):
        RunLock(lock, "x").__enter__()
    proc.kill()
    proc.wait()
    with RunLock(lock, "x"):
        pass


# ----------------------------------------------------------------------------- health


def _store(root: Path):
    from ruralaction.incidents.store import Store

    return Store(root)


def test_health_is_ok_when_everything_is(api, tmp_path):
    from ruralaction.actions.db import open_database

    refresh(FORCE, tmp_path, base_url=api.base_url, today=ON_TIME, fetch_options=FAST)
    _store(tmp_path).set_active("ours", actor=Actor.system_actor("tests"))
    url = f"sqlite:///{tmp_path / 'ra.db'}"
    open_database(url).dispose()
    h = check(tmp_path, url, force=FORCE, today=ON_TIME)
    assert h.level == "ok" and h.exit_code == 0, h.lines()
    assert [c.name for c in h.checks] == ["config", "database", "data store", "freshness"]
    assert "2024-03" in h.checks[-1].message and "Last refresh" in h.checks[-1].message


def test_health_says_what_is_wrong_with_nagios_codes(api, tmp_path, monkeypatch, capsys):
    vocab = tmp_path / "vocab.toml"
    vocab.write_text('partners = ["Police"]\naction_types = 3\n[[issues]]\nname = "Burglary"\n', "utf-8")
    monkeypatch.setenv("RURALACTION_ACTIONS_VOCABULARY", str(vocab))
    monkeypatch.setenv("RURALACTION_DATA_DIR", str(tmp_path))
    code = main(["health", "--db-url", "postgresql+psycopg://ra:secret@127.0.0.1:1/ra"])
    out = capsys.readouterr().out
    assert code == 2
    assert "CRITICAL config: Vocabulary file vocab.toml, line 2: action_types should be a valid list, not 3." in out
    assert "CRITICAL database: The database is not answering (PostgreSQL at 127.0.0.1, port 1" in out
    assert "secret" not in out
    code = main(["health", "--json", "--db-url", f"sqlite:///{tmp_path / 'none.db'}"])
    result = json.loads(capsys.readouterr().out)
    assert code == 2 and result["status"] == "critical"
    assert not (tmp_path / "none.db").exists(), "a health check creates nothing"


def test_the_data_page_shows_the_last_refresh(api, tmp_path, demo_dir):
    import shutil

    from streamlit.testing.v1 import AppTest

    shutil.copytree(demo_dir, tmp_path / "demo")
    refresh(FORCE, tmp_path, base_url=closed_port_url(), today=ON_TIME, fetch_options=FAST)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RURALACTION_DATA_DIR", str(tmp_path))
        mp.setenv("RURALACTION_DB_URL", f"sqlite:///{tmp_path / 'ra.db'}")
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("dashboard/pages/data.py")
        at.run()
    assert not at.exception
    shown = [w.value for w in at.warning if "Last refresh" in w.value]
    assert len(shown) == 1 and "unreachable" in shown[0] and "could not be reached" in shown[0]
    assert (tmp_path / RECORD).is_file()
