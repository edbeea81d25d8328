"""Progress hooks for long work: what is being done, how far along, for a terminal, a log or a page.

Long library functions (reading many files, a fetch from data.police.uk, a refresh) take a
``progress`` argument: any callable ``progress(done, total, what)``, called after each step,
with ``what`` saying in a few words what the step was ("2024-03 Brixworth"). The library never
draws anything itself; the caller chooses how to show it:

- :func:`terminal` — a bar that redraws itself in a terminal, and a line every tenth of the way
  when the output is a file or cron mail (so logs are not flooded);
- :func:`logged` — a ``progress`` JSON event every tenth of the way (:mod:`ruralaction.logs`);
- a page passes a function that updates ``st.progress`` (the Streamlit side).

:func:`both` sends each step to several hooks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

from ruralaction import logs

#: ``progress(done, total, what)``: ``done`` of ``total`` steps finished, the last being ``what``.
Progress = Callable[[int, int, str], None]

_BAR = 24


def _tenth(done: int, total: int) -> bool:
    """Whether this step crosses a tenth of the way (always true for the last step)."""
    if done >= total:
        return True
    step = max(1, total // 10)
    return done % step == 0


def terminal(label: str, stream: IO[str] | None = None, min_interval_s: float = 0.1, min_steps: int = 10) -> Progress:
    """A hook that draws ``label [######------] 12/40 what`` on ``stream`` (default stderr).

    Interactive streams get one redrawn line (at most every ``min_interval_s``; the last step
    always); anything else gets a plain line at each tenth of the way, and nothing at all for
    work of fewer than ``min_steps`` steps (short work needs no progress in a log or cron mail).
    """
    out = stream or sys.stderr
    interactive = bool(getattr(out, "isatty", lambda: False)())
    last = [0.0]

    def report(done: int, total: int, what: str) -> None:
        total = max(total, 1)
        if interactive:
            now = time.monotonic()
            if done < total and now - last[0] < min_interval_s:
                return
            last[0] = now
            filled = round(_BAR * min(done, total) / total)
            out.write(f"\r{label} [{'#' * filled}{'-' * (_BAR - filled)}] {done}/{total} {what[:40]:<40}")
            if done >= total:
                out.write("\n")
        elif total >= min_steps and _tenth(done, total):
            out.write(f"{label}: {done}/{total} ({100 * done // total}%) {what}\n")
        out.flush()

    return report


def logged(task: str) -> Progress:
    """A hook that logs a ``progress`` event at each tenth of the way."""

    def report(done: int, total: int, what: str) -> None:
        if _tenth(done, max(total, 1)):
            logs.event("progress", task=task, done=done, total=total, step=what)

    return report


def both(*hooks: Progress | None) -> Progress:
    """One hook calling each of ``hooks`` (``None`` entries are skipped)."""
    chosen = [h for h in hooks if h is not None]

    def report(done: int, total: int, what: str) -> None:
        for h in chosen:
            h(done, total, what)

    return report
