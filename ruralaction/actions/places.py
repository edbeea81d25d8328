"""Actions on the map and per ward: points to draw, and counts per ward.

Text for map tooltips is HTML-escaped here (``*_html`` columns): deck.gl tooltips render HTML,
and titles and descriptions are typed by people.
"""

from __future__ import annotations

import html

import geopandas as gpd
import pandas as pd

#: Fill colours (RGBA): a visible "Rural Action" (branded, publicised) action, and any other.
RURAL_ACTION_RGBA = (27, 94, 32, 235)  # the theme's primary green
OTHER_ACTION_RGBA = (0, 114, 178, 200)  # Okabe–Ito blue

POINT_COLUMNS = (
    "id",
    "lon",
    "lat",
    "located_by",
    "ward_code",
    "visible",
    "marker",
    "color",
    "status",
    "issue",
    "lead_partner",
    "action_date",
    "title",
    "date",
    "partner",
    "title_html",
    "tooltip_html",
)


def action_points(actions: pd.DataFrame, wards: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Where to draw each action: its own point, else a point inside each of its wards.

    Parameters
    ----------
    actions : DataFrame
        A :func:`~ruralaction.actions.tracker.list_actions` table (filtered as wanted).
    wards : GeoDataFrame or None
        ``ward_code`` and ``geometry`` (WGS84), e.g. ``Geography.wards``. Without it, only
        actions with their own point are drawn.

    Returns
    -------
    DataFrame
        :data:`POINT_COLUMNS`. ``located_by`` is ``"point"`` or ``"ward"``; ``marker`` is
        ``"rural action"`` for visible actions (draw them with the Rural Action marker) else
        ``"action"``; ``color`` an RGBA list. ``title`` is the raw text (for plain-text
        tooltips, which the browser sets as text); ``date`` ("12 Mar 2025") and ``partner`` (the
        lead) are ready to show; ``title_html`` and ``tooltip_html`` are escaped for HTML
        tooltips. No row has a missing coordinate.
    """
    rows = []
    anchor: dict[str, tuple[float, float]] = {}
    if wards is not None and len(wards):
        pts = wards.geometry.representative_point()
        anchor = dict(zip(wards["ward_code"].astype(str), zip(pts.x.to_numpy(), pts.y.to_numpy())))
    for a in actions.itertuples(index=False):
        has_point = (
            a.latitude is not None and a.longitude is not None and not (pd.isna(a.latitude) or pd.isna(a.longitude))
        )
        if has_point:
            spots = [(float(a.longitude), float(a.latitude), "point", a.ward_codes[0] if a.ward_codes else "")]
        else:
            spots = [(*anchor[c], "ward", c) for c in a.ward_codes if c in anchor]
        for lon, lat, how, code in spots:
            rows.append(
                (
                    a.id,
                    lon,
                    lat,
                    how,
                    code,
                    bool(a.visible),
                    a.status,
                    a.issue,
                    a.lead_partner,
                    a.action_date,
                    a.title,
                    a.wards,
                    a.place_name,
                )
            )
    df = pd.DataFrame(
        rows,
        columns=[
            "id",
            "lon",
            "lat",
            "located_by",
            "ward_code",
            "visible",
            "status",
            "issue",
            "lead_partner",
            "action_date",
            "title",
            "wards",
            "place_name",
        ],
    )
    df = df.dropna(subset=["lon", "lat"])
    df["marker"] = df["visible"].map({True: "rural action", False: "action"}).astype(object)
    df["color"] = df["visible"].map(lambda v: list(RURAL_ACTION_RGBA if v else OTHER_ACTION_RGBA))
    df["title_html"] = df["title"].map(lambda t: html.escape(str(t)))
    df["tooltip_html"] = [_tooltip(r) for r in df.itertuples(index=False)]
    df["date"] = df["action_date"].map(lambda d: "" if d is None or pd.isna(d) else f"{d:%d %b %Y}")
    df["partner"] = df["lead_partner"]
    return df[list(POINT_COLUMNS)].reset_index(drop=True)


def _tooltip(r) -> str:
    e = lambda v: html.escape("" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))  # noqa: E731
    when = "" if r.action_date is None or pd.isna(r.action_date) else f" · {r.action_date:%d %b %Y}"
    badge = "<b>Rural Action</b> · " if r.visible else ""
    where = e(r.place_name) + (", " if r.place_name else "") + e(r.wards)
    return f"{badge}<b>{e(r.title)}</b><br/>{e(r.lead_partner)} · {e(r.issue)} · {e(r.status)}{e(when)}<br/>{where}"


def ward_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions per ward: ``ward_code, actions, visible, completed`` (an action in two wards
    counts in both), most actions first."""
    if actions.empty:
        return pd.DataFrame(
            {
                "ward_code": pd.Series(dtype=str),
                "actions": pd.Series(dtype=int),
                "visible": pd.Series(dtype=int),
                "completed": pd.Series(dtype=int),
            }
        )
    long = (
        actions[["id", "ward_codes", "visible", "status"]]
        .explode("ward_codes")
        .rename(columns={"ward_codes": "ward_code"})
    )
    long = long.dropna(subset=["ward_code"])
    out = long.groupby("ward_code").agg(
        actions=("id", "nunique"),
        visible=("visible", "sum"),
        completed=("status", lambda s: int((s == "completed").sum())),
    )
    out = (
        out.astype(int).reset_index().sort_values(["actions", "ward_code"], ascending=[False, True], ignore_index=True)
    )
    return out
