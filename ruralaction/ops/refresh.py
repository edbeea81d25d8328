"""The monthly refresh: fetch what data.police.uk has published since last time, load it, and
record how it went — run from cron or a systemd timer, never two at once.

One run (:func:`refresh`):

1. takes the lock ``DATA_DIR/.refresh.lock`` (:class:`~ruralaction.ops.lock.RunLock`); if another
   run holds it, this one does nothing and says so;
2. asks data.police.uk which months it serves; no answer is the status ``"unreachable"``;
3. fetches every month after the latest one already in our data (the latest twelve on a first
   run) into a temporary folder inside the data directory, with progress;
4. loads the fetched files into our data through the store (validated, all-or-nothing); a
   fetch or load that fails leaves our data as it was, and the next run tries again;
5. records the result in ``DATA_DIR/refresh.json`` (written whole, then renamed), which the Data
   page and ``python -m ruralaction health`` read: when, what was added, and the status —

   ``"ok"`` (new months loaded), ``"up to date"`` (nothing new, nothing expected),
   ``"late"`` (police.uk has not yet published the month expected by now), ``"unreachable"``,
   ``"failed"`` (a month could not be fetched or loaded; the message says why).

Every status but ``"ok"`` and ``"up to date"`` makes the command exit non-zero with one line
saying why, and is logged as one JSON event.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from ruralaction import logs
from ruralaction.faults import describe
from ruralaction.incidents.fetch import FetchError, fetch_force
from ruralaction.incidents.police_api import DEFAULT_BASE_URL, USER_AGENT
from ruralaction.incidents.store import Store
from ruralaction.ops.lock import RunLock
from ruralaction.permissions import Actor
from ruralaction.progressbar import Progress

RECORD = "refresh.json"
LOCK = ".refresh.lock"
#: police.uk publishes a month's crimes about this many months after it ends.
PUBLICATION_LAG_MONTHS = 2
STATUSES = ("ok", "up to date", "late", "unreachable", "failed")
GOOD = ("ok", "up to date")
_FILE = re.compile(r"^(\d{4}-\d{2})-(.+)-street\.csv$", re.I)


@dataclass
class RefreshRecord:
    """How the last refresh went (``refresh.json``).

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    message : str
        One sentence: what happened, or why not.
    started, finished : str
        ISO 8601 times, UTC.
    force : str
    months_added : list of str
        ``YYYY-MM`` months loaded into our data by this run.
    rows_added : int
    latest_published : str or None
        The newest month data.police.uk served.
    expected : str or None
        The month that should be published by now (today's month less the usual lag).
    """

    status: str
    message: str
    started: str
    finished: str
    force: str
    months_added: list[str] = field(default_factory=list)
    rows_added: int = 0
    latest_published: str | None = None
    expected: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in GOOD

    def sentence(self) -> str:
        """The result for the Data page: "Last refresh 2 Dec 2026 03:00 UTC: ok — …"."""
        when = dt.datetime.fromisoformat(self.finished).strftime("%-d %b %Y %H:%M UTC")
        return f"Last refresh {when}: {self.status}. {self.message}"


def _shift(month: str, by: int) -> str:
    y, m = map(int, month.split("-"))
    n = y * 12 + (m - 1) + by
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def expected_month(today: dt.date, lag: int = PUBLICATION_LAG_MONTHS) -> str:
    """The newest month police.uk should serve on ``today``."""
    return _shift(f"{today:%Y-%m}", -lag)


def latest_loaded(store: Store, force: str) -> str | None:
    """The newest month of ``force`` in our data, from the police.uk file names kept there."""
    base = store.path("ours")
    months = [
        m.group(1)
        for p in base.rglob("*-street.csv")
        if (m := _FILE.match(p.name)) and m.group(2).lower() == force.lower()
    ]
    return max(months) if months else None


def last_refresh(root: str | os.PathLike | None = None) -> RefreshRecord | None:
    """The recorded result of the last refresh in the data directory (None if never run or unreadable)."""
    store = Store(Path(root)) if root is not None else Store.default()
    try:
        raw = json.loads((store.root / RECORD).read_text("utf-8"))
        return RefreshRecord(**{k: raw[k] for k in RefreshRecord.__dataclass_fields__ if k in raw})
    except (OSError, ValueError, TypeError):
        return None


def _save(store: Store, record: RefreshRecord) -> None:
    store.root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=store.root, prefix=".refresh-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(record), f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, store.root / RECORD)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def published_months(base_url: str, timeout_s: float = 30, session: requests.Session | None = None) -> list[str]:
    """The months data.police.uk serves, oldest first.

    Raises
    ------
    FetchError
        It did not answer, or answered something that is not its list of months.
    """
    url = f"{base_url.rstrip('/')}/crimes-street-dates"
    get = (session or requests).get
    try:
        r = get(url, timeout=timeout_s, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as exc:
        why = "no answer in time" if isinstance(exc, requests.Timeout) else "connection failed"
        raise FetchError(f"data.police.uk could not be reached at {url} ({why}).") from exc
    if r.status_code != 200:
        raise FetchError(f"data.police.uk answered HTTP {r.status_code} at {url}.")
    try:
        return sorted({str(d["date"]) for d in r.json()})
    except (ValueError, TypeError, KeyError):
        raise FetchError(f"data.police.uk's list of months at {url} is not in its usual form.") from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def refresh(
    force: str,
    root: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    today: dt.date | None = None,
    lag_months: int = PUBLICATION_LAG_MONTHS,
    progress: Progress | None = None,
    fetch_options: dict | None = None,
) -> RefreshRecord:
    """Run one refresh (module doc) and return its record (also saved in ``refresh.json``).

    Parameters
    ----------
    force : str
        data.police.uk's force id, e.g. ``"northamptonshire"``.
    root : path-like, optional
        The data directory (default ``$RURALACTION_DATA_DIR``).
    base_url : str, optional
        The API root (default ``$RURALACTION_POLICE_API`` or https://data.police.uk/api).
    today : date, optional
        For "late" (default: today).
    lag_months : int
        How many months after a month's end police.uk usually publishes it.
    progress : callable, optional
        ``progress(done, total, what)`` for the fetch (:mod:`ruralaction.progressbar`).
    fetch_options : dict, optional
        Passed to :func:`~ruralaction.incidents.fetch.fetch_force` (rate, retries, timeouts).

    Raises
    ------
    ruralaction.ops.lock.Busy
        Another refresh is running; nothing was done or recorded.
    """
    store = Store(Path(root)) if root is not None else Store.default()
    base = base_url or os.environ.get("RURALACTION_POLICE_API") or DEFAULT_BASE_URL
    force = force.strip().lower()
    today = today or dt.date.today()
    with RunLock(store.root / LOCK, "refresh"):
        started = _now()
        logs.event("refresh.started", force=force, data_dir=str(store.root))
        record = _run(store, force, base, today, lag_months, progress, fetch_options or {}, started)
        _save(store, record)
    level = "info" if record.ok else "error"
    logs.event(f"refresh.{'finished' if record.ok else 'failed'}", level=level, **asdict(record))
    return record


def _run(store, force, base, today, lag, progress, options, started) -> RefreshRecord:
    expected = expected_month(today, lag)

    def done(status: str, message: str, **kw) -> RefreshRecord:
        return RefreshRecord(status, message, started, _now(), force, expected=expected, **kw)

    try:
        served = published_months(base, timeout_s=options.get("timeout_s", 30))
    except FetchError as exc:
        return done("unreachable", f"{exc} Nothing was changed; the next run will try again.")
    if not served:
        return done("unreachable", "data.police.uk serves no months at all just now. Nothing was changed.")
    latest = served[-1]
    have = latest_loaded(store, force)
    late = latest < expected
    late_words = (
        f"police.uk is late: the newest month it serves is {latest}, and {expected} was expected by now."
        if late
        else ""
    )
    if have is not None and have >= latest:
        if late:
            return done("late", f"{late_words} Our data already has {latest}; nothing new.", latest_published=latest)
        return done(
            "up to date", f"Our data already has {latest}, the newest month published.", latest_published=latest
        )

    start = _shift(have, 1) if have else None
    tmp = Path(tempfile.mkdtemp(dir=store.root, prefix=".refresh-fetch-"))
    try:
        try:
            summary = fetch_force(force, start, latest, tmp, base_url=base, progress=progress, **options)
        except FetchError as exc:
            return done("unreachable", f"{exc} Nothing was changed.", latest_published=latest)
        if not summary.files_written:
            why = " ".join(summary.messages[:2]) or "nothing could be fetched."
            return done("failed", f"No month could be fetched: {why} Nothing was changed.", latest_published=latest)
        result = store.add_incidents([tmp], actor=Actor.system_actor("monthly refresh"))
        if not result.accepted:
            return done(
                "failed", "The fetched files could not be loaded; nothing was changed.", latest_published=latest
            )
        months = sorted(summary.months_fetched)
        rows = sum(summary.rows_written.values())
        added = f"Added {', '.join(months)} ({rows:,} rows) to our data."
        if summary.months_failed:
            failed = ", ".join(summary.months_failed)
            return done(
                "failed",
                f"{added} {failed} could not be fetched and will be tried again next run.",
                months_added=months,
                rows_added=rows,
                latest_published=latest,
            )
        if late:
            return done("late", f"{added} {late_words}", months_added=months, rows_added=rows, latest_published=latest)
        return done("ok", added, months_added=months, rows_added=rows, latest_published=latest)
    except Exception as exc:  # noqa: BLE001 - a disk full or a broken store: recorded in words, data unchanged
        return done("failed", f"{describe(exc).sentence} Nothing was changed.", latest_published=latest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
