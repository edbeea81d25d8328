"""Abuse resistance for the public form: limits per client address and per browser held in the
database, a honeypot field, a per-session rate limit and a process burst guard.

- :func:`claim_submission` counts a concern against its **client** (network address) and its
  **browser** (a key that survives a reload and new tabs) in the ``concern_limits`` table, in the
  same transaction that stores the concern: every app instance shares the counts, and parallel
  submissions cannot slip past (the rows are locked). A script opening fresh sessions from one
  client is held by the client limit long before the process burst guard fills, so residents on
  other clients are never told to wait because of it.
- :func:`is_bot` — a honeypot: a field hidden from people (and from screen readers) that
  scripts filling every input fill in.

The in-memory limits below remain as a first line (no database round trip):

- :class:`SessionLimiter` lives in one browser session's state: a few concerns per hour and a
  short gap between two, so a stuck button or a bored visitor cannot fill the queue.
- :class:`BurstGuard` is shared by every session of one app process. It counts accepted
  submissions in a sliding window and refuses more *immediately*: it never waits, sleeps or
  queues, so a burst (a script opening many sessions) costs the other visitors nothing. A
  refused submission is not lost from the person's screen: the form keeps what they typed and
  says when to try again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ruralaction.actions.models import ConcernLimit

#: Defaults: three concerns an hour from one session, at least 20 seconds apart.
SESSION_MAX = 3
SESSION_WINDOW = dt.timedelta(hours=1)
SESSION_MIN_GAP = dt.timedelta(seconds=20)
#: Defaults: at most 30 concerns a minute through one app process.
BURST_MAX = 30
BURST_WINDOW = dt.timedelta(minutes=1)
#: Defaults held in the database: per browser as per session above; per client address ten an
#: hour (a household, an office or a library shares one address; a phone network's shared
#: addresses are why it is not lower).
DB_LIMITS = {
    "browser": (SESSION_MAX, SESSION_WINDOW, SESSION_MIN_GAP),
    "client": (10, dt.timedelta(hours=1), dt.timedelta(0)),
}
#: The honeypot field's name in the form (see :func:`is_bot`).
HONEYPOT = "website"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def wait_words(wait: dt.timedelta) -> str:
    """A wait in words: "20 seconds", "1 minute", "45 minutes"."""
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass
class SessionLimiter:
    """How often one session may submit a concern.

    Parameters
    ----------
    max_per_window : int
        Submissions allowed in any ``window``.
    window : timedelta
    min_gap : timedelta
        Shortest time between two submissions.
    """

    max_per_window: int = SESSION_MAX
    window: dt.timedelta = SESSION_WINDOW
    min_gap: dt.timedelta = SESSION_MIN_GAP
    times: list[dt.datetime] = field(default_factory=list)

    def retry_after(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """How long until this session may submit again; None when it may now."""
        now = now or utcnow()
        recent = [t for t in self.times if now - t < self.window]
        waits = []
        if recent and now - recent[-1] < self.min_gap:
            waits.append(recent[-1] + self.min_gap - now)
        if len(recent) >= self.max_per_window:
            waits.append(recent[-self.max_per_window] + self.window - now)
        return max(waits) if waits else None

    def record(self, now: dt.datetime | None = None) -> None:
        """Count one stored submission (call it after the concern was saved)."""
        now = now or utcnow()
        self.times = [t for t in self.times if now - t < self.window] + [now]


class BurstGuard:
    """Submissions accepted by one process in a sliding window; never blocks.

    Thread-safe: Streamlit runs each session's script in its own thread. The lock is held only
    for a few list operations, never across I/O.

    Parameters
    ----------
    max_per_window : int
    window : timedelta
    """

    def __init__(self, max_per_window: int = BURST_MAX, window: dt.timedelta = BURST_WINDOW):
        self.max_per_window = max_per_window
        self.window = window
        self._times: deque[dt.datetime] = deque()
        self._lock = threading.Lock()

    def _forget(self, now: dt.datetime) -> None:
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()

    def try_acquire(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """Take a slot for one submission. Returns None when taken; else how long until one frees.

        Call :meth:`release` if the submission then fails, so a database error does not use
        up the slot.
        """
        now = now or utcnow()
        with self._lock:
            self._forget(now)
            if len(self._times) >= self.max_per_window:
                return self._times[0] + self.window - now
            self._times.append(now)
            return None

    def release(self, now: dt.datetime) -> None:
        """Give back the slot taken at ``now`` (the submission was not stored)."""
        with self._lock:
            try:
                self._times.remove(now)
            except ValueError:
                pass

    def in_window(self, now: dt.datetime | None = None) -> int:
        """Submissions counted in the current window."""
        now = now or utcnow()
        with self._lock:
            self._forget(now)
            return len(self._times)


# --------------------------------------------------------------------------- held in the database


class TooManyConcerns(Exception):
    """This client or browser sent its share of concerns; ``retry_after`` says when it may again."""

    def __init__(self, retry_after: dt.timedelta, kind: str):
        super().__init__(f"too many concerns from this {kind}; wait {wait_words(retry_after)}")
        self.retry_after = retry_after
        self.kind = kind


def limit_keys(client: str | None, browser: str | None) -> dict[str, str]:
    """The keys a submission is counted against, kind -> key (hashes: never an address in clear)."""

    def h(v: str) -> str:
        return hashlib.sha256(v.encode("utf-8")).hexdigest()[:64]

    keys = {}
    if browser:
        keys["browser"] = f"browser:{h(browser)}"
    if client:
        keys["client"] = f"client:{h(client)}"
    return keys


def _insert_missing(s: Session, keys: list[str], now: dt.datetime) -> None:
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the two supported backends are above
        raise NotImplementedError(f"concern limits need SQLite or PostgreSQL, not {dialect}")
    rows = [{"key": k, "window_start": now, "count": 0, "last_at": now - dt.timedelta(days=1)} for k in keys]
    s.execute(insert(ConcernLimit).values(rows).on_conflict_do_nothing(index_elements=["key"]))


def claim_submission(
    s: Session, keys: Mapping[str, str], now: dt.datetime, limits: Mapping[str, tuple] = DB_LIMITS
) -> None:
    """Within write transaction ``s`` (the one that stores the concern): count one submission
    against ``keys`` (:func:`limit_keys`), or raise :class:`TooManyConcerns` and count nothing.

    Each kind allows ``max`` submissions in a fixed ``window`` and at least ``gap`` between two.
    Rows are locked in key order, so parallel submissions queue and cannot deadlock; rows idle
    for a day are deleted.
    """
    if not keys:
        return
    _insert_missing(s, sorted(keys.values()), now)
    rows = s.scalars(
        select(ConcernLimit).where(ConcernLimit.key.in_(keys.values())).order_by(ConcernLimit.key).with_for_update()
    ).all()
    kind_of = {key: kind for kind, key in keys.items()}
    waits: list[tuple[dt.timedelta, str]] = []
    for row in rows:
        kind = kind_of[row.key]
        most, window, gap = limits[kind]
        if now - row.window_start >= window:
            row.window_start, row.count = now, 0
        if row.count >= most:
            waits.append((row.window_start + window - now, kind))
        if now - row.last_at < gap:
            waits.append((row.last_at + gap - now, kind))
    if waits:
        wait, kind = max(waits)
        raise TooManyConcerns(wait, "network address" if kind == "client" else "browser")
    for row in rows:
        row.count += 1
        row.last_at = now
    s.execute(delete(ConcernLimit).where(ConcernLimit.last_at < now - dt.timedelta(days=1)))


def is_bot(form: Mapping[str, object]) -> bool:
    """Whether the honeypot field (:data:`HONEYPOT`, hidden from people) was filled in."""
    return bool(str(form.get(HONEYPOT) or "").strip())
