"""The shared sidebar filters (Streamlit side), kept in the URL so a view can be bookmarked.

``app.py`` calls :func:`sidebar` on every run, before the page; pages read the result with
:func:`current`. The filters live in the query string (``?from=2025-01&cat=burglary&ward=…``,
see :mod:`ruralaction.measures.filters`), synced by hand with ``st.query_params`` rather than with
``bind="query-params"``: a bound parameter cannot be set by a link or ``st.switch_page`` once its
widget exists (Streamlit 1.67 keeps the widget's value and refuses to set a bound parameter),
and the Map page's "open this ward" link must do exactly that. The rule each run:

1. the URL has filter parameters → they win (a bookmark, a shared link, a ward link);
2. the URL has none (the page menu drops the query string) → the last filters of this session
   are kept and written back to the URL;
3. the widgets are set to that value only when it differs from what they showed last run, so a
   user's own change is never overwritten; then their value is written to the URL.

Also here: the per-data-version map index and ward areas (``st.cache_resource``, keyed on the
data version like :mod:`state`; read-only).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import errors, state
from ruralaction.measures import maplayers, store_queries, trends
from ruralaction.measures.area_report import with_ward
from ruralaction.measures.filters import (
    QUERY_KEYS,
    REASON_LABELS,
    REASONS,
    FilterOptions,
    Filters,
    ignored,
    month_label,
)

_LAST = "filters_last"
_KEYS = {
    "months": "filters_months",
    "cat": "filters_cat",
    "reason": "filters_reason",
    "district": "filters_district",
    "ward": "filters_ward",
}
_ALL = ""  # the "whole county" / "all wards" choice of the select boxes


@dataclass(frozen=True)
class Prepared:
    """What the pages need besides the incidents, built once per data version (read-only)."""

    options: FilterOptions
    index: maplayers.MapIndex
    areas: pd.Series


@st.cache_resource(max_entries=2, show_spinner="Preparing the map…")
def _prepare(root: str, dataset: str, version: str) -> Prepared:
    # ``version`` is unused in the body: it is part of the cache key. Options come from the
    # classified store in SQL and the map index holds the ward outlines only (hexagons are
    # counted in SQL), so no incident is loaded for the sidebar on any page.
    wards = state.meta().geography.wards
    no_points = pd.DataFrame({"longitude": pd.Series(dtype=float), "latitude": pd.Series(dtype=float)})
    return Prepared(
        store_queries.filter_options(state.view(), wards),
        maplayers.build_index(no_points, wards),
        trends.ward_areas_km2(wards),
    )


def prepared() -> Prepared:
    """Filter options, map index and ward areas for the current data version (cached)."""
    src = state.source()
    return _prepare(str(src.root), src.dataset, src.version)


def _url_filters() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: qp.get_all(k) for k in QUERY_KEYS if k in qp}


def _set_widgets(f: Filters, opts: FilterOptions) -> None:
    """Give the widgets these values before they are drawn (only the ones that differ)."""
    want = {
        _KEYS["cat"]: list(f.categories),
        _KEYS["reason"]: f.reason,
        _KEYS["district"]: f.district or _ALL,
        _KEYS["ward"]: f.ward or _ALL,
    }
    if len(opts.months) > 1:
        months = (f.month_from or opts.months[0], f.month_to or opts.months[-1])
        # The slider's own default is the whole span; setting it as well would only log a warning.
        if _KEYS["months"] in st.session_state or months != (opts.months[0], opts.months[-1]):
            want[_KEYS["months"]] = months
    for key, value in want.items():
        if st.session_state.get(key) != value or key not in st.session_state:
            st.session_state[key] = value


def _read_widgets(opts: FilterOptions) -> Filters:
    ss = st.session_state
    months = ss.get(_KEYS["months"])
    lo, hi = months if isinstance(months, (tuple, list)) and len(months) == 2 else (None, None)
    return Filters(
        month_from=lo,
        month_to=hi,
        categories=tuple(ss.get(_KEYS["cat"], ())),
        reason=ss.get(_KEYS["reason"], "any"),
        district=ss.get(_KEYS["district"]) or None,
        ward=ss.get(_KEYS["ward"]) or None,
    ).clean(opts)


def _write_url(f: Filters) -> None:
    """Put the filters in the URL, touching only our keys and only when they differ."""
    want, qp = f.to_query(), st.query_params
    for key in QUERY_KEYS:
        if key in want and qp.get_all(key) != [want[key]]:
            qp[key] = want[key]
        elif key not in want and key in qp:
            del qp[key]


def _reset(opts: FilterOptions) -> None:
    _set_widgets(Filters(), opts)
    st.session_state[_LAST] = Filters()
    _write_url(Filters())


def sidebar(opts: FilterOptions, active: bool = True) -> Filters:
    """Draw the shared filters in the sidebar; return them (also kept for :func:`current`).

    Parameters
    ----------
    opts : FilterOptions
        What the loaded data offers (:func:`prepared`).
    active : bool, default True
        Whether the page shown uses the filters; if not, they sit in a closed expander (still
        drawn, so their values survive a visit to that page).
    """
    last: Filters | None = st.session_state.get(_LAST)
    url = _url_filters()
    wanted = Filters.from_query(url, opts) if url or last is None else last.clean(opts)
    for text in ignored(url, opts) if url else ():
        errors.note(text)  # "The link's last month '2019-13' was ignored: …", above the page
    # With one month there is no slider, so its key is never in session state: it must not count
    # as a widget still to set, or every run would put back the values a user has just changed.
    drawn = [k for name, k in _KEYS.items() if name != "months" or len(opts.months) > 1]
    if wanted != last or any(k not in st.session_state for k in drawn):
        _set_widgets(wanted, opts)

    box = st.container() if active else st.expander("Filters (used on the Map and Local area pages)")
    with box:
        if active:
            st.subheader("Filters")
        if len(opts.months) > 1:
            # value= makes it a range slider; its value comes from session state (set above)
            st.select_slider(
                "Months",
                options=list(opts.months),
                value=(opts.months[0], opts.months[-1]),
                key=_KEYS["months"],
                format_func=month_label,
                help="The first and last month shown.",
            )
        st.multiselect(
            "Categories",
            options=list(opts.categories),
            key=_KEYS["cat"],
            format_func=lambda c: c.capitalize(),
            placeholder="All categories",
        )
        st.radio("Why it counts as rural", options=list(REASONS), key=_KEYS["reason"], format_func=REASON_LABELS.get)
        st.selectbox(
            "District",
            options=[_ALL, *opts.districts],
            key=_KEYS["district"],
            format_func=lambda d: d or "Whole county",
        )
        district = st.session_state[_KEYS["district"]] or None
        wards = opts.wards_in(district)
        codes = wards["ward_code"].tolist()
        if st.session_state[_KEYS["ward"]] not in ("", *codes):
            st.session_state[_KEYS["ward"]] = _ALL  # a ward of another district: before the widget exists
        names = dict(zip(wards["ward_code"], _ward_labels(wards, district is None)))
        st.selectbox(
            "Ward",
            options=[_ALL, *codes],
            key=_KEYS["ward"],
            format_func=lambda c: names.get(c, "All wards") if c else "All wards",
        )
        st.button("Reset filters", on_click=_reset, args=(opts,), icon=":material/restart_alt:")

    f = _read_widgets(opts)
    st.session_state[_LAST] = f
    _write_url(f)
    return f


def _ward_labels(wards: pd.DataFrame, with_district: bool) -> list[str]:
    """Ward names, with their district when no district is chosen (names can repeat across districts)."""
    names = wards["ward_name"].astype(str)
    if not with_district:
        return names.tolist()
    return [f"{n} ({d})" if d else n for n, d in zip(names, wards["district"].fillna(""))]


def current() -> Filters:
    """The filters :func:`sidebar` read on this run (all rural crime when it has not run)."""
    return st.session_state.get(_LAST) or Filters()


def choose_ward(code: str | None) -> None:
    """Switch the filters to another ward (a page's ward picker calls this from its callback):
    the URL changes, and the next run's :func:`sidebar` follows it."""
    _write_url(with_ward(current(), code or None))
