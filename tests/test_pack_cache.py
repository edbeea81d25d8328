"""Heavy outputs (issue #11, item 3): the meeting pack is made once per data version and kept,
and at most a few are made at once across processes (file locks), without starting Chromium here:
``build`` stands in for printing, and counts its calls."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from ruralaction.reports.cache import PackBusy, _flock, cached, pack_key


class Builds:
    def __init__(self, seconds: float = 0.0):
        self.calls, self.running, self.most = 0, 0, 0
        self.seconds, self.lock = seconds, threading.Lock()

    def __call__(self) -> bytes:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return b"%PDF-1.7 pack"


def test_a_pack_is_made_once_per_key_and_kept_for_everyone(tmp_path):
    build = Builds()
    assert cached("k1", "pdf", build, tmp_path) == b"%PDF-1.7 pack"
    assert cached("k1", "pdf", build, tmp_path) == b"%PDF-1.7 pack" and build.calls == 1
    cached("k2", "pdf", build, tmp_path)
    assert build.calls == 2 and sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "k1.pdf",
        "k2.pdf",
    ]


def test_the_key_follows_the_data_the_actions_and_the_choices():
    acts = pd.DataFrame({"id": [1, 2], "title": ["Patrol", "Visit"]})
    key = pack_key(data_version="ours:v1", actions=acts, fmt="pdf", period="2024-25", ward="county")
    assert key == pack_key(data_version="ours:v1", actions=acts.copy(), fmt="pdf", period="2024-25", ward="county")
    changed = acts.assign(title=["Patrol", "Visit (edited)"])
    others = [
        pack_key(data_version="ours:v2", actions=acts, fmt="pdf", period="2024-25", ward="county"),
        pack_key(data_version="ours:v1", actions=changed, fmt="pdf", period="2024-25", ward="county"),
        pack_key(data_version="ours:v1", actions=acts, fmt="html", period="2024-25", ward="county"),
        pack_key(data_version="ours:v1", actions=acts, fmt="pdf", period="2023-24", ward="county"),
        pack_key(data_version="ours:v1", actions=acts, fmt="pdf", period="2024-25", ward="E05000001"),
    ]
    assert key not in others and len(set(others)) == len(others)


def test_clicks_at_once_start_one_build_and_different_packs_at_most_two(tmp_path):
    same = Builds(0.3)
    threads = [threading.Thread(target=cached, args=("same", "pdf", same, tmp_path)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert same.calls == 1  # four clicks on one pack: one Chromium

    many = Builds(0.3)
    threads = [threading.Thread(target=cached, args=(f"k{i}", "pdf", many, tmp_path)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert many.calls == 6 and many.most <= 2  # queued: never more than two at once


def test_a_request_finding_every_slot_busy_is_told_in_one_sentence(tmp_path):
    held = [_flock(tmp_path / f".slot-{i}.lock", blocking=True) for i in range(2)]  # another process's builds
    with pytest.raises(
        PackBusy, match="^Several meeting packs are being made just now; please try again in a minute.$"
    ):
        cached("k", "pdf", Builds(), tmp_path, wait=0.3)
    assert not (tmp_path / "k.pdf").exists() and all(fd is not None for fd in held)
