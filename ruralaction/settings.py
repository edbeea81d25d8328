"""Where the app's state lives, from the environment (read at call time, so tests can set it)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data directory: ``$RURALACTION_DATA_DIR`` or ``data/`` beside the package."""
    return Path(os.environ.get("RURALACTION_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")
