"""Download a force's street-level crimes from the data.police.uk API as police.uk CSV files.

The API has no "all crimes of force X" call, so a month is fetched neighbourhood by
neighbourhood: each neighbourhood's boundary is sent as a polygon to ``crimes-street/all-crime``.
The answers are de-duplicated by crime ``id`` (a crime on a shared edge comes back twice) and
written in the bulk-archive layout the loader already reads::

    OUT/2024-03/2024-03-northamptonshire-street.csv

with police.uk's twelve columns. The API gives no LSOA, so ``LSOA code`` and ``LSOA name`` are
blank and ward assignment falls back to point-in-polygon.

Rules of the service (https://data.police.uk/docs/) that shape this module:

- at most 15 requests a second, answered with HTTP 429 beyond that: requests are spaced
  (:class:`RateLimiter`) and 429 is retried with exponential backoff;
- an area holding more than 10,000 crimes is refused with HTTP 503, the same status as a real
  outage: a 503 to a polygon query splits the polygon in two and asks again, down to
  ``max_split_depth`` halvings, after which 503 counts as an outage;
- only the last ~36 months are served (``crimes-street-dates`` lists them); older months are in
  the archive downloads.

A month is either written whole or not at all: rows are collected in memory, written to a
temporary file beside the target and renamed into place. Months whose CSV exists are skipped,
so a failed or interrupted run is resumed by running the same command again.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

from ruralaction.incidents.police_api import (  # noqa: F401  (RateLimiter, split_polygon, poly_param: part of this module's API)
    DEFAULT_BASE_URL,
    TOO_LARGE,
    USER_AGENT,
    Client,
    FetchError,
    MonthError,
    Points,
    RateLimiter,
    ServiceDown,
    boundary_points,
    poly_param,
    split_polygon,
)
from ruralaction.incidents.schema import POLICE_UK_COLUMNS

#: API category slug -> police.uk crime type (the fourteen street-level types).
CATEGORY_NAMES: dict[str, str] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-crime": "Other crime",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
}

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class FetchSummary:
    """What a fetch did, month by month.

    ``months_skipped`` already had a CSV on disk; ``months_unavailable`` are not served by the
    API; ``months_failed`` were attempted and not written (the reason is in ``messages``).
    """

    force: str
    out_dir: Path
    force_name: str | None = None
    months_fetched: list[str] = field(default_factory=list)
    months_skipped: list[str] = field(default_factory=list)
    months_unavailable: list[str] = field(default_factory=list)
    months_failed: list[str] = field(default_factory=list)
    rows_written: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    files_written: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when something was written, or nothing failed and something was already there.

        (A run whose months are all on disk, or on disk and not yet published, is fine.)
        """
        return bool(self.files_written) or (bool(self.months_skipped) and not self.months_failed)

    def lines(self) -> list[str]:
        """The summary as plain-English lines (for the command line and the app)."""
        who = self.force_name or self.force
        out = []
        if self.months_fetched:
            per = ", ".join(f"{m} ({self.rows_written[m]:,} rows)" for m in self.months_fetched)
            out.append(
                f"Fetched {len(self.months_fetched)} month{'s' * (len(self.months_fetched) != 1)} "
                f"of {who} into {self.out_dir}: {per}."
            )
        if self.months_skipped:
            out.append(
                f"Already on disk, not fetched again: {_month_list(self.months_skipped)} "
                "(pass --overwrite to fetch them again)."
            )
        out += self.messages
        out.append(f"{self.requests:,} requests to data.police.uk.")
        return out


def _month_list(months: list[str]) -> str:
    if len(months) > 3 and months == month_range(months[0], months[-1]):
        return f"{months[0]} to {months[-1]}"
    return ", ".join(months)


# --------------------------------------------------------------------------- months


def check_month(value: str, what: str = "month") -> str:
    """Return ``value`` stripped if it is ``YYYY-MM``; raise :class:`FetchError` otherwise."""
    value = str(value).strip()
    if not _MONTH.match(value):
        raise FetchError(f"The {what} '{value}' is not a year and month like 2024-03.")
    return value


