"""Links never crash a page: every page rendered with fuzzed query strings (hypothesis), and the
values a link gets wrong are noted above the page ("The link's last month '2019-13' was
ignored: …"), then tidied out of the address.

Links with filters are shared by email and pasted into parish newsletters; anything can arrive.
One AppTest per module on the demo (the data loads once); each example switches page, sets the
query string and runs the script.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from test_app_map import ward_codes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [
    "dashboard/pages/overview.py",
    "dashboard/pages/map.py",
    "dashboard/pages/local_area.py",
    "dashboard/pages/region.py",
    "dashboard/pages/actions.py",
    "dashboard/pages/get_involved.py",
    "dashboard/pages/progress.py",
    "dashboard/pages/present.py",
    "dashboard/pages/digest.py",
    "dashboard/pages/data.py",
]
#: Every key a page reads, and some no page reads (Streamlit's own ``embed`` among them).
KEYS = [
    "from",
    "to",
    "cat",
    "reason",
    "district",
    "ward",
    "period",
    "interval",
    "refresh",
    "slide",
    "paused",
    "present",
    "embed",
    "kind",
    "utm_source",
    "confirm",
    "unsubscribe",
]
HOSTILE = [
    "",
    " ",
    "2019-13",
    "2024-00",
    "1899-12",
    "9999-99",
    "2024-3",
    "-1",
    "0",
    "1e309",
    "NaN",
    "inf",
    "99999999999999999999999",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "'; DROP TABLE actions;--",
    "$x$",
    ":red[x]",
    "**bold**",
    "\x00",
    "\u202e",
    "a" * 3000,
    "../../etc/passwd",
    "burglary,robbery,arson",
    "2024-25",
    "2024-26",
    "rolling-2024-03",
    "cy-2024",
    "map",
    "scorecard",
    "1",
    "true",
    "Daventry",
]


class _V2PagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(scope="module")
def app(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("links")
    shutil.copytree(demo_dir, root / "demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test_module, "PagesManager", _V2PagesManager)
        mp.setenv("RURALACTION_DATA_DIR", str(root))
        mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'links.db'}")
        at = AppTest.from_file(APP, default_timeout=90)
        at.run()
        assert not at.exception
        yield at


def months() -> st.SearchStrategy[str]:
    return st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1800, 2300), st.integers(0, 13))


def values() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE), months(), st.text(max_size=40), st.integers().map(str))


#: A query as a dict (a key may repeat), or as a raw query string parsed the way the server does.
queries = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), st.one_of(values(), st.lists(values(), min_size=1, max_size=3)), max_size=6),
    st.text(max_size=120).map(lambda raw: parse_qs(raw, keep_blank_values=True)),
)


def render(at: AppTest, page: str, query: dict) -> AppTest:
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(query)
    at.run()
    return at


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(query=queries)
@example(query={"to": "2019-13", "ward": "<img src=x onerror=alert(1)>", "cat": "arson", "reason": "all"})
@example(query={"period": ["2024-25", "<b>x</b>"], "interval": "1e309", "slide": "\x00", "paused": "maybe"})
@example(query={"from": "2030-01", "to": "1900-01", "district": "Nowhere", "present": "1"})
def test_every_page_survives_any_link(app, page, query):
    at = render(app, page, query)
    assert not at.exception, (page, query, [e.message for e in at.exception])
    unexpected = [e.value for e in at.error if "unexpected" in e.value]
    assert not unexpected, (page, query, unexpected)


def notes(at: AppTest) -> list[str]:
    return [text for i in at.info if "The link's" in (text := unescape(i.value))]


def test_a_links_bad_values_are_noted_once_and_tidied_away(app, demo_dir):
    code = ward_codes(demo_dir)["Brixworth"]
    at = render(
        app, "dashboard/pages/map.py", {"to": "2019-13", "ward": "<img src=x onerror=alert(1)>", "cat": "arson"}
    )
    shown = notes(at)
    assert len(shown) == 1
    assert "- The link's last month '2019-13' was ignored: months are written YYYY-MM, e.g. 2024-03." in shown[0]
    assert "- The link's category 'arson' was ignored: the rural-crime definition has no such category." in shown[0]
    assert "- The link's ward '<img src=x onerror=alert(1)>' was ignored: no loaded ward has that code." in shown[0]
    assert at.query_params == {} or all(k not in at.query_params for k in ("to", "ward", "cat"))
    at.run()
    assert notes(at) == [], "the note goes once the address is tidied"

    at = render(app, "dashboard/pages/local_area.py", {"ward": code, "from": "1990-01"})
    assert at.title[0].value == "Brixworth"
    assert any("The link's first month '1990-01' is outside the months loaded" in n for n in notes(at))

    at = render(app, "dashboard/pages/progress.py", {"period": "2019-13", "ward": "E99999999"})
    shown = " ".join(notes(at))
    assert "The link's period '2019-13' was ignored: '2019-13' is not a financial year: write it as 2019-20." in shown
    assert "The link's ward 'E99999999' was ignored: no loaded ward has that code." in shown

    at = render(app, "dashboard/pages/present.py", {"interval": "soon", "refresh": "1", "slide": "nope"})
    shown = " ".join(notes(at))
    assert "The link's interval 'soon' was ignored: it is a number of seconds, so 20 is used." in shown
    assert "The link's refresh '1' is outside 2 to 600 seconds, so 2 is used." in shown
    assert "The link's slide 'nope' was ignored: it is one of map, trend, scorecard, actions." in shown
