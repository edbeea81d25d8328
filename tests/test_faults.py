"""Faults in words (``ruralaction.faults``), structured logs (``ruralaction.logs``) and the
configuration schemas with line numbers (definition, ``[progress]``, vocabulary): each broken
on purpose, with real errors where the machine can make them."""

from __future__ import annotations

import errno
import io
import json
import logging
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from ruralaction import logs
from ruralaction.actions.vocab import DEFAULT_VOCABULARY, VocabularyError, load_vocabulary
from ruralaction.definition import DEFAULT_DEFINITION, DefinitionError, load_definition
from ruralaction.faults import ConfigError, describe
from ruralaction.progress.config import ProgressConfigError, load_progress_config
from ruralaction.tomlschema import key_lines

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- faults from real errors


def test_a_refused_postgresql_connection_is_the_database_not_answering():
    from ruralaction.actions.db import DatabaseError, open_database

    port = closed_port()
    with pytest.raises(DatabaseError) as caught:
        open_database(f"postgresql+psycopg://ra:s3cret-pw@127.0.0.1:{port}/ra")
    fault = describe(caught.value)
    assert fault.kind == "database_down"
    assert (
        fault.sentence == f"The database is not answering (PostgreSQL at 127.0.0.1, port {port}: connection refused)."
    )
    assert str(caught.value) == fault.sentence  # no more "could not be brought up to date: OperationalError"
    assert "s3cret" not in fault.sentence + fault.still_works
    assert "Crime figures, maps and downloads still work" in fault.still_works


def test_a_wrong_password_is_the_database_refusing_the_app(postgres_url):
    url = sa.engine.make_url(postgres_url).set(password="not-the-password")
    engine = sa.create_engine(url)
    with pytest.raises(sa.exc.OperationalError) as caught:
        engine.connect()
    engine.dispose()
    fault = describe(caught.value)
    assert fault.kind == "database_auth"
    assert fault.sentence.startswith("The database refused the app's sign-in (PostgreSQL at 127.0.0.1, port ")
    assert "not-the-password" not in fault.sentence


def test_a_real_sqlite_disk_full_is_said_and_the_transaction_leaves_nothing(tmp_path):
    from ruralaction.actions.db import make_engine, write_session

    engine = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (body BLOB)")
        conn.exec_driver_sql("INSERT INTO notes VALUES (x'00')")

    @sa.event.listens_for(engine, "connect")
    def _cap(dbapi_conn, _record):  # the file may not grow: SQLite's own SQLITE_FULL
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    with pytest.raises(sa.exc.OperationalError) as caught, write_session(engine) as s:
        s.execute(sa.text("INSERT INTO notes VALUES (randomblob(200000))"))
    fault = describe(caught.value)
    assert fault.kind == "disk_full" and fault.wrote
    assert fault.sentence == "The server's disk is full, so nothing was saved to the database."
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM notes").scalar_one() == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/srv/ra/settings.json"), "disk_full", "disk is full"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/ra/ours"), "permission", "permission denied"),
        (OSError(errno.EROFS, "Read-only file system", "/srv/ra/x"), "read_only", "read-only disk"),
        (sqlite3.OperationalError("database is locked"), "database_busy", "busy"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "database_readonly", "read-only"),
        (sqlite3.DatabaseError("file is not a database"), "database_damaged", "damaged"),
        (KeyError("boom"), "unexpected", "Something unexpected"),
    ],
)
def test_each_kind_of_fault_has_its_sentence(exc, kind, words):
    fault = describe(exc)
    assert fault.kind == kind and words in fault.sentence
    assert fault.sentence.endswith(".") and "\n" not in fault.sentence
    assert len(fault.reference) == 6


def test_a_wrapped_fault_is_found_through_the_exception_chain():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError as outer:
        assert describe(outer).kind == "disk_full"


def test_the_librarys_own_errors_are_their_own_sentence():
    err = ConfigError("Definition file x.toml, line 3: county.name is missing (it is required).")
    fault = describe(err)
    assert fault.kind == "config" and fault.sentence == str(err)


# ----------------------------------------------------------------------------- structured logs


