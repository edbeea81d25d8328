"""The Streamlit side of loading data, shared by ``app.py`` and every page.

The library does the work (:func:`ruralaction.incidents.pipeline.load_data_dir`); this module only
decides when it runs. The classified data is cached once per process with
``st.cache_resource``, keyed on the data directory and its :func:`data_version` fingerprint, so:

- a new or changed file in the data directory is picked up on the next rerun, without a restart
  (``st.cache_data`` would instead hash big frames from a sample and could serve stale results);
- every session shares one copy of the frames. They are read-only: pages filter or copy,
  never change them in place.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ruralaction import logs
from ruralaction.definition import DEFAULT_DEFINITION
from ruralaction.incidents.pipeline import Classified
from ruralaction.incidents.store import Store
from ruralaction.locks import Busy
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


@st.cache_resource(max_entries=2, show_spinner="Loading incidents…")
def _load(root: str, dataset: str, version: str) -> Classified:
    # ``version`` is unused in the body: it is part of the cache key.
    store = Store(Path(root))
    if not store.classified_ready(dataset):  # data from before the classified store, or a new definition
        try:
            store.reclassify(actor=FIRST_START)
        except (OSError, Busy) as exc:  # a read-only or busy data directory: classify in memory
            logs.event("store.not_classified", level="warning", reason=str(exc))
    return store.classified(dataset)


def _definition_stamp() -> str:
    """The definition file's modification time: a changed definition is a new cache key."""
    path = os.environ.get("RURALACTION_DEFINITION") or DEFAULT_DEFINITION
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "-"


def source() -> DataSource:
    """The store (making the demo on a first start), the dataset it shows, and its version."""
    root = data_dir()
    _prepare(str(root))
    store = Store(root)
    dataset = store.active()
    return DataSource(root=root, dataset=dataset, version=f"{store.version(dataset)}-{_definition_stamp()}")


def classified() -> Classified:
    """The loaded, classified data for the current data version (cached; do not modify)."""
    src = source()
    return _load(str(src.root), src.dataset, src.version)


def md(text: object) -> str:
    """Text from data (file names, notes) made safe to show with ``st.markdown``: every ASCII
    punctuation mark is backslash-escaped, so it shows as itself and never as markup, LaTeX
    (``$``) or a Streamlit directive (``:red[…]``)."""
    return str(text).translate(_MARKDOWN_SPECIAL)
