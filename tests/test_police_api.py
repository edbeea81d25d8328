"""Unit tests of the police.uk API helpers that need no server: polygons, months, rate limit."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon
from test_fetch import FORCE, FakeClock

from ruralaction.incidents.fetch import (
    FetchError,
    RateLimiter,
    fetch_force,
    poly_param,
    resolve_months,
    split_polygon,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_split_polygon_cuts_the_longer_side_and_covers_the_whole():
    wide = [(52.25, -1.0), (52.25, -0.8), (52.35, -0.8), (52.35, -1.0)]  # 13.6 km x 11.1 km
    halves = split_polygon(wide)
    assert [sorted({lng for _, lng in h}) for h in halves] == [[-1.0, -0.9], [-0.9, -0.8]]
    tall = [(52.0, -1.0), (52.0, -0.9), (52.4, -0.9), (52.4, -1.0)]
    assert [sorted({lat for lat, _ in h}) for h in split_polygon(tall)] == [[52.0, 52.2], [52.2, 52.4]]

    # A C shape (x = longitude), cut across its two arms: three parts whose union is the original.
    c = [(0, 0), (0, 3), (9, 3), (9, 2), (3, 2), (3, 1), (9, 1), (9, 0)]
    u = [(y / 10 + 52, x / 10 - 1) for x, y in c]
    parts = split_polygon(u)
    assert len(parts) == 3
    polys = [Polygon([(lng, lat) for lat, lng in p]) for p in parts]
    original = Polygon([(lng, lat) for lat, lng in u])
    assert sum(p.area for p in polys) == pytest.approx(original.area)
    assert all(original.covers(p) for p in polys)


def test_poly_param_is_lat_lng_pairs_joined_by_colons():
    assert poly_param([(52.25, -1.0), (52.3, -0.90000001), (52.0, 0.0), (52.25, -1.0)]) == "52.25,-1:52.3,-0.9:52,0"


def test_month_arguments_are_checked(tmp_path):
    with pytest.raises(FetchError, match="'2024-13' is not a year and month"):
        fetch_force(FORCE, "2024-13", "2024-12", tmp_path)
    with pytest.raises(FetchError, match="first month is after the last"):
        fetch_force(FORCE, "2024-05", "2024-01", tmp_path)


def test_resolve_months_defaults():
    served = [f"2023-{m:02d}" for m in range(1, 13)] + ["2024-01", "2024-02"]
    assert resolve_months(None, None, served) == served[-12:]
    assert resolve_months("2023-11", None, served) == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert resolve_months(None, "2023-12", served) == served[:12]
    assert resolve_months("2023-12", "2024-01", served) == ["2023-12", "2024-01"]
    assert resolve_months("2024-04", None, served) == ["2024-04"]  # reported as not served, not an error


def test_rate_limiter_spaces_calls_on_its_clock(clock):
    limiter = RateLimiter(4, clock=clock.now, sleep=clock.sleep)
    times = []
    for _ in range(5):
        limiter.wait()
        times.append(clock.now())
    assert times == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    assert clock.sleeps == pytest.approx([0.25] * 4)

    clock.t += 10  # idle longer than the interval: no wait
    limiter.wait()
    assert len(clock.sleeps) == 4

    off = RateLimiter(0, clock=clock.now, sleep=clock.sleep)
    for _ in range(3):
        off.wait()
    assert len(clock.sleeps) == 4
