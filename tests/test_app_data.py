"""The Data page under AppTest: coverage for everyone; for a signed-in admin only the demo/ours
switch, uploads good and bad, deleting an upload and undo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from actions_helpers import SYSTEM, fast_hashing  # noqa: F401  (fixture)
from policeuk import csv_text, row
from streamlit.testing.v1 import AppTest

from dashboard import actions
from ruralaction.actions import add_user, open_database, sign_in
from ruralaction.actions.sessions import session_cookie
from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ADMIN_EMAIL, PASSWORD = "admin@pcc.example", "correct horse battery staple"
ADMIN = Actor(email=ADMIN_EMAIL, role=Role.ADMIN)


class DataPage:
    """The app at the Data page, with RURALACTION_DATA_DIR set for every run."""

    def __init__(self, root: Path, admin: bool = True):
        self.root = root
        self.mp = pytest.MonkeyPatch()
        self.mp.setenv("RURALACTION_DATA_DIR", str(root))
        self.mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root.parent / 'ra.db'}")
        self.engine = open_database()
        if admin:  # signed in as the sign-in page does: a session cookie the browser sends
            add_user(self.engine, SYSTEM, ADMIN_EMAIL, "admin", password=PASSWORD)
            token = sign_in(self.engine, ADMIN_EMAIL, PASSWORD, start=True).session_token
            cookie = session_cookie(actions.signer(), token)
            self.mp.setattr(actions, "_session_cookie", lambda: cookie)
        self.at = AppTest.from_file(APP, default_timeout=60).run()
        self.at.switch_page("dashboard/pages/data.py")

    def run(self) -> AppTest:
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self.at

    def submit(self, form_index: int, files) -> AppTest:
        self.at.file_uploader[form_index].set_value(files)
        self.at.button(
            key=f"FormSubmitter:{'data_add_incidents' if form_index == 0 else 'data_add_geography'}-Check and add"
        ).click()
        return self.run()

    def close(self):
        self.engine.dispose()
        self.mp.undo()


@pytest.fixture
def data_page(demo_dir, tmp_path, fast_hashing):  # noqa: F811
    root = tmp_path / "data"
    shutil.copytree(demo_dir, root / "demo")
    p = DataPage(root)
    yield p
    p.close()


def table(at, column):
    """The first table on the page with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def texts(at, kind):
    """The text of every element of a kind, with Markdown escapes removed."""
    return " ".join(e.value for e in getattr(at, kind)).replace("\\", "")


def test_shows_demo_coverage_and_freshness(data_page):
    at = data_page.run()
    assert "showing demo data" in texts(at, "warning").lower()
    m = {x.label: x.value for x in at.metric}
    assert m["Latest month"] == "Sep 2026" and m["Rows"].replace(",", "").isdigit()
    assert at.radio[0].value == "demo"
    assert at.get("plotly_chart")


def test_good_upload_is_added_and_can_be_switched_to(data_page):
    at = data_page.run()
    good = csv_text([row("a"), row("b", month="2024-13")]).encode()
    at = data_page.submit(0, [("2024-01-northamptonshire-street.csv", good, "text/csv")])
    assert "Added 1 file: 1 rows loaded, 1 rejected." in texts(at, "success")
    rejected = table(at, "reason")
    assert rejected.iloc[0]["line"] == 3 and "Month '2024-13'" in rejected.iloc[0]["reason"]
    assert Store(data_page.root).has_incidents("ours")
    at.button(key="data_switch_to_ours").click()
    at = data_page.run()
    assert Store(data_page.root).active() == "ours"
    assert "showing **our data**" in texts(at, "success")
    assert {x.label: x.value for x in at.metric}["Rows"] == "1"


def test_bad_upload_is_refused_and_keeps_the_old_data(data_page):
    store = Store(data_page.root)
    store.add_incidents([("old.csv", csv_text([row("keep")]).encode())], actor=ADMIN)
    version = store.version("ours")
    at = data_page.run()
    at = data_page.submit(
        0, [("notes.csv", b"name,age\nann,3\n", "text/csv"), ("photo.csv", b"\x89PNG\x00\x00", "text/csv")]
    )
    assert "Nothing was added" in texts(at, "error")
    problems = table(at, "problem")["problem"].tolist()
    assert any("notes.csv is not a police.uk street-level CSV" in p for p in problems)
    assert any("photo.csv is not a CSV text file" in p for p in problems)
    assert store.version("ours") == version


def test_geography_upload_good_and_bad(data_page):
    data_page.run()
    wards = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"WD13CD": "W1", "WD13NM": "Brixworth"},
                "geometry": {"type": "Polygon", "coordinates": [[[-1, 52], [-0.8, 52], [-0.8, 52.2], [-1, 52]]]},
            }
        ],
    }
    at = data_page.submit(
        1,
        [
            ("wards.geojson", json.dumps(wards).encode(), "application/geo+json"),
            ("junk.csv", b"a,b\n1,2\n", "text/csv"),
        ],
    )
    assert "Added ward file wards.geojson." in texts(at, "success")
    assert "junk.csv is not a rural-urban lookup" in texts(at, "error")
    ours = Store(data_page.root).path("ours")
    assert (ours / "boundaries" / "wards.geojson").is_file()
    assert not (ours / "ruc").exists()


def test_anonymous_visitors_see_coverage_and_freshness_but_no_controls(demo_dir, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(demo_dir, root / "demo")
    page = DataPage(root, admin=False)
    try:
        at = page.run()
        m = {x.label: x.value for x in at.metric}
        assert m["Latest month"] == "Sep 2026" and at.get("plotly_chart"), "coverage and freshness are public"
        assert "Only admins add, delete or switch the data" in texts(at, "info")
        controls = [*at.main.radio, *at.main.button, *at.main.get("file_uploader"), *at.main.get("form")]
        assert controls == [], [getattr(c, "key", c) for c in controls]
        assert "admin@" not in " ".join(str(e.value) for e in at.main.markdown)
    finally:
        page.close()


def test_an_upload_can_be_deleted_and_the_deletion_undone(data_page):
    data_page.run()
    good = csv_text([row("a"), row("b")]).encode()
    data_page.submit(0, [("2024-01-northamptonshire-street.csv", good, "text/csv")])
    store = Store(data_page.root)
    assert store.has_incidents("ours") and len(store.uploads()) == 1
    at = data_page.run()
    name = store.uploads()[0].name  # police_uk/<time>: shown as it is in a code span, no escaping backslashes
    assert any(m.value.startswith(f"`{name}` — ") for m in at.markdown), [m.value[:60] for m in at.markdown]
    at.button(key="data_delete_0").click()
    at = data_page.run()
    assert "Deleted police_uk/" in texts(at, "success") and not store.has_incidents("ours")
    at.button(key="data_undo").click()
    at = data_page.run()
    assert "Undone: " in texts(at, "success") and store.has_incidents("ours")
    log = table(at, "actor")
    assert log["action"].tolist()[:3] == ["undo", "delete an upload", "add incident files"]
    assert set(log["actor"][:3]) == {ADMIN_EMAIL}
