"""The database: where it is, how to connect, transactions, and migrating the schema in place.

One SQLAlchemy engine per process. SQLite (the default, a file in the data directory) is set up
for several processes at once: write-ahead logging, a 30 s busy timeout, foreign keys on, and
transactions begun by us rather than by the driver, so that schema changes are transactional
and a write transaction takes the write lock *at its start* (``BEGIN IMMEDIATE``) — a
transaction that read first and upgraded its lock later could fail instead of waiting.
PostgreSQL (``postgresql+psycopg://…``) is for shared, multi-instance deployments.

The database holds personal data and password hashes, so a SQLite file is created readable and
writable by the service account only (0600; SQLite gives its ``-wal`` and ``-shm`` files the same
mode), an existing one is tightened to that, and so is the data directory it sits in (0700).

The schema is versioned with Alembic; its scripts live in ``migrations/`` beside this module and
:func:`migrate` runs them, so an old database upgrades in place when the app or a command opens
it. Concurrent starts are serialised: an advisory lock on PostgreSQL, the write lock on SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ruralaction.faults import describe
from ruralaction.settings import data_dir

MIGRATIONS = Path(__file__).with_name("migrations")
DB_FILE_NAME = "ruralaction.db"
_WRITE = "ruralaction_write"
#: Key of the PostgreSQL advisory lock held while migrating (any constant unique to this app).
_MIGRATION_LOCK = 7_235_110_551


class DatabaseError(RuntimeError):
    """The database cannot be used; the message never contains the URL's password."""


def database_url(url: str | None = None) -> str:
    """The database URL: ``url``, else ``$RURALACTION_DB_URL``, else a SQLite file in the data dir.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL, e.g. ``sqlite:////srv/ra/ruralaction.db`` or
        ``postgresql+psycopg://user:password@host:5432/ruralaction``.
    """
    chosen = url or os.environ.get("RURALACTION_DB_URL")
    if chosen:
        return chosen
    return f"sqlite:///{data_dir() / DB_FILE_NAME}"


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (see :func:`database_url`), not yet migrated.

    For a SQLite file the folder is created when missing.
    """
    url = database_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            make_private(Path(u.database))
        engine = create_engine(u, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine)
        return engine
    return create_engine(u, pool_pre_ping=True)


def make_private(db_file: Path) -> None:
    """Create ``db_file`` (and its folder) readable by this account only, or tighten them.

    The folder is created 0700 when missing, and tightened to 0700 when it is the data
    directory; any other existing folder (``/srv``, ``/tmp``…) is left as its owner set it. The
    file and its ``-wal``/``-shm`` companions become 0600.
    """
    folder = db_file.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    elif folder.resolve() == data_dir().resolve():
        _chmod(folder, 0o700)
    if not db_file.exists():
        try:
            os.close(os.open(db_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:  # another process created it meanwhile
            pass
    for path in (db_file, db_file.with_name(db_file.name + "-wal"), db_file.with_name(db_file.name + "-shm")):
        if path.exists():
            _chmod(path, 0o600)


def _chmod(path: Path, mode: int) -> None:
    """Tighten ``path`` to ``mode`` when it allows more (and this account owns it)."""
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except PermissionError:
        pass  # not ours: the owner decides


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # the driver starts no transactions; "begin" below does
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, rolled back on any error.

    On SQLite the transaction holds the write lock from its start, so writers queue (up to the
    busy timeout) instead of failing; on PostgreSQL rows are locked as they are selected
    ``FOR UPDATE``.
    """
    with Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={_WRITE: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading (one consistent snapshot; never commits)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


# --------------------------------------------------------------------------- migrations


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to ``revision`` (default: the newest), in place, in one transaction.

    Safe to call on every start and from several processes at once: when the database is
    already at the revision this only reads; otherwise the first caller upgrades while the
    others wait, then find nothing to do.

    Returns
    -------
    str or None
        The revision the database is at afterwards.
    """
    from alembic import command

    target = head_revision() if revision == "head" else revision
    try:
        if current_revision(engine) == target:
            return target
        cfg = _alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
    except Exception as exc:
        if isinstance(exc, DatabaseError):
            raise
        fault = describe(exc)  # "not answering", "refused the app's sign-in", "disk is full" …
        raise DatabaseError(
            fault.sentence
            if fault.kind != "unexpected"
            else f"The actions database at {safe_url(str(engine.url))} could not be "
            f"brought up to date: {type(exc).__name__}."
        ) from exc
    return current_revision(engine)


def open_database(url: str | None = None) -> Engine:
    """An engine for ``url`` (see :func:`database_url`) with the schema at the newest revision."""
    engine = make_engine(url)
    migrate(engine)
    return engine


def table_names(engine: Engine) -> set[str]:
    """Tables in the database (for checks and tests)."""
    return set(inspect(engine).get_table_names())
