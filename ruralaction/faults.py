"""Faults in words: every known way the service can fail, as one sentence for the person in
front of it and one for what still works.

The pages (through ``dashboard/errors.py``) and the command line call :func:`describe` on any
exception; they never show a stack trace. The sentence says what is wrong in terms a council's
service desk can act on — "the database is not answering", "the server's disk is full", "line 12
of vocabulary.toml" — and the second sentence says what still works and whether anything was
lost. The full technical detail (exception types, a redacted message) goes only to the log,
under a short reference the page shows, so a report from a user can be matched to the log line.

The library's own errors already carry a sentence (their ``str``); :class:`RuralActionError` and
:class:`ConfigError` mark that explicitly. Faults from below — SQLAlchemy/psycopg/sqlite3,
``OSError`` — are recognised by their codes (SQLSTATE, SQLite result codes, ``errno``), never by
importing the drivers, so this module sits at the bottom of the library.
"""

from __future__ import annotations

import errno
import re
import secrets
from dataclasses import dataclass
from pathlib import Path


class RuralActionError(Exception):
    """A fault the library has put into words: ``str(exc)`` is a sentence for a person."""


class ConfigError(RuralActionError, ValueError):
    """A configuration file (definition, ``[progress]``, vocabulary) that cannot be used.

    Attributes
    ----------
    path : Path or None
        The file.
    line : int or None
        The line the problem is on (1-based), when it can be told.
    key : str or None
        The setting, dotted (``progress.measures.rural_crime.target``).
    """

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None, key: str | None = None):
        super().__init__(message)
        self.path, self.line, self.key = path, line, key


#: Fault kinds, each with what still works when it happens (the default second sentence).
STILL_WORKS: dict[str, str] = {
    "database_down": "Crime figures, maps and downloads still work; nothing already saved is lost, "
    "and actions and concerns come back as soon as the database does.",
    "database_auth": "Crime figures, maps and downloads still work; an administrator must correct the "
    "database settings (RURALACTION_DB_URL) for actions and concerns to come back.",
    "database_missing": "Crime figures, maps and downloads still work; an administrator must create the "
    "database or correct RURALACTION_DB_URL.",
    "database_busy": "Nothing was half-saved: try again in a minute.",
    "database_readonly": "Everything can still be read; nothing was changed.",
    "database_damaged": "Crime figures, maps and downloads still work; an administrator must restore the "
    "database from its backup.",
    "disk_full": "Nothing was half-saved and everything can still be read; an administrator must free "
    "disk space before anything new can be saved.",
    "permission": "Nothing was changed and everything can still be read; an administrator must fix the "
    "folder's permissions.",
    "read_only": "Nothing was changed and everything can still be read.",
    "config": "Pages that do not need this file still work; an administrator must correct it "
    "(python -m ruralaction health checks every file).",
    "data": "The other pages and the data already loaded still work; nothing was changed.",
    "io": "Nothing was half-saved; the other pages still work.",
    "network": "Nothing was changed; the data already loaded still shows.",
    "unexpected": "The other pages still work; the fault has been logged for the administrators.",
}
KINDS = tuple(STILL_WORKS)


@dataclass(frozen=True)
class Fault:
    """An exception in words.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    sentence : str
        What is wrong, in one sentence (safe to show anyone: no password, no personal data).
    still_works : str
        What still works, and whether anything was lost.
    reference : str
        A short random reference shown with the sentence and logged with the detail.
    detail : str
        Exception types and a message for the log (redact it before logging; :mod:`logs` does).
    wrote : bool
        The fault happened while saving (so "nothing was saved" is true: every write is one
        transaction).
    """

    kind: str
    sentence: str
    still_works: str
    reference: str
    detail: str
    wrote: bool = False

    def line(self) -> str:
        """Both sentences on one line (the command line's message)."""
        return f"{self.sentence} {self.still_works}"


# --------------------------------------------------------------------------- recognising faults

