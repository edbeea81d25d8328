"""One ward's story for the Local area page: every measure in one object, as CSV and as HTML.

:func:`local_area_summary` runs the measures of :mod:`ruralaction.measures.trends` for one ward under
the page's filters and returns an :class:`AreaSummary`; the page draws it, and
:func:`summary_csv` / :func:`summary_html` turn the same object into the downloads, so the
screen, the CSV and the printed page can never disagree.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, replace

import pandas as pd

from ruralaction.exports import csv_bytes
from ruralaction.measures import months as mo
from ruralaction.measures import trends
from ruralaction.measures.filters import FilterOptions, Filters, month_label
from ruralaction.measures.trends import Change, Comparison, Standout
from ruralaction.measures.wardclass import kind_words, ward_classes


@dataclass(frozen=True)
class AreaSummary:
    """Everything the Local area page says about one ward.

    Attributes
    ----------
    ward_code, ward_name : str
    district : str or None
    rural : bool or None
        Whether the ward's rural-urban class counts as rural (None when unknown).
    class_basis : str or None
        The evidence for the class in words ("2011 ward lookup", "derived from its 2011 LSOAs
        by area"), from :func:`~ruralaction.measures.wardclass.ward_classes`.
    filters_text : str
        The filters other than the ward, in words (:meth:`Filters.describe`).
    first_month, last_month : str
        The months shown, ``"YYYY-MM"``.
    covered : tuple of str
        The months shown that have data; the others have no file (not no crime) and are left
        out of the trend, the rates and the standouts.
    crimes : int
        Rural crimes in the ward over the months shown.
    trend : DataFrame
        :func:`trends.monthly` for the ward.
    change : Change
        Last 12 months to ``last_month`` against the 12 before.
    comparison : Comparison
        Against the county's rural-ward average.
    standout_months, standout_categories : list of Standout
    by_category : Series
        Crimes per category (every category).
    outcomes : DataFrame
        :func:`trends.outcomes`.
    demo : bool
        Whether the data is the generated demo (the downloads say so).
    area : {"ward", "parish"}
        What kind of area this is (``ward_code``/``ward_name`` hold a parish's code and name
        for a parish, :mod:`ruralaction.measures.parish_report`).
    spans : str
        For a parish, the wards it lies in ("Brixworth and Moulton"); "" otherwise.
    """

    ward_code: str
    ward_name: str
    district: str | None
    rural: bool | None
    filters_text: str
    first_month: str
    last_month: str
    crimes: int
    trend: pd.DataFrame
    change: Change
    comparison: Comparison
    standout_months: list[Standout]
    standout_categories: list[Standout]
    by_category: pd.Series
    outcomes: pd.DataFrame
    demo: bool = False
    class_basis: str | None = None
    covered: tuple[str, ...] = ()
    area: str = "ward"
    spans: str = ""

    @property
    def period(self) -> str:
        return f"{month_label(self.first_month)} to {month_label(self.last_month)}"

    @property
    def months_with_data(self) -> int:
        return len(self.covered) if self.covered else self.months

    @property
    def missing(self) -> list[str]:
        """Months shown without data, ``"YYYY-MM"``."""
        return mo.missing(self.covered, self.first_month, self.last_month) if self.covered else []

    @property
    def coverage_words(self) -> str:
        """ "" when every month shown has data, else which months have none, as ranges."""
        gone = self.missing
        if not gone:
            return ""
        return (
            f"{self.months_with_data} of the {self.months} months shown have data; "
            f"none for {mo.ranges_words(gone)}, so those months are left out, not counted as zero."
        )

    @property
    def months(self) -> int:
        return (pd.Period(self.last_month, "M") - pd.Period(self.first_month, "M")).n + 1


@dataclass(frozen=True)
class AreaCounts:
    """What a summary counts for one area, however it was counted (rows in memory here, SQL over
    the classified store in :mod:`ruralaction.measures.store_local`).

    Attributes
    ----------
    crimes : int
        Rural crimes in the area under the filters.
    trend : DataFrame
        :func:`trends.monthly` for the area.
    change : Change
        :func:`trends.change` for the area (the filters without their months).
    by_category, county_by_category : Series
        :func:`trends.by_category` for the area and for the county (the filters without the area).
    outcomes : DataFrame
        :func:`trends.outcomes` for the area.
    """

    crimes: int
    trend: pd.DataFrame
    change: Change
    by_category: pd.Series
    county_by_category: pd.Series
    outcomes: pd.DataFrame


def months_shown(filters: Filters, opts: FilterOptions) -> tuple[str, str, tuple[str, ...]]:
    """The first and last month shown and the months between them with data."""
    first = filters.month_from or opts.months[0]
    last = filters.month_to or opts.months[-1]
    return first, last, tuple(m for m in opts.covered_months if first <= m <= last)


def assemble(counts: AreaCounts, comparison: Comparison, **fields) -> AreaSummary:
    """An :class:`AreaSummary` from an area's counts, its comparison and its descriptive fields
    (``ward_code``, ``ward_name``, ``first_month``…): the standouts are found here."""
    return AreaSummary(
        crimes=counts.crimes,
        trend=counts.trend,
        change=counts.change,
        comparison=comparison,
        standout_months=trends.standout_months(trends.monthly_totals(counts.trend)),
        standout_categories=trends.standout_categories(counts.by_category, counts.county_by_category),
        by_category=counts.by_category,
        outcomes=counts.outcomes,
        **fields,
    )


def ward_summary(
    counts: AreaCounts,
    rates: pd.DataFrame,
    wards: pd.DataFrame,
    rural_classes: tuple[str, ...] | list[str],
    filters: Filters,
    opts: FilterOptions,
    demo: bool = False,
    per: str = "km2",
) -> AreaSummary:
    """One ward's summary from its counts and the county's rates (:func:`trends.area_rates`)."""
    first, last, covered = months_shown(filters, opts)
    comparison = trends.compare_with_rural_average(rates, filters.ward, len(covered), per)
    classes = ward_classes(wards, rural_classes)
    known = filters.ward in classes.index
    return assemble(
        counts,
        comparison,
        ward_code=filters.ward,
        ward_name=opts.ward_name(filters.ward) or filters.ward,
        district=opts.ward_district(filters.ward),
        rural=classes.at[filters.ward, "rural"] if known else None,
        class_basis=classes.at[filters.ward, "class_basis"] if known else None,
        covered=covered,
        filters_text=filters.without_area().describe(opts),
        first_month=first,
        last_month=last,
        demo=demo,
    )


def local_area_summary(
    df: pd.DataFrame,
    wards: pd.DataFrame,
    areas: pd.Series,
    rural_classes: tuple[str, ...] | list[str],
    filters: Filters,
    opts: FilterOptions,
    demo: bool = False,
    population: pd.Series | None = None,
) -> AreaSummary:
    """Measure one ward (``filters.ward``) under the other filters.

    :func:`ruralaction.measures.store_local.local_area_summary` gives the same from the
    classified store in SQL.

    Parameters
    ----------
    df : DataFrame
        A classified frame.
    wards : DataFrame
        ``Geography.wards``.
    areas : Series
        :func:`trends.ward_areas_km2`.
    rural_classes : sequence of str
        ``Definition.rural_classes``.
    filters : Filters
        Cleaned filters with a ward.
    opts : FilterOptions
    demo : bool, default False
    population : Series, optional
        Residents per ward code; the comparison is then per 1,000 residents.

    Raises
    ------
    ValueError
        When ``filters.ward`` is not set or no months are loaded.
    """
    if filters.ward is None or not opts.months:
        raise ValueError("A ward and some loaded months are needed for a local area summary.")
    first, last, covered = months_shown(filters, opts)
    mask = filters.apply(df, wards)
    county_mask = filters.without_area().apply(df, wards)
    counts = AreaCounts(
        crimes=int(mask.sum()),
        trend=trends.monthly(df, mask, first, last, covered=covered),
        change=trends.change(
            df, filters.without_months().apply(df, wards), last, opts.months[0], covered=opts.covered_months
        ),
        by_category=trends.by_category(df, mask),
        county_by_category=trends.by_category(df, county_mask),
        outcomes=trends.outcomes(df, mask),
    )
    # rates a year over the months with data, not over missing files
    rates = trends.area_rates(df, county_mask, wards, areas, len(covered), rural_classes, population)
    per = "1000" if population is not None else "km2"
    return ward_summary(counts, rates, wards, rural_classes, filters, opts, demo, per)


def area_kind(s: AreaSummary) -> str:
    """The kind of area with the basis of its class: "rural ward (2011 ward lookup)"."""
    return kind_words(s.rural, s.class_basis, s.area)


def area_heading(s: AreaSummary) -> str:
    """The kind of area as the start of a line: "Rural ward (derived from its 2011 LSOAs by area)"."""
    kind = area_kind(s)
    return kind[:1].upper() + kind[1:]


def summary_frame(s: AreaSummary) -> pd.DataFrame:
    """The summary as rows of ``section, measure, value`` (for a CSV download)."""
    rows: list[tuple[str, str, object]] = [
        ("Area", s.area.capitalize(), s.ward_name),
        ("Area", f"{s.area.capitalize()} code", s.ward_code),
        ("Area", "District" if s.area == "ward" else "In wards", s.district or s.spans or ""),
        ("Area", "Kind", area_kind(s)),
        ("Area", "Rural-urban class from", s.class_basis or ""),
        ("Area", "Filters", s.filters_text),
        ("Area", "Months", s.period),
        ("Area", "Months with data", s.months_with_data),
        ("Area", "Months without data", mo.ranges_words(s.missing)),
        ("Area", "Data", "Demo data: generated, not real incidents" if s.demo else "Loaded police data"),
        ("Totals", "Rural crimes", s.crimes),
    ]
    rows += [("By category", str(c).capitalize(), int(n)) for c, n in s.by_category.items()]
    rows += [
        ("Change", f"12 months to {month_label(s.change.end_month)}", s.change.recent),
        ("Change", "12 months before", s.change.previous if s.change.complete else ""),
        ("Change", "In words", s.change.words),
        (
            "Compared with the county",
            f"Rate {s.comparison.unit}",
            "" if s.comparison.rate is None else round(s.comparison.rate, 3),
        ),
        (
            "Compared with the county",
            f"County rural-ward average {s.comparison.unit}",
            "" if s.comparison.county_rate is None else round(s.comparison.county_rate, 3),
        ),
        ("Compared with the county", "In words", s.comparison.words),
    ]
    rows += [("Stands out", "Month", x.words) for x in s.standout_months]
    rows += [("Stands out", "Category", x.words) for x in s.standout_categories]
    rows += [("Outcomes", str(o), int(n)) for o, n in zip(s.outcomes["outcome"], s.outcomes["crimes"])]
    return pd.DataFrame(rows, columns=["section", "measure", "value"])


def summary_csv(s: AreaSummary) -> bytes:
    """The summary as a spreadsheet-safe CSV (ward and place names come from data)."""
    return csv_bytes(summary_frame(s))


def standout_lines(s: AreaSummary) -> list[str]:
    return [x.words for x in (*s.standout_categories, *s.standout_months)]


_PRINT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#111;max-width:46rem;margin:2rem auto;
     padding:0 1rem;font-size:12pt;line-height:1.45}
h1{font-size:1.7rem;margin:0 0 .2rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .4rem 0;border-bottom:1px solid #8A9A86}
.note{background:#FFF4CE;border:1px solid #C9A227;padding:.4rem .6rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.25rem .4rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
img.map{width:100%;max-width:46rem;height:auto;border:1px solid #8A9A86}
svg.trend{width:100%;height:auto}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 1.2rem}
@page{size:A4;margin:11mm}
@media print{body{margin:0;max-width:none;font-size:8.5pt;line-height:1.3}h1{font-size:15pt}
  h2{font-size:10.5pt;margin:.55rem 0 .2rem 0}td,th{padding:.1rem .3rem}p,ul{margin:.2rem 0}
  img.map{max-height:68mm;width:auto;max-width:100%}svg.trend{max-height:34mm}a{color:#111}}
"""


def trend_svg(s: AreaSummary) -> str:
    """The monthly trend as an inline SVG bar chart (months with data only, each bar labelled by
    its own month at the ends and the tallest), so the printable page needs no script or image."""
    totals = trends.monthly_totals(s.trend) if len(s.trend) else pd.Series(dtype="int64")
    if totals.empty:
        return "<p>No months with data in this period.</p>"
    w, h, left, bottom, top = 640, 190, 8, 30, 24  # drawn at about half size: labels at 18 read as 9 pt
    n, peak = len(totals), max(int(totals.max()), 1)
    step = (w - left - 4) / n
    bars, labels = [], []
    for i, (month, value) in enumerate(totals.items()):
        bh = (h - bottom - top) * int(value) / peak
        x = left + i * step
        bars.append(
            f"<rect x='{x + step * 0.12:.1f}' y='{h - bottom - bh:.1f}' width='{step * 0.76:.1f}' "
            f"height='{bh:.1f}' fill='#2E7D32'><title>{month_label(month)}: {int(value):,}</title></rect>"
        )
        if i in (0, n - 1) or int(value) == peak:
            labels.append(
                f"<text x='{x + step / 2:.1f}' y='{h - bottom - bh - 3:.1f}' font-size='18' text-anchor='middle'>"
                f"{int(value):,}</text>"
            )
        if i in (0, n - 1):  # the first label starts at the left edge, the last ends at the right: never cut
            anchor, at = ("start", left) if i == 0 else ("end", w - 4)
            labels.append(
                f"<text x='{at}' y='{h - 6}' font-size='18' text-anchor='{anchor}'>{month_label(month)}</text>"
            )
    axis = f"<line x1='{left}' y1='{h - bottom}' x2='{w - 4}' y2='{h - bottom}' stroke='#555'/>"
    gap = " Months without data are left out." if s.missing else ""
    return (
        f"<svg class='trend' viewBox='0 0 {w} {h}' role='img' aria-label='Rural crimes by month, "
        f"{month_label(totals.index[0])} to {month_label(totals.index[-1])}'>{axis}{''.join(bars)}{''.join(labels)}"
        f"</svg><p><small>Rural crimes by month ({n} month{'s' if n != 1 else ''} with data).{gap}</small></p>"
    )


def _actions_html(actions: pd.DataFrame | None, area: str) -> str:
    e = html.escape
    if actions is None:
        return "<p>Partners' actions could not be read just now.</p>"
    if actions.empty:
        return f"<p>No actions are recorded in this {e(area)} yet.</p>"
    rows = "".join(
        f"<tr><td>{e(pd.Timestamp(d).strftime('%d %b %Y')) if pd.notna(d) else ''}</td><td>{e(str(t))}</td>"
        f"<td>{e(str(p))}</td><td>{'✓ Rural Action' if bool(v) else ''}</td></tr>"
        for d, t, p, v in actions[["date", "title", "partner", "visible"]].head(8).itertuples(index=False)
    )
    more = f"<p><small>and {len(actions) - 8:,} more on the Actions page.</small></p>" if len(actions) > 8 else ""
    return f"<table><thead><tr><th>Date</th><th>Action</th><th>Lead partner</th><th>Visible</th></tr></thead><tbody>{rows}</tbody></table>{more}"


def _said_html(said: pd.DataFrame | None, area: str) -> str:
    e = html.escape
    if said is None:
        return "<p>Residents' concerns could not be read just now.</p>"
    if said.empty:
        return f"<p>No concerns have been raised for this {e(area)} yet.</p>"
    rows = "".join(
        f"<tr><td>{e(str(c))}</td><td class='n'>{int(n):,}</td><td class='n'>{int(a):,}</td></tr>"
        for c, n, a in said[["category_label", "concerns", "actioned"]].itertuples(index=False)
    )
    return (
        "<table><thead><tr><th>You said</th><th class='n'>Raised</th><th class='n'>We did: with an action</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def summary_html(
    s: AreaSummary,
    map_png: bytes | None = None,
    map_alt: str = "",
    actions: pd.DataFrame | None = None,
    said: pd.DataFrame | None = None,
) -> str:
    """A print-friendly one-page summary (A4): headline figures, the trend chart, the map, the
    partners' actions and "you said, we did"; every text from the data is HTML-escaped.

    ``map_png`` (a PNG of the area's map, :func:`ruralaction.reports.staticmap.area_map_png`) is
    embedded in the page itself, so the file prints with its map offline. ``actions``
    (``date, title, partner, visible``, newest first) and ``said`` (``category_label, concerns,
    actioned``) are the area's; None says they could not be read just now."""
    e = html.escape
    cats = "".join(
        f"<tr><td>{e(str(c).capitalize())}</td><td class='n'>{int(n):,}</td></tr>"
        for c, n in s.by_category.items()
        if n
    )
    outs = "".join(
        f"<tr><td>{e(str(o))}</td><td class='n'>{int(n):,}</td><td class='n'>{e(sh)}</td></tr>"
        for o, n, sh in zip(
            s.outcomes["outcome"].head(6), s.outcomes["crimes"].head(6), s.outcomes["share_text"].head(6)
        )
    )
    coverage = f"<p class='note'>{e(s.coverage_words)}</p>" if s.coverage_words else ""
    stand = "".join(f"<li>{e(w)}</li>" for w in standout_lines(s)) or "<li>Nothing stands out clearly.</li>"
    district = f", {e(s.district)}" if s.district else (f", in {e(s.spans)}" if s.spans else "")
    figure = (
        "<h2>Where</h2><img class='map' alt='{}' src='data:image/png;base64,{}'>".format(
            e(map_alt or f"Map of {s.ward_name}"), base64.b64encode(map_png).decode("ascii")
        )
        if map_png
        else ""
    )
    demo = (
        (
            "<p class='note'><strong>Demo data — generated, not real incidents.</strong> "
            "These figures show how the dashboard works; they are not police records.</p>"
        )
        if s.demo
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(s.ward_name)}: rural crime summary</title>
<style>{_PRINT_CSS}</style></head><body>
<h1>{e(s.ward_name)}: rural crime</h1>
<p>{e(area_heading(s))}{district} · {e(s.area)} code {e(s.ward_code)} · {e(s.period)}</p>
{demo}<p>Showing: {e(s.filters_text)}.</p>
<h2>How much</h2><p><strong>{s.crimes:,}</strong> rural crimes over {s.months_with_data} months with data.</p>
{coverage}
<div class='cols'><div><table><tbody>{cats or "<tr><td>No rural crimes</td><td></td></tr>"}</tbody></table></div>
<div>{trend_svg(s)}</div></div>
{figure}
<h2>How it is changing</h2><p>12 months to {e(month_label(s.change.end_month))} against the 12 before: <strong>{e(s.change.words)}</strong>.</p>
<h2>Compared with the county</h2><p>{e(s.comparison.words)}</p>
<div class='cols'><div><h2>What stands out</h2><ul>{stand}</ul></div>
<div><h2>Outcomes</h2><table><thead><tr><th>Last outcome</th><th class='n'>Crimes</th><th class='n'>Share</th></tr></thead>
<tbody>{outs or "<tr><td>No rural crimes</td><td></td><td></td></tr>"}</tbody></table></div></div>
<h2>What partners did here</h2>{_actions_html(actions, s.area)}
<h2>You said, we did</h2>{_said_html(said, s.area)}
<p><small>Locations in police.uk data are anonymised to the nearest snap point, so counts near a ward's
edge may include nearby roads. Counts under {trends.MIN_COUNT} are not turned into percentages (shown as “—”).</small></p>
</body></html>
"""


def with_ward(filters: Filters, ward: str | None) -> Filters:
    """The same filters for another ward (its district dropped: the ward decides)."""
    return replace(filters, ward=ward, district=None if ward else filters.district)
