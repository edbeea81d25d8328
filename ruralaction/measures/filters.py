"""The filters every page shares, and how they travel in a link.

A :class:`Filters` value says which rural crimes a page shows: a range of months, some
categories, why they count as rural (a rural ward, a farm, or either), a district and a ward.
It is frozen and hashable, so it can key a cache, and it round-trips through URL query
parameters (:meth:`Filters.to_query` / :meth:`Filters.from_query`), so a council can bookmark
its view and share it.

Query parameters come from whoever typed the link. :meth:`Filters.from_query` never raises: a
value it cannot read is dropped (the filter falls back to "all"), and
:meth:`Filters.clean` drops values the loaded data does not have (an unknown ward code, a
category the definition does not use) and clamps months to the data's span.

:meth:`Filters.apply` returns a boolean mask over a classified incident frame. It works on the
integer codes of the frame's categorical columns and on the month column's datetime64 values,
never on strings, so a filter change at a million rows costs a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

#: Why a rural crime counts: ``"any"`` (in a rural ward or at a farm: all rural crime),
#: ``"ward"`` (in a rural ward) or ``"farm"`` (at a farm or farm building).
REASONS: tuple[str, ...] = ("any", "ward", "farm")
REASON_LABELS: dict[str, str] = {
    "any": "Rural ward or farm (all rural crime)",
    "ward": "In a rural ward",
    "farm": "At a farm",
}
#: The query-string keys, in the order a link shows them.
QUERY_KEYS: tuple[str, ...] = ("from", "to", "cat", "reason", "district", "ward")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_MAX_VALUE_CHARS = 200  # longer values are junk, not a ward code or a category


def parse_month(value: object) -> str | None:
    """``"YYYY-MM"`` when ``value`` is a real month in that form (1900–2199), else None."""
    if not isinstance(value, str):
        return None
    m = _MONTH.match(value.strip())
    if not m or not (1900 <= int(m.group(1)) <= 2199 and 1 <= int(m.group(2)) <= 12):
        return None
    return f"{m.group(1)}-{m.group(2)}"


def month_start(month: str) -> dt.date:
    """First day of ``"YYYY-MM"``."""
    return pd.Period(month, "M").start_time.date()


def month_end(month: str) -> dt.date:
    """Last day of ``"YYYY-MM"``."""
    return pd.Period(month, "M").end_time.date()


def month_label(month: str) -> str:
    """``"2024-03"`` as ``"Mar 2024"``."""
    return pd.Period(month, "M").strftime("%b %Y")


def _values(mapping: Mapping[str, object], key: str) -> list[str]:
    """Every string value of ``key``: repeated parameters, lists, or comma-separated text."""
    getter = getattr(mapping, "get_all", None)  # st.query_params keeps repeated keys this way
    try:
        raw = getter(key) if callable(getter) else mapping.get(key)
    except Exception:  # noqa: BLE001 - a mapping that cannot answer is no filter, never an error
        return []
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, Iterable) else []
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and len(item) <= _MAX_VALUE_CHARS * 10:
            out += [p.strip() for p in item.split(",") if p.strip() and len(p.strip()) <= _MAX_VALUE_CHARS]
    return out


def link_note(what: str, value: object, why: str) -> str:
    """One sentence for a link's value that was ignored or changed, quoting it (shortened):
    ``The link's last month '2019-13' was ignored: months are written YYYY-MM.``"""
    text = str(value)
    text = text if len(text) <= 40 else text[:39] + "…"
    return f"The link's {what} '{text}' {why}."


def _raw(mapping: Mapping[str, object], key: str) -> list[str]:
    """Every value of ``key`` as given, unsplit (for notes on what was ignored)."""
    getter = getattr(mapping, "get_all", None)
    try:
        raw = getter(key) if callable(getter) else mapping.get(key)
    except Exception:  # noqa: BLE001 - a mapping that cannot answer has nothing to note
        return []
    if raw is None:
        return []
    return [str(v) for v in ([raw] if isinstance(raw, str) else raw if isinstance(raw, Iterable) else [raw])]


