"""Privacy: no page an anonymous visitor can open, and no file any page lets them download,
contains the name, email, phone number or words of a submitted concern.

Every page in ``app.py``'s navigation is rendered under AppTest (new pages are picked up
automatically) with a ward chosen, over a database holding concerns with unmistakable personal
details, some linked to an action. Everything the page would send to the browser is scanned:
each element's protobuf (markdown, tables as Arrow bytes, charts and maps as JSON), and the
bytes of every download button, deferred ones included. A positive control renders the admins'
queue the same way and must find the same details, so the scan can see them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from actions_helpers import SYSTEM, patrol
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from tiny_county import write_tiny_county

from dashboard.actions import SIGNED_IN_KEY
from ruralaction.actions import add_action, open_database
from ruralaction.actions.users import add_user
from ruralaction.concerns import link_to_action, submit_concern, validate_concern

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = re.findall(r'st\.Page\(\s*"(dashboard/pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text("utf-8"))
ADMIN = "admin@pcc.example"
TINY_WARDS = {"W1": "Brixworth", "W2": "Castle"}
PEOPLE = [
    {
        "name": "Zebedee Quillfeather",
        "email": "zebedee.quill@privacy.example",
        "phone": "07700 900987",
        "place": "Brixworth",
        "description": "Xylophonic tractor theft behind Quillfeather barn",
        "category": "burglary",
    },
    {
        "name": "Ottoline Vantablack",
        "email": "",
        "phone": "+44 1604 555 321",
        "ward_code": "W2",
        "description": "Fly-tipping noted by Vantablack at the gateway",
        "category": "fly-tipping",
    },
]
#: What must never reach an anonymous visitor, in every form it could take.
SECRETS = [
    "Zebedee",
    "Quillfeather",
    "zebedee.quill@privacy.example",
    "zebedee.quill",
    "07700 900987",
    "07700900987",
    "Ottoline",
    "Vantablack",
    "441604555321",
    "1604 555 321",
    "Xylophonic",
]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    write_tiny_county(root / "ours")
    engine = open_database(f"sqlite:///{root / 'actions.db'}")
    add_user(engine, SYSTEM, ADMIN, "admin", name="Ada Admin")
    action = add_action(
        engine,
        SYSTEM,
        patrol(
            title="Night patrols after outbuilding thefts",
            wards=("W1",),
            completed_on=dt.date(2024, 3, 20),
            latitude=52.05,
            longitude=-0.95,
        ),
        TINY_WARDS,
    )
    for person in PEOPLE:
        form = {"ward_code": "" if "place" in person else "W1", "consent": True, **person}
        clean, errors = validate_concern(form, TINY_WARDS)
        assert not errors, errors
        done = submit_concern(engine, clean, now=dt.datetime(2024, 3, 2, tzinfo=dt.UTC))
        if person["category"] == "burglary":
            link_to_action(engine, SYSTEM, done.id, action.id)
    engine.dispose()
    return root


@pytest.fixture
def downloads(monkeypatch) -> list[bytes]:
    """The bytes of every download button drawn (deferred callables are run after the page)."""
    got: list = []
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def recording_add(self, path_or_data, *args, **kwargs):
        if isinstance(path_or_data, (bytes, str)):
            got.append(path_or_data)
        return add(self, path_or_data, *args, **kwargs)

    def recording_deferred(self, data_callable, *args, **kwargs):
        got.append(data_callable)
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", recording_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_deferred)
    return got


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def sent_to_browser(at: AppTest, downloads: list) -> bytes:
    """Everything the rendered page holds: each element's protobuf, and each download's bytes."""
    parts = [n.proto.SerializeToString() for n in _nodes(at._tree) if getattr(n, "proto", None) is not None]
    for d in downloads:
        data = d() if callable(d) else d
        parts.append(data.encode("utf-8") if isinstance(data, str) else bytes(data))
    return b"\n".join(parts)


def render(root: Path, page_file: str, monkeypatch, admin: bool = False, **query) -> AppTest:
    monkeypatch.setenv("RURALACTION_DATA_DIR", str(root))
    monkeypatch.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'actions.db'}")
    at = AppTest.from_file(APP, default_timeout=60)
    if admin:
        at.session_state[SIGNED_IN_KEY] = ADMIN
        at.session_state["get_involved_show_all"] = True  # every concern, not only the new ones
    at.run()  # the first run sets the app up; query parameters then apply like a link's
    at.switch_page(page_file)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def found(blob: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode("utf-8") in blob]


def test_every_page_of_the_navigation_is_checked():
    assert {
        "dashboard/pages/overview.py",
        "dashboard/pages/map.py",
        "dashboard/pages/local_area.py",
        "dashboard/pages/actions.py",
        "dashboard/pages/data.py",
        "dashboard/pages/get_involved.py",
    } <= set(PAGES)


@pytest.mark.parametrize("page_file", PAGES)
def test_no_page_or_download_shows_a_residents_personal_details_to_the_public(
    page_file, data_root, monkeypatch, downloads
):
    at = render(data_root, page_file, monkeypatch, ward="W1")
    blob = sent_to_browser(at, downloads)
    assert len(blob) > 1000, "the page drew something"
    assert found(blob) == [], f"{page_file} shows personal details"
    if page_file == "dashboard/pages/get_involved.py":  # the public view was really drawn, with its download
        assert b"Night patrols after outbuilding thefts" in blob and b"concern about burglary" in blob
        assert b"action_title" in blob  # the ward's "you said, we did" CSV was among the downloads


def test_the_scan_finds_personal_details_where_admins_see_them(data_root, monkeypatch, downloads):
    """Positive control: the admins' queue holds every detail, and the same scan sees them."""
    at = render(data_root, "dashboard/pages/get_involved.py", monkeypatch, admin=True)
    assert "Review concerns" in [t.label for t in at.tabs]
    assert set(found(sent_to_browser(at, downloads))) >= {
        "Zebedee",
        "Quillfeather",
        "zebedee.quill@privacy.example",
        "07700900987",
        "Ottoline",
        "441604555321",
        "Xylophonic",
    }
