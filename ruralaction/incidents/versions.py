"""Data versions: every change to the data directory is all-or-nothing, named, and can be undone.

Layout under the data directory::

    versions/000007-20261202T064512Z/   one complete copy of the data (hard links: unchanged files
        ours/…, demo/…, settings.json     share their bytes with the versions before), never changed
        manifest.json                     who made it, when, what, the parent version, fingerprints
    current                             the id of the version shown, replaced atomically (os.replace)
    retired.json                        versions no longer shown (undone, or past the KEEP kept), with
                                          when they stopped being shown: removed after a grace period
    audit.jsonl                         one JSON line per data change, undo or switch
    .store.lock                         held while a change is written (one writer at a time)
    .staging-…, .trash-…                work in progress / being removed; cleaned at the next change

A change is staged in ``.staging-<id>`` beside the versions (a hard-linked copy of the current
version plus the change), renamed into ``versions/`` when complete, and made current by one
``os.replace`` of the ``current`` file. A crash at any point leaves the previous version current
and complete: a staging folder, or a version newer than ``current`` (renamed but never switched
to), is a leftover and is removed before the next change. So the current version is the newest one
but for undone ones; :meth:`Versions.use` (going back to an older version) makes a new version with
that content, and :meth:`Versions.undo` switches to the parent.

Other processes (app instances) may still be answering a query from a version that stopped being
shown (a DuckDB view over its Parquet files), so no version is deleted as it stops being shown:
an undone version, or one past the :data:`KEEP` newest, is recorded in ``retired.json`` (no
longer listed, never shown again) and its folder removed by the first change or cleanup after
the grace period (:func:`ruralaction.settings.version_grace_s`, 10 minutes by default).

A data directory from before versions (``ours/``, ``demo/``, ``settings.json`` at its top) is read
as it is until the first change, which first makes it version 1 and then moves it aside.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ruralaction.locks import RunLock
from ruralaction.permissions import Actor
from ruralaction.settings import version_grace_s

VERSIONS = "versions"
POINTER = "current"
MANIFEST = "manifest.json"
AUDIT = "audit.jsonl"
RETIRED = "retired.json"
LOCK = ".store.lock"
STAGING = ".staging-"
TRASH = ".trash-"
#: What a version holds at its top (the names of the layout before versions).
CONTENT = ("ours", "demo", "settings.json")
#: What a change starts from: the content and its classified store (rebuilt only where it changed).
LINKED = (*CONTENT, "classified")
#: Versions kept for going back (the current one and its parent are always kept).
KEEP = 20
#: Named points in a change where a test can have the process killed (``RURALACTION_STORE_KILL_AT``).
KILL_POINTS = ("staged", "renamed", "switched", "undo-retired", "undo-switched")
#: How long a change waits for another process's change to finish.
LOCK_WAIT_S = 120.0


class VersionError(ValueError):
    """A version request that cannot be met; the message is one plain sentence."""


@dataclass(frozen=True)
class Version:
    """One version of the data: its id and the change that made it."""

    id: str
    parent: str | None
    at: str
    actor: str
    action: str
    note: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: Facts the store records about the version (e.g. which datasets hold incident files).
    info: dict = field(default_factory=dict)

    @property
    def number(self) -> int:
        return int(self.id.split("-", 1)[0])

    def describe(self) -> str:
        """``"7 · 2026-12-02 06:45 · admin@x · add police.uk files: 3 files"``."""
        when = self.at[:16].replace("T", " ")
        return f"{self.number} · {when} UTC · {self.actor} · {self.action}" + (f": {self.note}" if self.note else "")


def _checkpoint(name: str) -> None:
    """Die here, as a crash or ``kill -9`` would, when a test asks for it."""
    if os.environ.get("RURALACTION_STORE_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _now() -> datetime:
    return datetime.now(UTC)


def fingerprint(folder: Path) -> str:
    """A fingerprint of a folder's files (relative paths, sizes, modification times).

    Hard links keep the modification time, so a dataset untouched by a change keeps its
    fingerprint in the new version and caches keyed on it stay valid.
    """
    h = hashlib.sha256()
    if folder.is_dir():
        for p in sorted(q for q in folder.rglob("*") if q.is_file()):
            st = p.stat()
            h.update(f"{p.relative_to(folder).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def link_tree(src: Path, dst: Path) -> None:
    """Copy a folder as hard links (a real copy where the file system cannot link)."""
    if src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return

    def _link(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, copy_function=_link, dirs_exist_ok=True)


def write_atomic(dest: Path, data: bytes) -> None:
    """Write a file under a temporary name, flush it to disk, then rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Versions:
    """The versions of one data directory."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # ----------------------------------------------------------------- reading

    def current_id(self) -> str | None:
        """The id in ``current`` (None before the first versioned change)."""
        try:
            vid = (self.root / POINTER).read_text("utf-8").strip()
        except OSError:
            return None
        return vid or None

    def current_dir(self) -> Path:
        """Where the data shown now lives: the current version, or the top of a directory from
        before versions."""
        vid = self.current_id()
        return self.root / VERSIONS / vid if vid else self.root

    def get(self, vid: str) -> Version:
        try:
            raw = json.loads((self.root / VERSIONS / vid / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            raise VersionError(f"There is no data version '{vid}'.") from None
        return Version(**raw)

    def current(self) -> Version | None:
        vid = self.current_id()
        return self.get(vid) if vid else None

    def list(self) -> list[Version]:
        """Every committed version, newest first (leftovers of a crashed change are not listed)."""
        cur = self.current_id()
        if cur is None:
            return []
        folder, retired = self.root / VERSIONS, self.retired()
        ids = sorted(
            (
                p.name
                for p in folder.iterdir()
                if p.is_dir() and p.name <= cur and (p.name == cur or p.name not in retired)
            ),
            reverse=True,
        )
        out = []
        for vid in ids:
            with contextlib.suppress(VersionError):
                out.append(self.get(vid))
        return out

    def resolve(self, ref: str) -> Version:
        """A version by id, by its number (``"7"``) or by a unique id prefix."""
        ref = ref.strip()
        matches = [v for v in self.list() if v.id == ref or v.id.startswith(ref) or ref == str(v.number)]
        if len(matches) != 1:
            raise VersionError(f"There is no single data version '{ref}'; `data versions` lists them.")
        return matches[0]

    def fingerprint(self, dataset: str) -> str:
        """The dataset's fingerprint in the current version (from its manifest: no file walk)."""
        cur = self.current()
        if cur is not None and dataset in cur.fingerprints:
            return f"{cur.fingerprints[dataset]}"
        return fingerprint(self.current_dir() / dataset)

    # ----------------------------------------------------------------- housekeeping

    def cleanup(self) -> list[Path]:
        """Remove what a crashed change left: staging and trash folders, versions newer than
        ``current`` that were never shown (renamed but never switched to) and, once versioned, the
        old top-level layout; then the retired versions past the grace period (:meth:`sweep`).
        Call it holding the lock. Returns what was removed."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for p in self.root.iterdir():
            if p.name.startswith((STAGING, TRASH)):
                self._remove(p, removed)
        cur = self.current_id()
        if cur is None:
            return removed
        retired = self.retired()
        if cur in retired:  # an undo killed before its switch: that version is still the one shown
            del retired[cur]
            self._set_retired(retired)
        folder = self.root / VERSIONS
        if folder.is_dir():
            for p in folder.iterdir():
                if (p.name > cur and p.name not in retired) or not (p / MANIFEST).is_file():
                    self._remove(p, removed)
        for name in CONTENT:  # moved into version 1 by the first change
            if (self.root / name).exists():
                self._remove(self.root / name, removed)
        return removed + self.sweep()

    def retired(self) -> dict[str, str]:
        """Versions no longer shown whose folders wait for the grace period: id -> when they
        stopped being shown (ISO time)."""
        try:
            raw = json.loads((self.root / RETIRED).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    def _set_retired(self, retired: dict[str, str]) -> None:
        if retired:
            write_atomic(self.root / RETIRED, json.dumps(retired, indent=1, sort_keys=True).encode())
        else:
            (self.root / RETIRED).unlink(missing_ok=True)

    def _retire(self, since: dict[str, str]) -> None:
        """Record versions as no longer shown (an earlier record of one is kept)."""
        self._set_retired({**since, **self.retired()})

    def sweep(self, grace_s: float | None = None) -> list[Path]:
        """Remove the retired versions that stopped being shown at least ``grace_s`` seconds ago
        (default :func:`~ruralaction.settings.version_grace_s`); never the current one. A reader
        that resolved a version before it stopped being shown can finish with it meanwhile.
        Call it holding the lock. Returns what was removed."""
        retired = self.retired()
        if not retired:
            return []
        grace = version_grace_s() if grace_s is None else grace_s
        cur, now = self.current_id(), _now()
        removed: list[Path] = []
        waiting = {}
        for vid, since in retired.items():
            path = self.root / VERSIONS / vid
            if vid == cur or not path.is_dir():
                continue
            if _age_s(since, now) >= grace:
                self._remove(path, removed)
            else:
                waiting[vid] = since
        if waiting != retired:  # after the removals: a crash in between only leaves stale entries
            self._set_retired(waiting)
        return removed

    def _remove(self, path: Path, removed: list[Path]) -> None:
        """Rename aside first (atomic), then delete: a half-deleted folder never keeps its name."""
        trash = path if path.name.startswith(TRASH) else self.root / f"{TRASH}{path.name}-{os.getpid()}"
        if trash != path:
            os.replace(path, trash)
        if trash.is_dir():
            shutil.rmtree(trash, ignore_errors=True)
        else:
            trash.unlink(missing_ok=True)
        removed.append(path)

    def lock(self) -> RunLock:
        return RunLock(self.root / LOCK, "data change", wait_s=LOCK_WAIT_S)

    # ----------------------------------------------------------------- writing

    def _next_id(self) -> str:
        folder = self.root / VERSIONS
        numbers = (
            [int(p.name.split("-", 1)[0]) for p in folder.iterdir() if p.name[:6].isdigit()] if folder.is_dir() else []
        )
        return f"{max(numbers, default=0) + 1:06d}-{_now():%Y%m%dT%H%M%S%fZ}"

    @contextlib.contextmanager
    def change(self, actor: Actor, action: str, note: str = "") -> Iterator[Change]:
        """Stage a change and switch to it in one step when the block ends without an error.

        Yields a :class:`Change` whose ``folder`` is a complete (hard-linked) copy of the
        current version: make the change there with new files (write to a new name and rename;
        never write into an existing file, which the older versions share). On an error
        nothing is switched and the staging folder is removed. Takes the store lock.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with self.lock():
            self.cleanup()
            if self.current_id() is None and any((self.root / n).exists() for n in CONTENT):
                self._commit(self._stage_from(self.root), actor, "start versions", "the data as it was")
                self.cleanup()
            parent = self.current_id()
            staging = self._stage_from(self.current_dir() if parent else None)
            change = Change(staging, note)
            try:
                yield change
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            if change.cancelled:
                shutil.rmtree(staging, ignore_errors=True)
                return
            change.version = self._commit(staging, actor, action, change.note, info=change.info)
            self.prune()

    def _stage_from(self, source: Path | None) -> Path:
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.root))
        if source is not None:
            for name in LINKED:
                if (source / name).exists():
                    link_tree(source / name, staging / name)
        return staging

    def _commit(
        self, staging: Path, actor: Actor, action: str, note: str, audit: str | None = None, info: dict | None = None
    ) -> Version:
        parent = self.current_id()
        vid = self._next_id()
        version = Version(
            id=vid,
            parent=parent,
            at=_now().isoformat(timespec="seconds"),
            actor=actor.label,
            action=action,
            note=note[:300],
            fingerprints={d: fingerprint(staging / d) for d in ("ours", "demo")},
            info=info or {},
        )
        write_atomic(staging / MANIFEST, json.dumps(version.__dict__, indent=1).encode())
        _fsync_dir(staging)
        _checkpoint("staged")
        (self.root / VERSIONS).mkdir(exist_ok=True)
        os.rename(staging, self.root / VERSIONS / vid)
        _fsync_dir(self.root / VERSIONS)
        _checkpoint("renamed")
        write_atomic(self.root / POINTER, vid.encode())
        _fsync_dir(self.root)
        _checkpoint("switched")
        self.audit(actor, audit or action, vid, parent, note)
        return version

    def use(self, ref: str, actor: Actor) -> Version:
        """Show an earlier version again (as a new version with its content; nothing is lost)."""
        target = self.resolve(ref)
        if target.id == self.current_id():
            raise VersionError(f"Version {target.number} is already the one shown.")
        with self.lock():
            self.cleanup()
            staging = self._stage_from(self.root / VERSIONS / target.id)
            (staging / MANIFEST).unlink(missing_ok=True)
            version = self._commit(staging, actor, f"back to version {target.number}", target.describe())
            self.prune()
        return version

    def undo(self, actor: Actor) -> Version:
        """Undo the last change: its parent is shown again. The undone version is no longer
        listed; its files stay for the grace period (readers in other processes may still be
        using them) and are removed by a later change (:meth:`sweep`)."""
        with self.lock():
            self.cleanup()
            cur = self.current()
            if (
                cur is None
                or cur.parent is None
                or cur.parent in self.retired()
                or not (self.root / VERSIONS / cur.parent / MANIFEST).is_file()
            ):
                raise VersionError("There is no earlier data version to go back to.")
            # Recorded before the switch: a crash in between leaves it shown (cleanup forgets the record).
            self._retire({cur.id: _now().isoformat()})
            _checkpoint("undo-retired")
            write_atomic(self.root / POINTER, cur.parent.encode())
            _fsync_dir(self.root)
            _checkpoint("undo-switched")
            self.audit(actor, "undo", cur.parent, cur.id, f"undid {cur.describe()}")
            self.sweep()
            return self.get(cur.parent)

    def prune(self, keep: int = KEEP) -> None:
        """Retire all but the newest ``keep`` versions (never the current one or its parent):
        no longer listed, their files removed after the grace period (:meth:`sweep`)."""
        keep, versions = max(1, keep), self.list()
        protect = {versions[0].id, versions[0].parent} if versions else set()
        # each stopped being shown when the next listed version was made
        old = {v.id: newer.at for newer, v in zip(versions[keep - 1 :], versions[keep:]) if v.id not in protect}
        if old:
            self._retire(old)
        self.sweep()

    # ----------------------------------------------------------------- audit

    def audit(self, actor: Actor, action: str, version: str | None, previous: str | None, note: str = "") -> None:
        """Append one line to ``audit.jsonl`` (a single ``write`` on an ``O_APPEND`` file)."""
        line = json.dumps(
            {
                "at": _now().isoformat(timespec="seconds"),
                "actor": actor.label,
                "action": action,
                "version": version,
                "previous": previous,
                "note": note[:300],
            }
        )
        fd = os.open(self.root / AUDIT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def audit_log(self, limit: int = 100) -> list[dict]:
        """The newest audit entries first."""
        try:
            lines = (self.root / AUDIT).read_text("utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in reversed(lines[-limit:]):
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out


@dataclass
class Change:
    """A change being staged: write into ``folder``; set ``note``; ``cancel()`` to keep nothing."""

    folder: Path
    note: str = ""
    cancelled: bool = False
    version: Version | None = None
    #: The definition the staged data is classified with (None: the configured one).
    definition: object = None
    #: Facts recorded in the version's manifest (set by the store).
    info: dict = field(default_factory=dict)
    #: The added incident files as the change already loaded them: ``(dataset, {source name:
    #: path in the dataset folder}, LoadResult)``, so classifying them does not parse them again.
    loaded: tuple | None = None

    def cancel(self) -> None:
        self.cancelled = True


def _age_s(since: str, now: datetime) -> float:
    """Seconds from an ISO time to ``now`` (an unreadable time counts as long ago)."""
    try:
        then = datetime.fromisoformat(since)
    except ValueError:
        return float("inf")
    return (now - (then if then.tzinfo else then.replace(tzinfo=UTC))).total_seconds()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