def ignored(query: Mapping[str, object], opts: FilterOptions) -> list[str]:
    """Sentences for each filter value in a link that is ignored or changed (at most one per key).

    :meth:`Filters.from_query` and :meth:`Filters.clean` never fail on a bad value; this says
    what they did about it, so a page can show it: a month that is not ``YYYY-MM`` or lies
    outside the data, a category, reason, district or ward the loaded data does not have.
    """
    notes: list[str] = []
    for key, what in (("from", "first month"), ("to", "last month")):
        raw = [v for v in _raw(query, key) if v.strip()]
        if not raw:
            continue
        month = parse_month(raw[-1])
        if month is None:
            notes.append(link_note(what, raw[-1], "was ignored: months are written YYYY-MM, e.g. 2024-03"))
        elif opts.months and not opts.months[0] <= month <= opts.months[-1]:
            nearest = opts.months[0] if month < opts.months[0] else opts.months[-1]
            notes.append(
                link_note(
                    what,
                    month,
                    f"is outside the months loaded ({month_label(opts.months[0])} to "
                    f"{month_label(opts.months[-1])}), so {month_label(nearest)} is used",
                )
            )
    cats = [c for c in _values(query, "cat") if c.lower() not in opts.categories]
    if cats:
        notes.append(
            link_note("category", ", ".join(cats[:5]), "was ignored: the rural-crime definition has no such category")
        )
    reason = [v for v in _raw(query, "reason") if v.strip()]
    if reason and reason[-1].strip().lower() not in REASONS:
        notes.append(link_note("reason", reason[-1], f"was ignored: it is one of {', '.join(REASONS)}"))
    district = [v for v in _raw(query, "district") if v.strip()]
    if district and district[-1].strip() not in opts.districts:
        notes.append(link_note("district", district[-1], "was ignored: no loaded district has that name"))
    ward = [v for v in _raw(query, "ward") if v.strip()]
    if ward and not (opts.wards["ward_code"].to_numpy() == ward[-1].strip()).any():
        notes.append(link_note("ward", ward[-1], "was ignored: no loaded ward has that code"))
    return notes


def _last(mapping: Mapping[str, object], key: str) -> str | None:
    values = _values(mapping, key)
    return values[-1] if values else None


@dataclass(frozen=True)
class FilterOptions:
    """What the loaded data lets a filter choose from.

    Attributes
    ----------
    months : tuple of str
        Every month from the first to the latest in the data, ``"YYYY-MM"``, oldest first.
    categories : tuple of str
        The definition's rural-crime categories, in its order.
    districts : tuple of str
        District names of the loaded wards, sorted.
    wards : DataFrame
        ``ward_code``, ``ward_name``, ``district`` (str or missing), one row per loaded ward,
        sorted by name.
    covered : tuple of str
        The months with any incident at all (``"YYYY-MM"``): the months data was loaded for.
        A month in :attr:`months` but not here has no file, which is not the same as no crime.
        Empty means every month of :attr:`months`.
    """

    months: tuple[str, ...]
    categories: tuple[str, ...]
    districts: tuple[str, ...]
    wards: pd.DataFrame = field(compare=False, hash=False, repr=False)
    covered: tuple[str, ...] = ()

    @property
    def covered_months(self) -> tuple[str, ...]:
        """The months with data (:attr:`covered`, or every month when that is not known)."""
        return self.covered or self.months

    def ward_name(self, code: str | None) -> str | None:
        """The name of a loaded ward, or None."""
        hit = self.wards.loc[self.wards["ward_code"] == code, "ward_name"]
        return str(hit.iloc[0]) if len(hit) else None

    def ward_district(self, code: str | None) -> str | None:
        hit = self.wards.loc[self.wards["ward_code"] == code, "district"]
        return str(hit.iloc[0]) if len(hit) and pd.notna(hit.iloc[0]) else None

    def wards_in(self, district: str | None) -> pd.DataFrame:
        """The wards of a district (all wards when ``district`` is None)."""
        return self.wards if district is None else self.wards[self.wards["district"] == district]


