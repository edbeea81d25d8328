"""Source file names in a load result, changed as the store keeps them.

The store names each file relative to its dataset folder, so a version's rows never name the
staging folder they were built in (:func:`rebase`), and a change that already loaded an upload
gives its rows the kept file's name instead of reading the file again (:func:`renamed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from ruralaction.incidents.loader import LoadResult, LoadSummary


def _rename(loaded, new: Callable[[object], object]):
    """Every source name in ``loaded`` (rows, rejected rows, summary) through ``new``, in place."""
    for frame in (loaded.incidents, loaded.rejected):
        if "source_file" in frame.columns:
            col = frame["source_file"]
            cats = [new(c) for c in col.cat.categories] if isinstance(col.dtype, pd.CategoricalDtype) else None
            if cats is not None and len(set(cats)) == len(cats):
                frame["source_file"] = col.cat.rename_categories(cats)
            else:
                frame["source_file"] = col.map(new)
    for f in loaded.summary.files:
        f.source = new(f.source)
    rep = loaded.summary.replaced
    for c in ("replaced_file", "by_file"):
        if c in rep.columns and len(rep):
            rep[c] = rep[c].map(new)
    return loaded


def rebase(loaded, old: str, new: str):
    """Source names from ``old…`` to ``new…``, in place (a load result or a ``Classified``)."""
    return _rename(loaded, lambda v: new + v[len(old) :] if isinstance(v, str) and v.startswith(old) else v)


def renamed(loaded: LoadResult, names: dict[str, str]) -> LoadResult:
    """A copy of a load result whose source names are changed by ``names`` (old -> new; a zip's
    members ``old!member`` follow their zip); the result given is not changed."""

    def new(value: object) -> object:
        if isinstance(value, str):
            for old, name in names.items():
                if value == old or value.startswith(f"{old}!"):
                    return name + value[len(old) :]
        return value

    copy = LoadResult(
        incidents=loaded.incidents.copy(deep=False),
        rejected=loaded.rejected.copy(deep=False),
        summary=LoadSummary(files=[replace(f) for f in loaded.summary.files], replaced=loaded.summary.replaced.copy()),
    )
    return _rename(copy, new)
