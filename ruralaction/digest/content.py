"""What a monthly digest says about one area, and the email that carries it.

A digest holds only public figures: the month's rural crimes against the expected range (the
seasonal model of :mod:`ruralaction.measures.seasonal`), crimes by category, the actions
partners recorded in the area that month (title, partner, type, status — no account names),
and "you said, we did": concerns raised in the area that month, counted by category, with how
many have an action. Nothing about any other subscriber, and no concern's text, is in it. Every
piece of text that comes from data is escaped in the HTML part.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from ruralaction.digest.subscriptions import Area
from ruralaction.measures import seasonal
from ruralaction.measures.counts import CountTable, area_positions, from_frame
from ruralaction.measures.trends import plural

#: Headers are not folded: a folded List-Unsubscribe URL would be encoded and unreadable to mail clients.
_NO_FOLDING = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class Digest:
    """One area's digest for one month (the same for every subscriber of the area)."""

    area: Area
    month: str
    crimes: int
    unusual: str
    flagged: bool
    by_category: list[tuple[str, int]]
    actions: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    method: str = ""
    demo: bool = False

    @property
    def title(self) -> str:
        return f"Rural crime in {self.area.name}: {pd.Period(self.month, 'M'):%B %Y}"


def area_wards(area: Area, wards: pd.DataFrame) -> list[str]:
    """Ward codes making up a ward, district or county area (parishes go by their own column)."""
    codes = wards["ward_code"].astype(str)
    if area.kind == "ward":
        return [area.code] if (codes == area.code).any() else []
    if area.kind == "district":
        return codes[wards["district"].astype(object) == area.code].tolist()
    if area.kind == "county":
        return codes.tolist()
    return []


def area_mask(df: pd.DataFrame, area: Area, wards: pd.DataFrame) -> np.ndarray:
    """Rural crimes in ``area`` (a parish through the ``parish_code`` column, when classified)."""
    rural = df["is_rural_crime"].to_numpy(dtype=bool)
    if area.kind == "parish":
        if "parish_code" not in df:
            return np.zeros(len(df), bool)
        return rural & (df["parish_code"].astype(object) == area.code).to_numpy(dtype=bool)
    inside = area_positions(df, "ward_code", pd.Index(area_wards(area, wards))) >= 0
    return rural & inside


def build_digest(
    df: pd.DataFrame,
    wards: pd.DataFrame,
    area: Area,
    month: str,
    covered: list[str],
    actions: pd.DataFrame | None = None,
    concerns: pd.DataFrame | None = None,
    demo: bool = False,
) -> Digest:
    """The digest of ``area`` for ``month``.

    Parameters
    ----------
    df : DataFrame
        The classified incidents.
    wards : DataFrame
        ``ward_code, district``.
    covered : list of str
        Months with data (:func:`~ruralaction.measures.counts.covered_months`).
    actions : DataFrame, optional
        :func:`ruralaction.actions.list_actions` (public columns are used).
    concerns : DataFrame, optional
        :func:`ruralaction.concerns.concerns_frame` (anonymous).
    """
    mask = area_mask(df, area, wards)
    table: CountTable = from_frame(df, mask, np.zeros(len(df), np.int64), pd.Index([area.code]), covered)
    ex = seasonal.expected_counts(table, assess=[month])
    if ex.frame.empty:
        crimes, unusual, flagged = 0, f"{pd.Period(month, 'M'):%B %Y}: no data is loaded for this month.", False
    else:
        row = ex.frame.iloc[0]
        crimes, flagged = int(row["observed"]), bool(row["flag"])
        unusual = seasonal.month_words(row, area.name)
    in_month = mask & (df["month"].to_numpy().astype("datetime64[M]") == np.datetime64(month, "M"))
    cat = df["rural_category"]
    counts = np.bincount(cat.cat.codes.to_numpy()[in_month], minlength=len(cat.cat.categories))
    by_category = [(str(c).capitalize(), int(n)) for c, n in zip(cat.cat.categories, counts) if n]
    codes = set(area_wards(area, wards)) if area.kind != "parish" else set()
    first, last = pd.Period(month, "M").start_time.date(), pd.Period(month, "M").end_time.date()
    lines: list[str] = []
    if actions is not None and len(actions) and codes:
        here = actions[actions["ward_codes"].map(lambda ws: bool(codes.intersection(ws)))]
        dates = pd.to_datetime(here["action_date"], errors="coerce")
        here = here[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))]
        lines = [
            f"{r.title} — {r.lead_partner} ({r.action_type.lower()}, {r.status}, {pd.Timestamp(r.action_date):%d %b})"
            for r in here.itertuples(index=False)
        ]
    said: list[str] = []
    if concerns is not None and len(concerns) and codes:
        c = concerns[concerns["ward_code"].isin(codes)]
        raised = pd.to_datetime(c["raised_at"], utc=True).dt.tz_localize(None).dt.to_period("M")
        c = c[raised == pd.Period(month, "M")]
        for category, g in c.groupby("category", sort=True):
            with_action = int(g["first_action_at"].notna().sum())
            said.append(
                f"You said: {plural(len(g), 'concern')} about {category}. "
                f"We did: {with_action} of them {'has' if with_action == 1 else 'have'} an action so far."
            )
    return Digest(area, month, crimes, unusual, flagged, by_category, lines, said, ex.method, demo)