def test_one_json_line_per_event_and_no_personal_data():
    buf = io.StringIO()
    logs.configure(stream=buf, path="", force=True)
    try:
        logs.event(
            "page.fault",
            level="error",
            detail="psycopg: postgresql+psycopg://ra:hunter2@db:5432/ra refused; row sam@example.org 07700 900123",
            email="sam@example.org",
            name="Sam Farmer",
            description="my neighbour's quad bike",
            page="Actions",
        )
        logs.event("refresh.finished", months_added=["2024-03"], rows_added=6012)
    finally:
        logs.silence()
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["event"] == "page.fault" and first["level"] == "error" and first["page"] == "Actions"
    assert {"ts", "host", "pid"} <= set(first)
    text = buf.getvalue()
    for secret in ("hunter2", "sam@example.org", "07700 900123", "Sam Farmer", "quad bike"):
        assert secret not in text
    assert "postgresql+psycopg://ra:***@db:5432/ra" in first["detail"]
    assert second["months_added"] == ["2024-03"] and second["rows_added"] == 6012


def test_events_go_to_the_log_file_when_one_is_named(tmp_path, monkeypatch):
    log = tmp_path / "events.jsonl"
    monkeypatch.setenv(logs.LOG_FILE_ENV, str(log))
    logs.configure(force=True)
    try:
        logs.event("health.checked", status="ok")
    finally:
        logs.silence()
    assert json.loads(log.read_text().strip())["status"] == "ok"
    assert logging.getLogger(logs.LOGGER_NAME).propagate is False


# ----------------------------------------------------------------------------- configuration schemas


def _broken(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text("utf-8")
    assert old in text
    p = tmp_path / source.name
    p.write_text(text.replace(old, new, 1), "utf-8")
    return p


def _line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line)


def test_a_definition_with_a_wrong_type_names_file_line_and_setting(tmp_path):
    p = _broken(tmp_path, DEFAULT_DEFINITION, 'classes = ["D1", "D2", "E1", "E2", "F1", "F2"]', "classes = 5")
    with pytest.raises(DefinitionError) as caught:
        load_definition(p)
    line = _line(p, "classes = 5")
    assert (
        str(caught.value)
        == f"Definition file northamptonshire.toml, line {line}: rural.classes should be a valid list, not 5."
    )
    assert caught.value.line == line and caught.value.key == "rural.classes"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("min_lon = -1.35", 'min_lon = "west"', "county.bounds.min_lon should be a valid number"),
        ("points_buffer_m = 150", "points_bufer_m = 150", "farm.points_bufer_m is not a setting this file can have"),
        ('name = "Northamptonshire"\n', "", "county.name is missing"),
        ('encoding = "utf-8"', 'encoding = "utf-99"', "formats.force_export.encoding is wrong"),
        ('crime_id = "Occurrence Reference"', 'crime_idd = "Occurrence Reference"', "columns.crime_idd is not a field"),
        ("[farm]", "[farm", "is not valid TOML: Expected ']'"),
    ],
)
def test_every_kind_of_definition_mistake_is_line_numbered(tmp_path, old, new, expected):
    with pytest.raises(DefinitionError, match=r"^Definition file northamptonshire\.toml, line \d+") as caught:
        load_definition(_broken(tmp_path, DEFAULT_DEFINITION, old, new))
    assert expected in str(caught.value)


def test_the_definitions_column_names_are_the_loaders():
    from ruralaction.definition import _CANONICAL_FIELDS
    from ruralaction.incidents.schema import EXTRA_FIELDS, POLICE_UK_TO_CANONICAL

    assert set(_CANONICAL_FIELDS) == {*POLICE_UK_TO_CANONICAL.values(), *EXTRA_FIELDS}


def test_a_broken_progress_section_names_the_measure_and_line(tmp_path):
    p = _broken(
        tmp_path, DEFAULT_DEFINITION, 'direction = "down"\ntarget = -0.05', 'direction = "sideways"\ntarget = -0.05'
    )
    with pytest.raises(ProgressConfigError) as caught:
        load_progress_config(p)
    line = _line(p, 'direction = "sideways"')
    assert str(caught.value).startswith(
        f"Definition file northamptonshire.toml, line {line}: progress.measures.rural_crime.direction should be 'up' or 'down'"
    )
    p = _broken(tmp_path, DEFAULT_DEFINITION, "at_farm = true", 'at_farm = "yes"')
    with pytest.raises(
        ProgressConfigError, match=r"line \d+: progress\.priorities\[1\]\.at_farm should be a valid boolean"
    ):
        load_progress_config(p)


