"""Abuse resistance for the public form: a per-session rate limit and a global burst guard.

Both are plain objects with an explicit clock (``now``), so tests drive them without waiting.

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
import threading
from collections import deque
from dataclasses import dataclass, field

#: Defaults: three concerns an hour from one session, at least 20 seconds apart.
SESSION_MAX = 3
SESSION_WINDOW = dt.timedelta(hours=1)
SESSION_MIN_GAP = dt.timedelta(seconds=20)
#: Defaults: at most 30 concerns a minute through one app process.
BURST_MAX = 30
BURST_WINDOW = dt.timedelta(minutes=1)


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
