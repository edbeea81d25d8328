"""The Streamlit side of the data, shared by ``app.py`` and every page.

The library does the work; this module only decides when it runs. Pages never hold the
incidents: :func:`view` is the classified store of the data shown, asked in SQL through DuckDB
(:mod:`ruralaction.measures.store_queries`), and :func:`meta` is everything but the rows (summary,
rejected rows, geography, definition). Both are cached once per process with
``st.cache_resource``, keyed on the data directory and the data version (its id and its files'
fingerprint), so:

- a new data version (made by this instance or another one on the same folder) is picked up on
  the next rerun, without a restart;
- every session shares one view and its kept answers. They are read-only.

Only a data directory without a classified store (read-only, so it cannot be classified once
for every process) classifies its rows in memory, behind the same SQL.
"""

from __future__ import annotations

import os
import string
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ruralaction import logs
from ruralaction.definition import DEFAULT_DEFINITION
from ruralaction.incidents import columnar
from ruralaction.incidents.pipeline import Classified
from ruralaction.incidents.store import Store
from ruralaction.locks import Busy
from ruralaction.measures.store_queries import StoreView
from ruralaction.permissions import Actor
from ruralaction.settings import data_dir

DEMO_LABEL = "Demo data — generated, not real incidents"
#: The app itself writing the demo on a first start (no visitor's choice; recorded in the audit).
FIRST_START = Actor.system_actor("first start")

_MARKDOWN_SPECIAL = {ord(c): "\\" + c for c in string.punctuation}


@dataclass(frozen=True)
class DataSource:
    """Where the app's data comes from on this rerun: the store, the dataset shown, its version."""

    root: Path
    dataset: str
    version: str

    @property
    def demo(self) -> bool:
        return self.dataset == "demo"

    @property
    def store(self) -> Store:
        return Store(self.root)


@st.cache_resource(show_spinner="Making the demo data for a first start…")
def _prepare(root: str) -> bool:
    """Write the demo on a first start (no data of our own yet), once per process and folder
    (the cache also stops two first visitors writing it at the same time)."""
    store = Store(Path(root))
    return False if store.has_incidents("ours") else store.ensure_demo(actor=FIRST_START)


@st.cache_resource(max_entries=2, show_spinner="Classifying the data once…")
def _ensure_store(root: str, dataset: str, version: str) -> bool:
    # ``version`` is unused in the body: it is part of the cache key.
    store = Store(Path(root))
    if store.classified_ready(dataset):
        return True
    try:  # data from before the classified store, or a new definition: classify once, for every process
        store.reclassify(actor=FIRST_START)
    except (OSError, Busy) as exc:  # a read-only or busy data directory: classify in memory
        logs.event("store.not_classified", level="warning", reason=str(exc))
        return False
    return True


@st.cache_resource(max_entries=2, show_spinner="Loading incidents…")
def _load(root: str, dataset: str, version: str) -> Classified:
    # ``version`` is unused in the body: it is part of the cache key.
    _ensure_store(root, dataset, version)
    return Store(Path(root)).classified(dataset)


def _definition_stamp() -> str:
    """The definition file's modification time: a changed definition is a new cache key."""
    path = os.environ.get("RURALACTION_DEFINITION") or DEFAULT_DEFINITION
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "-"


@st.cache_resource(max_entries=2, show_spinner=False)
def _view(root: str, dataset: str, version: str) -> tuple[StoreView, Classified]:
    store = Store(Path(root))
    _ensure_store(root, dataset, version)  # the store, built once if missing
    if store.classified_ready(dataset):
        folder = store.versions.current_dir()
        meta = columnar.read_classified(folder, dataset, rows=False)
        return StoreView.of(folder, dataset), meta
    # no store (a read-only data directory): the rows classified in memory, behind the same SQL
    data = _load(root, dataset, version)
    return StoreView.from_frame(data.incidents), data


def view() -> StoreView:
    """The classified rows of the data shown, for SQL (:mod:`ruralaction.measures.store_queries`):
    nothing is loaded into memory but the answers."""
    src = source()
    return _view(str(src.root), src.dataset, src.version)[0]


def meta() -> Classified:
    """The data shown without its incidents (summary, rejected rows, geography, definition):
    for pages that ask :func:`view` for their numbers."""
    src = source()
    return _view(str(src.root), src.dataset, src.version)[1]


#: What :func:`source` found, per thread: Streamlit runs each page view in a thread of its own, so
#: a page's sections all see one data version, read once (a version switched during the view
#: shows on the next one).
_THIS_RUN = threading.local()
#: How long a thread keeps it (a thread outliving a page view, e.g. a test's, reads again).
_RUN_SECONDS = 5.0


def source() -> DataSource:
    """The store (making the demo on a first start), the dataset it shows, and its version."""
    root = data_dir()
    kept_for = getattr(_THIS_RUN, "source", None)
    if kept_for is not None and kept_for[0] == root and time.monotonic() - kept_for[1] < _RUN_SECONDS:
        return kept_for[2]
    _prepare(str(root))
    store = Store(root)
    dataset = store.active()
    # the version's id too: a dataset's files can be the same in two versions (show the demo, undo,
    # show it again), and a cached view must read the folder shown now, not one retired since
    version = f"{store.versions.current_id()}-{store.version(dataset)}-{_definition_stamp()}"
    found = DataSource(root=root, dataset=dataset, version=version)
    _THIS_RUN.source = (root, time.monotonic(), found)
    return found


def md(text: object) -> str:
    """Text from data (file names, notes) made safe to show with ``st.markdown``: every ASCII
    punctuation mark is backslash-escaped, so it shows as itself and never as markup, LaTeX
    (``$``) or a Streamlit directive (``:red[…]``)."""
    return str(text).translate(_MARKDOWN_SPECIAL)


# at most 64 kept (an area's map of up to 15,000 points is the largest, a few MB): the least
# recently used go first, so memory stays bounded however many areas and filters are viewed
@st.cache_resource(max_entries=64, show_spinner=False)
def _kept(name: str, root: str, dataset: str, version: str, key: tuple, _build):
    # ``_build`` is not hashed (leading underscore): ``name``, the data version and ``key`` are the key.
    return _build()


def kept(name: str, build, *key):
    """``build()`` made once per data version and ``key`` and shared by every session: for what
    is costly to make and the same for every viewer (a chart's figure). Read-only: Streamlit's
    ``st.plotly_chart`` copies a figure before drawing it. ``key`` must hold everything besides
    the data that the result depends on (a measure, a filter, the actions' versions)."""
    s = source()
    return _kept(name, str(s.root), s.dataset, s.version, tuple(key), build)


def code(text: object) -> str:
    """Text from data shown as inline code with ``st.markdown``: inside a code span nothing is
    markup, so it is not backslash-escaped (that would show the backslashes); only a backtick,
    which would end the span, is replaced by a look-alike."""
    return "`" + str(text).replace("`", "\u02cb") + "`"
