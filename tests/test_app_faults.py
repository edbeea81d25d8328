"""Breaking things on purpose under AppTest: every page with PostgreSQL stopped mid-run (and back
again), a wrong database password, a disk full at a database write and at a data change, and
broken configuration files. After each, every page says what is wrong in one sentence, shows
what still works, and never raises.

The PostgreSQL here is a cluster of this module's own (``pg_cluster.py``): the shared test
server must stay up for the other tests.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from actions_helpers import SYSTEM, fast_hashing  # noqa: F401  (fixture)
from conftest import _in_ci
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from test_app_map import ward_codes

from dashboard.state import DEMO_LABEL
from ruralaction.definition import DEFAULT_DEFINITION

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = {
    "Overview": "dashboard/pages/overview.py",
    "Map": "dashboard/pages/map.py",
    "Local area": "dashboard/pages/local_area.py",
    "Region": "dashboard/pages/region.py",
    "Actions": "dashboard/pages/actions.py",
    "Get involved": "dashboard/pages/get_involved.py",
    "Progress": "dashboard/pages/progress.py",
    "Present": "dashboard/pages/present.py",
    "Data": "dashboard/pages/data.py",
}
#: Pages that read partners' actions or residents' concerns from the database.
DB_PAGES = {"Map", "Local area", "Actions", "Get involved", "Progress", "Present"}


class _V2PagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False  # as after the first st.navigation of a real server


@pytest.fixture(scope="module", autouse=True)
def v2_pages():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test_module, "PagesManager", _V2PagesManager)
        yield


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class App:
    def __init__(self, root: Path, mp: pytest.MonkeyPatch, **env: str):
        mp.setenv("RURALACTION_DATA_DIR", str(root))
        for k, v in env.items():
            mp.setenv(k, v)
        self.at = AppTest.from_file(APP, default_timeout=90)
        self.at.run()

    def visit(self, page: str, **query) -> AppTest:
        self.at.switch_page(PAGES[page])
        self.at.query_params.clear()
        self.at.query_params.update(query)
        self.at.run()
        assert not self.at.exception, (page, [e.message for e in self.at.exception])
        return self.at

    def said(self) -> list[str]:
        """Every error and warning on the page, as a reader sees it (the demo label aside)."""
        return [unescape(e.value) for e in (*self.at.error, *self.at.warning) if DEMO_LABEL not in e.value]


@pytest.fixture(scope="module")
def demo_root(demo_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults_demo")
    shutil.copytree(demo_dir, root / "demo")
    return root


@pytest.fixture(scope="module")
def cluster():
    from pg_cluster import Cluster, pg_bin

    if pg_bin() is None:
        reason = "PostgreSQL's server binaries are missing (Debian package 'postgresql')"
        if _in_ci():
            pytest.fail(f"Cannot run under CI=true: {reason}.", pytrace=False)
        pytest.skip(reason)
    c = Cluster()
    yield c
    c.remove()


def test_postgresql_stopped_mid_run_every_page_says_so_in_one_sentence_and_recovers(cluster, demo_root, demo_dir):
    ward = ward_codes(demo_dir)["Brixworth"]
    query = {"Local area": {"ward": ward}}
    with pytest.MonkeyPatch.context() as mp:
        app = App(demo_root, mp, RURALACTION_DB_URL=cluster.url)
        for page in PAGES:  # all well: the demo actions are seeded into PostgreSQL
            app.visit(page, **query.get(page, {}))
            assert not app.said() or page in ("Overview", "Data"), (page, app.said())
        assert app.at.title[0].value == "Data"

        cluster.stop()
        try:
            for page in PAGES:
                app.visit(page, **query.get(page, {}))
                said = [s for s in app.said() if "The database is not answering" in s]
                if page in DB_PAGES:
                    assert len(said) == 1, (page, app.said())
                    assert f"PostgreSQL at 127.0.0.1, port {cluster.port}: " in said[0]
                    assert cluster.password not in " ".join(app.said())
                else:
                    assert said == [], (page, app.said())  # it needs no database: all of it still works
            # What still works is on the page, not only the fault.
            app.visit("Map")
            assert any(m.label == "Rural crimes shown" for m in app.at.metric), "the crime map still works"
            assert "Partners' actions on the map cannot be shown just now" in app.said()[-1]
            app.visit("Local area", ward=ward)
            assert app.at.title[0].value == "Brixworth" and app.at.get("download_button"), "downloads still work"
            app.visit("Progress")
            assert any("Crime figures, maps and downloads still work" in unescape(c.value) for c in app.at.caption)
        finally:
            cluster.start()

        at = app.visit("Actions")  # back without restarting the app
        assert not app.said() and len(at.dataframe[0].value) > 0


def test_a_wrong_database_password_is_said_without_the_password(cluster, demo_root):
    wrong = sa.engine.make_url(cluster.url).set(password="not-the-password").render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as mp:
        app = App(demo_root, mp, RURALACTION_DB_URL=wrong)
        for page in ("Actions", "Get involved", "Progress"):
            app.visit(page)
            text = " ".join(app.said())
            assert "The database refused the app's sign-in" in text, (page, text)
            assert "not-the-password" not in text and "OperationalError" not in text


def _inject_at_writes(engine, exc: BaseException):
    """Every INSERT/UPDATE on ``engine`` fails with ``exc``, as at a full disk."""

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise exc

    sa.event.listen(engine, "before_cursor_execute", before)
    return lambda: sa.event.remove(engine, "before_cursor_execute", before)


def test_disk_full_at_a_database_write_saves_nothing_and_says_so(tmp_path):
    """A resident's concern when SQLite says "database or disk is full", and a partner's action
    when the write fails with ENOSPC: one sentence each, nothing half-saved, the answers kept."""
    from test_app_actions import PASSWORD, ActionsPage
    from test_app_get_involved import GetInvolved, good
    from tiny_county import write_tiny_county

    from dashboard import actions as dash_actions
    from ruralaction.actions import list_actions
    from ruralaction.actions.users import add_user

    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    with pytest.MonkeyPatch.context() as mp:
        gi = GetInvolved(root, mp)
        gi.run()
        full = sqlite3.OperationalError("database or disk is full")
        undo = _inject_at_writes(dash_actions.engine(), full)
        try:
            gi.fill(**good())
            at = gi.send()
        finally:
            undo()
        assert gi.stored() == 0
        sentence = "The server's disk is full, so nothing was saved to the database."
        assert [e for e in gi.at.error if sentence in unescape(e.value)], [e.value for e in gi.at.error]
        assert at.text_input(key="get_involved_name").value == "Sam Farmer", "the answers are kept"
        gi.engine.dispose()

    page = ActionsPage(root)
    try:
        add_user(page.engine, SYSTEM, "pc@police.example", "editor", "Police", password=PASSWORD)
        page.run()
        page.sign_in("pc@police.example")
        at = page.at
        at.text_input(key="actions_add_title").set_value("Farm watch meeting")
        at.multiselect(key="actions_add_wards").set_value(["W1"])
        at.selectbox(key="actions_add_type").set_value("Community meeting")
        undo = _inject_at_writes(dash_actions.engine(), OSError(errno.ENOSPC, "No space left on device"))
        try:
            at.button(key="FormSubmitter:actions_add-Add action").click()
            page.run()
        finally:
            undo()
        shown = [unescape(e.value) for e in at.error]
        assert shown == ["The server's disk is full, so nothing was saved."], shown
        assert list_actions(page.engine).empty
        assert at.text_input(key="actions_add_title").value == "Farm watch meeting", "what was typed is kept"
    finally:
        page.close()


def test_disk_full_when_switching_the_dataset_is_one_sentence(demo_root, monkeypatch):
    from dashboard import actions
    from ruralaction.incidents.store import Store
    from ruralaction.permissions import Actor, Role

    def full(self, dataset, *, actor):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.root / "settings.json"))

    monkeypatch.setattr(Store, "set_active", full)
    # An admin (the switch is theirs only; signing in for real is tested in test_app_data).
    monkeypatch.setattr(actions, "actor", lambda: Actor(email="admin@pcc.example", role=Role.ADMIN))
    with pytest.MonkeyPatch.context() as mp:
        app = App(demo_root, mp, RURALACTION_DB_URL=f"sqlite:///{demo_root / 'switch.db'}")
        at = app.visit("Data")
        assert Store(demo_root).active() == "demo"
        radio = next(r for r in at.radio if r.key and r.key.startswith("data_active_"))
        radio.set_value("ours")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        said = app.said()
        assert any("The server's disk is full (settings.json), so nothing was saved." in s for s in said), said


@pytest.mark.parametrize(
    ("env", "old", "new", "broken_pages", "words"),
    [
        (
            "RURALACTION_DEFINITION",
            'classes = ["D1", "D2", "E1", "E2", "F1", "F2"]',
            "classes = 5",
            set(PAGES),
            "rural.classes should be a valid list, not 5.",
        ),
        (
            "RURALACTION_DEFINITION",
            'baseline_period = "2024-25"',
            "baseline_period = 2024",
            {"Progress", "Present"},
            "progress.baseline_period should be a valid string, not 2024.",
        ),
        # The demo's actions are made from the vocabulary, so every page that shows actions needs it.
        (
            "RURALACTION_ACTIONS_VOCABULARY",
            '"Patrol",',
            "7,",
            {"Actions", "Map", "Progress"},
            "action_types[0] should be a valid string",
        ),
    ],
    ids=["definition", "progress", "vocabulary"],
)
def test_a_broken_configuration_file_is_named_with_its_line_on_the_pages_that_need_it(
    demo_root, tmp_path, env, old, new, broken_pages, words
):
    from ruralaction.actions.vocab import DEFAULT_VOCABULARY

    source = DEFAULT_DEFINITION if env == "RURALACTION_DEFINITION" else DEFAULT_VOCABULARY
    text = source.read_text("utf-8")
    assert old in text
    bad = tmp_path / source.name
    bad.write_text(text.replace(old, new, 1), "utf-8")
    line = next(i for i, t in enumerate(bad.read_text("utf-8").splitlines(), 1) if new in t)
    root = tmp_path / "data"
    from ruralaction.incidents.store import Store

    # demo_root is versioned once an earlier test has run the app on it: copy the demo it shows
    shutil.copytree(Store(demo_root).path("demo"), root / "demo")
    with pytest.MonkeyPatch.context() as mp:
        app = App(root, mp, **{env: str(bad), "RURALACTION_DB_URL": f"sqlite:///{root / 'cfg.db'}"})
        for page in PAGES:
            app.visit(page)
            said = [s for s in app.said() if words in s]
            if page in broken_pages:
                assert len(said) == 1 and f"{bad.name}, line {line}: " in said[0], (page, app.said())
            elif page in ("Overview", "Data") or env != "RURALACTION_ACTIONS_VOCABULARY":
                assert said == [], (page, app.said())
            else:  # a page that shows actions only in some states (a ward chosen, demo actions seeded)
                assert len(said) <= 1, (page, app.said())
    os.utime(bad)  # (a later test may reuse the path; the vocabulary cache keys on mtime)
