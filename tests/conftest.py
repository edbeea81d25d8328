"""Shared fixtures: the tiny hand-checked county (``tiny_county.py``), the demo data
directory, and the browser rule.

Browser tests (marker ``browser``) need Debian's ``/usr/bin/chromium`` and the ``playwright``
Python package. On a developer's laptop without them those tests are skipped with the reason;
under ``CI=true`` a missing browser is a failure, so CI can never go green by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tiny_county import write_tiny_county

CHROMIUM = Path("/usr/bin/chromium")
#: The last month of the demo the tests write (fixed, so tests do not depend on today's date).
DEMO_END_MONTH = "2026-09"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A data directory holding the tiny county (read-only: copy it before changing it)."""
    return write_tiny_county(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny(tiny_dir):
    """The tiny county loaded and classified by the real pipeline (``Classified``)."""
    from ruralaction.pipeline import load_data_dir

    return load_data_dir(tiny_dir)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A data directory holding the demo, ending at :data:`DEMO_END_MONTH` (read-only)."""
    from ruralaction.demo import write_demo

    root = tmp_path_factory.mktemp("demo")
    write_demo(root, end_month=DEMO_END_MONTH)
    return root


# ----------------------------------------------------------------------------- the browser rule


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _browser_missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (Debian package 'chromium')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the 'playwright' Python package is not installed"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a ``browser`` test starts (a server, a browser): skip it on a
    laptop without Chromium or Playwright, fail it under ``CI=true``."""
    if item.get_closest_marker("browser") is None:
        return
    reason = _browser_missing()
    if reason is None:
        return
    if _in_ci():
        pytest.fail(f"Browser tests cannot run under CI=true: {reason}.", pytrace=False)
    pytest.skip(f"Browser tests skipped: {reason}.")
