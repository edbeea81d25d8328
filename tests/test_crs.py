"""Coordinate transforms shared by every thread (``ruralaction.geography.crs``): the same answers
as pyproj, all worked out on one thread, so a page view in a new thread does not make PROJ's
per-thread transformer again."""

from __future__ import annotations

import threading

import numpy as np
from pyproj import Transformer

from ruralaction.geography import crs


def test_a_shared_transformer_answers_as_pyproj_from_any_thread_on_one_thread(monkeypatch):
    ran_on: set[str] = set()
    real = crs._transformer

    def recording(source: str, target: str):
        ran_on.add(threading.current_thread().name)
        return real(source, target)

    monkeypatch.setattr(crs, "_transformer", recording)
    to_bng = crs.SharedTransformer("EPSG:4326", "EPSG:27700")
    lon, lat = np.array([-0.89, -1.2, -0.55]), np.array([52.24, 52.4, 52.6])
    want = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    got = []
    threads = [threading.Thread(target=lambda: got.append(to_bng.transform(lon, lat))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(np.allclose(g, want) for g in got)
    assert len(ran_on) == 1 and next(iter(ran_on)).startswith("crs"), ran_on