def options(df: pd.DataFrame, wards: pd.DataFrame | None) -> FilterOptions:
    """What the filters can choose from, given a classified frame and the loaded wards.

    Parameters
    ----------
    df : DataFrame
        A classified incident frame (``month``, ``rural_category`` columns).
    wards : DataFrame or None
        ``Geography.wards`` (``ward_code``, ``ward_name``, ``district``), or None when no ward
        boundaries are loaded.
    """
    months = df["month"].dropna()
    span = pd.period_range(months.min(), months.max(), freq="M").strftime("%Y-%m").tolist() if len(months) else []
    col = df["rural_category"]
    cats = (
        [str(c) for c in col.cat.categories]
        if isinstance(col.dtype, pd.CategoricalDtype)
        else sorted(col.dropna().unique())
    )
    if wards is None or not len(wards):
        table = pd.DataFrame(
            {"ward_code": pd.Series(dtype=str), "ward_name": pd.Series(dtype=str), "district": pd.Series(dtype=object)}
        )
    else:
        table = (
            pd.DataFrame(
                {
                    "ward_code": wards["ward_code"].astype(str).to_numpy(),
                    "ward_name": wards["ward_name"].astype(str).to_numpy(),
                    "district": wards["district"].astype(object).where(wards["district"].notna(), None).to_numpy()
                    if "district" in wards
                    else None,
                }
            )
            .sort_values(["ward_name", "ward_code"], kind="stable")
            .reset_index(drop=True)
        )
    districts = tuple(sorted({str(d) for d in table["district"] if d is not None and pd.notna(d)}))
    covered = tuple(sorted(pd.DatetimeIndex(months.unique()).strftime("%Y-%m"))) if len(months) else ()
    return FilterOptions(months=tuple(span), categories=tuple(cats), districts=districts, wards=table, covered=covered)


