"""Structured logs: one JSON line per event, with no personal data in it.

A council's monitoring (journald, a log shipper, ``jq``) reads these lines; people read the
sentences on the page and the command line's output. Every event is a name and a few fields::

    {"ts": "2026-12-02T03:04:05.123Z", "level": "error", "event": "refresh.failed",
     "host": "ra1", "pid": 4242, "reason": "unreachable", "message": "police.uk could not …"}

Personal data never reaches a log line: fields named like personal data (``name``, ``email``,
``phone``, ``description``, ``password`` …) are dropped, and in every text value an email
address, a phone number and a password inside a database URL are masked (:func:`redact`), so
a database error that quotes a row or a connection string is safe to log too.

Where the lines go: the file named by ``$RURALACTION_LOG_FILE`` (appended; several app
instances may share it, each line is one ``write``), else standard error — for the app that
is Streamlit's console, which systemd's journal keeps. The command line logs events only
when ``$RURALACTION_LOG_FILE`` is set or ``--log-json`` is given, so its own output stays
readable; its one-line messages are for people (and cron mail).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Mapping
from typing import IO

LOGGER_NAME = "ruralaction.events"
LOG_FILE_ENV = "RURALACTION_LOG_FILE"

#: Field names that may carry personal data: never logged, whatever their value.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "full_name",
        "email",
        "phone",
        "telephone",
        "address",
        "postcode",
        "description",
        "password",
        "password_hash",
        "contact",
        "reporter",
        "user",
        "user_email",
        "token",
        "secret",
        "cookie",
    }
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]+:)(?P<pw>[^@\s]+)(?=@)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# UK numbers as people type them: 01604 123456, +44 7700 900123, 07700900123 (10-13 digits).
_PHONE = re.compile(r"(?<![\w.])(?:\+44\s?|0)(?:\d[\s-]?){9,11}\d(?![\w.])")
_MAX_TEXT = 2_000
_CONFIGURING = threading.Lock()


def redact(text: str) -> str:
    """``text`` with URL passwords, email addresses and phone numbers masked.

    >>> redact("postgresql+psycopg://ra:s3cret@db:5432/ra refused jo@example.org, 01604 123456")
    'postgresql+psycopg://ra:***@db:5432/ra refused <email>, <phone>'
    """
    text = _URL_PASSWORD.sub(r"\g<head>***", text)
    text = _EMAIL.sub("<email>", text)
    text = _PHONE.sub("<phone>", text)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _clean(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items() if str(k).lower() not in PERSONAL_FIELDS}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return redact(str(value))


def event_record(event: str, level: str = "info", /, **fields: object) -> dict:
    """The JSON object one event becomes (personal fields dropped, text redacted)."""
    record = {
        "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": level,
        "event": event,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    for key, value in fields.items():
        if key.lower() in PERSONAL_FIELDS or key in record:
            continue
        record[key] = _clean(value)
    return record


class JsonLines(logging.Formatter):
    """Formats a record made by :func:`event` as its JSON object; any other record as an event
    named after its logger."""

    def format(self, record: logging.LogRecord) -> str:
        payload = getattr(record, "ra_event", None)
        if payload is None:
            payload = event_record(record.name, record.levelname.lower(), message=record.getMessage())
        return json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def event(name: str, /, level: str = "info", **fields: object) -> dict:
    """Log one event as one JSON line; return the object logged (handy in tests).

    Parameters
    ----------
    name : str
        Dotted, stable, e.g. ``"refresh.finished"``, ``"page.fault"``, ``"health.checked"``.
    level : {"debug", "info", "warning", "error"}
    **fields
        Plain values. Personal fields are dropped and text is redacted (module doc).
    """
    record = event_record(name, level, **fields)  # positional-only: a field may be called "name"
    log = logger()
    log.log(_LEVELS.get(level, logging.INFO), name, extra={"ra_event": record})
    return record


def configure(stream: IO[str] | None = None, path: str | os.PathLike | None = None, force: bool = False) -> None:
    """Send events to ``path`` (``None``: ``$RURALACTION_LOG_FILE``; ``""``: no file), else to
    ``stream`` (default standard error). Called once per process; again with ``force=True`` to
    redirect."""
    log = logger()
    with _CONFIGURING:  # sessions of one app process may meet their first fault at the same moment
        if log.handlers and not force:
            return
        _install(log, stream, path)


def _install(log: logging.Logger, stream: IO[str] | None, path: str | os.PathLike | None) -> None:
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    target = os.environ.get(LOG_FILE_ENV) if path is None else path
    handler: logging.Handler
    if target:
        handler = logging.FileHandler(target, mode="a", encoding="utf-8", delay=True)
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def silence() -> None:
    """No event output (the command line without ``--log-json`` or a log file)."""
    log = logger()
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    log.addHandler(logging.NullHandler())
    log.propagate = False
