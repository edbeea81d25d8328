"""The data.police.uk API client: rate limiting, retries, plain-English failures, polygons.

Used by :mod:`ruralaction.incidents.fetch`. Rules of the service (https://data.police.uk/docs/): at most
15 requests a second (HTTP 429 beyond that); an area with more than 10,000 crimes is refused
with HTTP 503, the same status as a real outage.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import Protocol

import requests
import shapely
from shapely.geometry import Polygon, box


class RequestCounter(Protocol):
    """Where the client counts its requests (a :class:`ruralaction.incidents.fetch.FetchSummary`)."""

    requests: int


DEFAULT_BASE_URL = os.environ.get("RURALACTION_POLICE_API", "https://data.police.uk/api")

USER_AGENT = f"ruralaction-fetch (Rural Action dashboard; python-requests {requests.__version__})"
RETRY_EXCEPTIONS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class FetchError(Exception):
    """The fetch could not start or go on at all (unknown force, service unreachable, bad range).

    The message is one or two plain sentences, fit to show to the person who asked.
    """


class MonthError(Exception):
    """One month cannot be completed (bad reply, a refusal); other months may still work."""


class ServiceDown(MonthError):
    """The service did not answer after every retry; stop and let the next run resume."""


# --------------------------------------------------------------------------- rate limit and HTTP


class RateLimiter:
    """Spaces calls at least ``1 / rate_per_s`` seconds apart on ``clock``.

    ``rate_per_s`` of 0 or ``None`` turns the limit off. ``clock`` and ``sleep`` are injectable so
    tests can run on a fake clock.
    """

    def __init__(
        self,
        rate_per_s: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ):
        self.interval = 1.0 / rate_per_s if rate_per_s and rate_per_s > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Block until the next call is allowed, then reserve the following slot."""
        if not self.interval:
            return
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


TOO_LARGE = object()  # sentinel: the API refused a polygon with 503


class Client:
    """GET/POST with rate limiting, retries and plain-English failures."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        limiter: RateLimiter,
        *,
        timeout_s: float,
        max_retries: int,
        backoff_s: float,
        max_backoff_s: float,
        sleep: Callable[[float], object],
        summary: RequestCounter,
    ):
        self.base = base_url.rstrip("/")
        self.session, self.limiter = session, limiter
        self.timeout_s, self.max_retries = timeout_s, max_retries
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.sleep, self.summary = sleep, summary

    def request(
        self,
        method: str,
        path: str,
        where: str,
        *,
        data: dict | None = None,
        split_on_503: bool = False,
        missing_ok: bool = False,
    ):
        """The decoded JSON of one call; ``TOO_LARGE`` or ``None`` (404 with ``missing_ok``).

        Raises ``ServiceDown`` when every attempt failed on the network or with 429/5xx, and
        ``MonthError`` for an answer that retrying cannot fix (4xx, not JSON).
        """
        url = f"{self.base}/{path}"
        problem, retry_after = "", None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, retry_after))
            retry_after = None
            self.limiter.wait()
            self.summary.requests += 1
            try:
                resp = self.session.request(method, url, data=data, timeout=self.timeout_s)
            except requests.Timeout:
                problem = f"data.police.uk did not answer within {self.timeout_s:g} s"
                continue
            except RETRY_EXCEPTIONS as exc:
                problem = f"could not connect to data.police.uk ({short_error(exc)})"
                continue
            except requests.RequestException as exc:  # a bad URL and the like: retrying cannot help
                raise ServiceDown(f"{where}: the request to {url} failed ({short_error(exc)}).") from None
            status = resp.status_code
            if status == 200:
                return _decode(resp, where)
            if status == 503 and split_on_503:
                return TOO_LARGE
            if status == 404 and missing_ok:
                return None
            if status == 429 or status >= 500:
                retry_after = _retry_after(resp)
                problem = f"data.police.uk answered HTTP {status}" + (" (too many requests)" if status == 429 else "")
                continue
            body = resp.text.strip().replace("\n", " ")[:200]
            raise MonthError(
                f"{where}: data.police.uk answered HTTP {status} to {url}" + (f": {body}" if body else "") + "."
            )
        raise ServiceDown(f"{where}: {problem}, {self.max_retries + 1} attempts.")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = self.backoff_s * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.max_backoff_s)


def short_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _retry_after(resp: requests.Response) -> float | None:
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _decode(resp: requests.Response, where: str):
    try:
        return json.loads(resp.content)
    except ValueError as exc:
        detail = f"{exc.msg} at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else short_error(exc)
        raise MonthError(f"{where}: data.police.uk sent a reply that is not valid JSON ({detail}).") from None


# --------------------------------------------------------------------------- polygons


Points = list[tuple[float, float]]  # (latitude, longitude), the API's order


def boundary_points(raw, where: str) -> Points:
    if not isinstance(raw, list):
        raise MonthError(f"{where}: the boundary is not a list of points.")
    try:
        return [(float(p["latitude"]), float(p["longitude"])) for p in raw]
    except (TypeError, KeyError, ValueError):
        raise MonthError(f"{where}: the boundary has a point without a numeric latitude and longitude.") from None


def poly_param(points: Points) -> str:
    """The API's ``poly`` parameter: ``lat,lng:lat,lng:...`` (the ring is closed by the API)."""
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    return ":".join(f"{_num(lat)},{_num(lng)}" for lat, lng in points)


def _num(value: float) -> str:
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def split_polygon(points: Points) -> list[Points]:
    """Cut a polygon in two across the longer side of its bounding box (in metres, roughly).

    Returns the parts' outer rings as (lat, lng) points. Holes are dropped, which only widens
    a part; the caller de-duplicates crimes by id.
    """
    geom = shapely.make_valid(Polygon([(lng, lat) for lat, lng in points]))
    minx, miny, maxx, maxy = geom.bounds
    width = (maxx - minx) * math.cos(math.radians((miny + maxy) / 2))
    if width >= maxy - miny:
        mid = (minx + maxx) / 2
        halves = (box(minx, miny, mid, maxy), box(mid, miny, maxx, maxy))
    else:
        mid = (miny + maxy) / 2
        halves = (box(minx, miny, maxx, mid), box(minx, mid, maxx, maxy))
    parts: list[Points] = []
    for half in halves:
        piece = geom.intersection(half)
        for poly in getattr(piece, "geoms", [piece]):
            if isinstance(poly, Polygon) and poly.area > 0:
                parts.append([(lat, lng) for lng, lat in poly.exterior.coords[:-1]])
    return parts
