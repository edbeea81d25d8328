"""End to end: ``streamlit run app.py`` on a free localhost port, driven by headless Chromium.

The server is started once for the module against a data directory that already holds the
demo (so start-up only loads it), and stopped at the end. Tests never sleep: they wait for
Streamlit to report that the script has finished (``data-test-script-state="notRunning"``) and
let Playwright's ``expect`` poll for what should be on screen.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import CHROMIUM, DEMO_END_MONTH

from dashboard.state import DEMO_LABEL

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
STARTUP_TIMEOUT_S = 90
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    """Poll Streamlit's health endpoint until it says ok, the server dies, or time runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)  # polling interval of the health check, not a wait for the page
    pytest.fail(
        f"streamlit was not healthy after {STARTUP_TIMEOUT_S}s:\n{log.read_text(errors='replace')}", pytrace=False
    )


@contextlib.contextmanager
def serve(log: Path, **env: str):
    """Run ``streamlit run app.py`` on a free localhost port with ``env`` added to the
    environment (e.g. ``RURALACTION_DATA_DIR``); yield its base URL once healthy; stop it after.
    The server's output goes to ``log``. One server per test module."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def e2e_data(tmp_path_factory) -> Path:
    """The data directory the module's server reads: the demo only."""
    from ruralaction.incidents.demo import write_demo

    data = tmp_path_factory.mktemp("e2e_data")
    write_demo(data / "demo", end_month=DEMO_END_MONTH)
    return data


@pytest.fixture(scope="module")
def app_url(e2e_data, tmp_path_factory):
    """Base URL of ``streamlit run app.py`` serving the demo; stopped at module end."""
    data = e2e_data
    log = tmp_path_factory.mktemp("e2e_log") / "streamlit.log"
    with serve(log, RURALACTION_DATA_DIR=str(data)) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium (``playwright install`` cannot download here)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}}


def test_a_bookmarked_deep_link_works_on_a_fresh_server(app_url, e2e_data, page):
    """A parish council's bookmark is often the first request after a restart: it must open its
    ward's page straight away, with the app's navigation, and no "Page not found"."""
    import json

    from playwright.sync_api import expect

    demo = next(e2e_data.rglob("demo_wards.geojson"))
    code = next(
        f["properties"]["WD13CD"]
        for f in json.loads(demo.read_text())["features"]
        if f["properties"]["WD13NM"] == "Brixworth"
    )
    page.goto(f"{app_url}/local-area?ward={code}")  # the server's first page request
    page.locator(APP_IDLE).wait_for(timeout=60_000)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Brixworth", exact=True)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Overview")).to_be_visible()


def test_overview_shows_demo_headline_and_chart(app_url, page):
    from playwright.sync_api import expect

    errors: list[str] = []
    elsewhere: list[str] = []  # residents' browsers must not be sent to third parties
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request", lambda req: None if req.url.startswith((app_url, "data:", "blob:")) else elsewhere.append(req.url)
    )

    page.goto(app_url)
    page.locator(APP_IDLE).wait_for(timeout=60_000)

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Rural crime overview")).to_be_visible()
    expect(main.get_by_text(DEMO_LABEL)).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text(DEMO_LABEL)).to_be_visible()

    expect(page.get_by_test_id("stMetric")).to_have_count(8)
    rural = page.get_by_test_id("stMetric").filter(has_text="Rural crimes").first
    expect(rural.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^[1-9][\d,]*$"))
    expect(
        page.get_by_test_id("stMetric").filter(has_text="Months covered").get_by_test_id("stMetricValue")
    ).to_have_text("36")

    chart = page.get_by_test_id("stPlotlyChart").first  # by month; the evidence sections' charts follow
    expect(chart.locator(".barlayer .trace").first).to_be_visible()
    assert chart.locator(".barlayer .trace").count() == 6  # one stacked trace per category
    expect(chart.locator(".legend")).to_contain_text("Burglary")

    # Streamlit scrolls inside its main container, so a "full page" screenshot is only the
    # viewport: make the viewport as tall as the content first.
    height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(1000, int(height))})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    assert not errors, f"browser console errors: {errors}"
    assert not elsewhere, f"requests to other sites: {elsewhere}"