_SQLITE = {5: "busy", 6: "busy", 8: "readonly", 10: "io", 11: "damaged", 13: "full", 14: "cantopen", 26: "damaged"}
_SQLITE_TEXT = (
    ("database or disk is full", "full"),
    ("database is locked", "busy"),
    ("attempt to write a readonly database", "readonly"),
    ("unable to open database file", "cantopen"),
    ("file is not a database", "damaged"),
    ("database disk image is malformed", "damaged"),
    ("disk i/o error", "io"),
)
_SERVER_AT = re.compile(r'server at "(?P<host>[^"]+)"(?: \([^)]*\))?, port (?P<port>\d+)')
_SOCKET = re.compile(r'server on socket "(?P<sock>[^"]+)"')


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, what caused it (``__cause__``/``__context__``) and a DBAPI error wrapped by
    SQLAlchemy (``.orig``), outermost first, each once."""
    out: list[BaseException] = []
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or any(e is seen for seen in out) or len(out) > 20:
            continue
        out.append(e)
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return out


def _where(text: str) -> str:
    m = _SERVER_AT.search(text)
    if m:
        return f"PostgreSQL at {m['host']}, port {m['port']}"
    m = _SOCKET.search(text)
    return f"PostgreSQL on {m['sock']}" if m else "the database server"


def _is_write(exc: BaseException) -> bool:
    for e in _chain(exc):
        statement = getattr(e, "statement", None)
        if isinstance(statement, str) and statement.lstrip().split(" ", 1)[0].upper() in (
            "INSERT",
            "UPDATE",
            "DELETE",
            "COMMIT",
        ):
            return True
    return False


def _postgres(e: BaseException) -> tuple[str, str] | None:
    """(kind, sentence) for a psycopg error, from its SQLSTATE or, for a connection that never
    got one, from libpq's words."""
    state = getattr(e, "sqlstate", None)
    text = str(e)
    low = text.lower()
    where = _where(text)
    if state in ("28P01", "28000") or "password authentication failed" in low or "no password supplied" in low:
        return "database_auth", f"The database refused the app's sign-in ({where}: wrong user name or password)."
    if state == "3D000" or ("database" in low and "does not exist" in low):
        return "database_missing", f"The database named in the app's settings does not exist ({where})."
    if state == "53100":
        return "disk_full", "The database server's disk is full, so nothing was saved."
    if state in ("25006",):
        return "database_readonly", "The database is read-only just now (a standby server?), so nothing was saved."
    if state in ("40001", "40P01", "55P03"):
        return "database_busy", "The database was busy with another change at the same moment, so nothing was saved."
    if state == "42501":
        return "permission", "The app's database user is not allowed to do this, so nothing was changed."
    down_words = (
        "connection refused",
        "could not connect",
        "connection failed",
        "server closed the connection",
        "terminating connection",
        "timeout expired",
        "could not translate host name",
        "no route to host",
        "network is unreachable",
        "the database system is shutting down",
        "the database system is starting up",
        "consuming input failed",
        "connection is lost",
        "connection is closed",
        "ssl syscall error",
    )
    if (state or "").startswith(("08", "57P")) or any(w in low for w in down_words):
        why = "connection refused" if "refused" in low else "no answer"
        if "shutting down" in low or "terminating connection" in low or state == "57P01":
            why = "it is shutting down"
        elif "starting up" in low or state == "57P03":
            why = "it is still starting"
        elif "translate host name" in low:
            why = "its host name is unknown"
        elif "timeout" in low:
            why = "it did not answer in time"
        elif "closed the connection" in low or "consuming input" in low or "connection is lost" in low:
            why = "the connection was cut"
        return "database_down", f"The database is not answering ({where}: {why})."
    return None


