"""Reporting periods for the Progress page, presentation mode and the meeting pack.

A period is always twelve whole months, so any two periods compare like with like:

financial year (``"fy"``)
    April to March, written ``"2025-26"`` (1 April 2025 to 31 March 2026), as councils and the
    Police and Crime Commissioner budget and report.
calendar year (``"cy"``)
    January to December, written ``"2025"``.
rolling 12 months (``"r12"``)
    The twelve months to the end of a month, written ``"12m-2026-09"`` (October 2025 to
    September 2026).

Crime data arrives by month (police.uk publishes each month about two months later), so a
period's crime figures are complete only when every one of its months is loaded; actions are
dated by the day and are complete to the moment they were read. :func:`coverage` says which.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ruralaction.measures.months import ranges_words

#: Period kinds, in the order the Progress page offers them.
KINDS: dict[str, str] = {"fy": "Financial year", "cy": "Calendar year", "r12": "Rolling 12 months"}

_FY = re.compile(r"^(\d{4})-(\d{2})$")
_CY = re.compile(r"^(\d{4})$")
_R12 = re.compile(r"^12m-(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period written in a way this module does not read; the message says the forms it does."""


@dataclass(frozen=True, order=True)
class Period:
    """Twelve whole months.

    Attributes
    ----------
    first, last : pandas.Period
        The first and last month (monthly ``pandas.Period``), ``last = first + 11``.
    kind : {"fy", "cy", "r12"}
    """

    first: pd.Period
    last: pd.Period
    kind: str

    @property
    def start(self) -> dt.date:
        """The first day of the period."""
        return self.first.start_time.date()

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        return self.last.end_time.date()

    @property
    def spec(self) -> str:
        """The period as written on the command line and in URLs: ``"2025-26"``, ``"2025"``, ``"12m-2026-09"``."""
        if self.kind == "fy":
            return f"{self.first.year}-{(self.first.year + 1) % 100:02d}"
        if self.kind == "cy":
            return f"{self.first.year}"
        return f"12m-{self.last:%Y-%m}"

    @property
    def months(self) -> list[str]:
        """Its months as ``"YYYY-MM"``."""
        return [f"{p:%Y-%m}" for p in pd.period_range(self.first, self.last, freq="M")]

    @property
    def span(self) -> str:
        """``"Apr 2025 – Mar 2026"``."""
        return f"{self.first:%b %Y} – {self.last:%b %Y}"

    @property
    def label(self) -> str:
        """``"Financial year 2025-26 (Apr 2025 – Mar 2026)"``, ``"12 months to Sep 2026 (Oct 2025 – Sep 2026)"``."""
        if self.kind == "fy":
            return f"Financial year {self.spec} ({self.span})"
        if self.kind == "cy":
            return f"Calendar year {self.spec} ({self.span})"
        return f"12 months to {self.last:%b %Y} ({self.span})"

    @property
    def short(self) -> str:
        """``"2025-26"``, ``"2025"`` or ``"12 months to Sep 2026"``."""
        return self.spec if self.kind != "r12" else f"12 months to {self.last:%b %Y}"

    def previous(self) -> Period:
        """The twelve months before, of the same kind."""
        return Period(self.first - 12, self.last - 12, self.kind)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def last_quarter(self, as_of: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """The last three months of the period up to ``as_of``: first and last day.

        When the period is still running on ``as_of``, the quarter is the three months to
        ``as_of``'s month (ending on ``as_of``); a period that has ended uses its own last three
        months. A period that starts after ``as_of`` gives its first quarter.
        """
        end_month = self.last
        if as_of is not None and as_of < self.end:
            end_month = max(pd.Period(as_of, "M"), self.first)
        first = max(end_month - 2, self.first)
        end = end_month.end_time.date()
        if as_of is not None and first.start_time.date() <= as_of < end:
            end = as_of
        return first.start_time.date(), end


def financial_year(start_year: int) -> Period:
    """The financial year starting 1 April ``start_year``."""
    first = pd.Period(f"{start_year}-04", "M")
    return Period(first, first + 11, "fy")


def calendar_year(year: int) -> Period:
    first = pd.Period(f"{year}-01", "M")
    return Period(first, first + 11, "cy")


def rolling_12(last_month: str | pd.Period) -> Period:
    """The twelve months to ``last_month`` (``"YYYY-MM"``) inclusive."""
    last = pd.Period(last_month, "M")
    return Period(last - 11, last, "r12")


def parse_period(spec: str) -> Period:
    """Read ``"2025-26"`` (financial year), ``"2025"`` (calendar year) or ``"12m-2026-09"``.

    Raises
    ------
    PeriodError
        Anything else, or a financial year whose two years do not follow each other.
    """
    s = str(spec).strip()
    if m := _FY.match(s):
        year, nxt = int(m.group(1)), int(m.group(2))
        if (year + 1) % 100 != nxt:
            raise PeriodError(f"'{s}' is not a financial year: write it as {year}-{(year + 1) % 100:02d}.")
        return financial_year(year)
    if m := _CY.match(s):
        return calendar_year(int(m.group(1)))
    if (m := _R12.match(s)) and 1 <= int(m.group(2)) <= 12:
        return rolling_12(f"{m.group(1)}-{m.group(2)}")
    raise PeriodError(
        f"'{s}' is not a period: write a financial year as 2025-26, a calendar year as 2025, "
        "or the 12 months to a month as 12m-2026-09."
    )


def latest_full(kind: str, last_loaded: str | pd.Period) -> Period:
    """The latest period of ``kind`` whose months all lie at or before ``last_loaded``.

    For ``"r12"`` that is the twelve months to ``last_loaded`` itself.
    """
    last = pd.Period(last_loaded, "M")
    if kind == "r12":
        return rolling_12(last)
    if kind == "cy":
        return calendar_year(last.year if last.month == 12 else last.year - 1)
    if kind == "fy":
        start = last.year - 1 if last.month >= 3 else last.year - 2
        return financial_year(start)
    raise PeriodError(f"Unknown period kind '{kind}': one of {', '.join(KINDS)}.")


def choices(
    kind: str, first_loaded: str | pd.Period, last_loaded: str | pd.Period, today: dt.date | None = None
) -> list[Period]:
    """Periods of ``kind`` that overlap the loaded months or ``today``, newest first.

    Financial and calendar years run from the one holding the first loaded month to the one
    holding ``today`` (or the last loaded month); rolling periods end at each loaded month,
    newest first, and only those with at least 12 months loaded (plus the one to today's
    month, when it is later).
    """
    first, last = pd.Period(first_loaded, "M"), pd.Period(last_loaded, "M")
    top = max(last, pd.Period(today, "M")) if today else last
    if kind == "r12":
        ends = [top, *pd.period_range(first + 11, last, freq="M")[::-1]]
        return [rolling_12(e) for e in dict.fromkeys(ends) if e >= first]
    if kind not in ("fy", "cy"):
        raise PeriodError(f"Unknown period kind '{kind}': one of {', '.join(KINDS)}.")
    out: list[Period] = []
    for year in range(top.year + 1, first.year - 2, -1):
        p = financial_year(year) if kind == "fy" else calendar_year(year)
        if p.first <= top and p.last >= first:
            out.append(p)
    return out


@dataclass(frozen=True)
class Coverage:
    """How much of a period the loaded crime data covers.

    Attributes
    ----------
    loaded : int
        Months of the period with crime data loaded (0–12).
    missing : tuple of str
        The period's months with no data (``"YYYY-MM"``).
    """

    loaded: int
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def words(self) -> str:
        if self.complete:
            return "all 12 months loaded"
        if not self.loaded:
            return "no month of it loaded"
        return f"only {self.loaded} of its 12 months loaded; no data for {ranges_words(self.missing)}"


def coverage(period: Period, loaded_months: Sequence[str]) -> Coverage:
    """Which of ``period``'s months are among ``loaded_months`` (``"YYYY-MM"``)."""
    have = set(loaded_months)
    missing = tuple(m for m in period.months if m not in have)
    return Coverage(12 - len(missing), missing)


def loaded_months(df: pd.DataFrame) -> list[str]:
    """The months of a classified frame with any incident (rural or not), ``"YYYY-MM"``, sorted.

    Any incident counts: a month with crimes of other kinds but no rural crime is loaded (and
    rural-crime-free), while a month with no incident at all is a missing file.
    """
    months = df["month"].dropna()
    if months.empty:
        return []
    return sorted({f"{m:%Y-%m}" for m in pd.DatetimeIndex(months.unique())})