def month_range(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end`` inclusive, as ``YYYY-MM`` strings."""
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _shift(month: str, months: int) -> str:
    n = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def resolve_months(start: str | None, end: str | None, available: list[str]) -> list[str]:
    """The months to fetch.

    Both given: ``start`` to ``end``. Only ``start``: to the latest available month. Only
    ``end``: the twelve months ending there. Neither: the latest twelve available months.
    """
    latest = max(available) if available else None
    if start is None and end is None:
        return sorted(available)[-12:]
    if end is None:
        end = max(latest, start) if latest else start
    if start is None:
        start = _shift(end, -11)
    if start > end:
        raise FetchError(f"The range {start} to {end} is empty: the first month is after the last.")
    return month_range(start, end)


def month_path(out_dir: str | os.PathLike, force: str, month: str) -> Path:
    """Where the CSV of ``force``'s ``month`` goes (the police.uk bulk-archive layout)."""
    return Path(out_dir) / month / f"{month}-{force}-street.csv"


# --------------------------------------------------------------------------- crimes -> rows


def crime_row(crime: dict, month: str, force_name: str) -> list[str]:
    """One API crime as a police.uk street-level row (the twelve columns, as strings).

    An unknown category slug is written as-is, so the loader rejects the row with its reason.
    Raises ``KeyError`` when the crime has no category or no location coordinates.
    """
    loc = crime["location"]
    street = loc.get("street") or {}
    outcome = crime.get("outcome_status") or {}
    cat = _text(crime["category"])
    return [
        _text(crime.get("persistent_id")),
        _text(crime.get("month")) or month,
        force_name,
        force_name,
        _text(loc["longitude"]),
        _text(loc["latitude"]),
        _text(street.get("name")),
        "",
        "",
        CATEGORY_NAMES.get(cat, cat),
        _text(outcome.get("category")),
        _text(crime.get("context")),
    ]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _crime_key(crime: dict):
    cid = crime.get("id")
    return cid if cid is not None else json.dumps(crime, sort_keys=True)


def _write_month(path: Path, rows: list[list[str]]) -> None:
    """Write ``rows`` under the police.uk header to ``path`` atomically (temp file + rename)."""
    created = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with open(fd, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(POLICE_UK_COLUMNS)
            w.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        if created:
            try:
                path.parent.rmdir()
            except OSError:
                pass
        raise


# --------------------------------------------------------------------------- the fetch


@dataclass
class _Neighbourhood:
    id: str
    name: str
    points: Points

    @property
    def label(self) -> str:
        return f"neighbourhood {self.name} ({self.id})"


def fetch_force(
    force: str,
    start: str | None,
    end: str | None,
    out_dir: str | os.PathLike,
    *,
    base_url: str = DEFAULT_BASE_URL,
    session: requests.Session | None = None,
    rate_per_s: float = 15,
    timeout_s: float = 30,
    max_retries: int = 4,
    backoff_s: float = 1.0,
    max_backoff_s: float = 60.0,
    max_split_depth: int = 6,
    overwrite: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FetchSummary:
    """Download ``force``'s street-level crimes for ``start``..``end`` as police.uk CSVs.

    Parameters
    ----------
    force : str
        The API's force id, e.g. ``"northamptonshire"`` (https://data.police.uk/api/forces).
    start, end : str or None
        ``YYYY-MM``, inclusive. See :func:`resolve_months` for either being ``None``
        (both ``None``: the latest twelve months the API serves).
    out_dir : path
        Root of the ``YYYY-MM/YYYY-MM-<force>-street.csv`` layout.
    base_url : str
        The API root; ``$RURALACTION_POLICE_API`` or https://data.police.uk/api.
    session : requests.Session, optional
        Reused for every call (a new one is made and closed otherwise).
    rate_per_s : float
        At most this many requests a second (the service allows 15); 0 turns spacing off.
    timeout_s, max_retries, backoff_s, max_backoff_s : float, int, float, float
        Each call waits ``timeout_s``; timeouts, connection errors, 429 and 5xx are retried
        ``max_retries`` times after ``backoff_s * 2**k`` seconds (or ``Retry-After`` if longer),
        capped at ``max_backoff_s``.
    max_split_depth : int
        How many times a polygon refused with 503 ("more than 10,000 crimes") is halved
        before a 503 is taken to be an outage.
    overwrite : bool
        Fetch months whose CSV already exists (default: skip them).
    progress : callable, optional
        ``progress(done, total, "2024-03 Brixworth")`` after each month-neighbourhood step.
    sleep, clock : callable
        Injectable for tests (backoff and rate spacing).

    Returns
    -------
    FetchSummary
        Months fetched / skipped / unavailable / failed, rows per month, files, requests,
        and a plain-English message for everything not fetched.

    Raises
    ------
    FetchError
        When nothing can be attempted: a malformed month, an unknown force, or the service not
        answering for the list of months, the force or its neighbourhoods.
    """
    force = force.strip().lower()
    start = check_month(start, "first month") if start is not None else None
    end = check_month(end, "last month") if end is not None else None
    out = Path(out_dir)
    summary = FetchSummary(force=force, out_dir=out)
    own_session = session is None
    if own_session:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
    client = Client(
        base_url,
        session,
        RateLimiter(rate_per_s, clock=clock, sleep=sleep),
        timeout_s=timeout_s,
        max_retries=max_retries,
        backoff_s=backoff_s,
        max_backoff_s=max_backoff_s,
        sleep=sleep,
        summary=summary,
    )
    try:
        _fetch(client, summary, force, start, end, out, overwrite, max_split_depth, progress)
    finally:
        if own_session:
            session.close()
    return summary


def _setup(call, *args, **kw):
    """A call that the whole fetch depends on: any failure becomes a :class:`FetchError`."""
    try:
        return call(*args, **kw)
    except MonthError as exc:
        raise FetchError(f"{exc} Nothing was fetched.") from None


def _fetch(
    client: Client,
    summary: FetchSummary,
    force: str,
    start: str | None,
    end: str | None,
    out: Path,
    overwrite: bool,
    max_split_depth: int,
    progress,
) -> None:
    def on_disk(m: str) -> bool:
        return not overwrite and month_path(out, force, m).exists()

    # A fully resumed explicit range needs no network at all.
    if start is not None and end is not None:
        if start > end:
            raise FetchError(f"The range {start} to {end} is empty: the first month is after the last.")
        if all(on_disk(m) for m in month_range(start, end)):
            summary.months_skipped = month_range(start, end)
            return

    available = _setup(_available_months, client)
    months = resolve_months(start, end, available)
    summary.months_skipped = [m for m in months if on_disk(m)]
    todo = [m for m in months if not on_disk(m)]
    summary.months_unavailable = [m for m in todo if m not in available]
    if summary.months_unavailable:
        summary.messages.append(
            f"Not served by the data.police.uk API: {_month_list(summary.months_unavailable)} "
            f"(it serves {min(available)} to {max(available)}; older months are in the archive "
            "downloads at https://data.police.uk/data/archive/)."
            if available
            else f"Not served by the data.police.uk API: {_month_list(summary.months_unavailable)}."
        )
    todo = [m for m in todo if m in available]
    if not todo:
        return

    summary.force_name = _setup(_force_name, client, force)
    neighbourhoods = _setup(_neighbourhoods, client, force, summary)
    if not neighbourhoods:
        raise FetchError(
            f"data.police.uk lists no neighbourhood with a boundary for {summary.force_name}, "
            "so there is no area to ask for crimes in. Nothing was fetched."
        )

    total, done = len(todo) * len(neighbourhoods), 0
    for i, month in enumerate(todo):
        crimes: dict[object, dict] = {}
        try:
            for nb in neighbourhoods:
                for crime in _crimes_in(client, nb.points, month, nb.label, 0, max_split_depth):
                    crimes.setdefault(_crime_key(crime), crime)
                done += 1
                if progress:
                    progress(done, total, f"{month} {nb.name}")
            rows, other = _rows(crimes.values(), month, summary.force_name)
            path = month_path(out, force, month)
            _write_month(path, rows)
        except ServiceDown as exc:
            summary.months_failed.append(month)
            rest = todo[i + 1 :]
            summary.messages.append(f"{month} not written: {exc}")
            summary.messages.append(
                "Stopped: data.police.uk is not answering"
                + (f", so {_month_list(rest)} {'was' if len(rest) == 1 else 'were'} not tried" if rest else "")
                + ". Run the same command again later to resume."
            )
            return
        except MonthError as exc:
            summary.months_failed.append(month)
            summary.messages.append(f"{month} not written: {exc}")
            continue
        except OSError as exc:
            summary.months_failed.append(month)
            summary.messages.append(
                f"{month} not written: could not write {month_path(out, force, month)} "
                f"({exc.strerror or exc}). Stopped."
            )
            return
        summary.months_fetched.append(month)
        summary.rows_written[month] = len(rows)
        summary.files_written.append(path)
        if other:
            summary.messages.append(
                f"{month}: left out {other:,} British Transport Police record"
                f"{'s' * (other != 1)} (they are BTP's, not {summary.force_name}'s)."
            )
        if not rows:
            summary.messages.append(
                f"{month}: data.police.uk returned no crimes at all for {summary.force_name}; "
                "an empty file was written."
            )


def _available_months(client: Client) -> list[str]:
    raw = client.request("GET", "crimes-street-dates", "the list of months data.police.uk serves")
    try:
        months = sorted({str(d["date"]) for d in raw})
    except (TypeError, KeyError):
        raise MonthError(
            "data.police.uk's list of months (crimes-street-dates) is not in the expected shape."
        ) from None
    return [m for m in months if _MONTH.match(m)]


def _force_name(client: Client, force: str) -> str:
    info = client.request("GET", f"forces/{quote(force, safe='')}", f"the force '{force}'", missing_ok=True)
    if info is None:
        hint = ""
        try:
            forces = client.request("GET", "forces", "the list of forces")
            ids = [str(f["id"]) for f in forces]
            close = difflib.get_close_matches(force, ids, n=3)
            hint = f" Did you mean {' or '.join(close)}?" if close else f" Known forces: {', '.join(ids)}."
        except (MonthError, TypeError, KeyError):
            pass
        raise FetchError(f"data.police.uk has no force '{force}'.{hint} Nothing was fetched.")
    if not isinstance(info, dict) or not info.get("name"):
        raise MonthError(f"the force '{force}': data.police.uk's answer has no name.")
    return str(info["name"])


def _neighbourhoods(client: Client, force: str, summary: FetchSummary) -> list[_Neighbourhood]:
    raw = client.request("GET", f"{quote(force, safe='')}/neighbourhoods", f"the neighbourhoods of '{force}'")
    if not isinstance(raw, list) or not all(isinstance(n, dict) and "id" in n for n in raw):
        raise MonthError(f"the neighbourhoods of '{force}': data.police.uk's answer is not a list of neighbourhoods.")
    out = []
    for n in raw:
        nid, name = str(n["id"]), str(n.get("name") or n["id"])
        label = f"neighbourhood {name} ({nid})"
        pts = client.request(
            "GET",
            f"{quote(force, safe='')}/{quote(nid, safe='')}/boundary",
            f"the boundary of {label}",
            missing_ok=True,
        )
        points = boundary_points(pts, f"the boundary of {label}") if pts is not None else []
        if len(points) < 3:
            summary.messages.append(
                f"Left out {label}: data.police.uk has no boundary for it, so crimes there "
                "are only fetched where another neighbourhood's boundary covers them."
            )
            continue
        out.append(_Neighbourhood(nid, name, points))
    return out


def _crimes_in(client: Client, points: Points, month: str, where: str, depth: int, max_depth: int) -> Iterator[dict]:
    """The crimes inside a polygon, halving it while the API says it holds too many."""
    try:
        answer = client.request(
            "POST",
            "crimes-street/all-crime",
            where,
            data={"poly": poly_param(points), "date": month},
            split_on_503=depth < max_depth,
        )
    except ServiceDown as exc:
        if depth and "HTTP 503" in str(exc):
            raise ServiceDown(
                f"{exc} (data.police.uk also answers 503 for an area with more than 10,000 crimes, "
                f"but this area had already been halved {depth} times, so the service is probably "
                "down.)"
            ) from None
        raise
    if answer is TOO_LARGE:
        for part in split_polygon(points):
            yield from _crimes_in(client, part, month, where, depth + 1, max_depth)
        return
    if not isinstance(answer, list) or not all(isinstance(c, dict) for c in answer):
        raise MonthError(f"{where}: data.police.uk's answer is not a list of crimes.")
    yield from answer


def _rows(crimes, month: str, force_name: str) -> tuple[list[list[str]], int]:
    """Rows for the force's own crimes (sorted by API id) and the number of other records left out."""
    rows, other = [], 0
    for crime in sorted(crimes, key=lambda c: str(c.get("id")).zfill(20)):
        if crime.get("location_type") != "Force":
            other += 1
            continue
        try:
            rows.append(crime_row(crime, month, force_name))
        except (KeyError, TypeError, AttributeError):
            raise MonthError(f"data.police.uk sent crime {crime.get('id')!r} without a category or location.") from None
    return rows, other


# --------------------------------------------------------------------------- command line


#: The store folder for fetched months. It sorts before the store's dated folders of added
#: files, so a bulk-download copy of a force-month (richer: LSOA codes, unmapped crimes)
#: replaces the API's copy, never the other way round.
API_FOLDER = "0-api"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``fetch`` options to ``parser`` and make :func:`run_cli` its handler."""

    def month(value: str) -> str:
        try:
            return check_month(value)
        except FetchError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parser.add_argument(
        "--force",
        required=True,
        metavar="FORCE_ID",
        help="data.police.uk force id, e.g. northamptonshire (see https://data.police.uk/api/forces)",
    )
    parser.add_argument(
        "--from",
        dest="start",
        type=month,
        metavar="YYYY-MM",
        help="first month (default: twelve months before --to, or the latest twelve served)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=month,
        metavar="YYYY-MM",
        help="last month (default: the latest month data.police.uk serves)",
    )
    parser.add_argument("--out", help=f"output folder (default: DATA_DIR/ours/police_uk/{API_FOLDER})")
    parser.add_argument("--base-url", help="API root (default: $RURALACTION_POLICE_API or https://data.police.uk/api)")
    parser.add_argument("--overwrite", action="store_true", help="fetch months whose CSV already exists again")
    parser.set_defaults(func=run_cli)
    return parser


def _progress(stream):
    """A progress bar on a terminal (a line every tenth of the way otherwise), and a JSON
    ``progress`` event when events are logged (:mod:`ruralaction.progressbar`)."""
    from ruralaction import progressbar

    return progressbar.both(progressbar.terminal("Fetching", stream), progressbar.logged("fetch"))


def run_cli(args: argparse.Namespace) -> int:
    """Run ``fetch`` from parsed arguments: print the summary; 0 if anything usable, else 1.

    Without ``--out`` the months go into our data as one new data version (all of them or,
    when nothing could be fetched, none), starting from the API months already there.
    """
    if args.out:
        code, lines = _fetch_cli(args, Path(args.out))
        _print(lines)
        return code
    from ruralaction.incidents.store import Store
    from ruralaction.permissions import command_line_actor

    store = Store.default()
    with store.change(command_line_actor(), "fetch from police.uk", args.force) as ch:
        staged = ch.folder / "ours" / "police_uk" / API_FOLDER
        code, lines = _fetch_cli(args, staged)
        if code != 0:
            ch.cancel()
    final = str(store.path("ours") / "police_uk" / API_FOLDER)
    _print([(line.replace(str(staged), final), err) for line, err in lines])
    return code


def _print(lines: list[tuple[str, bool]]) -> None:
    for line, err in lines:
        print(line, file=sys.stderr if err else sys.stdout)


def _fetch_cli(args: argparse.Namespace, out: Path) -> tuple[int, list[tuple[str, bool]]]:
    """Fetch into ``out``: the exit code and the lines to print (``(text, to stderr)``)."""
    base = args.base_url or os.environ.get("RURALACTION_POLICE_API") or DEFAULT_BASE_URL
    try:
        summary = fetch_force(
            args.force,
            args.start,
            args.end,
            out,
            base_url=base,
            overwrite=getattr(args, "overwrite", False),
            progress=_progress(sys.stderr),
        )
    except FetchError as exc:
        return 1, [(f"Error: {exc}", True)]
    except OSError as exc:
        return 1, [(f"Error: could not use {out}: {exc.strerror or exc}.", True)]
    lines = [(line, False) for line in summary.lines()]
    if not summary.ok:
        return 1, [*lines, ("Nothing could be fetched.", True)]
    return 0, lines
