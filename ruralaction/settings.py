"""Where the app's state lives, from the environment (read at call time, so tests can set it)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data directory: ``$RURALACTION_DATA_DIR`` or ``data/`` beside the package."""
    return Path(os.environ.get("RURALACTION_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")


#: The shortest refresh or slide interval the presentation accepts from a link (seconds).
PRESENT_FLOOR_ENV = "RURALACTION_PRESENT_MIN_SECONDS"
PRESENT_FLOOR_DEFAULT = 10


def present_floor() -> int:
    """Seconds between two refreshes of the presentation at the least: a link's ``?refresh=2``
    would otherwise keep a core busy for each open tab. ``$RURALACTION_PRESENT_MIN_SECONDS``
    (an operator's setting, at least 2; default 10)."""
    raw = os.environ.get(PRESENT_FLOOR_ENV, "").strip()
    return max(2, int(raw)) if raw.isdigit() else PRESENT_FLOOR_DEFAULT


#: How long a data version that stopped being shown (undone, or past the versions kept) keeps
#: its files for readers that still have it open, in seconds.
VERSION_GRACE_ENV = "RURALACTION_VERSION_GRACE_SECONDS"
VERSION_GRACE_DEFAULT = 600


def version_grace_s() -> float:
    """Seconds an undone or pruned data version stays on disk after it stopped being shown: an
    app process (another instance) may still be answering a query from its files.
    ``$RURALACTION_VERSION_GRACE_SECONDS`` (0 removes it at once; default 600)."""
    raw = os.environ.get(VERSION_GRACE_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else VERSION_GRACE_DEFAULT
    except ValueError:
        return VERSION_GRACE_DEFAULT
