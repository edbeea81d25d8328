"""The concern form as a pure function: every required field, every bad input, length limits,
ward matching from a typed place, the rate limits and the retention setting. No database."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruralaction.concerns.form import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MIN_DESCRIPTION,
    category_label,
    concern_categories,
    validate_concern,
)
from ruralaction.concerns.limits import BurstGuard, SessionLimiter, wait_words
from ruralaction.concerns.places import (
    location_grid,
    match_ward,
    picked_spot,
    read_postcode_lookup,
)
from ruralaction.concerns.privacy import (
    PrivacyError,
    check_public,
    cutoff,
    parse_period,
    period_words,
    retention,
)

WARDS = pd.DataFrame(
    {
        "ward_code": ["E1", "E2", "E3", "E4", "E5", "E6"],
        "ward_name": ["Brixworth", "Crick and West Haddon", "Woodford", "Woodford Halse", "Castle", "Castle"],
        "district": ["Daventry", "Daventry", "East Northamptonshire", "Daventry", "Northampton", "Corby"],
    }
)
T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def good(**changes) -> dict:
    """A valid filled-in form; keyword arguments change fields (None removes one)."""
    form = {
        "name": "Sam Farmer",
        "email": "sam@example.org",
        "phone": "",
        "ward_code": "E1",
        "place": "",
        "category": "fly-tipping",
        "description": "Rubbish dumped in the field gateway on Back Lane again.",
        "latitude": "",
        "longitude": "",
        "consent": True,
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def errors_of(**changes) -> dict[str, str]:
    clean, errors = validate_concern(good(**changes), WARDS)
    assert (clean is None) == bool(errors)
    return errors


def test_a_good_form_is_clean_with_no_errors():
    clean, errors = validate_concern(good(name="  Sam   Farmer ", email="Sam@Example.ORG"), WARDS)
    assert errors == {}
    assert clean.name == "Sam Farmer" and clean.email == "Sam@example.org" and clean.phone == ""
    assert (clean.ward_code, clean.ward_name, clean.ward_matched_by) == ("E1", "Brixworth", "picker")
    assert clean.category == "fly-tipping" and clean.consent is True


def test_an_empty_form_names_every_required_field_at_once():
    clean, errors = validate_concern({}, WARDS)
    assert clean is None
    assert set(errors) == {"name", "contact", "ward", "category", "description", "consent"}


@pytest.mark.parametrize("field", ["name", "ward_code", "category", "description", "consent"])
def test_each_required_field_missing_is_reported_beside_it(field):
    key = "ward" if field == "ward_code" else field
    errors = errors_of(**{field: None})
    assert list(errors) == [key], errors
    assert errors_of(**{field: ""} if field != "consent" else {"consent": False}) == {key: errors[key]}


def test_contact_needs_an_email_or_a_phone_and_either_alone_is_enough():
    assert list(errors_of(email="", phone="")) == ["contact"]
    assert errors_of(email="  ", phone=" ") == errors_of(email="", phone="")
    assert errors_of(email="", phone="01604 123456") == {}
    assert errors_of(email="sam@example.org", phone="") == {}
    clean, _ = validate_concern(good(email="", phone="+44 (0)7700 900123"), WARDS)
    assert clean.phone == "+4407700900123" and clean.email == ""


@pytest.mark.parametrize(
    "value",
    [
        "sam",
        "sam@",
        "@example.org",
        "sam@example",
        "sam@@example.org",
        "sam example@x.org",
        "sam@exa mple.org",
        ".sam@example.org",
        "sam.@example.org",
        "sa..m@example.org",
        "sam@-example.org",
        "sam@example.c",
        "<script>@x.org",
        "a" * 65 + "@example.org",
        "sam@" + "a" * 250 + ".org",
    ],
)
def test_bad_emails_are_refused(value):
    assert list(errors_of(email=value)) == ["email"]


@pytest.mark.parametrize("value", ["sam@example.org", "sam.o'neil+rural@mail.example.co.uk", "X@Y.IO"])
def test_good_emails_are_accepted(value):
    assert errors_of(email=value) == {}


@pytest.mark.parametrize(
    "value",
    [
        "01604",
        "phone me",
        "0160412345678",
        "1604 123456",
        "00441604123456",
        "+44 0 1604",
        "+0 1234 5678",
        "07700 9001+23",
        "0" * 31,
        "+1 23",
        "=1+1",
        "01604 123456 ext 2",
    ],
)
def test_bad_phone_numbers_are_refused(value):
    assert list(errors_of(email="", phone=value)) == ["phone"]


@pytest.mark.parametrize(
    "value,stored",
    [
        ("01604 123456", "01604123456"),
        ("07700-900-123", "07700900123"),
        ("(01604) 12345", "0160412345"),
        ("+44 1604 123456", "+441604123456"),
        ("+353 1 234 5678", "+35312345678"),
    ],
)
def test_good_phone_numbers_are_accepted_and_stored_as_digits(value, stored):
    clean, errors = validate_concern(good(phone=value), WARDS)
    assert errors == {} and clean.phone == stored


def test_a_bad_email_is_reported_even_when_the_phone_is_good():
    assert list(errors_of(email="not an email", phone="01604 123456")) == ["email"]


@pytest.mark.parametrize(
    "value,problem",
    [
        ("x" * (MAX_NAME + 1), "too long"),
        ("12345", "letter"),
        ("Sam\nFarmer", "line breaks"),
        ("Sam\x00", "control"),
        ("   ", "Tell us your name"),
    ],
)
def test_bad_names_are_refused(value, problem):
    errors = errors_of(name=value)
    assert list(errors) == ["name"] and problem in errors["name"]


def test_limits_are_inclusive():
    assert errors_of(name="x" * MAX_NAME) == {}
    assert errors_of(description="d" * MAX_DESCRIPTION) == {}
    assert errors_of(description="d" * MIN_DESCRIPTION) == {}
    assert list(errors_of(description="d" * (MAX_DESCRIPTION + 1))) == ["description"]
    assert list(errors_of(description="d" * (MIN_DESCRIPTION - 1))) == ["description"]
    assert list(errors_of(ward_code="", place="p" * 101)) == ["place"]


@pytest.mark.parametrize("value", ["", "   ", "short", "line\x07bell in the text", "x" * (MAX_DESCRIPTION + 1)])
def test_bad_descriptions_are_refused(value):
    assert list(errors_of(description=value)) == ["description"]


def test_html_and_script_are_kept_as_text_not_stripped():
    payload = "<script>alert('x')</script> <img src=x onerror=alert(1)> **bold** $x$"
    clean, errors = validate_concern(good(name="<b>Sam</b>", description=payload), WARDS)
    assert errors == {} and clean.description == payload and clean.name == "<b>Sam</b>"


@pytest.mark.parametrize("category", ["", "shoplifting", "Fly tipping"])
def test_bad_categories_are_refused(category):
    assert list(errors_of(category=category)) == ["category"]


def test_categories_are_the_definitions_rural_crime_categories_plus_the_extra_ones():
    cats = concern_categories()
    assert cats[:6] == (
        "burglary",
        "theft from the person",
        "vehicle crime",
        "robbery",
        "criminal damage",
        "wildlife crime",
    )
    assert cats[6:] == ("fly-tipping", "hare coursing", "speeding", "anti-social behaviour", "other")
    assert errors_of(category="Hare Coursing") == {}
    assert category_label("anti-social behaviour") == "Anti-social behaviour (ASB)"
    assert category_label("vehicle crime") == "Vehicle crime"


def test_consent_must_be_a_ticked_box_not_any_truthy_value():
    for value in (False, None, "yes", 1):
        assert list(errors_of(consent=value)) == ["consent"]


@pytest.mark.parametrize(
    "lat,lon,problem",
    [
        ("52.3", "", "both"),
        ("", "-0.9", "both"),
        ("north", "-0.9", "two numbers"),
        ("nan", "-0.9", "two numbers"),
        ("48.0", "-0.9", "not in the UK"),
        ("52.3", "12.0", "not in the UK"),
        ("inf", "-0.9", "two numbers"),
    ],
)
def test_bad_locations_are_refused(lat, lon, problem):
    errors = errors_of(latitude=lat, longitude=lon)
    assert list(errors) == ["location"] and problem in errors["location"]


def test_a_location_is_optional_and_kept_to_about_a_hundred_metres():
    clean, _ = validate_concern(good(latitude=52.333333, longitude="-0.906789"), WARDS)
    assert (clean.latitude, clean.longitude) == (52.333, -0.907)
    clean, _ = validate_concern(good(latitude=None, longitude=None), WARDS)
    assert clean.latitude is None and clean.longitude is None


def test_an_unknown_picked_ward_is_refused():
    assert list(errors_of(ward_code="E99")) == ["ward"]


def test_a_typed_place_is_matched_to_its_ward():
    clean, errors = validate_concern(good(ward_code="", place="West Haddon"), WARDS)
    assert errors == {} and (clean.ward_code, clean.ward_matched_by, clean.place) == ("E2", "part", "West Haddon")
    clean, _ = validate_concern(good(ward_code="E3", place="Brixworth"), WARDS)
    assert clean.ward_code == "E3" and clean.ward_matched_by == "picker"  # the picker wins


@pytest.mark.parametrize(
    "place,problem",
    [
        ("Castle", "could be Castle (Northampton) or Castle (Corby)"),
        ("Atlantis", "No ward matches"),
        ("NN6 9AB", "Postcodes cannot be looked up"),
    ],
)
def test_a_typed_place_that_matches_no_ward_or_several_is_refused(place, problem):
    errors = errors_of(ward_code="", place=place)
    assert list(errors) == ["ward"] and problem in errors["ward"]


@pytest.mark.parametrize(
    "text,code,how",
    [
        ("Brixworth", "E1", "exact"),
        ("BRIXWORTH village", "E1", "exact"),
        ("near Brixworth", "E1", "exact"),
        ("West Haddon", "E2", "part"),
        ("crick", "E2", "part"),
        ("Woodford", "E3", "exact"),
        ("Woodford Halse", "E4", "exact"),
        ("Halse", "E4", "part"),
        ("Brix", "E1", "prefix"),
        ("Brixwoth", "E1", "similar"),
        ("Castle, Corby", "E6", "exact"),
        ("Castle (Northampton)", "E5", "exact"),
        ("by the church in Brixworth", "E1", "contains"),
    ],
)
def test_match_ward(text, code, how):
    m = match_ward(text, WARDS)
    assert (m.ward_code, m.how) == (code, how), m.message
    assert m.ward_name == dict(zip(WARDS["ward_code"], WARDS["ward_name"]))[code]


def test_match_ward_never_guesses_between_equals():
    m = match_ward("Castle", WARDS)
    assert m.ward_code is None and set(m.candidates) == {"E5", "E6"}
    assert match_ward("", WARDS).ward_code is None
    assert match_ward("Brixworth", {}).ward_code is None


def test_postcodes_match_through_a_loaded_lookup():
    lookup = read_postcode_lookup(
        b"\xef\xbb\xbfpcd7,pcds,osward\nNN6 9AB,NN6 9AB,E1\nNN6 9AD,NN6 9AD,E2\nZZ1 1ZZ,ZZ1 1ZZ,X9\n"
    )
    assert lookup == {"NN69AB": "E1", "NN69AD": "E2", "ZZ11ZZ": "X9"}
    assert match_ward("nn69ab", WARDS, lookup).ward_code == "E1"
    assert (m := match_ward("NN6", WARDS, lookup)).ward_code is None and set(m.candidates) == {"E1", "E2"}
    assert "not in our lookup" in match_ward("ZZ1 1ZZ", WARDS, lookup).message  # its ward is not loaded
    clean, errors = validate_concern(good(ward_code="", place="NN6 9AD"), WARDS, postcodes=lookup)
    assert errors == {} and clean.ward_code == "E2" and clean.ward_matched_by == "postcode"
    with pytest.raises(ValueError, match="postcode column"):
        read_postcode_lookup(b"a,b\n1,2\n")


def test_location_grid_offers_round_spots_inside_the_ward_only():
    import shapely

    ward = shapely.Polygon([(-1.0, 52.0), (-0.9, 52.0), (-0.9, 52.1), (-1.0, 52.1)])
    spots = location_grid(ward, max_points=300)
    assert 50 <= len(spots) <= 300
    assert shapely.contains_xy(ward, spots["lon"], spots["lat"]).all()
    assert ((spots[["lon", "lat"]] * 1000).round(6) % 1 == 0).all().all()  # never finer than ~100 m
    assert len(location_grid(ward.buffer(-0.049), max_points=300)) >= 1  # a sliver still gets a spot
    assert location_grid(shapely.Polygon()).empty


def test_the_clicked_spot_is_read_from_the_map_selection():
    event = {"selection": {"indices": {"spots": [3]}, "objects": {"spots": [{"p": [-0.953, 52.051], "t": "Mark"}]}}}
    assert picked_spot(event) == (-0.953, 52.051)
    for nothing in (None, {}, {"selection": {"objects": {}}}, {"selection": {"objects": {"ward": [{"p": [1, 2]}]}}}):
        assert picked_spot(nothing) is None


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "email",
                "phone",
                "ward_code",
                "place",
                "category",
                "description",
                "latitude",
                "longitude",
                "consent",
            ]
        ),
        st.one_of(st.text(max_size=60), st.none(), st.booleans(), st.floats()),
    )
)
def test_validation_never_raises_and_gives_a_clean_concern_or_errors(form):
    clean, errors = validate_concern(form, WARDS)
    assert (clean is None) != (errors == {})
    assert set(errors) <= {
        "name",
        "email",
        "phone",
        "contact",
        "ward",
        "place",
        "category",
        "description",
        "location",
        "consent",
    }


# --------------------------------------------------------------------------- limits


def test_a_session_may_submit_a_few_times_an_hour_with_a_gap():
    lim = SessionLimiter(max_per_window=3, window=dt.timedelta(hours=1), min_gap=dt.timedelta(seconds=20))
    assert lim.retry_after(T0) is None
    lim.record(T0)
    assert lim.retry_after(T0 + dt.timedelta(seconds=5)) == dt.timedelta(seconds=15)
    assert lim.retry_after(T0 + dt.timedelta(seconds=20)) is None
    lim.record(T0 + dt.timedelta(minutes=1))
    lim.record(T0 + dt.timedelta(minutes=2))
    assert lim.retry_after(T0 + dt.timedelta(minutes=10)) == dt.timedelta(minutes=50)
    assert lim.retry_after(T0 + dt.timedelta(minutes=60)) is None
    assert wait_words(dt.timedelta(minutes=50)) == "50 minutes" and wait_words(dt.timedelta(seconds=1)) == "1 second"


def test_the_burst_guard_refuses_at_once_and_frees_slots_as_the_window_slides():
    guard = BurstGuard(max_per_window=5, window=dt.timedelta(minutes=1))
    taken = [guard.try_acquire(T0 + dt.timedelta(seconds=i)) for i in range(5)]
    assert taken == [None] * 5
    assert guard.try_acquire(T0 + dt.timedelta(seconds=10)) == dt.timedelta(seconds=50)
    guard.release(T0 + dt.timedelta(seconds=4))  # that submission failed: its slot comes back
    assert guard.try_acquire(T0 + dt.timedelta(seconds=11)) is None
    assert guard.try_acquire(T0 + dt.timedelta(seconds=60)) is None  # the first slot has slid out
    assert guard.in_window(T0 + dt.timedelta(seconds=60)) == 5


def test_the_burst_guard_is_exact_under_many_threads():
    guard = BurstGuard(max_per_window=50, window=dt.timedelta(minutes=1))
    results: list[bool] = []
    lock = threading.Lock()

    def hammer():
        for _ in range(20):
            ok = guard.try_acquire(T0) is None
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 50 and len(results) == 160


# --------------------------------------------------------------------------- privacy settings


def test_retention_periods(monkeypatch):
    assert parse_period("12m") == (12, "months") and parse_period(" 2 Years ") == (2, "years")
    assert period_words("1y") == "1 year" and period_words("90d") == "90 days"
    for bad in ("", "0m", "12", "twelve months", "-1m", "1.5y"):
        with pytest.raises(ValueError):
            parse_period(bad)
    monkeypatch.delenv("RURALACTION_CONCERN_RETENTION", raising=False)
    assert retention() == "12m"
    monkeypatch.setenv("RURALACTION_CONCERN_RETENTION", "6m")
    assert retention() == "6m" and retention("30d") == "30d"
    assert cutoff("12m", dt.datetime(2026, 3, 31, tzinfo=dt.UTC)) == dt.datetime(2025, 3, 31, tzinfo=dt.UTC)
    assert cutoff("1m", dt.datetime(2026, 3, 31, tzinfo=dt.UTC)) == dt.datetime(2026, 2, 28, tzinfo=dt.UTC)


def test_a_public_table_with_a_personal_column_is_refused():
    check_public(pd.DataFrame(columns=["ward_code", "category", "concerns"]))
    for col in ("name", "email", "phone", "place", "description", "latitude"):
        with pytest.raises(PrivacyError, match=col):
            check_public(pd.DataFrame(columns=["ward_code", col]))


def test_the_safe_reporting_notice_comes_from_the_definition(tmp_path):
    from ruralaction.concerns.guidance import safe_reporting
    from ruralaction.definition import DEFAULT_DEFINITION, DefinitionError, load_definition

    notice = safe_reporting(load_definition())
    assert "call 999" in notice.emergency and "call 101, or report it online to Northamptonshire Police" in (
        notice.report_crime
    )
    assert notice.online_url == "https://www.northants.police.uk/ro/report/"
    text = Path(DEFAULT_DEFINITION).read_text("utf-8")
    for bad in ("javascript:alert(1)", "https://x.example/a) [x](https://evil.example"):
        other = tmp_path / "other.toml"
        other.write_text(text.replace('"https://www.northants.police.uk/ro/report/"', f'"{bad}"'), "utf-8")
        with pytest.raises(DefinitionError, match="report_online"):
            load_definition(other)
    other.write_text(text.replace('"https://www.northants.police.uk/ro/report/"', '""'), "utf-8")
    assert "online" not in safe_reporting(load_definition(other)).report_crime
