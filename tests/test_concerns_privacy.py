"""Privacy and safe downloads: no page an anonymous visitor can open, and no file any page lets
them download, contains the name, email, phone number or words of a submitted concern, or the
email of any account; and every CSV any page offers opens in a spreadsheet as plain values.

Every page in ``app.py``'s navigation is rendered under AppTest (new pages are picked up
automatically) with a ward chosen, over a database holding concerns with unmistakable personal
details, some linked to an action. Everything the page would send to the browser is scanned:
each element's protobuf (markdown, tables as Arrow bytes, charts and maps as JSON), and the
bytes of every download button, deferred ones included. A positive control renders the admins'
queue the same way and must find the same details, so the scan can see them.

The data carries hostile values where data reaches downloads (a ward name, crime locations, an
action's title and place, CR and tabs included): every CSV download (each page with a ward chosen,
and the Local area page of the hostile ward) is parsed and no cell, nor any line inside a cell,
starts like a formula, every row has the header's number of fields, and no carriage return is
left to break a row. A positive control checks the hostile text did reach the downloads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from actions_helpers import SYSTEM, patrol
from policeuk import row, write
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from tiny_county import RURAL_XY, write_tiny_county

from dashboard.actions import SIGNED_IN_KEY
from ruralaction.actions import add_action, open_database
from ruralaction.actions.users import add_user
from ruralaction.concerns import link_to_action, submit_concern, validate_concern
from ruralaction.permissions import Actor, Role

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = re.findall(r'st\.Page\(\s*"(dashboard/pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text("utf-8"))
ADMIN = "admin@pcc.example"
EDITOR = "ed.itor@partner.example"
#: A ward name, locations and an action's words that a spreadsheet would run.
HOSTILE_WARD = "=cmd|' /C calc'!A0"
HOSTILE_LOCATIONS = [
    "=cmd|' /C calc'!A0",
    'On or near Mill Lane\r=HYPERLINK("http://evil.example")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "On or near Farm\n+cmd|' /C calc'!A0",
]
HOSTILE_TITLE = "-2+3+cmd|' /C calc'!A0"
HOSTILE_PLACE = '\r\n=HYPERLINK("http://evil.example")'
TINY_WARDS = {"W1": "Brixworth", "W2": HOSTILE_WARD}
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
    ADMIN,
    EDITOR,
]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    write_tiny_county(root / "ours")
    wards_file = root / "ours" / "boundaries" / "wards" / "tiny_wards.geojson"
    wards = json.loads(wards_file.read_text("utf-8"))
    wards["features"][1]["properties"]["WD13NM"] = HOSTILE_WARD
    wards_file.write_text(json.dumps(wards), encoding="utf-8")
    hostile_rows = [row(f"h{i}", "2024-02", *RURAL_XY, location=loc) for i, loc in enumerate(HOSTILE_LOCATIONS)]
    hostile_rows.append(row("h9", "2024-02", "-0.85", "52.05", location="=1+1", crime_type="Robbery"))  # in W2
    write(root / "ours" / "police_uk" / "2024-02" / "2024-02-northamptonshire-street.csv", hostile_rows)
    engine = open_database(f"sqlite:///{root / 'actions.db'}")
    add_user(engine, SYSTEM, ADMIN, "admin", name="Ada Admin")
    add_user(engine, SYSTEM, EDITOR, "editor", partner="Police", name="Ed Itor")
    editor = Actor(email=EDITOR, role=Role.EDITOR, partner="Police", name="Ed Itor")
    add_action(
        engine,
        editor,
        patrol(title=HOSTILE_TITLE, wards=("W1",), place_name=HOSTILE_PLACE, completed_on=dt.date(2024, 2, 10)),
        TINY_WARDS,
    )
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
def downloads(monkeypatch) -> list[tuple]:
    """``(data, mimetype)`` of every download button drawn (deferred callables are run after the
    page)."""
    got: list = []
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def recording_add(self, path_or_data, mimetype, *args, **kwargs):
        if isinstance(path_or_data, (bytes, str)):
            got.append((path_or_data, mimetype))
        return add(self, path_or_data, mimetype, *args, **kwargs)

    def recording_deferred(self, data_callable, mimetype, *args, **kwargs):
        got.append((data_callable, mimetype))
        return add_deferred(self, data_callable, mimetype, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", recording_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_deferred)
    return got


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def _bytes(data) -> bytes:
    data = data() if callable(data) else data
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def sent_to_browser(at: AppTest, downloads: list) -> bytes:
    """Everything the rendered page holds: each element's protobuf, and each download's bytes."""
    parts = [n.proto.SerializeToString() for n in _nodes(at._tree) if getattr(n, "proto", None) is not None]
    parts += [_bytes(d) for d, _ in downloads]
    return b"\n".join(parts)


_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def unsafe_cells(data: bytes) -> list[str]:
    """Problems a spreadsheet would have with one CSV: formula cells (or lines inside a cell that
    start like one), rows with another number of fields than the header, carriage returns."""
    problems = ["a carriage return"] if b"\r" in data else []
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for n, fields in enumerate(rows):
        if len(fields) != len(rows[0]):
            problems.append(f"row {n} has {len(fields)} fields, the header {len(rows[0])}")
        for cell in fields:
            if _NUMBER.match(cell):
                continue
            problems += [f"row {n}: {line!r}" for line in cell.split("\n") if _FORMULA_START.match(line)]
    return problems


def test_the_tables_own_csv_export_is_off():
    """st.dataframe's built-in "Download as CSV" writes cells as typed (no formula guard)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["disableDataExport"] is True


def csv_downloads(downloads: list) -> list[bytes]:
    return [_bytes(d) for d, mime in downloads if mime == "text/csv"]


def test_the_csv_scan_sees_formulas_and_broken_rows():
    assert unsafe_cells(b"a,b\n=1+1,2\n") and unsafe_cells(b'a,b\n"x\n@SUM(1)",2\n')
    assert unsafe_cells(b"a,b\nx\r=1,2\n") and unsafe_cells(b"a,b\n1,2,3\n")
    assert unsafe_cells(b"a,b\n'=1+1,-0.5\n") == []


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


@pytest.mark.parametrize(("page_file", "ward"), [(p, "W1") for p in PAGES] + [("dashboard/pages/local_area.py", "W2")])
def test_no_page_or_download_shows_personal_details_or_a_formula_to_the_public(
    page_file, ward, data_root, monkeypatch, downloads
):
    at = render(data_root, page_file, monkeypatch, ward=ward)
    blob = sent_to_browser(at, downloads)
    assert len(blob) > 1000, "the page drew something"
    assert found(blob) == [], f"{page_file} shows personal details or an account's email"
    if page_file == "dashboard/pages/get_involved.py":  # the public view was really drawn, with its download
        assert b"Night patrols after outbuilding thefts" in blob and b"concern about burglary" in blob
        assert b"action_title" in blob  # the ward's "you said, we did" CSV was among the downloads
    files = csv_downloads(downloads)
    for data in files:
        assert unsafe_cells(data) == [], f"{page_file}: {data[:300]!r}"
    if page_file in ("dashboard/pages/map.py", "dashboard/pages/local_area.py", "dashboard/pages/actions.py"):
        assert files and b"cmd|" in b"".join(files), "the hostile text reached the page's CSV downloads"
    if page_file == "dashboard/pages/actions.py":
        headers = [next(csv.reader(io.StringIO(f.decode("utf-8-sig")))) for f in files]
        actions_csv = [h for h in headers if "reference" in h and "title" in h]
        assert actions_csv and "created_by" not in actions_csv[0] and "updated_by" not in actions_csv[0]


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
