"""The evidence on the pages under AppTest, on the demo (three years, seasonal) and the tiny county:
unusual months, the calendar, rural and urban, the significant-hotspots layer, impact against
comparable wards, and the Monthly digest page end to end with a local SMTP server."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from actions_helpers import SYSTEM
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from test_digest import _body, _free_port, _Inbox, _token

from dashboard.actions import SIGNED_IN_KEY
from ruralaction.actions import open_database
from ruralaction.actions.users import add_user

APP = str(Path(__file__).resolve().parent.parent / "app.py")


class _V2PagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(scope="module", autouse=True)
def v2_pages():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test_module, "PagesManager", _V2PagesManager)
        yield


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture(scope="module")
def demo_app(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("evidence_app")
    shutil.copytree(demo_dir, root / "demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RURALACTION_DATA_DIR", str(root))
        mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'ra.db'}")
        at = AppTest.from_file(APP, default_timeout=180)
        _run(at)
        yield at


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption])


def test_overview_says_whether_the_month_is_unusual_and_shows_the_calendar(demo_app):
    at = demo_app
    at.switch_page("dashboard/pages/overview.py")
    _run(at)
    heads = [s.value for s in at.subheader]
    for h in ("Is this month unusual?", "Rural crime calendar: the typical year", "Rural and urban side by side"):
        assert h in heads
    text = _text(at)
    assert re.search(
        r"\*\*County\.\*\* September 2026\\: [\d,]+ rural crimes\\, (within|above|below) the expected range", text
    )
    assert "Poisson regression" in text and "peaks in" in text
    assert "LSOA population estimates on the Data page" in text  # no population file in the demo
    assert len(at.get("plotly_chart")) >= 4  # by month, expected range, calendar, rural and urban


def test_map_significant_hotspots_layer_and_words(demo_app):
    at = demo_app
    at.switch_page("dashboard/pages/map.py")
    _run(at)
    at.segmented_control(key="map_layer").set_value("significant")
    _run(at)
    layers = [lyr["id"] for lyr in json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]]
    text = _text(at)
    assert "What this shows" in text and re.search(r"false\\?-discovery\\?-rate", text) and "snap point" in text
    sig = re.search(r"(\d+) hexagons? (is a|are) significant hotspot", text)
    if sig:
        assert "significant-hotspots" in layers
        table = next(d.value for d in at.dataframe if "Gi* z" in d.value.columns)
        assert (table["Confidence (%)"] >= 90).all()
    else:
        assert "No cluster of neighbouring hexagons" in text
    at.segmented_control(key="map_layer").set_value("hotspots")
    _run(at)


def test_local_area_unusual_month_and_impact(demo_app, demo_dir):
    at = demo_app
    path = next((demo_dir / "boundaries").rglob("*.geojson"))
    code = json.loads(path.read_text())["features"][0]["properties"]["WD13CD"]
    at.switch_page("dashboard/pages/local_area.py")
    at.query_params.clear()
    at.query_params["ward"] = code
    _run(at)
    assert "Is this month unusual here?" in [s.value for s in at.subheader]
    assert re.search(r"September 2026\\: [\d,]+ rural crimes?", _text(at))
    at.query_params.clear()


def test_progress_rolls_up_actions_by_type(demo_app):
    at = demo_app
    at.switch_page("dashboard/pages/progress.py")
    _run(at)
    assert "Which kinds of action are followed by falls?" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "action_type" in d.value.columns and "measured" in d.value.columns)
    assert table["completed"].sum() > 0
    assert set(table["verdict"]) <= {
        "followed by falls beyond comparable wards",
        "followed by rises compared with comparable wards",
        "no evidence either way",
        "too few crimes to tell",
        "not measured",
    }
    assert "DerSimonian" in _text(at)


# --------------------------------------------------------------------------- the digest page


@pytest.fixture
def digest_app(tiny_dir, tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox, port = _Inbox(), _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    root = tmp_path / "data"
    shutil.copytree(tiny_dir, root / "ours")
    for k, v in {
        "RURALACTION_DATA_DIR": str(root),
        "RURALACTION_DB_URL": f"sqlite:///{tmp_path / 'ra.db'}",
        "RURALACTION_SMTP_HOST": "127.0.0.1",
        "RURALACTION_SMTP_PORT": str(port),
        "RURALACTION_SMTP_FROM": "digest@rural.example",
        "RURALACTION_SMTP_TLS": "none",
        "RURALACTION_PUBLIC_URL": "https://dash.example",
    }.items():
        monkeypatch.setenv(k, v)
    engine = open_database()
    at = AppTest.from_file(APP, default_timeout=60)
    _run(at)
    at.switch_page("dashboard/pages/digest.py")
    _run(at)
    yield at, inbox, engine
    ctl.stop()
    engine.dispose()


def test_digest_page_double_opt_in_and_unsubscribe(digest_app):
    at, inbox, engine = digest_app
    assert "Subscribers (admins only)" not in [s.value for s in at.subheader]
    assert [r.value for r in at.radio if r.key == "digest_kind"] == ["ward"]  # anonymous: wards only
    at.text_input(key="digest_email").set_value("ann@example.org")
    at.selectbox(key="digest_ward").set_value("W1")
    next(b for b in at.button if b.label == "Send me the confirmation link").click()
    _run(at)
    assert any("confirmation link for the **Brixworth** digest is on its way" in s.value for s in at.success)
    assert len(inbox.messages) == 1
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT status FROM digest_subscriptions")).scalar() == "pending"
    at.query_params["confirm"] = _token(_body(inbox.messages[0][1]), "confirm")
    _run(at)
    assert any("is confirmed" in s.value for s in at.success)
    assert "confirm" not in at.query_params
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT status FROM digest_subscriptions")).scalar() == "active"
    at.query_params["confirm"] = "made-up-token"
    _run(at)
    assert any("not valid or was already used" in e.value for e in at.error)
    # an admin sees the list with the address; nobody else does
    add_user(engine, SYSTEM, "admin@pcc.example", "admin", None, None)
    at.session_state[SIGNED_IN_KEY] = "admin@pcc.example"
    _run(at)
    assert "Subscribers (admins only)" in [s.value for s in at.subheader]
    admin_table = next(d.value for d in at.dataframe if "email" in d.value.columns)
    assert admin_table["email"].tolist() == ["ann@example.org"]
    del at.session_state[SIGNED_IN_KEY]
    _run(at)
    assert "ann@example.org" not in json.dumps([d.value.to_dict() for d in at.dataframe], default=str)


def test_digest_page_without_mail_settings_is_closed(tiny_dir, tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(tiny_dir, root / "ours")
    monkeypatch.setenv("RURALACTION_DATA_DIR", str(root))
    monkeypatch.setenv("RURALACTION_DB_URL", f"sqlite:///{tmp_path / 'ra.db'}")
    monkeypatch.setenv("RURALACTION_SECRETS", str(tmp_path / "none.toml"))
    for k in ("HOST", "FROM"):
        monkeypatch.delenv(f"RURALACTION_SMTP_{k}", raising=False)
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60)
    _run(at)
    at.switch_page("dashboard/pages/digest.py")
    _run(at)
    assert any("not set up on this dashboard yet" in i.value for i in at.info)
    assert "For the administrator" not in " ".join(i.value for i in at.info)  # no config detail to the public
