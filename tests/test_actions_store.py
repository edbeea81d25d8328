"""The action store on SQLite and PostgreSQL: schema and migrations, adding and editing with
optimistic locking, soft delete, permissions, the audit log, several processes at once."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from dataclasses import replace

import pytest
import sqlalchemy as sa
from actions_helpers import DAY, SYSTEM, WARDS, patrol
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ruralaction.actions import (
    ANONYMOUS,
    ActionInput,
    Actor,
    ConflictError,
    PermissionDenied,
    ValidationError,
    actions_stamp,
    add_action,
    delete_action,
    filter_actions,
    get_action,
    history,
    list_actions,
    load_vocabulary,
    restore_action,
    update_action,
)
from ruralaction.actions.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    table_names,
)
from ruralaction.actions.models import AuditEntry, Base
from ruralaction.actions.tracker import validate
from ruralaction.actions.users import add_user, hash_password

POLICE = Actor(email="pc@police.example")
POLICE2 = Actor(email="sgt@police.example")
FIRE = Actor(email="ff@fire.example")
ADMIN = Actor(email="admin@pcc.example")


@pytest.fixture
def db(actions_db):
    """A migrated database with a police editor, a second police editor, a fire editor and an admin."""
    add_user(actions_db, SYSTEM, POLICE.email, "editor", "Police")
    add_user(actions_db, SYSTEM, POLICE2.email, "editor", "Police")
    add_user(actions_db, SYSTEM, FIRE.email, "editor", "Fire and Rescue")
    add_user(actions_db, SYSTEM, ADMIN.email, "admin")
    return actions_db


def audit_rows(engine, action_id: int) -> list[AuditEntry]:
    with sa.orm.Session(engine) as s:
        return list(
            s.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.entity == "action", AuditEntry.entity_id == action_id)
                .order_by(AuditEntry.id)
            )
        )


# --------------------------------------------------------------------------- schema and migrations


def test_a_new_database_is_at_the_newest_revision_and_matches_the_models(actions_db):
    assert current_revision(actions_db) == head_revision()
    with actions_db.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_a_version_1_database_upgrades_in_place_keeping_its_data(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine, "0001")
        assert current_revision(engine) == "0001"
        assert "sign_in_failures" not in table_names(engine)
        now = dt.datetime(2025, 1, 2, 3, 4, 5)
        with engine.begin() as conn:  # rows as the first release wrote them
            conn.execute(
                sa.text(
                    "INSERT INTO actions (id, dataset, reference, title, description, lead_partner, issue, action_type, status, "
                    "completed_on, visible, outcome, evidence, created_at, created_by, updated_at, updated_by, version) VALUES "
                    "(7, 'ours', 'OLD-1', 'Old patrol', 'from v1', 'Police', 'Burglary', 'Patrol', 'completed', "
                    "'2024-12-01', :t, '', '', :now, 'v1@x.example', :now, 'v1@x.example', 3)"
                ),
                {"t": True, "now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO action_wards (action_id, ward_code, ward_name, position) "
                    "VALUES (7, 'E05900001', 'Brixworth', 0)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO users (email, name, role, partner, password_hash, active, created_at) "
                    "VALUES ('v1@x.example', 'V1', 'admin', NULL, :h, :t, :now)"
                ),
                {"h": hash_password("an old password"), "t": True, "now": now},
            )

        assert migrate(engine) == head_revision()

        assert {"sign_in_limits", "user_sessions", "account_codes"} <= table_names(engine)
        assert "sign_in_failures" not in table_names(engine)
        old = get_action(engine, 7)
        assert (old.title, old.description, old.reference, old.version) == ("Old patrol", "from v1", "OLD-1", 3)
        assert old.visible
        assert old.wards == ("E05900001",) and old.place_name == "" and old.latitude is None
        assert old.created_at == now.replace(tzinfo=dt.UTC)
        from ruralaction.actions import sign_in

        assert sign_in(engine, "v1@x.example", "an old password").email == "v1@x.example"
        # the upgraded database is usable like a new one: the old action can be edited
        saved = update_action(
            engine, Actor(email="v1@x.example"), 7, replace(old.to_input(), place_name="Manor Farm"), 3, WARDS
        )
        assert saved.version == 4 and saved.place_name == "Manor Farm"
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def _start_instance(url: str, barrier) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=30)
    migrate(engine)
    engine.dispose()


def test_instances_starting_at_once_on_an_empty_database_migrate_it_once(db_url):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_start_instance, args=(db_url, barrier)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * 4
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_migrating_again_changes_nothing(actions_db):
    add_action(actions_db, SYSTEM, patrol(), WARDS)
    assert migrate(actions_db) == head_revision()
    assert len(list_actions(actions_db)) == 1


# --------------------------------------------------------------------------- adding and reading


def test_an_added_action_reads_back_with_every_field(db):
    inp = patrol(
        title="Property marking at Manor Farm",
        wards=("E05900002", "E05900001"),
        supporting_partners=("NFU", "Farm Watch"),
        visible=True,
        description="Tools and quad bikes marked.",
        place_name="Manor Farm",
        latitude=52.3,
        longitude=-0.9,
        outcome="34 items marked",
        evidence="https://example.org/news/1",
        reference="P-1",
        planned_on=dt.date(2025, 5, 1),
        started_on=dt.date(2025, 5, 20),
    )
    a = add_action(db, POLICE, inp, WARDS)
    assert a.id > 0 and a.version == 1 and a.created_by == POLICE.email and a.dataset == "ours"
    back = get_action(db, a.id)
    assert back.to_input() == inp
    assert back.ward_names == ("Castle", "Brixworth")
    df = list_actions(db)
    row = df.iloc[0]
    assert row["wards"] == "Castle; Brixworth" and row["supporting_partners"] == "NFU; Farm Watch"
    assert row["action_date"] == DAY and row["visible"]


def test_validation_reports_every_problem_at_once():
    vocab = load_vocabulary()
    inp = ActionInput(
        title="",
        wards=("E0599999",),
        lead_partner="Ministry of Magic",
        issue="Dragons",
        action_type="Patrol",
        status="completed",
        completed_on=dt.date.today() + dt.timedelta(days=3),
        started_on=dt.date.today() + dt.timedelta(days=9),
        latitude=48.0,
        evidence="javascript:alert(1)",
    )
    errors = validate(inp.cleaned(), vocab, WARDS)
    text = " ".join(errors)
    for expected in (
        "title is required",
        "Unknown ward code: E0599999",
        "'Ministry of Magic' is not a partner",
        "'Dragons' is not an issue",
        "is in the future",
        "start date is after the completion date",
        "both latitude and longitude",
        "must start with https://",
    ):
        assert expected in text, expected
    assert validate(patrol().cleaned(), vocab, WARDS) == []
    assert "needs its completion date" in " ".join(validate(patrol(completed_on=None).cleaned(), vocab, WARDS))
    planned_done = patrol(status="planned", planned_on=DAY)  # still has the completion date
    assert "planned action cannot have a completion date" in " ".join(validate(planned_done.cleaned(), vocab, WARDS))


def test_an_invalid_action_is_not_stored(db):
    with pytest.raises(ValidationError, match="Unknown ward"):
        add_action(db, POLICE, patrol(wards=("E05999999",)), WARDS)
    assert list_actions(db).empty


def test_a_reference_is_unique_within_a_dataset_but_not_across_datasets(db):
    add_action(db, POLICE, patrol(reference="R-1"), WARDS)
    with pytest.raises(ValidationError, match="already used by action"):
        add_action(db, POLICE, patrol(reference="R-1"), WARDS)
    add_action(db, POLICE, patrol(reference="R-1", title="Demo copy"), WARDS, dataset="demo")
    assert len(list_actions(db, "ours")) == 1
    assert list_actions(db, "demo")["title"].tolist() == ["Demo copy"]


def test_filters_match_any_ward_lead_or_supporting_partner_and_dates(db):
    add_action(db, POLICE, patrol(title="a", wards=("E05900001",), completed_on=dt.date(2025, 1, 10)), WARDS)
    add_action(
        db,
        POLICE,
        patrol(
            title="b",
            wards=("E05900002", "E05900003"),
            supporting_partners=("Fire and Rescue",),
            completed_on=dt.date(2025, 3, 10),
            issue="Fly-tipping",
            visible=True,
        ),
        WARDS,
    )
    add_action(
        db,
        FIRE,
        patrol(
            title="c",
            lead_partner="Fire and Rescue",
            wards=("E05900003",),
            status="planned",
            completed_on=None,
            planned_on=dt.date(2025, 5, 1),
        ),
        WARDS,
    )
    df = list_actions(db)
    titles = lambda **kw: sorted(filter_actions(df, **kw)["title"])  # noqa: E731
    assert titles() == ["a", "b", "c"]
    assert titles(wards=["E05900003"]) == ["b", "c"]
    assert titles(partners=["Fire and Rescue"]) == ["b", "c"]
    assert titles(statuses=["planned"]) == ["c"]
    assert titles(issues=["Fly-tipping"]) == ["b"]
    assert titles(date_from=dt.date(2025, 3, 10)) == ["b", "c"]
    assert titles(date_from=dt.date(2025, 1, 11), date_to=dt.date(2025, 4, 30)) == ["b"]
    assert titles(visible_only=True) == ["b"]


# --------------------------------------------------------------------------- editing, conflicts, deleting


def test_two_people_save_the_same_action_the_second_is_refused_and_nothing_is_lost(db):
    a = add_action(db, POLICE, patrol(), WARDS)
    first, second = get_action(db, a.id), get_action(db, a.id)  # both open version 1
    saved = update_action(db, POLICE, a.id, replace(first.to_input(), title="Patrols, week 1"), first.version, WARDS)
    assert saved.version == 2
    with pytest.raises(ConflictError) as caught:
        update_action(db, POLICE2, a.id, replace(second.to_input(), outcome="Two vans stopped"), second.version, WARDS)
    message = str(caught.value)
    assert f"changed by {POLICE.email} at" in message and "Reload" in message
    assert caught.value.current.version == 2
    now = get_action(db, a.id)
    assert (now.title, now.outcome, now.version) == ("Patrols, week 1", "", 2)  # the first save is intact
    assert [e.operation for e in audit_rows(db, a.id)] == ["create", "update"]
    # after reloading, the second person's change applies on top of the first
    again = update_action(db, POLICE2, a.id, replace(now.to_input(), outcome="Two vans stopped"), now.version, WARDS)
    assert (again.title, again.outcome, again.version) == ("Patrols, week 1", "Two vans stopped", 3)


def test_saving_without_changes_writes_nothing(db):
    a = add_action(db, POLICE, patrol(), WARDS)
    same = update_action(db, POLICE, a.id, a.to_input(), a.version, WARDS)
    assert same.version == 1 and len(audit_rows(db, a.id)) == 1


def test_delete_is_soft_and_only_an_admin_restores(db):
    a = add_action(db, POLICE, patrol(), WARDS)
    gone = delete_action(db, POLICE, a.id, a.version)
    assert gone.deleted_by == POLICE.email and gone.deleted_at is not None
    assert list_actions(db).empty and len(list_actions(db, include_deleted=True)) == 1
    with pytest.raises(ConflictError, match="deleted by"):
        update_action(db, POLICE, a.id, patrol(title="too late"), gone.version, WARDS)
    with pytest.raises(PermissionDenied, match="Only an admin"):
        restore_action(db, POLICE, a.id, gone.version)
    back = restore_action(db, ADMIN, a.id, gone.version)
    assert back.deleted_at is None and list_actions(db)["id"].tolist() == [a.id]
    entries = audit_rows(db, a.id)
    assert [(e.operation, e.actor) for e in entries] == [
        ("create", POLICE.email),
        ("delete", POLICE.email),
        ("restore", ADMIN.email),
    ]
    assert entries[1].before["deleted_at"] is None and entries[1].after["deleted_by"] == POLICE.email


def test_the_actions_stamp_changes_with_every_add_edit_ward_change_delete_and_restore(db):
    """The app keeps the list of actions until this stamp changes (one aggregate query a page view)."""
    seen = [actions_stamp(db)]
    a = add_action(db, POLICE, patrol(), WARDS)
    seen.append(actions_stamp(db))
    a = update_action(db, POLICE, a.id, replace(a.to_input(), title="Patrols, week 2"), a.version, WARDS)
    seen.append(actions_stamp(db))
    other = next(code for code in WARDS if code not in a.wards)
    a = update_action(db, POLICE, a.id, replace(a.to_input(), wards=(*a.wards, other)), a.version, WARDS)
    seen.append(actions_stamp(db))
    a = delete_action(db, POLICE, a.id, a.version)
    seen.append(actions_stamp(db))
    restore_action(db, ADMIN, a.id, a.version)
    seen.append(actions_stamp(db))
    assert len(set(seen)) == len(seen), seen
    assert actions_stamp(db) == seen[-1] and actions_stamp(db, "demo") != seen[-1], "nothing else moves it"


# --------------------------------------------------------------------------- permissions and audit


def test_anonymous_visitors_can_read_but_not_write(db):
    a = add_action(db, POLICE, patrol(), WARDS)
    for attempt in (
        lambda: add_action(db, ANONYMOUS, patrol(), WARDS),
        lambda: update_action(db, ANONYMOUS, a.id, patrol(title="x"), 1, WARDS),
        lambda: delete_action(db, ANONYMOUS, a.id, 1),
    ):
        with pytest.raises(PermissionDenied, match="Sign in"):
            attempt()
    assert len(list_actions(db)) == 1 and get_action(db, a.id).version == 1
    with pytest.raises(PermissionDenied):
        history(db, ANONYMOUS, a.id)


def test_a_partner_cannot_add_or_edit_another_partners_actions(db):
    police = add_action(db, POLICE, patrol(), WARDS)
    with pytest.raises(PermissionDenied, match="edits Fire and Rescue actions only; this one is led by Police"):
        update_action(db, FIRE, police.id, patrol(title="hijacked"), police.version, WARDS)
    with pytest.raises(PermissionDenied):
        delete_action(db, FIRE, police.id, police.version)
    with pytest.raises(PermissionDenied):
        add_action(db, FIRE, patrol(), WARDS)  # led by Police
    with pytest.raises(PermissionDenied):  # nor hand its own action to another partner
        update_action(db, POLICE, police.id, patrol(lead_partner="Fire and Rescue"), police.version, WARDS)
    assert get_action(db, police.id).title == "Night patrols of farm tracks"
    # the same partner's other editor may edit it; an admin may edit anything
    assert update_action(db, POLICE2, police.id, patrol(title="By a colleague"), 1, WARDS).version == 2
    assert update_action(db, ADMIN, police.id, patrol(title="By the admin"), 2, WARDS).version == 3


def test_the_role_comes_from_the_account_not_from_what_the_caller_claims(db):
    from ruralaction.actions import Role

    police = add_action(db, POLICE, patrol(), WARDS)
    forged = Actor(email=FIRE.email, role=Role.ADMIN, partner="Police")  # a page bug or tampering
    with pytest.raises(PermissionDenied):
        update_action(db, forged, police.id, patrol(title="forged"), 1, WARDS)
    with pytest.raises(PermissionDenied, match="no role"):
        add_action(db, Actor(email="stranger@example.org", role=Role.ADMIN), patrol(), WARDS)
    with db.begin() as conn:  # an account disabled a second ago is already powerless
        conn.execute(sa.text("UPDATE users SET active = :f WHERE email = :e"), {"f": False, "e": POLICE.email})
    with pytest.raises(PermissionDenied):
        update_action(db, POLICE, police.id, patrol(title="after leaving"), 1, WARDS)


def test_the_audit_log_records_who_when_and_before_and_after(db):
    a = add_action(db, POLICE, patrol(), WARDS)
    update_action(
        db, POLICE2, a.id, patrol(status="completed", visible=True, wards=("E05900001", "E05900002")), 1, WARDS
    )
    created, changed = audit_rows(db, a.id)
    assert (created.actor, created.operation, created.before) == (POLICE.email, "create", None)
    assert created.after["title"] == "Night patrols of farm tracks" and created.after["wards"] == ["Brixworth"]
    assert (changed.actor, changed.operation) == (POLICE2.email, "update")
    assert changed.before["visible"] is False and changed.after["visible"] is True
    assert changed.after["ward_codes"] == ["E05900001", "E05900002"]
    assert changed.at.tzinfo is not None and changed.at >= created.at
    h = history(db, POLICE, a.id)
    assert h["who"].tolist() == [POLICE.email, POLICE2.email]
    assert h["changes"].iloc[1] == "wards: Brixworth → Brixworth; Castle; visible: no → yes"


# --------------------------------------------------------------------------- several processes at once

WRITERS, EACH = 4, 6


def _writer(url: str, n: int, barrier) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=30)
    for i in range(EACH):
        add_action(engine, SYSTEM, patrol(title=f"writer {n} action {i}", reference=f"W{n}-{i}"), WARDS)
    engine.dispose()


def test_several_processes_adding_at_once_lose_nothing(actions_db, db_url):
    actions_db.dispose()  # the children must not share the parent's connections
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS)
    procs = [ctx.Process(target=_writer, args=(db_url, n, barrier)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    df = list_actions(actions_db)
    assert len(df) == WRITERS * EACH and df["id"].is_unique
    assert set(df["reference"]) == {f"W{n}-{i}" for n in range(WRITERS) for i in range(EACH)}
    with sa.orm.Session(actions_db) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == WRITERS * EACH
