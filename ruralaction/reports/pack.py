"""The meeting pack: the scorecard, the ward map, trends and the actions list for one period and
area, as one self-contained HTML file (readable when printed) or a PDF printed from it.

- Every text from data is HTML-escaped; the file has no script and loads nothing: the charts are
  SVG images (kaleido, :func:`ruralaction.progress.charts.images`) embedded as ``data:`` URIs.
- If the charts cannot be drawn (no Chromium), the pack still has every figure in its tables and
  says that the charts are missing and why.
- The PDF is printed from the same HTML by headless Chromium (``--print-to-pdf``), A4, with
  the print CSS of the HTML.

Command line: ``python -m ruralaction report [--period 2025-26] [--ward CODE] --out pack.pdf|pack.html``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ruralaction.measures.periods import Period
from ruralaction.measures.wardclass import kind_words, ward_classes
from ruralaction.progress import charts as ch
from ruralaction.progress.aims import actions_taken
from ruralaction.progress.config import AIMS
from ruralaction.progress.scorecard import Scorecard

DEMO_NOTE = "Demo data — generated, not real incidents"
ACTIONS_SHOWN = 300


@dataclass(frozen=True)
class Pack:
    """What goes into a meeting pack.

    Attributes
    ----------
    scorecard : Scorecard
    charts : list of Chart
        Map, trend, actions per month.
    actions : DataFrame
        The actions taken in the period in the area, newest first.
    area_kind : str
        For one ward, its rural-urban class with the basis ("rural ward (derived from its 2011
        LSOAs by area)", :func:`ruralaction.measures.wardclass.kind_words`); empty for the county.
    """

    scorecard: Scorecard
    charts: list[ch.Chart]
    actions: pd.DataFrame
    area_kind: str = ""


def pack_actions(actions: pd.DataFrame, sc: Scorecard) -> pd.DataFrame:
    """The actions taken in the scorecard's period and area (module rules of :mod:`ruralaction.progress.aims`)."""
    acts = actions
    if sc.ward is not None and len(acts):
        acts = acts[acts["ward_codes"].map(lambda codes: sc.ward in codes)]
    return actions_taken(acts, sc.period.start, sc.period.end, sc.read_at.date()).reset_index(drop=True)


# --------------------------------------------------------------------------- HTML

_CSS = """
@page{size:A4;margin:14mm 12mm}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;margin:1.5rem auto;max-width:60rem;
     padding:0 1rem;font-size:11pt;line-height:1.4}
h1{font-size:1.8rem;margin:0 0 .2rem}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;border-bottom:2px solid #1B5E20;
   padding-bottom:.15rem}h3{font-size:1.05rem;margin:1rem 0 .3rem}
.meta{color:#333;margin:.1rem 0}.note{background:#FFF4CE;border:1px solid #C9A227;padding:.4rem .6rem;margin:.6rem 0}
table{border-collapse:collapse;width:100%;margin:.3rem 0 .8rem;font-size:10pt}
th,td{border-bottom:1px solid #BBB;padding:.25rem .35rem;text-align:left;vertical-align:top}
th{background:#F0F2EF;print-color-adjust:exact;-webkit-print-color-adjust:exact}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.rag{display:inline-block;padding:.05rem .4rem;border-radius:.3rem;font-weight:600;white-space:nowrap;border:1px solid;
     print-color-adjust:exact;-webkit-print-color-adjust:exact}
.value{font-size:1.15rem;font-weight:700;white-space:nowrap}
figure{margin:.4rem 0 1rem;break-inside:avoid}figure img{width:100%;height:auto;border:1px solid #DDD}
figcaption{font-size:.9rem;color:#333}
.small{font-size:.85rem;color:#333}
tr{break-inside:avoid}h2,h3{break-after:avoid}
@media print{body{margin:0;max-width:none;padding:0}.pagebreak{break-before:page}a{color:#111}}
"""


