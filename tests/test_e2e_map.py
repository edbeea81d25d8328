"""End to end: the Map and Local area pages in headless Chromium against one ``streamlit run
app.py`` for the module (the demo data, plus ONS-layout parishes around Pitsford and a
self-hosted raster PMTiles basemap served by the app itself), with screenshots under
``test-artifacts/``.
(A bookmarked deep link as a fresh server's first request is tested in test_e2e_browser.py.)
"""

from __future__ import annotations

import json
import math
import re

import pytest
from conftest import DEMO_END_MONTH
from places_fixtures import write_parishes, write_pmtiles
from test_e2e_browser import (  # noqa: F401  (fixtures used by pytest-playwright)
    APP_IDLE,
    ARTIFACTS,
    ROOT,
    browser_context_args,
    browser_type_launch_args,
    serve,
    wait_healthy,
)

from dashboard.state import DEMO_LABEL

pytestmark = pytest.mark.browser

#: Streamlit's frontend probes ``/<page>/_stcore/...`` for a base path when a page URL is opened
#: directly; those 404s are expected and are not errors of the app.
BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


@pytest.fixture(scope="module")
def map_url(tmp_path_factory):
    """Base URL of ``streamlit run app.py`` serving the demo, and the demo's ward codes by name."""
    from ruralaction.incidents.demo import write_demo

    data = tmp_path_factory.mktemp("e2e_map")
    write_demo(data / "demo", end_month=DEMO_END_MONTH)
    wards = next((data / "demo" / "boundaries").rglob("*.geojson"))
    codes = {f["properties"]["WD13NM"]: f["properties"]["WD13CD"] for f in json.loads(wards.read_text())["features"]}
    write_parishes(data / "demo" / "boundaries" / "parishes")
    tiles = write_pmtiles(tmp_path_factory.mktemp("basemap") / "county.pmtiles")
    log = tmp_path_factory.mktemp("e2e_map_log") / "streamlit.log"
    with serve(log, RURALACTION_DATA_DIR=str(data), RURALACTION_BASEMAP=str(tiles)) as url:
        yield url, codes


def watch(page, base: str) -> tuple[list[str], list[str]]:
    """Collect console errors (not base-path probes) and requests to any other site."""
    errors: list[str] = []
    elsewhere: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not BASE_PATH_PROBE.search(msg.location.get("url", "")):
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: None if req.url.startswith((base, "data:", "blob:")) else elsewhere.append(req.url))
    return errors, elsewhere


def open_page(page, url: str) -> None:
    page.goto(url)
    page.locator(APP_IDLE).wait_for(timeout=60_000)


def screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to it first."""
    height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(1000, int(height))})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_map_filter_changes_the_counts_and_the_map(map_url, page):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    base, _ = map_url
    errors, elsewhere = watch(page, base)
    open_page(page, base + "/")
    open_page(page, base + "/crime-map")

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Rural crime map")).to_be_visible()
    expect(main.get_by_text(DEMO_LABEL)).to_be_visible()
    shown = page.get_by_test_id("stMetric").filter(has_text="Rural crimes shown").get_by_test_id("stMetricValue")
    expect(shown).to_have_text(re.compile(r"^[1-9][\d,]*$"))
    before = int(shown.inner_text().replace(",", ""))
    expect(page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible()
    legend = page.locator(".map-legend")
    expect(legend).to_contain_text("Rural crimes per hexagon")
    legend_before = legend.inner_text()

    sidebar = page.get_by_test_id("stSidebar")
    page.locator(APP_IDLE).wait_for()
    option = page.get_by_role("option", name="Burglary", exact=True)
    for _ in range(3):  # on a busy machine a run still being drawn can close the list as it opens
        sidebar.get_by_test_id("stMultiSelect").click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            page.locator(APP_IDLE).wait_for()
    option.click()
    page.keyboard.press("Escape")
    expect(shown).not_to_have_text(f"{before:,}")
    page.locator(APP_IDLE).wait_for()
    after = int(shown.inner_text().replace(",", ""))
    assert 0 < after < before
    assert "cat=burglary" in page.url, "the filter is in the link, so the view can be shared"
    expect(legend).not_to_have_text(legend_before)  # the hexagon classes follow the counts

    page.get_by_test_id("stButtonGroup").get_by_text("Wards (per km²)").click()
    page.locator(APP_IDLE).wait_for()
    expect(legend).to_contain_text("per km² a year")
    screenshot(page, "map.png")
    assert not errors, f"browser console errors: {errors}"
    assert not elsewhere, f"requests to other sites (no map tiles): {elsewhere}"


def test_choosing_a_ward_on_the_map_leads_to_its_local_area_page(map_url, page):
    from playwright.sync_api import expect

    base, codes = map_url
    errors, elsewhere = watch(page, base)
    open_page(page, base + "/")
    open_page(page, f"{base}/crime-map?ward={codes['Brixworth']}")
    link = page.get_by_test_id("stPageLink").get_by_role("link", name="Open the local area page for Brixworth")
    link.click()
    page.locator(APP_IDLE).wait_for()

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Brixworth", exact=True)).to_be_visible()
    expect(main.get_by_text(DEMO_LABEL)).to_be_visible()
    expect(main.get_by_text(re.compile(r"12 months to Sep 2026 against the 12 before"))).to_be_visible()
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart.locator(".barlayer .trace").first).to_be_visible()
    expect(main.get_by_text("What partners did in Brixworth")).to_be_visible()
    # the expected-counts download of "Is this month unusual?", then the ward's three (at the page's
    # end: on a loaded CI machine the first view of a ward takes longer than expect's 5 s default)
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(4, timeout=30_000)
    assert re.search(rf"/local-area\?(.*&)?ward={codes['Brixworth']}", page.url), page.url
    screenshot(page, "local_area.png")
    assert not errors, f"browser console errors: {errors}"
    assert not elsewhere, f"requests to other sites: {elsewhere}"


def test_a_bookmarked_ward_link_opens_that_ward(map_url, page):
    from playwright.sync_api import expect

    base, codes = map_url
    open_page(page, base + "/")
    open_page(page, f"{base}/local-area?ward={codes['Flore']}&cat=vehicle%20crime")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Flore", exact=True)).to_be_visible()
    expect(main.get_by_text("vehicle crime", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect")).to_contain_text("Vehicle crime")


def near_pitsford(url: str) -> bool:
    """A basemap tile request at zoom 12 or closer whose tile is within a tile of Pitsford
    (52.305 N, 0.894 W): the county view never asks for one."""
    m = re.search(r"/basemap/tiles/(\d+)/(\d+)/(\d+)$", url)
    if not m or int(m.group(1)) < 12:
        return False
    z, x, y = (int(g) for g in m.groups())
    n = 2**z
    px = (-0.894 + 180) / 360 * n
    py = (1 - math.asinh(math.tan(math.radians(52.305))) / math.pi) / 2 * n
    return abs(x + 0.5 - px) <= 1.5 and abs(y + 0.5 - py) <= 1.5


def test_search_pitsford_zooms_the_map_and_opens_its_parish(map_url, page):
    """A resident types a village: the map goes there (the self-hosted basemap's close-up tiles
    of Pitsford are fetched only then) and its Local area page opens for the parish."""
    from playwright.sync_api import expect

    base, _ = map_url
    errors, elsewhere = watch(page, base)
    tiles: list[str] = []
    page.on("request", lambda req: tiles.append(req.url) if "/basemap/tiles/" in req.url else None)
    open_page(page, base + "/")
    with page.expect_request(lambda r: "/basemap/tiles/" in r.url, timeout=30_000):  # served by the app itself
        open_page(page, base + "/crime-map")
    expect(page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible()
    assert not any(near_pitsford(t) for t in tiles), "a close-up tile of Pitsford before any search"

    box = page.get_by_test_id("stTextInput").filter(has_text="Find a place").locator("input")
    box.fill("Pitsford")
    with page.expect_request(lambda r: near_pitsford(r.url), timeout=90_000):  # the map moves to Pitsford
        box.press("Enter")
    page.locator(APP_IDLE).wait_for()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Showing Pitsford (parish)")).to_be_visible()
    screenshot(page, "map_search_pitsford.png")

    page.get_by_test_id("stPageLink").get_by_role("link", name="Open the local area page for Pitsford (parish)").click()
    page.locator(APP_IDLE).wait_for()
    expect(main.get_by_role("heading", name="Pitsford", exact=True)).to_be_visible()
    expect(main.get_by_text(re.compile(r"parish code E04006901"))).to_be_visible()
    assert "parish=E04006901" in page.url, page.url
    expect(main.get_by_test_id("stDeckGlJsonChart").locator("canvas").first).to_be_visible()
    assert not errors, f"browser console errors: {errors}"
    assert not elsewhere, f"requests to other sites: {elsewhere}"


def test_on_a_phone_the_map_fits_the_screen(map_url, page):
    """At 390 px wide (a phone) the map is not cropped sideways and the filters stay reachable."""
    from playwright.sync_api import expect

    base, _ = map_url
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, base + "/")
    open_page(page, base + "/crime-map")
    deck = page.get_by_test_id("stDeckGlJsonChart")
    expect(deck.locator("canvas").first).to_be_visible()
    box = deck.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, box
    canvas = deck.locator("canvas").first.bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= 390 + 0.5, canvas
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"the page scrolls sideways ({overflow} px)"
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()  # the filters are one tap away
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_phone.png"))