@dataclass(frozen=True)
class Filters:
    """Which rural crimes to show. The default shows all of them.

    Attributes
    ----------
    month_from, month_to : str or None
        First and last month shown, ``"YYYY-MM"``, inclusive; None is open-ended.
    categories : tuple of str
        Rural-crime categories shown; empty shows every category.
    reason : str
        One of :data:`REASONS`: ``"any"`` (default), ``"ward"`` or ``"farm"``.
    district : str or None
        A district name; None is the whole county.
    ward : str or None
        A ward code of the loaded boundaries (e.g. ``E05009016``); None is every ward.
    """

    month_from: str | None = None
    month_to: str | None = None
    categories: tuple[str, ...] = ()
    reason: str = "any"
    district: str | None = None
    ward: str | None = None

    # ----------------------------------------------------------------- the URL

    def to_query(self) -> dict[str, str]:
        """The filters as query parameters; values at their default are left out.

        Categories are one comma-separated value (``cat=burglary,vehicle crime``), so the
        dict is flat and works with ``st.query_params.update``.
        """
        q = {
            "from": self.month_from,
            "to": self.month_to,
            "cat": ",".join(self.categories) or None,
            "reason": None if self.reason == "any" else self.reason,
            "district": self.district,
            "ward": self.ward,
        }
        return {k: v for k, v in q.items() if v is not None}

    @classmethod
    def from_query(cls, query: Mapping[str, object], opts: FilterOptions | None = None) -> Filters:
        """Read filters from query parameters, ignoring anything unreadable; never raises.

        Parameters
        ----------
        query : mapping
            ``st.query_params``, a dict of str or list of str, or any mapping. Unknown keys are
            ignored; repeated keys and comma-separated values both work for ``cat``.
        opts : FilterOptions, optional
            When given, the result is :meth:`clean`-ed against the loaded data.
        """
        try:
            cats = tuple(dict.fromkeys(c.lower() for c in _values(query, "cat")))
            reason = (_last(query, "reason") or "any").lower()
            f = cls(
                month_from=parse_month(_last(query, "from")),
                month_to=parse_month(_last(query, "to")),
                categories=cats,
                reason=reason if reason in REASONS else "any",
                district=_last(query, "district"),
                ward=_last(query, "ward"),
            )
        except Exception:  # noqa: BLE001 - junk not foreseen: show everything rather than fail
            f = cls()
        return f.clean(opts) if opts is not None else f

    def clean(self, opts: FilterOptions) -> Filters:
        """These filters with everything the loaded data cannot show dropped or clamped.

        Unknown categories, districts and ward codes are dropped; months are clamped to the
        data's span and put in order; a ward outside the chosen district keeps the ward (the
        more specific choice, e.g. from a bookmarked ``?ward=`` link) and drops the district.
        """
        months = opts.months
        lo, hi = parse_month(self.month_from), parse_month(self.month_to)
        if months:
            lo = None if lo is None else min(max(lo, months[0]), months[-1])
            hi = None if hi is None else min(max(hi, months[0]), months[-1])
            if lo is not None and hi is not None and lo > hi:
                lo, hi = hi, lo
            lo = None if lo == months[0] else lo
            hi = None if hi == months[-1] else hi
        cats = tuple(c for c in opts.categories if c in self.categories)
        if set(cats) == set(opts.categories):
            cats = ()
        district = self.district if self.district in opts.districts else None
        known = opts.wards["ward_code"].to_numpy()
        ward = self.ward if self.ward is not None and (known == self.ward).any() else None
        if ward is not None and district is not None and opts.ward_district(ward) != district:
            district = None
        return replace(
            self,
            month_from=lo,
            month_to=hi,
            categories=cats,
            reason=self.reason if self.reason in REASONS else "any",
            district=district,
            ward=ward,
        )

    # ----------------------------------------------------------------- variants

    def without_area(self) -> Filters:
        """The same filters for the whole county (no district, no ward): the comparison base."""
        return replace(self, district=None, ward=None)

    def without_months(self) -> Filters:
        return replace(self, month_from=None, month_to=None)

    # ----------------------------------------------------------------- the mask

    def apply(self, df: pd.DataFrame, wards: pd.DataFrame | None = None) -> np.ndarray:
        """Which rows of a classified frame are rural crimes these filters show.

        Parameters
        ----------
        df : DataFrame
            A classified incident frame (``is_rural_crime``, ``month``, ``rural_category``,
            ``at_farm``, ``in_rural_ward``, ``ward_code`` columns).
        wards : DataFrame, optional
            ``Geography.wards``; needed only for the district filter (which wards are in it).

        Returns
        -------
        ndarray of bool
            One per row; True where the row is a rural crime that passes every filter.
        """
        mask = df["is_rural_crime"].to_numpy(dtype=bool, copy=True)
        if self.month_from or self.month_to:
            month = df["month"].to_numpy()
            unit = np.datetime_data(month.dtype)[0] if month.dtype.kind == "M" else "s"
            if self.month_from:
                mask &= month >= np.datetime64(self.month_from, "M").astype(f"datetime64[{unit}]")
            if self.month_to:
                mask &= month <= np.datetime64(self.month_to, "M").astype(f"datetime64[{unit}]")
        if self.categories:
            mask &= _in_codes(df["rural_category"], self.categories)
        if self.reason == "ward":
            mask &= df["in_rural_ward"].to_numpy(dtype=bool, na_value=False)
        elif self.reason == "farm":
            mask &= df["at_farm"].to_numpy(dtype=bool)
        if self.ward is not None:
            mask &= _in_codes(df["ward_code"], (self.ward,))
        elif self.district is not None:
            in_district = (
                [] if wards is None else wards.loc[wards["district"] == self.district, "ward_code"].astype(str).tolist()
            )
            mask &= _in_codes(df["ward_code"], in_district)
        return mask

    # ----------------------------------------------------------------- words

    def describe(self, opts: FilterOptions | None = None) -> str:
        """The filters in one short sentence, e.g. for a caption or a printed summary."""
        parts = []
        if self.month_from or self.month_to:
            parts.append(
                f"{month_label(self.month_from) if self.month_from else 'the start'} to "
                f"{month_label(self.month_to) if self.month_to else 'the latest month'}"
            )
        else:
            parts.append("every month loaded")
        parts.append(", ".join(self.categories) if self.categories else "all categories")
        if self.reason != "any":
            parts.append(REASON_LABELS[self.reason].lower())
        if self.ward is not None:
            parts.append((opts.ward_name(self.ward) if opts else None) or self.ward)
        elif self.district is not None:
            parts.append(self.district)
        return "; ".join(parts)


def _in_codes(col: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    """Rows whose categorical value is one of ``wanted``: a lookup on the integer codes.

    The lookup table has one extra False at the end, so code -1 (missing) indexes it.
    """
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return col.isin(list(wanted)).to_numpy(dtype=bool)
    lut = np.append(col.cat.categories.isin(list(wanted)), False)
    return lut[col.cat.codes.to_numpy()]
