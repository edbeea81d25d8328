"""Is the service healthy? Configuration, database, data store and freshness, for monitoring.

``python -m ruralaction health`` runs :func:`check` and prints one line per check (or JSON with
``--json``), and exits like a Nagios/Icinga plugin — 0 all ok, 1 a warning, 2 something
critical — so a council's monitoring can call it as it is, from cron or an NRPE/Icinga agent.
Each check is cheap (no dataset is loaded or classified), so it can run every minute:

- **config** — the definition, its ``[progress]`` section and the action vocabulary pass their
  schemas (a broken file is critical: pages that need it cannot work);
- **database** — it answers ``SELECT 1`` and its schema is at the revision the code expects;
- **data store** — the data directory exists and is writable, has free space, and the dataset
  shown has incident files;
- **freshness** — our data's newest police.uk month against police.uk's usual two-month lag,
  and the last refresh's result (:mod:`ruralaction.ops.refresh`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ruralaction import logs
from ruralaction.faults import describe
from ruralaction.incidents.store import Store
from ruralaction.ops.refresh import PUBLICATION_LAG_MONTHS, expected_month, last_refresh, latest_loaded

LEVELS = ("ok", "warning", "critical")
EXIT_CODES = {"ok": 0, "warning": 1, "critical": 2}
#: Free space below which the data store check warns (bytes), and is critical.
FREE_WARNING = 1 << 30
FREE_CRITICAL = 100 << 20


@dataclass(frozen=True)
class Check:
    """One check's result: its name, ``"ok"``/``"warning"``/``"critical"``, and one sentence."""

    name: str
    level: str
    message: str


@dataclass(frozen=True)
class Health:
    checks: tuple[Check, ...]

    @property
    def level(self) -> str:
        return max((c.level for c in self.checks), key=LEVELS.index, default="ok")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.level]

    def lines(self) -> list[str]:
        return [f"{c.level.upper():<8} {c.name}: {c.message}" for c in self.checks]

    def as_dict(self) -> dict:
        return {"status": self.level, "checks": [asdict(c) for c in self.checks]}


def _config() -> Check:
    from ruralaction.actions.vocab import load_vocabulary
    from ruralaction.definition import load_definition
    from ruralaction.progress.config import load_progress_config

    try:
        d = load_definition()
        load_progress_config(d.path)
        v = load_vocabulary()
    except Exception as exc:  # noqa: BLE001 - any file that cannot be used is this check's answer
        return Check("config", "critical", describe(exc).sentence)
    return Check(
        "config",
        "ok",
        f"Definition {d.path.name} ({d.county}), its [progress] section and the vocabulary "
        f"({len(v.partners)} partners, {len(v.issues)} issues) pass their schemas.",
    )


def _database(url: str | None) -> Check:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from ruralaction.actions.db import current_revision, database_url, head_revision, make_engine, safe_url

    chosen = database_url(url)
    u = make_url(chosen)
    if u.get_backend_name() == "sqlite" and u.database and not Path(u.database).is_file():
        # not created here: a health check must change nothing
        return Check(
            "database", "warning", f"There is no database file {u.database} yet (the app creates it on start)."
        )
    try:
        engine = make_engine(chosen)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            have, want = current_revision(engine), head_revision()
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any database fault is this check's answer
        return Check("database", "critical", describe(exc).sentence)
    where = safe_url(chosen)
    if have is None:
        return Check("database", "warning", f"{where} answers but has no tables yet (the app creates them on start).")
    if have != want:
        return Check(
            "database",
            "warning",
            f"{where} answers; its schema is at {have}, the code expects {want} (upgraded on start).",
        )
    return Check("database", "ok", f"{where} answers; schema at {have}.")


def _store(store: Store) -> list[Check]:
    root = store.root
    if not root.is_dir():
        return [Check("data store", "critical", f"The data directory {root} does not exist.")]
    try:
        fd, probe = tempfile.mkstemp(dir=root, prefix=".health-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return [
            Check("data store", "critical", f"The data directory {root} cannot be written: {describe(exc).sentence}")
        ]
    usage = shutil.disk_usage(root)
    free = f"{usage.free / (1 << 30):.1f} GiB free"
    active = store.active()
    files = "has incident files" if store.has_incidents(active) else "has no incident files"
    level = "ok" if store.has_incidents(active) else "warning"
    if usage.free < FREE_CRITICAL:
        level = "critical"
    elif usage.free < FREE_WARNING:
        level = max(level, "warning", key=LEVELS.index)
    return [Check("data store", level, f"{root} is writable, {free}; the dataset shown ({active}) {files}.")]


def _freshness(store: Store, force: str, today: dt.date) -> Check:
    active = store.active()
    rec = last_refresh(store.root)
    refresh_words = "" if rec is None else f" {rec.sentence()}"
    if active == "demo":
        return Check(
            "freshness", "warning", "The dashboard is showing the demo data, not police.uk data." + refresh_words
        )
    have = latest_loaded(store, force)
    expected = expected_month(today)
    if have is None:
        return Check(
            "freshness",
            "warning",
            f"No police.uk street file of {force} is named in our data, so its freshness cannot be told."
            + refresh_words,
        )
    level = "ok" if have >= expected else "warning"
    words = (
        f"Our newest month of {force} is {have}"
        + ("" if have >= expected else f", older than the {expected} expected with police.uk's usual lag")
        + f" ({PUBLICATION_LAG_MONTHS} months)."
    )
    if rec is not None and not rec.ok:
        level = "warning"
    return Check("freshness", level, words + refresh_words)


def check(
    root: str | os.PathLike | None = None,
    db_url: str | None = None,
    force: str = "northamptonshire",
    today: dt.date | None = None,
) -> Health:
    """Run every check (module doc) and log the result as one ``health.checked`` event."""
    store = Store(Path(root)) if root is not None else Store.default()
    today = today or dt.date.today()
    checks = [_config(), _database(db_url), *_store(store)]
    if store.root.is_dir():
        checks.append(_freshness(store, force, today))
    health = Health(tuple(checks))
    logs.event(
        "health.checked",
        level="info" if health.level == "ok" else "warning",
        status=health.level,
        checks={c.name: c.level for c in checks},
    )
    return health
