"""Concerns in the database, on SQLite and PostgreSQL: the migration, submitting in one
transaction (no partial write, retries, several processes at once), the admins' queue and its
permissions, "you said, we did", the anonymous measures frame, and the retention purge."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time

import pandas as pd
import pytest
import sqlalchemy as sa
from actions_helpers import SYSTEM, WARDS, patrol

from ruralaction.actions import Actor, PermissionDenied, add_action, delete_action
from ruralaction.actions.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    table_names,
    write_session,
)
from ruralaction.actions.models import AuditEntry, Concern
from ruralaction.actions.users import add_user
from ruralaction.concerns import (
    PERSONAL_FIELDS,
    ConcernError,
    concerns_frame,
    link_to_action,
    list_concerns,
    list_new,
    mark_reviewed,
    purge_personal,
    said_and_done,
    submit_concern,
    unlink_action,
    validate_concern,
    ward_concern_counts,
    you_said_we_did,
)
from ruralaction.concerns.form import ConcernInput
from ruralaction.concerns.limits import BurstGuard, TooManyConcerns, is_bot, limit_keys
from ruralaction.concerns.public import concerns_by_ward

ADMIN = Actor(email="admin@pcc.example")
EDITOR = Actor(email="pc@police.example")
T0 = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)
PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)> dumped again"


def concern(name: str = "Sam Farmer", **kw) -> ConcernInput:
    """A valid concern in Brixworth (E05900001) about fly-tipping; keywords change the form."""
    form = {
        "name": name,
        "email": "sam@example.org",
        "phone": "01604 123456",
        "ward_code": "E05900001",
        "category": "fly-tipping",
        "description": "Rubbish dumped in the gateway on Back Lane.",
        "consent": True,
    }
    clean, errors = validate_concern({**form, **kw}, WARDS)
    assert not errors, errors
    return clean


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Concern)).scalar_one()


@pytest.fixture
def db(actions_db):
    add_user(actions_db, SYSTEM, ADMIN.email, "admin")
    add_user(actions_db, SYSTEM, EDITOR.email, "editor", "Police")
    return actions_db


# --------------------------------------------------------------------------- schema


def test_the_concern_tables_come_with_a_new_revision_on_top_of_the_actions(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine, "0002")
        assert "concerns" not in table_names(engine)
        kept = add_action(engine, SYSTEM, patrol(), WARDS)
        assert migrate(engine) == head_revision()
        assert {"concerns", "concern_actions"} <= table_names(engine)
        done = submit_concern(engine, concern(), now=T0)
        assert link_to_action(engine, SYSTEM, done.id, kept.id).action_ids == (kept.id,)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- submitting


def test_a_submitted_concern_is_stored_as_typed_with_a_friendly_unique_reference(db):
    first = submit_concern(db, concern(description=PAYLOAD, place="Brixworth"), now=T0)
    second = submit_concern(db, concern(name="Jo Walker", category="speeding"), now=T0 + dt.timedelta(minutes=1))
    assert first.reference == f"RA-2026-{first.id:06d}" and second.reference == f"RA-2026-{second.id:06d}"
    assert first.reference != second.reference and not first.duplicate
    demo = submit_concern(db, concern(), dataset="demo", now=T0)
    assert demo.reference.startswith("DEMO-2026-")
    row = list_concerns(db, ADMIN).set_index("reference").loc[first.reference]
    assert row["description"] == PAYLOAD  # markup is kept as text; pages escape it
    assert (row["name"], row["email"], row["phone"], row["place"]) == (
        "Sam Farmer",
        "sam@example.org",
        "01604123456",
        "Brixworth",
    )
    assert row["status"] == "new" and row["raised_at"] == pd.Timestamp(T0) and row["consent"]
    assert len(list_concerns(db, ADMIN, "demo")) == 1  # datasets kept apart


def test_an_invalid_concern_is_refused_by_the_store_too(db):
    bad = ConcernInput(
        name="",
        email="",
        phone="",
        ward_code="E05900001",
        ward_name="Brixworth",
        place="",
        ward_matched_by="picker",
        category="fly-tipping",
        description="x" * 20,
        latitude=None,
        longitude=None,
        consent=False,
    )
    with pytest.raises(ConcernError, match="name, contact, consent"):
        submit_concern(db, bad)
    with pytest.raises(ConcernError, match="dataset"):
        submit_concern(db, concern(), dataset="elsewhere")
    assert count(db) == 0


def test_a_failure_after_submit_leaves_nothing_and_a_retry_stores_exactly_one(db):
    """The second statement of the transaction (the reference) fails: the insert before it is rolled back."""
    statements: list[str] = []

    def fail_on_reference(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE CONCERNS"):
            statements.append(statement)
            raise RuntimeError("the database went away")

    sa.event.listen(db, "before_cursor_execute", fail_on_reference)
    try:
        with pytest.raises(RuntimeError, match="went away"):
            submit_concern(db, concern(), submission_key="form-1", now=T0)
    finally:
        sa.event.remove(db, "before_cursor_execute", fail_on_reference)
    assert statements, "the failure was injected into the second statement"
    assert count(db) == 0
    done = submit_concern(db, concern(), submission_key="form-1", now=T0)
    again = submit_concern(db, concern(), submission_key="form-1", now=T0)  # the answer was lost; the form retries
    assert again.duplicate and (again.reference, again.id) == (done.reference, done.id)
    assert count(db) == 1


WRITERS, EACH = 4, 5


def _writer(url: str, n: int, barrier) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=30)
    for i in range(EACH):
        submit_concern(engine, concern(name=f"Writer {n} number {i}"), submission_key=f"w{n}-{i}")
    engine.dispose()


def test_concurrent_submissions_from_several_processes_are_all_stored(db, db_url):
    db.dispose()  # the children must not share the parent's connections
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(db_url, n, barrier)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    stored = list_concerns(db, ADMIN)
    assert len(stored) == WRITERS * EACH and stored["reference"].is_unique
    assert set(stored["name"]) == {f"Writer {n} number {i}" for n in range(WRITERS) for i in range(EACH)}


def test_concurrent_submissions_from_threads_of_one_app_are_all_stored(db):
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            for i in range(4):
                submit_concern(db, concern(name=f"Thread {n} {i}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and count(db) == 24


def test_a_bot_flood_of_fresh_sessions_is_held_and_a_resident_elsewhere_gets_through(db):
    """35 fresh sessions (a new browser key each, as a script without cookies) from one client, in
    parallel, through the page's order of checks (process burst guard, then the database limits):
    the client limit holds them at 10, atomically; a resident on another client is not told to
    wait, and a reload of the same browser does not reset its own limit."""
    guard = BurstGuard()
    held: list[TooManyConcerns] = []
    now = T0

    def bot(n: int) -> None:
        if guard.try_acquire(now) is not None:  # in flight at once: the process guard may refuse some
            return held.append(TooManyConcerns(dt.timedelta(0), "process"))
        try:
            submit_concern(db, concern(name=f"Bot {n}"), now=now, limits=limit_keys("203.0.113.9", f"fresh-{n}"))
        except TooManyConcerns as exc:
            guard.release(now)
            held.append(exc)

    threads = [threading.Thread(target=bot, args=(n,)) for n in range(35)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert count(db) == 10 and len(held) == 25 and "network address" in {e.kind for e in held}
    assert guard.in_window(now) == 10, "the bots hold no more of the burst guard than was stored"
    resident = limit_keys("198.51.100.7", "resident-browser")
    submit_concern(db, concern(name="Genuine Resident"), now=now, limits=resident)
    assert count(db) == 11
    # the same browser after a reload (a new Streamlit session, the same key): held by its own limit
    with pytest.raises(TooManyConcerns) as again:
        submit_concern(db, concern(name="Genuine Resident"), now=now + dt.timedelta(seconds=5), limits=resident)
    assert again.value.kind == "browser" and again.value.retry_after == dt.timedelta(seconds=15)
    later = now + dt.timedelta(hours=1, seconds=1)  # a new window: the client may send again
    submit_concern(db, concern(name="Bot later"), now=later, limits=limit_keys("203.0.113.9", "fresh-99"))
    assert count(db) == 12


def test_the_honeypot_field_marks_a_script():
    assert is_bot({"name": "x", "website": "http://spam.example"}) and not is_bot({"name": "x", "website": " "})


def test_readers_are_not_held_up_while_a_write_is_in_progress(db):
    submit_concern(db, concern(), now=T0)
    holding, release = threading.Event(), threading.Event()

    def long_write():
        with write_session(db) as s:
            s.add(
                Concern(
                    dataset="ours",
                    raised_at=T0,
                    ward_code="E05900002",
                    ward_name="Castle",
                    ward_matched_by="picker",
                    category="speeding",
                    description="held open",
                    consent=True,
                    status="new",
                    name="Held Open",
                    email="held@example.org",
                )
            )
            s.flush()
            holding.set()
            release.wait(timeout=30)

    t = threading.Thread(target=long_write)
    t.start()
    try:
        assert holding.wait(timeout=30)
        started = time.monotonic()
        counts = ward_concern_counts(db)
        assert time.monotonic() - started < 2.0
        assert counts["concerns"].sum() == 1  # the unfinished write is not seen
    finally:
        release.set()
        t.join(timeout=30)
    assert count(db) == 2


# --------------------------------------------------------------------------- the admins' queue


def test_only_admins_see_the_queue_and_personal_fields(db):
    done = submit_concern(db, concern(), now=T0)
    for who in (Actor(), EDITOR, Actor(email="nobody@example.org"), Actor(email=EDITOR.email, role=ADMIN.role)):
        with pytest.raises(PermissionDenied):
            list_new(db, who)
        with pytest.raises(PermissionDenied):
            mark_reviewed(db, who, done.id)
        with pytest.raises(PermissionDenied):
            link_to_action(db, who, done.id, 1)
    assert list_new(db, ADMIN)["reference"].tolist() == [done.reference]


def test_reviewing_takes_a_concern_off_the_queue_and_dismissing_hides_it_from_the_public(db):
    a = submit_concern(db, concern(), now=T0)
    b = submit_concern(db, concern(name="Spam Bot", category="other"), now=T0)
    reviewed = mark_reviewed(db, ADMIN, a.id)
    assert (reviewed.status, reviewed.reviewed_by) == ("reviewed", ADMIN.email)
    mark_reviewed(db, ADMIN, b.id, dismiss=True)
    assert list_new(db, ADMIN).empty
    assert ward_concern_counts(db)["category"].tolist() == ["fly-tipping"]
    assert concerns_frame(db)["id"].tolist() == [a.id]


def test_linking_a_concern_to_the_action_that_answers_it(db):
    done = submit_concern(db, concern(), now=T0)
    clear_up = add_action(
        db,
        SYSTEM,
        patrol(
            title="Fly-tipping clear-up at Back Lane",
            issue="Fly-tipping",
            action_type="Clean-up",
            lead_partner="District or unitary council",
            completed_on=dt.date(2026, 3, 20),
        ),
        WARDS,
    )
    other = add_action(db, SYSTEM, patrol(title="Demo action"), WARDS, dataset="demo")
    linked = link_to_action(db, ADMIN, done.id, clear_up.id)
    assert (linked.status, linked.action_ids, linked.reviewed_by) == ("actioned", (clear_up.id,), ADMIN.email)
    assert link_to_action(db, ADMIN, done.id, clear_up.id).action_ids == (clear_up.id,)  # twice: no change
    with pytest.raises(ConcernError, match="demo data"):
        link_to_action(db, ADMIN, done.id, other.id)
    with pytest.raises(ConcernError, match="no action 999"):
        link_to_action(db, ADMIN, done.id, 999)
    with sa.orm.Session(db) as s:
        entries = s.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "concern")).all()
    assert [e.note for e in entries] == [f"linked to action {clear_up.id}"]
    assert entries[0].after["action_ids"] == [clear_up.id] and entries[0].before["status"] == "new"
    text = str([(e.before, e.after) for e in entries])
    assert "Sam Farmer" not in text and "sam@example.org" not in text and "01604123456" not in text
    assert unlink_action(db, ADMIN, done.id, clear_up.id).status == "reviewed"


# --------------------------------------------------------------------------- what the public sees


def _ward_story(db):
    """Brixworth: 3 fly-tipping concerns (two answered by a clear-up), 1 speeding; Castle: 1 ASB."""
    ids = [submit_concern(db, concern(name=f"P{i}"), now=T0 + dt.timedelta(days=40 * i)).id for i in range(3)]
    speeding = submit_concern(db, concern(category="speeding"), now=T0).id
    castle = submit_concern(db, concern(ward_code="E05900002", category="anti-social behaviour"), now=T0).id
    clear_up = add_action(
        db,
        SYSTEM,
        patrol(
            title="Fly-tipping clear-up",
            issue="Fly-tipping",
            action_type="Clean-up",
            status="in progress",
            started_on=dt.date(2026, 4, 2),
            completed_on=None,
            lead_partner="District or unitary council",
        ),
        WARDS,
    )
    camera = add_action(
        db,
        SYSTEM,
        patrol(
            title="Covert camera at the gateway",
            issue="Fly-tipping",
            action_type="CCTV or ANPR",
            completed_on=dt.date(2026, 5, 1),
            lead_partner="District or unitary council",
        ),
        WARDS,
    )
    link_to_action(db, ADMIN, ids[0], clear_up.id)
    link_to_action(db, ADMIN, ids[1], clear_up.id)
    link_to_action(db, ADMIN, ids[1], camera.id)
    return ids, speeding, castle, clear_up, camera


def test_ward_counts_and_you_said_we_did(db):
    *_, camera = _ward_story(db)
    counts = ward_concern_counts(db)
    assert counts[["ward_code", "category", "concerns", "actioned"]].values.tolist() == [
        ["E05900001", "fly-tipping", 3, 2],
        ["E05900001", "speeding", 1, 0],
        ["E05900002", "anti-social behaviour", 1, 0],
    ]
    first = counts.iloc[0]
    assert (first["first_raised"], first["last_raised"]) == (pd.Timestamp("2026-03-01"), pd.Timestamp("2026-05-01"))
    by_ward = concerns_by_ward(counts)
    assert by_ward[["ward_code", "concerns", "actioned", "categories"]].values.tolist() == [
        ["E05900001", 4, 2, "Fly-tipping 3, Speeding 1"],
        ["E05900002", 1, 0, "Anti-social behaviour (ASB) 1"],
    ]

    said = you_said_we_did(db, "E05900001")
    assert said[["category", "concerns", "action_title"]].fillna("").values.tolist() == [
        ["fly-tipping", 3, "Covert camera at the gateway"],
        ["fly-tipping", 3, "Fly-tipping clear-up"],
        ["speeding", 1, ""],
    ]
    assert said["action_date"].tolist()[:2] == [dt.date(2026, 5, 1), dt.date(2026, 4, 2)]
    lines = said_and_done(said)
    assert lines[0].said == "3 concerns about fly-tipping, Mar 2026 to May 2026"
    assert lines[0].done == (
        "Covert camera at the gateway — District or unitary council, completed 1 May 2026",
        "Fly-tipping clear-up — District or unitary council, started 2 Apr 2026",
    )
    assert (lines[1].said, lines[1].done) == ("1 concern about speeding, Mar 2026", ())
    assert said_and_done(you_said_we_did(db, "E05900002"))[0].said.startswith(
        "1 concern about anti-social behaviour (ASB)"
    )
    delete_action(db, SYSTEM, camera.id, 1)  # a deleted action no longer answers anything
    assert "Covert camera at the gateway" not in set(you_said_we_did(db, "E05900001")["action_title"].dropna())


def test_concerns_frame_for_the_progress_page(db):
    ids, speeding, castle, *_ = _ward_story(db)
    frame = concerns_frame(db)
    assert list(frame.columns) == ["id", "ward_code", "category", "raised_at", "status", "first_action_at"]
    f = frame.set_index("id")
    assert f.loc[ids[0], "first_action_at"] == pd.Timestamp("2026-04-02", tz="UTC")  # the clear-up started
    assert f.loc[ids[1], "first_action_at"] == pd.Timestamp("2026-04-02", tz="UTC")  # the earlier of the two
    assert pd.isna(f.loc[ids[2], "first_action_at"]) and pd.isna(f.loc[speeding, "first_action_at"])
    assert f.loc[ids[0], "status"] == "actioned" and f.loc[castle, "status"] == "new"
    assert f.loc[speeding, "raised_at"] == pd.Timestamp(T0)
    for col in ("raised_at", "first_action_at"):
        assert isinstance(frame[col].dtype, pd.DatetimeTZDtype) and str(frame[col].dt.tz) == "UTC"
    assert concerns_frame(db, "demo").empty and list(concerns_frame(db, "demo").columns) == list(frame.columns)


def test_no_public_function_returns_a_personal_field(db):
    _ward_story(db)
    frames = [
        ward_concern_counts(db),
        you_said_we_did(db, "E05900001"),
        concerns_frame(db),
        concerns_by_ward(ward_concern_counts(db)),
    ]
    for frame in frames:
        assert not set(frame.columns) & {*PERSONAL_FIELDS, "description", "latitude", "longitude"}
        text = frame.astype(str).to_csv()
        for secret in ("Sam Farmer", "P0", "sam@example.org", "01604123456", "Rubbish dumped"):
            assert secret not in text


# --------------------------------------------------------------------------- retention


def test_purge_erases_personal_fields_after_the_retention_period_and_keeps_the_concern(db):
    old = submit_concern(
        db,
        concern(name="Old Resident", place="Brixworth", latitude="52.3", longitude="-0.9"),
        now=dt.datetime(2025, 1, 5, tzinfo=dt.UTC),
    )
    edge = submit_concern(db, concern(name="Edge Resident"), now=dt.datetime(2025, 3, 10, 9, 31, tzinfo=dt.UTC))
    new = submit_concern(db, concern(name="New Resident"), now=T0)
    before = ward_concern_counts(db)
    dry = purge_personal(db, "12m", now=T0, dry_run=True)
    assert dry.erased == 1 and list_concerns(db, ADMIN).set_index("id").loc[old.id, "name"] == "Old Resident"

    report = purge_personal(db, "12m", now=T0)
    assert report.erased == 1 and report.before == dt.datetime(2025, 3, 10, 9, 30, tzinfo=dt.UTC)
    assert "1 concern raised before 10 Mar 2025 (older than 12 months)" in report.line()
    rows = list_concerns(db, ADMIN).set_index("id")
    gone = rows.loc[old.id]
    assert all(gone[f] is None or pd.isna(gone[f]) for f in PERSONAL_FIELDS)
    assert gone["personal_erased_at"] == pd.Timestamp(T0)
    # purge means purge: the free text becomes its category, the spot is reduced to the ward
    assert (gone["ward_code"], gone["category"], gone["description"]) == ("E05900001", "fly-tipping", "Fly-tipping")
    assert pd.isna(gone["latitude"]) and pd.isna(gone["longitude"])
    assert rows.loc[new.id, "description"] == "Rubbish dumped in the gateway on Back Lane."
    assert rows.loc[edge.id, "name"] == "Edge Resident" and rows.loc[new.id, "email"] == "sam@example.org"
    pd.testing.assert_frame_equal(ward_concern_counts(db), before)  # the anonymous concern still counts
    assert purge_personal(db, "12m", now=T0).erased == 0  # nothing new to erase
    with sa.orm.Session(db) as s:
        notes = s.scalars(sa.select(AuditEntry.note).where(AuditEntry.entity == "concern")).all()
    assert notes == ["personal details, text and spot erased after 12m"]
    with sa.orm.Session(db) as s:  # purged by an earlier version: details gone, text and spot kept
        s.execute(sa.update(Concern).where(Concern.id == old.id).values(description="John at No. 4", latitude=52.3))
        s.commit()
    assert purge_personal(db, "12m", now=T0).erased == 1
    assert list_concerns(db, ADMIN).set_index("id").loc[old.id, "description"] == "Fly-tipping"
    with pytest.raises(PermissionDenied):
        purge_personal(db, "12m", actor=EDITOR, now=T0)


def test_the_purge_command(db, db_url, capsys, monkeypatch):
    from ruralaction.cli import main

    submit_concern(db, concern(name="Old Resident"), now=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    submit_concern(db, concern(name="Recent Resident"), now=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    monkeypatch.delenv("RURALACTION_CONCERN_RETENTION", raising=False)
    assert main(["concerns", "purge", "--db-url", db_url, "--dry-run"]) == 0
    assert "Would erase the name and contact details of 1 concern raised before" in capsys.readouterr().out
    assert main(["concerns", "purge", "--db-url", db_url]) == 0
    assert "Erased the name and contact details of 1 concern" in capsys.readouterr().out
    assert main(["concerns", "purge", "--db-url", db_url, "--older-than", "30d"]) == 0
    assert "of 1 concern raised before" in capsys.readouterr().out
    assert sorted(list_concerns(db, ADMIN)["name"].fillna("")) == ["", ""]
    assert main(["concerns", "purge", "--db-url", db_url, "--older-than", "soon"]) == 2
    assert "is not a period" in capsys.readouterr().err


# --------------------------------------------------------------------------- demo


def test_demo_concerns_sit_in_the_demo_wards_answered_by_demo_actions(demo_dir, tmp_path):
    from ruralaction.actions import list_actions
    from ruralaction.actions.db import open_database
    from ruralaction.concerns import ensure_demo_concerns

    engine = open_database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        assert ensure_demo_concerns(engine, demo_dir) == 60
        assert ensure_demo_concerns(engine, demo_dir) == 0  # once only
        rows = list_concerns(engine, SYSTEM, "demo")
        assert len(rows) == 60 and list_concerns(engine, SYSTEM, "ours").empty
        assert rows["reference"].str.fullmatch(r"DEMO-\d{4}-\d{6}").all()
        assert rows["ward_code"].str.startswith("E059").all() and set(rows["status"]) <= {
            "new",
            "reviewed",
            "actioned",
            "dismissed",
        }
        linked = rows[rows["action_ids"].map(len) > 0]
        assert 15 <= len(linked) <= 45 and (linked["status"] == "actioned").all()
        actions = list_actions(engine, "demo").set_index("id")
        for r in linked.itertuples():
            assert r.ward_code in actions.loc[r.action_ids[0], "ward_codes"]  # answered where it was raised
        erased = rows["personal_erased_at"].notna()
        assert erased.any() and rows.loc[erased, "name"].isna().all()
        assert (rows.loc[erased, "raised_at"] < pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=365)).all()
        held = rows.loc[~erased]
        assert held["email"].dropna().str.endswith("@example.org").all()
        assert held["phone"].dropna().str.fullmatch(r"07700900\d{3}").all()  # Ofcom's drama range
        assert concerns_frame(engine, "demo")["first_action_at"].notna().sum() >= 15
    finally:
        engine.dispose()
