"""One run at a time: an exclusive, non-blocking lock on a file in the shared data directory.

``fcntl.flock`` is released by the kernel when the process ends, however it ends (a crash, a
``SIGKILL``, a reboot), so a stale lock never blocks the next month's run. On Linux, ``flock``
on an NFS mount is carried out as a POSIX lock on the server, so app hosts sharing the data
directory over NFSv4 see each other's lock too.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from pathlib import Path

from ruralaction.faults import RuralActionError


class Busy(RuralActionError):
    """Another run holds the lock; the message says since when and which process."""


class RunLock:
    """``with RunLock(path, "refresh"):`` — raises :class:`Busy` if another holds it (at once, or
    after waiting up to ``wait_s`` seconds for it to be freed).

    The file keeps the holder's pid, host and start time (for the :class:`Busy` message); it is
    left in place afterwards, unlocked, because removing it would race with the next run.
    """

    def __init__(self, path: str | os.PathLike, what: str, wait_s: float = 0.0):
        self.path, self.what, self.wait_s = Path(path), what, wait_s
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text("utf-8") or "{}")
        except (OSError, ValueError):
            return "another process"
        return f"process {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('started', '?')}"

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                os.close(fd)
                raise Busy(f"Another {self.what} is running ({self.holder()}), so this one did nothing.") from None
        info = {
            "pid": os.getpid(),
            "host": os.uname().nodename,
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