def links(base_url: str, area: Area, unsubscribe_token: str) -> tuple[str, str]:
    """The area's page on the dashboard and the one-click unsubscribe link."""
    base = base_url.rstrip("/")
    page = f"{base}/local-area?{urlencode({'ward': area.code})}" if area.kind == "ward" else f"{base}/"
    return page, f"{base}/digest?{urlencode({'unsubscribe': unsubscribe_token})}"


def text_body(d: Digest, page: str, unsubscribe: str) -> str:
    lines = [d.title, ""]
    if d.demo:
        lines += ["DEMO DATA — generated, not real incidents.", ""]
    lines += [d.unusual, ""]
    if d.by_category:
        lines += ["By category: " + ", ".join(f"{c} {n}" for c, n in d.by_category), ""]
    lines += ["What partners did this month:"]
    lines += [f"- {a}" for a in d.actions] or ["- No actions were recorded here this month."]
    lines += ["", "You said, we did:"]
    lines += [f"- {s}" for s in d.said] or ["- No concerns were raised here this month."]
    lines += [
        "",
        f"More on the dashboard: {page}",
        "",
        f"How the expected range is worked out: {d.method}",
        "",
        "You get this because you asked for the monthly digest of this area and confirmed it.",
        f"Unsubscribe in one click: {unsubscribe}",
    ]
    return "\n".join(lines) + "\n"


def html_body(d: Digest, page: str, unsubscribe: str) -> str:
    e = html.escape

    def items(values: list[str], empty: str) -> str:
        return "".join(f"<li>{e(v)}</li>" for v in values) or f"<li>{e(empty)}</li>"

    cats = ", ".join(f"{e(c)} {n}" for c, n in d.by_category)
    flag = ' style="color:#B2182B;font-weight:bold"' if d.flagged else ""
    return (
        '<!doctype html><html><body style="font-family:sans-serif;font-size:16px;max-width:640px">'
        f'<h1 style="font-size:22px">{e(d.title)}</h1>'
        + ("<p><strong>Demo data — generated, not real incidents.</strong></p>" if d.demo else "")
        + f"<p{flag}>{e(d.unusual)}</p>"
        + (f"<p>By category: {cats}</p>" if cats else "")
        + f'<h2 style="font-size:18px">What partners did this month</h2><ul>{items(d.actions, "No actions were recorded here this month.")}</ul>'
        + f'<h2 style="font-size:18px">You said, we did</h2><ul>{items(d.said, "No concerns were raised here this month.")}</ul>'
        + f'<p><a href="{e(page, quote=True)}">More on the dashboard</a></p>'
        + f'<p style="font-size:13px;color:#444">How the expected range is worked out: {e(d.method)}</p>'
        + '<p style="font-size:13px;color:#444">You get this because you asked for the monthly digest of this area '
        f'and confirmed it. <a href="{e(unsubscribe, quote=True)}">Unsubscribe in one click</a>.</p>'
        "</body></html>"
    )


def digest_message(d: Digest, to: str, sender: str, base_url: str, unsubscribe_token: str) -> EmailMessage:
    """The email for one subscriber: to them alone, plain text and HTML, with a List-Unsubscribe header."""
    page, unsub = links(base_url, d.area, unsubscribe_token)
    msg = EmailMessage(policy=_NO_FOLDING)
    msg["Subject"] = d.title
    msg["From"] = sender
    msg["To"] = to
    msg["List-Unsubscribe"] = f"<{unsub}>"
    msg.set_content(text_body(d, page, unsub))
    msg.add_alternative(html_body(d, page, unsub), subtype="html")
    return msg


def confirmation_message(area: Area, to: str, sender: str, base_url: str, token: str | None) -> EmailMessage:
    """The double opt-in email: the confirmation link (or, when already subscribed, a note)."""
    base = base_url.rstrip("/")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if token is None:
        msg["Subject"] = f"You already get the Rural Action digest for {area.name}"
        msg.set_content(
            f"Someone (probably you) asked for the monthly Rural Action digest for {area.name} with this address. "
            "You are already subscribed, so nothing has changed. Each digest has a link to unsubscribe.\n"
        )
        return msg
    link = f"{base}/digest?{urlencode({'confirm': token})}"
    msg["Subject"] = f"Confirm your Rural Action digest for {area.name}"
    msg.set_content(
        f"Someone (probably you) asked for the monthly Rural Action digest for {area.name} with this address.\n\n"
        f"To start it, open this link within 48 hours:\n{link}\n\n"
        "If it was not you, ignore this email: nothing will be sent, and your address is deleted after 48 hours.\n"
    )
    return msg
