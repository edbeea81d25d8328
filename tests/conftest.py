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

#: Tests never reach a third-party tile server (CI has no internet): no basemap unless a test
#: sets one (tests/test_places.py, tests/test_e2e_map.py serve their own PMTiles extract).
os.environ.setdefault("RURALACTION_BASEMAP", "none")

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
    from ruralaction.incidents.pipeline import load_data_dir

    return load_data_dir(tiny_dir)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A data directory holding the demo, ending at :data:`DEMO_END_MONTH` (read-only)."""
    from ruralaction.incidents.demo import write_demo

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


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Bytes parameters are named by their length, not their content: the two xdist workers must
    collect the same test ids, and content made at collection (a zip's timestamp) could differ."""
    if isinstance(val, (bytes, bytearray)):
        return f"{argname}-{len(val)}-bytes"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist (``-n 2 --dist loadgroup`` in pyproject.toml): every ``browser``
    test goes to one worker, one at a time (each drives app servers and Chromium; two at once on
    two cores make them time out), while the other worker takes the rest module by module, so a
    module's fixtures (an AppTest on the demo, a loaded county) are built once."""
    for item in items:
        group = "browser" if item.get_closest_marker("browser") else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


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


# ----------------------------------------------------------------------------- the PostgreSQL rule
#
# Store tests run against SQLite and PostgreSQL (fixture ``db_url``). The PostgreSQL server is
# named by $RURALACTION_TEST_PG_URL (``.ci/run`` starts a throwaway one and sets it). On a laptop
# without one those tests are skipped with the reason; under ``CI=true`` it is a failure.

PG_URL_ENV = "RURALACTION_TEST_PG_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL (each test gets its own schema through ``db_url``)."""
    import sqlalchemy as sa

    url = os.environ.get(PG_URL_ENV, "").strip()
    reason = None
    if not url:
        reason = f"${PG_URL_ENV} is not set (.ci/run starts a throwaway server and sets it)"
    else:
        try:
            engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any reason the server cannot be used
            shown = sa.engine.make_url(url).render_as_string(hide_password=True)
            reason = f"no PostgreSQL server answers at {shown} ({type(exc).__name__})"
    if reason:
        if _in_ci():
            pytest.fail(f"PostgreSQL tests cannot run under CI=true: {reason}.", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {reason}.")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a schema of its own on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'actions.db'}"
        return
    import uuid

    import sqlalchemy as sa

    base = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def actions_db(db_url):
    """A migrated engine on :func:`db_url`, disposed after the test."""
    from ruralaction.actions.db import open_database

    engine = open_database(db_url)
    yield engine
    engine.dispose()
