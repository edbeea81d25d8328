"""Presentation mode for partner meetings: a projector view that rotates through the county map,
the trend, the scorecard and the latest actions, and refreshes its data live.

Open it from the app's address: ``/?present=1&interval=20`` (seconds per slide), or ``/presentation``. Optional:
``refresh=`` seconds between data refreshes (default the interval, at most 15; neither below 10 s,
``RURALACTION_PRESENT_MIN_SECONDS``), ``slide=map|trend|
scorecard|actions`` to start on, ``paused=1`` to start paused, ``period=`` (default the 12 months
to the latest month of crime data).

Live data: the slides are drawn by one ``st.fragment(run_every=…)``. Each time it runs it reads
the actions (and concerns) from the database again, so an action a partner saves on another
device appears within the refresh interval without anyone touching the projected screen; the
slide moves on when its interval has passed, unless paused.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import time

import streamlit as st

from dashboard import errors, progress, state
from ruralaction.measures.filters import link_note
from ruralaction.measures.periods import PeriodError, parse_period, rolling_12
from ruralaction.progress import charts
from ruralaction.progress.aims import actions_taken
from ruralaction.progress.config import AIMS
from ruralaction.settings import present_floor

SLIDES = {
    "map": "Where rural crime happens",
    "trend": "How rural crime is changing",
    "scorecard": "Progress against the three aims",
    "actions": "Latest actions",
}
SLIDE, SHOWN_AT, PAUSED, URL = "present_slide", "present_shown_at", "present_paused", "present_url"
LATEST_SHOWN = 8
e = html.escape

st.set_page_config(layout="wide", initial_sidebar_state="collapsed")
st.html("""<style>
[data-testid="stSidebar"],[data-testid="stSidebarCollapsedControl"],[data-testid="stExpandSidebarButton"],
[data-testid="stSidebarNav"],header[data-testid="stHeader"],[data-testid="stToolbar"],[data-testid="stDecoration"]
{display:none !important}
[data-testid="stMainBlockContainer"],.block-container{max-width:100% !important;padding:1rem 2.2rem 1rem !important}
.stApp{background:#FFFFFF;color:#000000}
.ra-bar{display:flex;justify-content:space-between;align-items:flex-end;gap:2rem;border-bottom:6px solid #1B5E20;
        padding-bottom:.4rem;margin-bottom:.6rem}
.ra-programme{font-size:1.7rem;font-weight:800;color:#1B5E20;letter-spacing:.02em}
.ra-title{font-size:2.9rem;font-weight:800;line-height:1.1;color:#000}
.ra-step{font-size:1.5rem;color:#222;white-space:nowrap}
.ra-demo{display:inline-block;background:#FFF4CE;border:3px solid #8A6D00;color:#000;font-size:1.35rem;font-weight:700;
         padding:.1rem .6rem;margin-bottom:.3rem}
.ra-foot{display:flex;justify-content:space-between;gap:2rem;border-top:4px solid #1B5E20;margin-top:.6rem;
         padding-top:.4rem;font-size:1.45rem;color:#000}
.ra-big{font-size:5.5rem;font-weight:800;line-height:1;color:#000}
.ra-label{font-size:1.8rem;color:#111;margin:.2rem 0 1.2rem}
.ra-grid{display:grid;grid-template-columns:repeat(3,1fr);gap:.8rem}
.ra-tile{border:3px solid #333;border-radius:.5rem;padding:.5rem .9rem;background:#FFF}
.ra-tile h3{font-size:1.4rem;margin:0 0 .2rem;line-height:1.2;color:#000;padding:0;font-weight:700}
.ra-tile .ra-aim{font-size:1.15rem;margin:0}
.ra-row{display:flex;align-items:center;gap:1rem;flex-wrap:wrap}
.ra-value{font-size:3rem;font-weight:800;line-height:1.1;color:#000}
.ra-rag{display:inline-block;font-size:1.55rem;font-weight:800;padding:.05rem .6rem;border:3px solid;border-radius:.4rem}
.ra-small{font-size:1.1rem;color:#222;margin-top:.2rem}
.ra-aim{font-size:1.6rem;font-weight:800;color:#1B5E20;margin:.2rem 0}
.ra-right{text-align:right}
table.ra-list{width:100%;border-collapse:collapse;font-size:1.5rem;line-height:1.25}
table.ra-list td,table.ra-list th{border-bottom:2px solid #999;padding:.45rem .5rem;text-align:left;vertical-align:top;color:#000}
table.ra-list th{font-size:1.3rem}
table.ra-list td.d,.ra-star{white-space:nowrap}
.ra-star{color:#1B5E20;font-weight:800}
</style>""")


def _number(name: str, default: int, lo: int, hi: int) -> int:
    raw = st.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except (TypeError, ValueError):
        errors.note(link_note(name, raw, f"was ignored: it is a number of seconds, so {default} is used"))
        return default
    if not lo <= value <= hi:
        errors.note(link_note(name, raw, f"is outside {lo} to {hi} seconds, so {min(max(value, lo), hi)} is used"))
    return min(max(value, lo), hi)


floor = present_floor()  # every tick re-reads the database and redraws: a link cannot ask for less than this
interval = _number("interval", max(20, floor), floor, 600)
refresh = _number("refresh", max(min(interval, 15), floor), floor, 600)
tick = interval / math.ceil(interval / min(refresh, interval))  # divides the interval: slides move on a tick
loaded = progress.months()
if not loaded:
    st.info("No incidents are loaded yet, so there is nothing to present. Add police.uk files on the Data page.")
    st.stop()
try:
    period = parse_period(st.query_params["period"]) if "period" in st.query_params else rolling_12(loaded[-1])
except PeriodError as exc:
    errors.note(link_note("period", st.query_params["period"], f"was ignored: {exc}"))
    period = rolling_12(loaded[-1])

keys = list(SLIDES)
# The address decides the first slide and pausing when it is opened or edited; then the slideshow leads.
url = (st.query_params.get("slide", ""), st.query_params.get("paused", ""))
# (PAUSED is a widget's key: Streamlit drops it while another page is shown, so coming back re-reads it)
if st.session_state.get(URL) != url or SLIDE not in st.session_state or PAUSED not in st.session_state:
    st.session_state[URL] = url
    st.session_state[SLIDE] = keys.index(url[0]) if url[0] in keys else st.session_state.get(SLIDE, 0)
    if url[0] and url[0] not in keys:
        errors.note(link_note("slide", url[0], f"was ignored: it is one of {', '.join(keys)}"))
    st.session_state[SHOWN_AT] = time.monotonic()
    st.session_state[PAUSED] = url[1] in ("1", "true", "yes")


def _next() -> None:
    st.session_state[SLIDE] = (st.session_state[SLIDE] + 1) % len(keys)
    st.session_state[SHOWN_AT] = time.monotonic()


def _header(sc, slide: str, step: int) -> None:
    demo = f"<div class='ra-demo'>{e(state.DEMO_LABEL)}</div><br>" if sc.demo else ""
    st.html(
        f"<div class='ra-bar'><div><div class='ra-programme'>{e(sc.programme)} · {e(sc.county)}</div>"
        f"<div class='ra-title' data-slide='{e(slide)}'>{e(SLIDES[slide])}</div></div>"
        f"<div class='ra-right'>{demo}<span class='ra-step'>{step + 1} / {len(keys)}"
        f"{' · paused' if st.session_state[PAUSED] else ''}</span></div></div>"
    )


def _footer(sc, recent: int, now: dt.datetime) -> None:
    st.html(
        f"<div class='ra-foot'><div><strong>{e(sc.programme)}</strong> · {e(sc.period.label)}</div>"
        f"<div><span class='ra-count' data-testid='ra-actions-count'>{recent:,}</span> actions in the 12 months "
        f"to {now:%d %b %Y}</div>"
        f"<div>Data as of: {e(sc.crimes_as_of)}; actions at {now:%H:%M:%S}</div></div>"
    )


def _rag(s) -> str:
    return (
        f"<span class='ra-rag' style='color:{s.colour};background:{s.background};border-color:{s.colour}'>"
        f"{e(s.text)}</span>"
    )


def _scorecard(sc) -> None:
    tiles = "".join(
        f"<div class='ra-tile'><div class='ra-aim'>Aim {s.aim}: {e(AIMS[s.aim])}</div><h3>{e(s.title)}</h3>"
        f"<div class='ra-row'><span class='ra-value'>{e(s.value_text)}</span>{_rag(s.status)}</div>"
        f"<div class='ra-small'>{e(s.period_text)}</div></div>"
        for s in sc.scores
    )
    st.html(f"<div class='ra-grid'>{tiles}</div>")


def _latest(acts, recent: int, now: dt.datetime) -> None:
    left, right = st.columns([1, 3])
    left.html(
        f"<div class='ra-big'>{recent:,}</div><div class='ra-label'>actions taken in the 12 months to "
        f"{now:%d %b %Y}</div>"
    )
    newest = acts[acts["status"].isin(("completed", "in progress"))].head(LATEST_SHOWN)
    if newest.empty:
        right.html("<div class='ra-label'>No actions are recorded yet.</div>")
        return
    rows = "".join(
        f"<tr><td class='d'>{'' if d is None else f'{d:%d %b %Y}'}</td><td>{e(str(t))}</td><td>{e(str(w))}</td>"
        f"<td>{e(str(p))}</td><td>{'<span class=ra-star>★ Yes</span>' if v else 'No'}</td></tr>"
        for d, t, w, p, v in zip(
            newest["action_date"], newest["title"], newest["wards"], newest["lead_partner"], newest["visible"]
        )
    )
    right.html(
        "<table class='ra-list'><thead><tr><th>Date</th><th>Action</th><th>Where</th><th>Lead partner</th>"
        f"<th>Visible</th></tr></thead><tbody>{rows}</tbody></table>"
    )


@st.fragment(run_every=tick)
@errors.guarded  # its timed reruns do not pass through app.py's guard
def slideshow() -> None:
    ss = st.session_state
    if not ss[PAUSED] and time.monotonic() - ss[SHOWN_AT] >= interval - tick / 2:
        _next()
    slide = keys[ss[SLIDE]]
    sc, acts = progress.scorecard(period)
    now = sc.read_at
    recent = len(actions_taken(acts, (now - dt.timedelta(days=365)).date(), now.date()))
    _header(sc, slide, ss[SLIDE])
    if slide == "map":
        left, right = st.columns([3, 1])
        chart = progress.map_chart(sc, acts, big=True, height=700)
        with left:
            if chart is None:
                st.html("<div class='ra-label'>No ward boundaries are loaded, so there is no map.</div>")
            else:
                st.plotly_chart(chart.fig, key="present_map", config={"displayModeBar": False, "staticPlot": True})
        crime = sc.score("rural_crime")
        vis = sc.score("wards_visible_quarter")
        right.html(
            f"<div class='ra-big'>{e(crime.value_text)}</div><div class='ra-label'>rural crimes, "
            f"{e(sc.period.short)}</div><div class='ra-label'>{e(crime.change_text.split(';')[0])}</div>"
            f"<div class='ra-big'>{e(vis.value_text)}</div><div class='ra-label'>wards with a visible action, "
            f"{e(vis.period_text.split(': ')[-1])}</div>"
        )
    elif slide == "trend":
        chart = charts.trend_chart(sc.trend, sc.period, big=True, height=640)
        st.plotly_chart(chart.fig, key="present_trend", config={"displayModeBar": False, "staticPlot": True})
        crime = sc.score("rural_crime")
        st.html(
            f"<div class='ra-label'><strong>{e(crime.value_text)}</strong> rural crimes in {e(sc.period.short)}: "
            f"{e(crime.change_text)}.</div>"
        )
    elif slide == "scorecard":
        _scorecard(sc)
    else:
        _latest(acts, recent, now)
    _footer(sc, recent, now)
    c = st.columns([1, 1, 1, 5])
    c[0].toggle("Pause", key=PAUSED, help="Stay on this slide (the data keeps refreshing).")
    c[1].button("Next slide", on_click=_next, icon=":material/skip_next:", key="present_next")
    c[2].page_link("dashboard/pages/progress.py", label="Leave", icon=":material/close:")
    c[3].caption(
        f"A new slide every {interval} s; data refreshed every {tick:g} s. "
        f"Open this view with ?present=1&interval={interval}."
    )


slideshow()
