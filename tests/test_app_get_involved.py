"""The Get involved page under AppTest: the form (messages beside each field, nothing stored
until valid, a reference when stored, typed markup shown as text), the rate limits, "you said,
we did" for a ward, and the admins' queue (hidden from everyone else)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from actions_helpers import SYSTEM, patrol
from streamlit.testing.v1 import AppTest
from tiny_county import write_tiny_county

from dashboard.actions import SIGNED_IN_KEY
from ruralaction.actions import add_action, open_database
from ruralaction.actions.models import Concern
from ruralaction.actions.users import add_user
from ruralaction.concerns import list_concerns, submit_concern, validate_concern

APP = str(Path(__file__).resolve().parent.parent / "app.py")
K = "get_involved_"
ADMIN = "admin@pcc.example"
TINY_WARDS = {"W1": "Brixworth", "W2": "Castle"}
PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)> **bold** $x$ :red[red] rubbish"


class GetInvolved:
    """The app at the Get involved page, with its own data directory and database."""

    def __init__(self, root: Path, mp: pytest.MonkeyPatch):
        mp.setenv("RURALACTION_DATA_DIR", str(root))
        mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'actions.db'}")
        self.engine = open_database()
        self.at = AppTest.from_file(APP, default_timeout=60).run()  # pages with a url_path are known after a run
        self.at.switch_page("dashboard/pages/get_involved.py")

    def run(self) -> AppTest:
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self.at

    def fill(self, **values) -> AppTest:
        """Set form fields (name, email, phone, ward_code, place, category, description, consent)."""
        at = self.at
        for field, value in values.items():
            if field in ("ward_code", "category"):
                at.selectbox(key=K + field).set_value(value)
            elif field == "description":
                at.text_area(key=K + field).set_value(value)
            elif field == "consent":
                at.checkbox(key=K + field).set_value(value)
            else:
                at.text_input(key=K + field).set_value(value)
        return self.run()

    def send(self) -> AppTest:
        self.at.button(key=K + "send").click()
        return self.run()

    def messages(self) -> list[str]:
        """The red messages beside the fields, as a reader sees them."""
        return [
            unescape(m.value.removeprefix(":red[:material/error: ").removesuffix("]"))
            for m in self.at.markdown
            if m.value.startswith(":red[")
        ]

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(Concern)).scalar_one()


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def good() -> dict:
    return {
        "name": "Sam Farmer",
        "email": "sam@example.org",
        "ward_code": "W1",
        "category": "fly-tipping",
        "description": "Rubbish dumped in the field gateway on Back Lane.",
        "consent": True,
    }


@pytest.fixture
def gi(tmp_path, monkeypatch):
    root = tmp_path / "data"
    write_tiny_county(root / "ours")
    p = GetInvolved(root, monkeypatch)
    yield p
    p.engine.dispose()


def test_an_empty_form_shows_a_message_beside_every_required_field_and_stores_nothing(gi):
    at = gi.run()
    assert at.title[0].value == "Get involved"
    assert [t.label for t in at.tabs] == ["Raise a concern", "You said, we did"]  # no admin tab
    assert at.text_input(key=K + "name").label == "Your name *"
    # safe reporting above the form: 999, 101, the force's online reporting (from the definition)
    texts = [unescape(m.value) for m in at.markdown]
    first_field = texts.index("Fields marked * are required.")
    safe = next(i for i, t in enumerate(texts) if "Not for emergencies" in t)
    assert safe < first_field and "call 999" in texts[safe] and "call 101" in texts[safe]
    assert "report it online to Northamptonshire Police" in texts[safe]
    assert "[Report a crime online](https://www.northants.police.uk/ro/report/)" in texts[safe]
    assert any("This form is for worries about rural crime" in unescape(c.value) for c in at.caption)
    consent = at.checkbox(key=K + "consent").label
    assert "what you wrote is replaced by its category" in consent and "reduced to the ward" in consent
    at = gi.send()
    assert gi.messages() == [
        "Tell us your name.",
        "Give an email address or a phone number (at least one), so we can reply.",
        "Choose your parish or ward, or type the name of your village or town.",
        "Choose what the concern is about.",
        "Describe the concern.",
        "Tick the box to agree that we may contact you about this concern.",
    ]
    assert "6 things to fix" in at.error[0].value
    assert gi.stored() == 0


def test_a_bad_field_is_reported_and_the_rest_is_kept_for_correcting(gi):
    gi.run()
    gi.fill(**{**good(), "email": "sam@example", "phone": "12"})
    gi.send()
    assert gi.messages() == [
        "That is not a valid email address; it should look like name@example.org.",
        "That is not a phone number we can ring: a UK number is 0 and 9 or 10 more digits.",
    ]
    assert gi.stored() == 0
    assert gi.at.text_input(key=K + "name").value == "Sam Farmer"  # nothing typed is lost
    gi.fill(email="sam@example.org", phone="")
    at = gi.send()
    assert gi.messages() == [] and gi.stored() == 1
    assert "Your reference is **RA\\-" in at.success[0].value


def test_a_valid_concern_is_stored_confirmed_with_its_reference_and_the_form_cleared(gi):
    gi.run()
    gi.fill(**{**good(), "name": "<b>Sam</b>", "description": PAYLOAD})
    at = gi.send()
    stored = list_concerns(gi.engine, SYSTEM)
    assert len(stored) == 1
    ref = stored["reference"].iloc[0]
    assert re.fullmatch(r"RA-\d{4}-\d{6}", ref)
    assert unescape(at.success[0].value).startswith(
        f"**Thank you: your concern is recorded.** Your reference is **{ref}** (Fly-tipping, Brixworth)"
    )
    assert stored["description"].iloc[0] == PAYLOAD and stored["name"].iloc[0] == "<b>Sam</b>"  # stored as typed
    assert at.text_input(key=K + "name").value == "" and at.checkbox(key=K + "consent").value is False
    assert at.error == []


def test_a_typed_village_is_matched_to_its_ward_as_you_type(gi):
    gi.run()
    at = gi.fill(place="brixworth village")
    assert any("'brixworth village' is in Brixworth." in unescape(c.value) for c in at.caption)
    at = gi.fill(place="Atlantis")
    assert any("No ward matches 'Atlantis'" in unescape(c.value) for c in at.caption)
    gi.fill(**{k: v for k, v in good().items() if k != "ward_code"}, place="Castel")
    gi.send()
    assert list_concerns(gi.engine, SYSTEM)["ward_name"].tolist() == ["Castle"]


def test_one_session_cannot_send_concern_after_concern(gi):
    gi.run()
    gi.fill(**good())
    gi.send()
    gi.fill(**good())
    at = gi.send()
    assert gi.stored() == 1
    assert "You have sent several concerns just now. Please wait 20 seconds" in unescape(at.error[0].value)
    assert at.text_input(key=K + "name").value == "Sam Farmer"  # kept for later


def test_the_hidden_honeypot_field_stops_a_script_that_fills_every_box(gi):
    at = gi.run()
    assert any(f".st-key-{K}website{{display:none" in h.proto.body for h in at.get("html"))  # hidden from people
    gi.fill(**good(), website="http://spam.example")
    at = gi.send()
    assert gi.stored() == 0 and unescape(at.error[0].value) == "This concern could not be accepted."
    gi.fill(website="")  # a person (who never sees the box) sends the same concern
    gi.send()
    assert gi.stored() == 1


def test_a_burst_is_refused_at_once_without_losing_what_was_typed(gi, monkeypatch):
    monkeypatch.setenv("RURALACTION_CONCERN_BURST", "1")
    gi.run()
    gi.fill(**good())
    gi.send()
    other = AppTest.from_file(APP, default_timeout=60).run()  # a second visitor, another session
    other.switch_page("dashboard/pages/get_involved.py")
    gi.at = other
    gi.run()
    gi.fill(**good())
    at = gi.send()
    assert gi.stored() == 1
    assert "Many concerns are arriving at once. Please try again in" in unescape(at.error[0].value)
    assert at.text_input(key=K + "name").value == "Sam Farmer"


def test_you_said_we_did_for_a_ward(gi):
    clean, _ = validate_concern({**good(), "email": "jo@example.org", "name": "Jo Walker"}, TINY_WARDS)
    done = submit_concern(gi.engine, clean, now=dt.datetime(2026, 2, 3, tzinfo=dt.UTC))
    action = add_action(
        gi.engine,
        SYSTEM,
        patrol(
            title="Fly-tipping clear-up",
            wards=("W1",),
            issue="Fly-tipping",
            action_type="Clean-up",
            completed_on=dt.date(2026, 2, 20),
            lead_partner="District or unitary council",
        ),
        TINY_WARDS,
    )
    add_user(gi.engine, SYSTEM, ADMIN, "admin")
    from ruralaction.concerns import link_to_action

    link_to_action(gi.engine, SYSTEM, done.id, action.id)
    at = gi.run()
    assert {m.label: m.value for m in at.metric}["Concerns raised"] == "1"
    assert at.dataframe[0].value[["ward_name", "concerns", "actioned"]].values.tolist() == [["Brixworth", 1, 1]]
    at.selectbox(key=K + "said_ward").set_value("W1")
    at = gi.run()
    assert at.query_params == {"ward": "W1"}  # the ward's view has its own address
    text = unescape("\n".join(m.value for m in at.markdown))
    assert "**You said:** 1 concern about fly-tipping, Feb 2026" in text
    assert "- Fly-tipping clear-up — District or unitary council, completed 20 Feb 2026" in text
    assert "Jo Walker" not in text and "jo@example.org" not in text


def test_admins_review_the_queue_and_link_an_action_others_never_see_it(gi):
    add_user(gi.engine, SYSTEM, ADMIN, "admin")
    add_user(gi.engine, SYSTEM, "pc@police.example", "editor", "Police")
    clean, _ = validate_concern({**good(), "description": PAYLOAD, "phone": "07700 900123"}, TINY_WARDS)
    done = submit_concern(gi.engine, clean)
    action = add_action(
        gi.engine,
        SYSTEM,
        patrol(
            title="Fly-tipping clear-up",
            wards=("W1",),
            issue="Fly-tipping",
            action_type="Clean-up",
            lead_partner="District or unitary council",
        ),
        TINY_WARDS,
    )
    gi.at.session_state[SIGNED_IN_KEY] = "pc@police.example"  # an editor: no queue
    at = gi.run()
    assert "Review concerns" not in [t.label for t in at.tabs]
    assert "Sam Farmer" not in str([m.value for m in at.markdown])

    gi.at.session_state[SIGNED_IN_KEY] = ADMIN
    at = gi.run()
    assert [t.label for t in at.tabs][-1] == "Review concerns"
    queue = at.dataframe[-1].value
    assert queue[["reference", "name", "email", "phone"]].values.tolist() == [
        [done.reference, "Sam Farmer", "sam@example.org", "07700900123"]
    ]
    at.selectbox(key=K + "open").set_value(done.id)
    at = gi.run()
    shown = "\n".join(m.value for m in at.markdown)
    assert app_md(PAYLOAD) in shown  # the description is escaped, not rendered
    at.selectbox(key=K + f"link_{done.id}").set_value(action.id)
    at = gi.run()
    at.button(key=K + f"link_go_{done.id}").click()
    at = gi.run()
    assert f"Linked action {action.id} to {done.reference}." in unescape(at.success[-1].value)
    assert list_concerns(gi.engine, SYSTEM)["status"].tolist() == ["actioned"]
    assert "The queue is empty" in at.info[-1].value


def app_md(text: str) -> str:
    from dashboard.state import md

    return md(text)


def test_a_spot_marked_on_the_map_is_stored_and_forgotten_when_the_ward_changes(gi):
    gi.run()
    gi.fill(**good())
    assert len(gi.at.get("deck_gl_json_chart")) == 1  # the ward's map, to click a spot on
    # a click on a dot sets these (AppTest cannot click inside the map)
    gi.at.session_state[K + "lat"], gi.at.session_state[K + "lon"] = 52.051, -0.953
    gi.at.session_state[K + "spot_ward"] = "W1"
    at = gi.run()
    assert any("Marked: 52.051, -0.953" in c.value for c in at.caption)
    at = gi.fill(ward_code="W2")  # another ward: the spot no longer applies
    assert not any("Marked:" in c.value for c in at.caption)
    gi.fill(ward_code="W1")
    gi.at.session_state[K + "lat"], gi.at.session_state[K + "lon"] = 52.051, -0.953
    gi.at.session_state[K + "spot_ward"] = "W1"
    gi.send()
    row = list_concerns(gi.engine, SYSTEM).iloc[0]
    assert (row["latitude"], row["longitude"]) == (52.051, -0.953)
