"""Shared by the action tracker tests: three demo-coded wards and a valid action to vary."""

from __future__ import annotations

import datetime as dt

import pytest

from ruralaction.actions import ActionInput, Actor

WARDS = {"E05900001": "Brixworth", "E05900002": "Castle", "E05900003": "Moulton"}
SYSTEM = Actor.system_actor("tests")
DAY = dt.date(2025, 6, 1)


def patrol(**kw) -> ActionInput:
    """A valid completed Police patrol in Brixworth; keyword arguments change any field."""
    base = {
        "title": "Night patrols of farm tracks",
        "wards": ("E05900001",),
        "lead_partner": "Police",
        "issue": "Burglary",
        "action_type": "Patrol",
        "status": "completed",
        "completed_on": DAY,
    }
    return ActionInput(**{**base, **kw})


@pytest.fixture
def fast_hashing(monkeypatch):
    """Argon2id with the smallest cost, for tests about accounts rather than hash cost (the
    shipped cost is checked in test_actions_users)."""
    from argon2 import PasswordHasher

    from ruralaction.actions import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy_hash.cache_clear()  # the dummy must cost what a real hash costs
    yield
    passwords._dummy_hash.cache_clear()
