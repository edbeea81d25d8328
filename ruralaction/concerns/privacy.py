"""Who may see what of a concern, and for how long personal details are kept.

Rules (enforced here and tested page by page):

- **Personal fields** (:data:`PERSONAL_FIELDS`: name, email, phone, and the place text typed to
  find the ward, which may be a home postcode) are read only by admin functions that check the
  permission inside. Public functions never select them from the database at all.
- **Public views** show ward-level counts by category, with the month raised (not the day), and
  the actions linked to them. Never a description (free text can name people), never a point.
- **Retention**: after :func:`retention` (``RURALACTION_CONCERN_RETENTION``, default 12
  months) ``python -m ruralaction concerns purge`` erases the personal fields and keeps the
  anonymous concern (ward, category, month, status, links) for the measures.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable

import pandas as pd

#: Columns of a concern that identify a person.
PERSONAL_FIELDS: tuple[str, ...] = ("name", "email", "phone", "place")
#: The only concern columns a public table may hold.
PUBLIC_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "reference",
        "ward_code",
        "ward_name",
        "category",
        "category_label",
        "raised_at",
        "raised_month",
        "status",
        "first_action_at",
        "concerns",
        "first_raised",
        "last_raised",
        "action_id",
        "action_title",
        "action_issue",
        "action_status",
        "action_date",
        "lead_partner",
        "linked_on",
        "actioned",
        "reviewed",
        "categories",
    }
)
RETENTION_ENV = "RURALACTION_CONCERN_RETENTION"
DEFAULT_RETENTION = "12m"
_PERIOD = re.compile(r"^\s*(\d{1,4})\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)\s*$", re.IGNORECASE)


class PrivacyError(AssertionError):
    """A table meant for the public holds a personal column (a programming error)."""


def parse_period(text: str) -> tuple[int, str]:
    """``"12m"``, ``"12 months"``, ``"1y"``, ``"90d"``, ``"6w"`` -> ``(12, "months")`` etc.

    Raises
    ------
    ValueError
        Not a whole number of days, weeks, months or years, or zero.
    """
    m = _PERIOD.match(str(text))
    if m is None or int(m[1]) == 0:
        raise ValueError(f"'{text}' is not a period: write a whole number and d, w, m or y, e.g. 12m or 365d.")
    unit = {"d": "days", "w": "weeks", "m": "months", "y": "years"}[m[2][0].lower()]
    return int(m[1]), unit


def period_words(text: str) -> str:
    """A period in words: ``"12m"`` -> ``"12 months"``, ``"1y"`` -> ``"1 year"``."""
    n, unit = parse_period(text)
    return f"{n} {unit if n != 1 else unit[:-1]}"


def retention(setting: str | None = None) -> str:
    """The retention period: ``setting``, else ``$RURALACTION_CONCERN_RETENTION``, else 12 months.

    Raises
    ------
    ValueError
        The setting is not a period (see :func:`parse_period`).
    """
    chosen = (setting or os.environ.get(RETENTION_ENV) or DEFAULT_RETENTION).strip()
    parse_period(chosen)
    return chosen


def cutoff(period: str, now: dt.datetime) -> dt.datetime:
    """The moment ``period`` before ``now``: concerns raised before it are past retention.

    Months and years are calendar months and years (12 months before 31 March is 31 March).
    """
    n, unit = parse_period(period)
    if unit in ("days", "weeks"):
        return now - dt.timedelta(**{unit: n})
    months = n * (12 if unit == "years" else 1)
    return (pd.Timestamp(now) - pd.DateOffset(months=months)).to_pydatetime()


def check_public(frame: pd.DataFrame, also_forbidden: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` unchanged when every column is a public one; raises :class:`PrivacyError` otherwise.

    Public functions pass their result through this, so a personal column added by mistake
    fails loudly in the tests instead of reaching a page.
    """
    bad = [c for c in frame.columns if c not in PUBLIC_FIELDS or c in PERSONAL_FIELDS or c in set(also_forbidden)]
    if bad:
        raise PrivacyError(f"not public: {', '.join(map(str, bad))}")
    return frame