def _e(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def _rag(text: str, level: str) -> str:
    from ruralaction.progress.config import status

    s = status(level)
    return (
        f"<span class='rag' style='color:{s.colour};background:{s.background};border-color:{s.colour}'>"
        f"{_e(text)}</span>"
    )


def _scorecard_html(sc: Scorecard) -> str:
    parts = []
    for aim, name in AIMS.items():
        rows = "".join(
            f"<tr><td><strong>{_e(s.title)}</strong><br><span class='small'>{_e(s.detail_text)}</span></td>"
            f"<td class='n value'>{_e(s.value_text)}</td><td>{_rag(s.status.text, s.status.level)}"
            f"<br><span class='small'>{_e(s.status.why)}</span></td>"
            f"<td>{_e(s.change_text)}</td><td class='small'>{_e(s.target_text)}<br>Baseline: {_e(s.baseline_text)}</td>"
            f"<td class='small'>{_e(s.period_text)}<br>{_e(s.as_of_text)}</td></tr>"
            for s in sc.by_aim(aim)
        )
        parts.append(
            f"<h3>Aim {aim}: {_e(name)}</h3><table><thead><tr><th>Measure</th><th class='n'>Value</th>"
            f"<th>Status</th><th>Change</th><th>Target</th><th>Period and data as of</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return "".join(parts)


def _count(v) -> str:
    """A count for a table; "—" where there is none (a year with months missing is not 0)."""
    return "—" if v is pd.NA or pd.isna(v) else f"{int(v):,}"


def _categories_html(sc: Scorecard) -> str:
    n = _count
    rows = "".join(
        f"<tr><td>{_e(str(r.category).capitalize())}</td><td class='n'>{n(r.crimes)}</td><td class='n'>{n(r.baseline_year)}</td>"
        f"<td class='n'>{n(r.previous_12_months)}</td><td>{_e(r.vs_baseline)}</td><td>{_rag(r.status, r.level)}</td></tr>"
        for r in sc.categories.itertuples()
    )
    return (
        f"<table><thead><tr><th>Category</th><th class='n'>{_e(sc.period.short)}</th>"
        f"<th class='n'>Baseline {_e(sc.baseline.spec)}</th><th class='n'>12 months before</th>"
        f"<th>Against the baseline year</th><th>Status</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _priorities_html(sc: Scorecard) -> str:
    n = _count

    rows = "".join(
        f"<tr><td>{_e(r.priority)}<br><span class='small'>{_e(r.how)}</span></td><td class='n'>{n(r.crimes)}</td>"
        f"<td class='n'>{n(r.baseline_year)}</td><td>{_e(r.vs_baseline)}</td><td>{_rag(r.status, r.level)}</td>"
        f"<td class='n'>{int(r.actions):,}</td></tr>"
        for r in sc.priorities.itertuples()
    )
    return (
        f"<table><thead><tr><th>Priority</th><th class='n'>Crimes</th><th class='n'>Baseline</th>"
        f"<th>Against the baseline year</th><th>Status</th><th class='n'>Actions</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _actions_html(actions: pd.DataFrame) -> str:
    if actions.empty:
        return "<p>No actions were taken in this period and area.</p>"
    shown = actions.head(ACTIONS_SHOWN)
    rows = "".join(
        f"<tr><td class='n'>{'' if d is None else f'{d:%d %b %Y}'}</td><td>{_e(t)}</td><td>{_e(w)}</td>"
        f"<td>{_e(lead)}{'; with ' + _e(sup) if sup else ''}</td><td>{_e(issue)}</td><td>{_e(st)}</td>"
        f"<td>{'★ Visible' if vis else 'No'}</td></tr>"
        for d, t, w, lead, sup, issue, st, vis in zip(
            shown["action_date"],
            shown["title"],
            shown["wards"],
            shown["lead_partner"],
            shown["supporting_partners"],
            shown["issue"],
            shown["status"],
            shown["visible"],
        )
    )
    more = (
        f"<p class='small'>The newest {ACTIONS_SHOWN:,} of {len(actions):,} actions are listed.</p>"
        if len(actions) > ACTIONS_SHOWN
        else ""
    )
    return (
        f"<p>{len(actions):,} action{'s' if len(actions) != 1 else ''} taken, newest first.</p>{more}"
        "<table><thead><tr><th class='n'>Date</th><th>Action</th><th>Wards</th><th>Partners</th><th>Issue</th>"
        f"<th>Status</th><th>Visible</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _figure(chart: ch.Chart, image: bytes | None, error: str) -> str:
    if image is None:
        return (
            f"<figure><figcaption><strong>{_e(chart.title)}</strong>: the chart could not be drawn "
            f"({_e(error)}); the tables hold the same figures.</figcaption></figure>"
        )
    uri = "data:image/svg+xml;base64," + base64.b64encode(image).decode("ascii")
    return f"<figure><img src='{uri}' alt='{_e(chart.title)}'><figcaption>{_e(chart.title)}</figcaption></figure>"


def pack_html(pack: Pack, images: dict[str, bytes] | None = None, image_error: str = "") -> str:
    """The pack as one self-contained HTML page.

    Parameters
    ----------
    pack : Pack
    images : dict of str to bytes, optional
        Chart name -> SVG. Default: drawn now with :func:`ruralaction.progress.charts.images`.
    image_error : str
        Why ``images`` lacks a chart (shown in its place).
    """
    sc = pack.scorecard
    if images is None:
        images, image_error = draw(pack.charts)
    figs = {c.name: _figure(c, images.get(c.name), image_error) for c in pack.charts}
    demo = (
        (
            f"<p class='note'><strong>{DEMO_NOTE}.</strong> These figures show how the dashboard works; "
            "they are not police records.</p>"
        )
        if sc.demo
        else ""
    )
    concerns = f"<p class='small'>Residents' concerns: {_e(sc.concerns_note)}</p>" if sc.concerns_note else ""
    title = f"{sc.programme}: meeting pack — {sc.area}, {sc.period.short}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head><body>
<h1>{_e(sc.programme)}: progress against the three aims</h1>
<p class="meta"><strong>{_e(sc.area)}</strong> · {_e(sc.period.label)}{f" · {_e(pack.area_kind[:1].upper() + pack.area_kind[1:])}" if pack.area_kind else ""}</p>
<p class="meta">{_e(sc.as_of_text)} · pack made {dt.datetime.now():%d %b %Y %H:%M}</p>
{demo}
<h2>Scorecard</h2>
<p class="small">Status: ✓ On track (meets the target) · ! At risk (misses it but meets the amber threshold) ·
✗ Off track · – Not rated (no fair value: no data, under 5 to count, months missing, or a county target
with one ward chosen). Crime figures are rated on the change against the baseline year {_e(sc.baseline.spec)}.</p>
{_scorecard_html(sc)}{concerns}
<h3>Rural crime by category</h3>{_categories_html(sc)}
<h3>National rural priorities, where the data allows</h3>{_priorities_html(sc)}
<h2 class="pagebreak">Map</h2>{figs.get("ward-map", "")}
<h2>Trends</h2>{figs.get("rural-crime-trend", "")}{figs.get("actions-per-month", "")}
<h2 class="pagebreak">Actions taken</h2>{_actions_html(pack.actions)}
<p class="small">Rural crime follows the county's definition: burglary, theft from the person, vehicle crime,
robbery, criminal damage or wildlife crime at a farm anywhere in the county, or in one of its rural wards.
police.uk places each crime at an anonymous nearby point, so counts near a ward's edge can include nearby roads.
Counts under 5 are never turned into percentages. Before and after is not proof that an action caused a change.</p>
</body></html>
"""


def draw(charts: list[ch.Chart]) -> tuple[dict[str, bytes], str]:
    """SVGs of the charts (one Chromium), or none and the reason."""
    try:
        svgs = ch.images([c.fig for c in charts], "svg", width=1100, scale=1)
    except ch.ChartExportError as exc:
        return {}, str(exc)
    return {c.name: s for c, s in zip(charts, svgs)}, ""


# --------------------------------------------------------------------------- PDF


class PackError(RuntimeError):
    """The PDF could not be printed (no Chromium, or it failed); the message says why."""


def html_to_pdf(page: str, timeout: float = 120) -> bytes:
    """Print an HTML page to PDF with headless Chromium (A4, no header or footer).

    Raises
    ------
    PackError
    """
    browser = ch.chromium_path()
    if browser is None:
        raise PackError(
            "No Chromium was found to print the PDF (Debian: apt-get install chromium; "
            "or set RURALACTION_CHROMIUM). The HTML pack prints from any browser."
        )
    with tempfile.TemporaryDirectory(prefix="ra-pack-") as tmp:
        src, out = Path(tmp) / "pack.html", Path(tmp) / "pack.pdf"
        src.write_text(page, encoding="utf-8")
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PackError(f"Chromium did not print the PDF within {timeout:.0f} s.") from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise PackError(f"Chromium did not print the PDF (exit {done.returncode}): {' '.join(tail)}")
        return out.read_bytes()


def render(pack: Pack, fmt: str) -> bytes:
    """The pack as ``"html"`` (UTF-8) or ``"pdf"`` bytes."""
    page = pack_html(pack)
    if fmt == "html":
        return page.encode("utf-8")
    if fmt == "pdf":
        return html_to_pdf(page)
    raise ValueError(f"Unknown pack format '{fmt}': html or pdf.")


def file_name(sc: Scorecard, fmt: str) -> str:
    area = (sc.ward or "county").lower()
    return f"rural-action-pack-{sc.period.spec}-{area}.{fmt}"


# --------------------------------------------------------------------------- assembling (CLI and page)


def build_pack(
    sc: Scorecard,
    actions: pd.DataFrame,
    incidents: pd.DataFrame,
    wards,
    areas: pd.Series,
    rural_classes,
    shapes: ch.WardShapes | None = None,
    basemap=None,
) -> Pack:
    """The pack's charts and actions list for a scorecard.

    Parameters
    ----------
    sc : Scorecard
    actions : DataFrame
        :func:`~ruralaction.actions.list_actions` of the dataset (all wards).
    incidents : DataFrame or StoreView
        A classified frame, or the classified store (the map's counts then made in SQL).
    wards : GeoDataFrame or None
        ``Geography.wards``; without it the pack has no map.
    areas : Series
        :func:`ruralaction.measures.trends.ward_areas_km2`.
    rural_classes : sequence of str
    shapes : WardShapes, optional
        Precomputed :func:`ruralaction.progress.charts.ward_shapes`.
    basemap : Basemap, optional
        Tiles under the map (:mod:`ruralaction.geography.basemap`); None: outlines and names only.
    """
    from ruralaction.actions.places import action_points

    listed = pack_actions(actions, sc)
    out = []
    if wards is not None and len(wards):
        shapes = shapes or ch.ward_shapes(wards)
        rates = ch.map_data(incidents, None, wards, areas, sc.period, rural_classes)  # every rural crime
        out.append(
            ch.map_chart(shapes, rates, sc.period, action_points(listed, wards), highlight=sc.ward, basemap=basemap)
        )
    out.append(ch.trend_chart(sc.trend, sc.period))
    out.append(ch.actions_chart(sc.actions_monthly, sc.period))
    kind = ""
    if sc.ward is not None:
        classes = ward_classes(wards, rural_classes)
        known = sc.ward in classes.index
        kind = kind_words(
            classes.at[sc.ward, "rural"] if known else None, classes.at[sc.ward, "class_basis"] if known else None
        )
    return Pack(sc, out, listed, kind)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``report`` options to ``parser`` and make :func:`run_cli` its handler."""
    parser.add_argument(
        "--period",
        help="2025-26 (financial year), 2025 (calendar year) or 12m-2026-09 "
        "(12 months to a month); default: the latest financial year fully loaded",
    )
    parser.add_argument("--ward", help="a ward code (default: the whole county)")
    parser.add_argument("--out", required=True, help="pack.html or pack.pdf (the format follows the extension)")
    parser.add_argument("--dataset", choices=("ours", "demo"), help="default: the dataset the dashboard shows")
    parser.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")
    parser.add_argument("--definition", help="definition TOML with a [progress] section (default: Northamptonshire)")
    parser.set_defaults(func=run_cli)
    return parser


def read_concerns(engine, dataset: str) -> tuple[pd.DataFrame | None, str, dict | None]:
    """Concerns of "Get involved" if that module is installed: (frame or None, why not, issues per category)."""
    try:
        from ruralaction.concerns.public import concerns_frame
    except ImportError:
        return None, "No concerns recorded yet (the Get involved module is not installed).", None
    try:
        from ruralaction.concerns.form import CATEGORY_ISSUES as issues
    except ImportError:
        issues = None
    try:
        frame = concerns_frame(engine, dataset)
    except Exception as exc:  # noqa: BLE001 - e.g. a database not yet migrated for concerns
        return None, f"Concerns could not be read ({type(exc).__name__}).", issues
    if frame.empty:
        return None, "No concerns recorded yet.", issues
    return frame, "", issues


def run_cli(args: argparse.Namespace) -> int:
    from ruralaction.actions import ensure_demo_actions, list_actions, open_database
    from ruralaction.actions.db import DB_FILE_NAME, database_url
    from ruralaction.definition import load_definition
    from ruralaction.incidents.store import Store
    from ruralaction.measures.periods import (
        PeriodError,
        latest_full,
        loaded_months,
        parse_period,
    )
    from ruralaction.measures.trends import ward_areas_km2
    from ruralaction.progress.config import ProgressConfigError, load_progress_config
    from ruralaction.progress.scorecard import build_scorecard

    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("html", "pdf"):
        print(f"Error: --out must end in .html or .pdf, not '{out.name}'.", file=sys.stderr)
        return 2
    try:
        cfg = load_progress_config(args.definition)
        chosen = parse_period(args.period) if args.period else None
    except (ProgressConfigError, PeriodError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    store = Store(Path(args.data_dir)) if args.data_dir else Store.default()
    # The actions database: $RURALACTION_DB_URL, else the SQLite file of this data directory.
    db_url = database_url() if os.environ.get("RURALACTION_DB_URL") else f"sqlite:///{store.root / DB_FILE_NAME}"
    dataset = args.dataset or store.active()
    data = store.classified(dataset, load_definition(args.definition))
    loaded = loaded_months(data.incidents)
    if not loaded:
        print(f"Error: no incidents are loaded in {store.path(dataset)}.", file=sys.stderr)
        return 1
    period: Period = chosen or latest_full("fy", loaded[-1])
    wards = data.geography.wards
    names = {} if wards is None else dict(zip(wards["ward_code"].astype(str), wards["ward_name"].astype(str)))
    if args.ward and args.ward not in names:
        print(f"Error: there is no ward '{args.ward}' in the loaded boundaries.", file=sys.stderr)
        return 2
    engine = open_database(db_url)
    try:
        if dataset == "demo":  # as the app does when it shows the demo
            ensure_demo_actions(engine, store.path("demo"))
            try:
                from ruralaction.concerns import ensure_demo_concerns
            except ImportError:
                pass
            else:
                ensure_demo_concerns(engine, store.path("demo"))
        actions = list_actions(engine, dataset)
        concerns, note, issues = read_concerns(engine, dataset)
    finally:
        engine.dispose()
    sc = build_scorecard(
        data.incidents,
        actions,
        concerns,
        period,
        cfg,
        read_at=dt.datetime.now(),
        ward=args.ward,
        ward_names=names,
        county=data.definition.county,
        demo=dataset == "demo",
        issues_for=issues,
        wildlife_category=data.definition.wildlife_category,
        concerns_note=note,
    )
    pack = build_pack(
        sc, actions, data.incidents, wards, ward_areas_km2(wards), data.definition.rural_classes, basemap=_basemap()
    )
    try:
        body = render(pack, fmt)
    except PackError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    out.write_bytes(body)
    counts = {lvl: sum(s.status.level == lvl for s in sc.scores) for lvl in ("green", "amber", "red", "none")}
    print(f"Wrote the meeting pack for {sc.area}, {period.label}, to {out} ({len(body):,} bytes).")
    print(
        f"{sc.as_of_text}. Scorecard: {counts['green']} on track, {counts['amber']} at risk, "
        f"{counts['red']} off track, {counts['none']} not rated."
    )
    return 0


def _basemap():
    """The configured basemap for the command line's pack (a broken setting: none, said once)."""
    from ruralaction.geography.basemap import BasemapError, basemap_from_env

    try:
        return basemap_from_env()
    except BasemapError as exc:
        print(f"Note: {exc} The map has no background tiles.", file=sys.stderr)
        return None
