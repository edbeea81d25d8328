"""Coordinate transforms that every thread shares.

pyproj keeps one PROJ transformer per thread, made on a thread's first transform (~25 ms each on
this machine), and Streamlit runs every page view in a new thread: a module-level
``Transformer`` was made again on every view, for every pair of systems the page used. A
:class:`SharedTransformer` does its work on one long-lived worker thread instead, which keeps its
transformers; the calling thread waits for the (vectorised) answer.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache

from pyproj import Transformer

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crs")


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


class SharedTransformer:
    """``Transformer.from_crs(source, target, always_xy=True)`` usable from any thread at the
    cost of one made ever (see the module's note)."""

    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target

    def transform(self, x, y):
        """``(x, y)`` in ``target`` (arrays or numbers, as :meth:`pyproj.Transformer.transform`)."""
        return _WORKER.submit(lambda: _transformer(self.source, self.target).transform(x, y)).result()

    def __repr__(self) -> str:
        return f"SharedTransformer({self.source!r}, {self.target!r})"
