"""Heavy outputs made once and shared: the meeting pack's PDF, cached on disk per data version.

Printing a pack starts headless Chromium (hundreds of MB, many processes), so anyone clicking
"Meeting pack (PDF)" must not start one each time:

- **Made once per version.** A pack is keyed on everything it shows — the crime data's version,
  the actions it lists (a hash of their table), the period, the area and the format — and kept
  under ``DATA_DIR/cache/packs/``. The next click, from anyone on any instance sharing the data
  directory, gets the file. A change to the data or the actions gives a new key; old files are
  pruned (the newest :data:`KEEP` stay).
- **A small queue.** At most :data:`SLOTS` packs are made at once across every process
  (``flock`` on one of N slot files; the kernel frees a slot however its holder ends), and two
  requests for the same pack wait for one build (a per-key lock), so four clicks at once start one
  Chromium. A request that finds every slot busy for :data:`WAIT` seconds is told, in one
  sentence, to try again shortly.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ruralaction.settings import data_dir

SLOTS = 2
WAIT = 60.0
KEEP = 50


class PackBusy(RuntimeError):
    """Every slot stayed busy; the message is one sentence for the page."""


def pack_key(*, data_version: str, actions: pd.DataFrame, fmt: str, **parts: object) -> str:
    """A stable key for one pack: the data version, a hash of the actions' table, ``fmt`` and any
    other ``parts`` (period, area, definition …)."""
    acts = hashlib.sha256(pd.util.hash_pandas_object(actions.astype(str), index=False).to_numpy().tobytes())
    blob = json.dumps(
        {"data": data_version, "actions": acts.hexdigest(), "fmt": fmt, **{k: str(v) for k, v in parts.items()}},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _flock(path: Path, blocking: bool) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _release(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _take_slot(folder: Path, slots: int, wait: float) -> int:
    deadline = time.monotonic() + wait
    while True:
        for i in range(slots):
            fd = _flock(folder / f".slot-{i}.lock", blocking=False)
            if fd is not None:
                return fd
        if time.monotonic() >= deadline:
            raise PackBusy("Several meeting packs are being made just now; please try again in a minute.")
        time.sleep(0.25)


def cached(
    key: str,
    suffix: str,
    build: Callable[[], bytes],
    folder: str | os.PathLike | None = None,
    *,
    slots: int = SLOTS,
    wait: float = WAIT,
    keep: int = KEEP,
) -> bytes:
    """The bytes for ``key``: from the cache, or made by ``build()`` under the concurrency limit
    and kept for the next request. ``build`` is called at most once per key at a time."""
    base = Path(folder) if folder is not None else data_dir() / "cache" / "packs"
    base.mkdir(parents=True, exist_ok=True)
    target = base / f"{key}.{suffix}"
    if target.is_file():
        return target.read_bytes()
    key_fd = _flock(base / f".{key}.lock", blocking=True)  # the same pack asked twice: one build
    try:
        if target.is_file():  # made while this request waited
            return target.read_bytes()
        slot = _take_slot(base, slots, wait)
        try:
            data = build()
        finally:
            _release(slot)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", dir=base)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        _release(key_fd)
        (base / f".{key}.lock").unlink(missing_ok=True)
    _prune(base, keep)
    return data


def _prune(base: Path, keep: int) -> None:
    files = sorted(
        (p for p in base.iterdir() if p.is_file() and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime
    )
    for p in files[:-keep] if keep else files:
        p.unlink(missing_ok=True)