def test_a_broken_vocabulary_names_the_line(tmp_path):
    p = _broken(tmp_path, DEFAULT_VOCABULARY, '"Highways",', '"Highways", "highways",')
    with pytest.raises(
        VocabularyError,
        match=rf"^Vocabulary file vocabulary\.toml, line {_line(p, 'partners = [')}: partners is wrong: names 'highways' twice",
    ):
        load_vocabulary(p)
    p = _broken(tmp_path, DEFAULT_VOCABULARY, 'name = "Robbery"', 'nme = "Robbery"')
    with pytest.raises(VocabularyError, match=r"issues\[3\]\.name is missing"):
        load_vocabulary(p)


def test_an_edited_vocabulary_is_read_again(tmp_path):
    p = tmp_path / "v.toml"
    p.write_text('partners = ["Police"]\naction_types = ["Patrol"]\n[[issues]]\nname = "Burglary"\n', "utf-8")
    assert load_vocabulary(p).partners == ("Police",)
    import os

    p.write_text('partners = ["Police", "NFU"]\naction_types = ["Patrol"]\n[[issues]]\nname = "Burglary"\n', "utf-8")
    os.utime(p, ns=(1, 10**18))
    assert load_vocabulary(p).partners == ("Police", "NFU")


def test_key_lines_knows_tables_arrays_of_tables_dotted_and_inline_keys():
    text = '[a]\nx = 1\nb.c = 2\nd = { e = 3, "f g" = 4 }\n[[p]]\nname = "one"\n[[p]]\nname = "two"\n[p.sub]\nk = 1\n'
    lines = key_lines(text)
    assert lines[("a", "x")] == 2 and lines[("a", "b", "c")] == 3
    assert lines[("a", "d", "e")] == 4 and lines[("a", "d", "f g")] == 4
    assert lines[("p", 0, "name")] == 6 and lines[("p", 1, "name")] == 8 and lines[("p", 1, "sub", "k")] == 10


def test_the_cli_says_a_bad_definition_in_one_line_and_exits_non_zero(tmp_path):
    bad = _broken(tmp_path, DEFAULT_DEFINITION, 'classes = ["D1", "D2", "E1", "E2", "F1", "F2"]', "classes = 5")
    src = tmp_path / "in.csv"
    src.write_text("Crime ID,Month\n", "utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruralaction",
            "classify",
            str(src),
            "--definition",
            str(bad),
            "--out",
            str(tmp_path / "o.csv"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"Error: Definition file northamptonshire.toml, line {_line(bad, 'classes = 5')}: rural.classes should be a valid list, not 5."
    ]


# ----------------------------------------------------------------------------- progress hooks


def test_progress_is_a_bar_on_a_terminal_and_a_line_a_tenth_elsewhere():
    from ruralaction import progressbar

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    bar = progressbar.terminal("Fetching", tty, min_interval_s=0)
    for i in range(1, 5):
        bar(i, 4, f"2024-0{i} Brixworth")
    assert tty.getvalue().endswith("\n")  # one line, redrawn in place, finished at the end
    assert tty.getvalue().split("\r")[-1].rstrip() == "Fetching [########################] 4/4 2024-04 Brixworth"
    assert "Fetching [######------------------] 1/4 2024-01 Brixworth" in tty.getvalue()

    log = io.StringIO()
    lines = progressbar.terminal("Reading files", log)
    for i in range(1, 31):
        lines(i, 30, f"file{i}.csv")
    assert log.getvalue().splitlines() == [
        f"Reading files: {3 * k}/30 ({10 * k}%) file{3 * k}.csv" for k in range(1, 11)
    ]
    quiet = io.StringIO()
    short = progressbar.terminal("Reading files", quiet)
    short(1, 1, "one.csv")
    assert quiet.getvalue() == ""

    events = io.StringIO()
    logs.configure(stream=events, path="", force=True)
    try:
        hook = progressbar.both(None, progressbar.logged("fetch"))
        for i in range(1, 21):
            hook(i, 20, f"step {i}")
    finally:
        logs.silence()
    done = [json.loads(line)["done"] for line in events.getvalue().splitlines()]
    assert done == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
