"""End to end (#15 item 4): two app instances (two ``streamlit run app.py`` processes on free
ports) on one data directory both show a month added to the store, and its undo, without a
restart: each reads the ``current`` data version on every rerun.

One pair of servers for the module, on a data directory holding the real January 2024
police.uk file with the real boundaries and lookups (``../shared/data``). February is added
through the library as the Data page adds it (``Store.add_incidents`` with an admin); the
figures expected on the page are asked of the store, not written here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from test_e2e_browser import (  # noqa: F401  (fixtures used by pytest-playwright)
    APP_IDLE,
    browser_context_args,
    browser_type_launch_args,
    serve,
)

from ruralaction.incidents.store import Store, geography_folder_files
from ruralaction.measures import store_queries as sq
from ruralaction.permissions import Actor, Role

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
JANUARY, FEBRUARY = (SHARED / "police_uk" / f"2024-0{m}-northamptonshire-street.csv" for m in (1, 2))
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not FEBRUARY.is_file(), reason="../shared/data is not present"),
]


def headline(store: Store):
    """What the Overview's headline should say for the version shown now."""
    return sq.headline(sq.StoreView.of(store.versions.current_dir(), "ours"))


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    """The store and the base URLs of two app instances on it; both stopped at module end."""
    data = tmp_path_factory.mktemp("e2e_instances")
    store = Store(data)
    assert store.add_incidents([JANUARY], actor=ADMIN, geography=geography_folder_files(SHARED)).accepted
    logs = tmp_path_factory.mktemp("e2e_instances_log")
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(serve(logs / f"instance{i}.log", RURALACTION_DATA_DIR=str(data))) for i in (1, 2)]
        yield store, urls


def test_two_instances_show_a_month_added_and_undone_through_the_store_without_restart(instances, page):
    from playwright.sync_api import expect

    store, (one, two) = instances
    pages = {one: page, two: page.context.new_page()}

    def shows(p, h) -> None:
        """The Overview on ``p`` (loaded or reloaded) says what headline ``h`` says."""
        p.locator(APP_IDLE).wait_for(timeout=60_000)
        values = {
            label: p.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
            for label in ("Months covered", "Latest month", "Incidents loaded")
        }
        expect(values["Months covered"]).to_have_text(str(h.months))
        expect(values["Latest month"]).to_have_text(f"{h.latest_month:%b %Y}")
        expect(values["Incidents loaded"]).to_have_text(f"{h.incidents:,}")

    january = headline(store)
    for url, p in pages.items():  # one after the other: the first request also opens the database
        p.goto(url)
        shows(p, january)

    assert store.add_incidents([FEBRUARY], actor=ADMIN).accepted  # as instance 1's Data page would
    both = headline(store)
    assert both.months == january.months + 1 and both.incidents > january.incidents
    for p in (pages[two], pages[one]):  # instance 2 first: it had nothing to do with the change
        p.reload()
        shows(p, both)

    store.undo(ADMIN)  # instance 1 still holds a view of February's version: it stays readable
    assert headline(store) == january
    pages[two].reload()
    shows(pages[two], january)
    pages[one].reload()
    shows(pages[one], january)