def _sqlite(e: BaseException) -> tuple[str, str] | None:
    code = getattr(e, "sqlite_errorcode", None)
    kind = _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
    if kind is None:
        low = str(e).lower()
        kind = next((k for words, k in _SQLITE_TEXT if words in low), None)
    return {
        "full": ("disk_full", "The server's disk is full, so nothing was saved to the database."),
        "busy": ("database_busy", "The database was busy with other changes for too long, so nothing was saved."),
        "readonly": ("database_readonly", "The database file is read-only to the app, so nothing was saved."),
        "cantopen": ("database_down", "The database file cannot be opened (a missing folder or no permission)."),
        "damaged": ("database_damaged", "The database file is damaged and cannot be read."),
        "io": ("io", "The server could not read or write the database file (a disk error)."),
    }.get(kind)


def _os_error(e: OSError) -> tuple[str, str] | None:
    if e.errno is None:
        return None
    name = f" ({Path(e.filename).name})" if isinstance(e.filename, str | Path) and str(e.filename) else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk_full", f"The server's disk is full{name}, so nothing was saved."
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission", f"The app is not allowed to read or write a file it needs{name}: permission denied."
    if e.errno == errno.EROFS:
        return "read_only", f"The data folder is on a read-only disk{name}, so nothing was saved."
    if e.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT):
        return "network", f"A service the app needs could not be reached ({e.strerror or 'no answer'})."
    if e.errno == errno.ENOENT:
        return "io", f"A file the app needs is missing{name}."
    return "io", f"The server could not read or write a file{name}: {e.strerror or 'input/output error'}."


def _data_file(e: BaseException) -> tuple[str, str] | None:
    """A file that cannot be read as what it should be (pyarrow, a Parquet or a CSV parser)."""
    module = type(e).__module__ or ""
    if module.startswith(("pyarrow", "duckdb")) or type(e).__name__ in ("ArrowInvalid", "ParserError"):
        return "data", "A data file is damaged or not in the expected format, so it could not be read."
    return None


def _own(e: BaseException) -> tuple[str, str] | None:
    """The library's own errors: their text is already the sentence."""
    if isinstance(e, ConfigError):
        return "config", str(e)
    module = type(e).__module__ or ""
    if isinstance(e, RuralActionError) or (module.startswith("ruralaction.") and str(e)):
        if type(e).__name__ == "DatabaseError":  # a wrapper: the cause below says more
            return None
        return "data", str(e)
    return None


def describe(exc: BaseException) -> Fault:
    """Put ``exc`` into words (:class:`Fault`). Never raises.

    The first link of the exception chain that is recognised decides, trying in turn the
    library's own errors, database drivers (PostgreSQL SQLSTATEs and libpq's words, SQLite
    result codes), operating-system errors by ``errno`` and damaged data files; anything else
    is "unexpected", with a reference to its log line.
    """
    chain = _chain(exc)
    found: tuple[str, str] | None = None
    for e in chain:
        found = _own(e)
        if found is None and type(e).__module__.startswith(("psycopg", "sqlalchemy")):
            found = _postgres(e) if type(e).__module__.startswith("psycopg") else None
        if found is None and type(e).__module__ == "sqlite3":
            found = _sqlite(e)
        if found is None and isinstance(e, OSError) and not type(e).__module__.startswith("ruralaction"):
            found = _os_error(e)
        if found is None:
            found = _data_file(e)
        if found is not None:
            break
    if found is None:  # a DatabaseError wrapping nothing we know, or an unexpected error
        own = next((e for e in chain if (type(e).__module__ or "").startswith("ruralaction.") and str(e)), None)
        found = ("data", str(own)) if own is not None else ("unexpected", "Something unexpected went wrong here.")
    kind, sentence = found
    detail = " <- ".join(f"{type(e).__module__}.{type(e).__name__}: {e}" for e in chain)
    return Fault(
        kind=kind,
        sentence=sentence,
        still_works=STILL_WORKS[kind],
        reference=secrets.token_hex(3).upper(),
        detail=detail,
        wrote=_is_write(exc) or kind == "disk_full",
    )
