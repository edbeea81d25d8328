"""``ruralaction.incidents.fetch`` against a fake data.police.uk served from 127.0.0.1.

The fake serves the JSON files under ``tests/fixtures/police_api/`` in the real API's shapes and
behaves like the real service where it matters: ``crimes-street/all-crime`` returns the month's
crimes that lie inside (or on the edge of) the POSTed polygon, and refuses with HTTP 503 when that
is more than ``max_crimes`` of them. Tests add scripted behaviours (a status, a broken body, a
delay) for particular requests. A fake clock stands in for time, so backoff and rate spacing
cost nothing and can be asserted exactly.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
import requests
from shapely.geometry import Point, Polygon

from ruralaction.incidents import fetch as fetch_mod
from ruralaction.incidents.fetch import (
    FetchError,
    add_arguments,
    fetch_force,
    month_path,
    run_cli,
)
from ruralaction.incidents.loader import load_incidents
from ruralaction.incidents.schema import POLICE_UK_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures" / "police_api"
FORCE = "northamptonshire"
FORCE_NAME = "Northamptonshire Police"
NEIGHBOURHOODS = ("Brixworth", "Moulton", "Oundle")

#: Hand-counted from the fixtures: Force records inside the three neighbourhoods, each once.
EXPECTED_TYPES = {
    "2024-01": {
        "Anti-social behaviour": 2,
        "Bicycle theft": 1,
        "Burglary": 1,
        "Criminal damage and arson": 1,
        "Drugs": 1,
        "Public order": 1,
        "Robbery": 1,
        "Theft from the person": 1,
        "Vehicle crime": 1,
        "Violence and sexual offences": 1,
    },
    "2024-02": {
        "Anti-social behaviour": 1,
        "Burglary": 1,
        "Other crime": 1,
        "Other theft": 1,
        "Possession of weapons": 1,
        "Shoplifting": 1,
        "Vehicle crime": 1,
    },
}


# ----------------------------------------------------------------------------- the fake API


@dataclass
class Rule:
    """A scripted behaviour for matching requests; ``times=None`` means every time."""

    method: str
    path: str
    date: str | None = None
    neighbourhood: str | None = None
    times: int | None = None
    status: int | None = None  # None: after ``delay``, answer normally
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Logged:
    method: str
    path: str
    date: str | None
    neighbourhood: str | None
    status: int = 0
    crime_ids: list = field(default_factory=list)


class FakeApi:
    def __init__(self):
        self.lock = threading.Lock()
        self.boundaries = {}
        for n in json.loads((FIXTURES / FORCE / "neighbourhoods.json").read_text()):
            pts = json.loads((FIXTURES / FORCE / "boundaries" / f"{n['id']}.json").read_text())
            self.boundaries[n["id"]] = Polygon([(float(p["longitude"]), float(p["latitude"])) for p in pts])
        self.base_url = ""
        self.reset()

    def reset(self):
        self.log: list[Logged] = []
        self.rules: list[Rule] = []
        self.max_crimes = 10_000

    def script(self, method, path, **kw) -> Rule:
        rule = Rule(method, path, **kw)
        self.rules.append(rule)
        return rule

    def neighbourhood_of(self, poly: str | None) -> str | None:
        """The fixture neighbourhood a POSTed polygon (or a part of it) lies in."""
        if not poly:
            return None
        pts = [tuple(float(v) for v in pair.split(",")) for pair in poly.split(":")]
        inside = Polygon([(lng, lat) for lat, lng in pts]).representative_point()
        return next((nid for nid, b in self.boundaries.items() if b.covers(inside)), None)

    def take_rule(self, entry: Logged) -> Rule | None:
        for rule in self.rules:
            if (rule.method, rule.path) != (entry.method, entry.path):
                continue
            if rule.date not in (None, entry.date) or rule.neighbourhood not in (None, entry.neighbourhood):
                continue
            if rule.times is not None:
                if rule.times <= 0:
                    continue
                rule.times -= 1
            return rule
        return None

    def posts(self, date: str | None = None) -> list[Logged]:
        return [e for e in self.log if e.method == "POST" and date in (None, e.date)]


class Handler(BaseHTTPRequestHandler):
    server_version = "FakePoliceApi/1"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._serve("GET", {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", dict(parse_qsl(self.rfile.read(length).decode())))

    def _send(self, status: int, body: bytes, headers: dict | None = None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def _serve(self, method: str, form: dict):
        api: FakeApi = self.server.api
        path = urlsplit(self.path).path
        if not path.startswith("/api/"):
            return self._send(404, b"")
        rel = path[len("/api/") :]
        entry = Logged(method, rel, form.get("date"), api.neighbourhood_of(form.get("poly")))
        with api.lock:
            api.log.append(entry)
            rule = api.take_rule(entry)
        if rule and rule.delay:
            time.sleep(rule.delay)
        if rule and rule.status is not None:
            entry.status = rule.status
            return self._send(rule.status, rule.body, rule.headers)
        status, body = self._route(method, rel, form, entry)
        entry.status = status
        self._send(status, body)

    def _route(self, method, rel, form, entry) -> tuple[int, bytes]:
        if method == "POST" and rel == "crimes-street/all-crime":
            month_file = FIXTURES / "crimes-street" / f"all-crime-{form['date']}.json"
            crimes = json.loads(month_file.read_text()) if month_file.exists() else []
            pts = [tuple(float(v) for v in pair.split(",")) for pair in form["poly"].split(":")]
            area = Polygon([(lng, lat) for lat, lng in pts])
            hits = [
                c
                for c in crimes
                if area.covers(Point(float(c["location"]["longitude"]), float(c["location"]["latitude"])))
            ]
            if len(hits) > self.server.api.max_crimes:
                return 503, b""
            entry.crime_ids = [c["id"] for c in hits]
            return 200, json.dumps(hits).encode()
        if method != "GET":
            return 405, b""
        parts = rel.split("/")
        if rel == "crimes-street-dates":
            file = FIXTURES / "crimes-street-dates.json"
        elif rel == "forces":
            file = FIXTURES / "forces.json"
        elif len(parts) == 2 and parts[0] == "forces":
            file = FIXTURES / "forces" / f"{parts[1]}.json"
        elif len(parts) == 2 and parts[1] == "neighbourhoods":
            file = FIXTURES / parts[0] / "neighbourhoods.json"
        elif len(parts) == 3 and parts[2] == "boundary":
            file = FIXTURES / parts[0] / "boundaries" / f"{parts[1]}.json"
        else:
            return 404, b""
        return (200, file.read_bytes()) if file.exists() else (404, b'{"error": "Not found"}')


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


class FakeClock:
    """``now`` and ``sleep`` on a fake timeline; every sleep is recorded."""

    def __init__(self):
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class RecordingSession(requests.Session):
    """A session that notes the (fake) time of every request and ignores proxy settings."""

    def __init__(self, clock: FakeClock | None = None):
        super().__init__()
        self.trust_env = False
        self.clock = clock
        self.times: list[float] = []

    def request(self, *args, **kw):
        if self.clock:
            self.times.append(self.clock.now())
        return super().request(*args, **kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def run_fetch(
    api: FakeApi,
    out: Path,
    start: str | None = "2024-01",
    end: str | None = "2024-02",
    clock: FakeClock | None = None,
    **kw,
):
    clock = clock or FakeClock()
    kw.setdefault("session", RecordingSession(clock))
    kw.setdefault("timeout_s", 5)
    return fetch_force(FORCE, start, end, out, base_url=api.base_url, sleep=clock.sleep, clock=clock.now, **kw)


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ----------------------------------------------------------------------------- a normal fetch


def test_two_months_become_police_uk_csvs_that_load_without_rejections(api, tmp_path):
    steps = []
    summary = run_fetch(api, tmp_path, progress=lambda d, t, s: steps.append((d, t, s)))

    assert summary.months_fetched == ["2024-01", "2024-02"]
    assert summary.rows_written == {"2024-01": 11, "2024-02": 7}
    assert summary.force_name == FORCE_NAME
    assert summary.files_written == [month_path(tmp_path, FORCE, m) for m in ("2024-01", "2024-02")]
    assert all_files(tmp_path) == summary.files_written  # nothing else, no temp files
    assert summary.files_written[0] == tmp_path / "2024-01" / "2024-01-northamptonshire-street.csv"
    assert summary.ok
    # dates + force + neighbourhoods + 3 boundaries + 3 neighbourhoods x 2 months
    assert summary.requests == len(api.log) == 12
    assert steps == [
        (i + 1, 6, f"{m} {n}")
        for i, (m, n) in enumerate((m, n) for m in ("2024-01", "2024-02") for n in NEIGHBOURHOODS)
    ]
    assert any("British Transport Police" in m and m.startswith("2024-01") for m in summary.messages)

    first_line = summary.files_written[0].read_text(encoding="utf-8").split("\n")[0]
    assert first_line == ",".join(POLICE_UK_COLUMNS)

    result = load_incidents([tmp_path])
    df = result.incidents
    assert len(result.rejected) == 0
    assert result.summary.errors == []
    assert result.summary.rows_loaded == 18 and result.summary.balanced
    for month, expected in EXPECTED_TYPES.items():
        got = df[df["month"] == pd.Timestamp(month)]["crime_type"].value_counts()
        assert got[got > 0].to_dict() == expected, month
    assert set(df["reported_by"].astype(str)) == {FORCE_NAME} == set(df["falls_within"].astype(str))
    assert df["lsoa_code"].isna().all() and df["lsoa_name"].isna().all()

    asb = df[df["crime_type"] == "Anti-social behaviour"]
    assert len(asb) == 3
    assert asb["crime_id"].isna().all() and asb["last_outcome"].isna().all()
    crimes = df[df["crime_type"] != "Anti-social behaviour"]
    assert crimes["crime_id"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert crimes["crime_id"].is_unique  # the edge crime NC01/NC02 returned twice is written once
    assert crimes["last_outcome"].notna().all()

    by_location = df.set_index(df["location"].astype(str))
    robbery = df[(df["crime_type"] == "Robbery")].iloc[0]
    assert robbery["last_outcome"] == "Offender given a caution"
    assert (robbery["longitude"], robbery["latitude"]) == (-0.70, 52.26)
    assert by_location.loc["On or near Market Place, Oundle", "context"] == "Near the market, by the bridge"
    # Left out: the BTP record and the shoplifting outside every neighbourhood.
    jan = json.loads((FIXTURES / "crimes-street" / "all-crime-2024-01.json").read_text())
    left_out = {c["persistent_id"] for c in jan if c["id"] in (116181606, 116181613)}
    assert not left_out & set(crimes["crime_id"])


def test_the_twelve_fields_are_written_from_the_api_record(api, tmp_path):
    run_fetch(api, tmp_path, "2024-01", "2024-01")
    text = month_path(tmp_path, FORCE, "2024-01").read_text(encoding="utf-8")
    jan = {c["id"]: c for c in json.loads((FIXTURES / "crimes-street" / "all-crime-2024-01.json").read_text())}
    burglary, asb = jan[116181601], jan[116181603]
    assert (
        f"{burglary['persistent_id']},2024-01,{FORCE_NAME},{FORCE_NAME},-0.950000,52.300000,"
        "On or near Church Lane,,,Burglary,Under investigation,\n"
    ) in text
    assert (
        f",2024-01,{FORCE_NAME},{FORCE_NAME},-0.870000,52.310000,On or near Holcot Road,,,Anti-social behaviour,,\n"
        in text
    )
    assert asb["outcome_status"] is None and asb["persistent_id"] == ""
    assert '"On or near Market Place, Oundle"' in text and "\r" not in text


def test_unknown_category_is_written_as_is_for_the_loader_to_reject(api, tmp_path):
    summary = run_fetch(api, tmp_path, "2024-03", "2024-03")
    assert summary.rows_written == {"2024-03": 2}
    result = load_incidents([tmp_path])
    assert len(result.incidents) == 1
    assert result.rejected["reason"].tolist() == ["unknown crime type 'rural-crime'"]


# ----------------------------------------------------------------------------- too large: split


def test_too_large_polygon_is_split_and_deduplicated(api, tmp_path):
    api.max_crimes = 3  # the real limit is 10,000; the rule is the same
    summary = run_fetch(api, tmp_path, "2024-01", "2024-01")

    refused = [e for e in api.posts() if e.status == 503]
    answered = [e for e in api.posts() if e.status == 200]
    assert refused and len(answered) > len(NEIGHBOURHOODS)
    assert all(len(e.crime_ids) <= 3 for e in answered)
    returned = [i for e in answered for i in e.crime_ids]
    assert len(returned) > len(set(returned))  # edges (split line, shared boundary) came back twice
    force_ids = set(returned) - {116181606}  # the BTP record is not the force's
    assert summary.months_fetched == ["2024-01"]
    assert summary.rows_written["2024-01"] == len(force_ids) == 11

    df = load_incidents([tmp_path]).incidents
    assert len(df) == 11
    assert df["crime_type"].value_counts()[lambda s: s > 0].to_dict() == EXPECTED_TYPES["2024-01"]


def test_503_after_every_split_is_an_outage_with_a_clear_message(api, tmp_path, clock):
    api.script("POST", "crimes-street/all-crime", status=503)
    summary = run_fetch(api, tmp_path, "2024-01", "2024-01", clock=clock, max_split_depth=2, max_retries=1)

    assert summary.months_failed == ["2024-01"] and not summary.months_fetched
    assert not summary.ok
    msg = " ".join(summary.messages)
    assert "2024-01 not written" in msg and "Brixworth (NC01)" in msg
    assert "HTTP 503" in msg and "halved 2 times" in msg
    assert len(api.posts()) == 1 + 1 + 2  # whole, one half, one quarter tried twice
    assert all_files(tmp_path) == []


# ----------------------------------------------------------------------------- failures


def test_timeout_is_retried_then_fails_clearly_and_nothing_is_half_written(api, tmp_path, clock):
    api.script("POST", "crimes-street/all-crime", date="2024-01", neighbourhood="NC03", delay=1.0)
    began = time.monotonic()
    summary = run_fetch(api, tmp_path, "2024-01", "2024-02", clock=clock, timeout_s=0.25, max_retries=1, rate_per_s=0)
    assert time.monotonic() - began < 3

    # Brixworth and Moulton were fetched, Oundle timed out: the month is not written at all.
    assert [e.neighbourhood for e in api.posts("2024-01")] == ["NC01", "NC02", "NC03", "NC03"]
    assert summary.months_failed == ["2024-01"] and not summary.months_fetched
    msg = " ".join(summary.messages)
    assert "2024-01 not written: neighbourhood Oundle (NC03): data.police.uk did not answer" in msg
    assert "did not answer within 0.25 s, 2 attempts" in msg
    assert "2024-02 was not tried" in msg and "run the same command again" in msg.lower()
    assert api.posts("2024-02") == []
    assert clock.sleeps == [1.0]  # one backoff before the one retry
    assert all_files(tmp_path) == [] and list(tmp_path.iterdir()) == []
    assert not summary.ok


def test_connection_refused_is_retried_then_fails_with_the_setup_step_named(tmp_path, clock):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        FetchError, match=r"list of months .*could not connect to data.police.uk.*3 attempts.*Nothing was fetched"
    ):
        fetch_force(
            FORCE,
            "2024-01",
            "2024-01",
            tmp_path,
            base_url=f"http://127.0.0.1:{port}/api",
            session=RecordingSession(),
            max_retries=2,
            sleep=clock.sleep,
            clock=clock.now,
        )
    assert clock.sleeps == [1.0, 2.0]
    assert all_files(tmp_path) == []


def test_malformed_json_skips_that_month_only(api, tmp_path):
    api.script(
        "POST",
        "crimes-street/all-crime",
        date="2024-02",
        neighbourhood="NC02",
        status=200,
        body=b'[{"category": "burglary", "locat',
    )
    summary = run_fetch(api, tmp_path)

    assert summary.months_fetched == ["2024-01"] and summary.months_failed == ["2024-02"]
    msg = [m for m in summary.messages if m.startswith("2024-02 not written")]
    assert len(msg) == 1
    assert "neighbourhood Moulton (NC02)" in msg[0] and "not valid JSON" in msg[0]
    assert not month_path(tmp_path, FORCE, "2024-02").exists()
    assert all_files(tmp_path) == [month_path(tmp_path, FORCE, "2024-01")]
    assert [e.neighbourhood for e in api.posts("2024-02")] == ["NC01", "NC02"]
    assert summary.ok  # something was written


def test_a_reply_that_is_json_but_not_crimes_is_refused(api, tmp_path):
    api.script("POST", "crimes-street/all-crime", date="2024-01", status=200, body=b'{"error": "bad poly"}')
    summary = run_fetch(api, tmp_path, "2024-01", "2024-01")
    assert summary.months_failed == ["2024-01"]
    assert "not a list of crimes" in " ".join(summary.messages)
    assert all_files(tmp_path) == []


def test_a_failed_write_leaves_no_temp_file(api, tmp_path, monkeypatch):
    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fetch_mod.os, "replace", no_space)
    summary = run_fetch(api, tmp_path)
    assert summary.months_failed == ["2024-01"] and not summary.files_written
    assert any("No space left on device" in m and "Stopped" in m for m in summary.messages)
    assert all_files(tmp_path) == [] and list(tmp_path.iterdir()) == []


def test_unknown_force_suggests_the_right_id(api, tmp_path):
    with pytest.raises(FetchError, match="no force 'northants'.*northamptonshire.*Nothing was fetched"):
        fetch_force(
            "northants", "2024-01", "2024-01", tmp_path, base_url=api.base_url, session=RecordingSession(), rate_per_s=0
        )
    assert api.posts() == [] and all_files(tmp_path) == []


def test_months_the_api_does_not_serve_are_reported(api, tmp_path):
    summary = run_fetch(api, tmp_path, "2024-02", "2024-05")
    assert summary.months_fetched == ["2024-02", "2024-03"]
    assert summary.months_unavailable == ["2024-04", "2024-05"]
    assert any("2024-04, 2024-05" in m and "2021-04 to 2024-03" in m for m in summary.messages)

    api.reset()
    old = run_fetch(api, tmp_path / "old", "2019-01", "2019-03")
    assert old.months_unavailable == ["2019-01", "2019-02", "2019-03"] and not old.ok
    assert [e.path for e in api.log] == ["crimes-street-dates"]


# ----------------------------------------------------------------------------- resuming


def test_second_run_skips_existing_months_without_asking_for_crimes(api, tmp_path):
    first = run_fetch(api, tmp_path)
    contents = {p: p.read_bytes() for p in first.files_written}

    api.reset()
    again = run_fetch(api, tmp_path)
    assert again.months_skipped == ["2024-01", "2024-02"] and not again.months_fetched
    assert api.log == [] and again.requests == 0
    assert again.ok
    assert {p: p.read_bytes() for p in first.files_written} == contents

    month_path(tmp_path, FORCE, "2024-01").unlink()
    api.reset()
    partial = run_fetch(api, tmp_path)
    assert partial.months_fetched == ["2024-01"] and partial.months_skipped == ["2024-02"]
    assert {e.date for e in api.posts()} == {"2024-01"}
    assert month_path(tmp_path, FORCE, "2024-01").read_bytes() == contents[month_path(tmp_path, FORCE, "2024-01")]

    api.reset()
    redo = run_fetch(api, tmp_path, overwrite=True)
    assert redo.months_fetched == ["2024-01", "2024-02"] and not redo.months_skipped
    assert {e.date for e in api.posts()} == {"2024-01", "2024-02"}


def test_default_range_still_skips_what_is_on_disk(api, tmp_path):
    for m in [f"2023-{i:02d}" for i in range(4, 13)] + ["2024-01", "2024-02", "2024-03"]:
        month_path(tmp_path, FORCE, m).parent.mkdir(parents=True)
        month_path(tmp_path, FORCE, m).write_text(",".join(POLICE_UK_COLUMNS) + "\n")
    summary = run_fetch(api, tmp_path, None, None)
    assert len(summary.months_skipped) == 12 and summary.months_skipped[-1] == "2024-03"
    assert [e.path for e in api.log] == ["crimes-street-dates"]


# ----------------------------------------------------------------------------- retries and rate


@pytest.mark.parametrize("status", [429, 500, 502, 504])
def test_throttling_and_server_errors_back_off_then_succeed(api, tmp_path, clock, status):
    api.script("POST", "crimes-street/all-crime", date="2024-01", neighbourhood="NC01", status=status, times=3)
    summary = run_fetch(api, tmp_path, "2024-01", "2024-01", clock=clock, rate_per_s=0)
    assert summary.months_fetched == ["2024-01"] and summary.rows_written["2024-01"] == 11
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert [e.status for e in api.posts() if e.neighbourhood == "NC01"] == [status] * 3 + [200]


def test_503_on_a_plain_get_is_retried_not_split(api, tmp_path, clock):
    api.script("GET", f"forces/{FORCE}", status=503, times=2)
    summary = run_fetch(api, tmp_path, "2024-01", "2024-01", clock=clock, rate_per_s=0)
    assert summary.months_fetched == ["2024-01"]
    assert clock.sleeps == [1.0, 2.0]


def test_retry_after_is_honoured(api, tmp_path, clock):
    api.script("POST", "crimes-street/all-crime", status=429, times=1, headers={"Retry-After": "7"})
    summary = run_fetch(api, tmp_path, "2024-01", "2024-01", clock=clock, rate_per_s=0)
    assert summary.months_fetched == ["2024-01"]
    assert clock.sleeps == [7.0]


def test_throttled_for_good_gives_up_after_max_retries(api, tmp_path, clock):
    api.script("POST", "crimes-street/all-crime", status=429)
    summary = run_fetch(api, tmp_path, "2024-01", "2024-02", clock=clock, rate_per_s=0)
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert summary.months_failed == ["2024-01"]
    assert "HTTP 429 (too many requests), 5 attempts" in " ".join(summary.messages)
    assert api.posts("2024-02") == []
    assert all_files(tmp_path) == []


def test_fetch_never_exceeds_the_rate(api, tmp_path, clock):
    session = RecordingSession(clock)
    summary = run_fetch(api, tmp_path, clock=clock, session=session, rate_per_s=5)
    assert summary.requests == len(session.times) == 12
    gaps = [b - a for a, b in zip(session.times, session.times[1:])]
    assert min(gaps) >= 0.2 - 1e-9
    assert session.times[-1] == pytest.approx(11 * 0.2)


# ----------------------------------------------------------------------------- command line


def parse(argv: list[str]) -> argparse.Namespace:
    return add_arguments(argparse.ArgumentParser(prog="fetch")).parse_args(argv)


def test_cli_writes_into_the_data_dir_and_the_pipeline_loads_it(api, tmp_path, monkeypatch, capsys):
    from ruralaction.incidents.fetch import API_FOLDER
    from ruralaction.incidents.store import Store

    monkeypatch.setenv("RURALACTION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RURALACTION_POLICE_API", api.base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    args = parse(["--force", FORCE, "--from", "2024-01", "--to", "2024-02"])
    assert args.func is run_cli
    assert run_cli(args) == 0
    out = capsys.readouterr()
    api_folder = Store(tmp_path).path("ours") / "police_uk" / API_FOLDER
    assert f"Fetched 2 months of {FORCE_NAME} into {api_folder}" in out.out
    assert "2024-01 (11 rows), 2024-02 (7 rows)" in out.out
    assert (api_folder / "2024-02" / "2024-02-northamptonshire-street.csv").exists()
    assert Store(tmp_path).versions.current().action == "fetch from police.uk", "one new data version"

    store = Store(tmp_path)
    assert store.active() == "ours"  # fetched data is our data, shown once there is some
    loaded = store.load("ours")
    assert len(loaded.incidents) == 18 and len(loaded.rejected) == 0

    assert run_cli(args) == 0
    assert "Already on disk, not fetched again: 2024-01, 2024-02" in capsys.readouterr().out


def test_cli_exit_1_with_a_message_when_nothing_could_be_fetched(api, tmp_path, capsys):
    bad_force = parse(
        [
            "--force",
            "northants",
            "--from",
            "2024-01",
            "--to",
            "2024-01",
            "--out",
            str(tmp_path),
            "--base-url",
            api.base_url,
        ]
    )
    assert run_cli(bad_force) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: data.police.uk has no force 'northants'.") and "Traceback" not in err

    too_old = parse(
        ["--force", FORCE, "--from", "2019-01", "--to", "2019-02", "--out", str(tmp_path), "--base-url", api.base_url]
    )
    assert run_cli(too_old) == 1
    out = capsys.readouterr()
    assert "Not served by the data.police.uk API: 2019-01, 2019-02" in out.out
    assert "Nothing could be fetched." in out.err

    with pytest.raises(SystemExit) as exc:
        parse(["--force", FORCE, "--from", "2024-13"])
    assert exc.value.code == 2
    assert "'2024-13' is not a year and month" in capsys.readouterr().err
