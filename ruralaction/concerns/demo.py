"""Demo concerns: believable residents' concerns in the demo wards, some answered by demo actions.

They live in the ``demo`` dataset beside the demo actions, so "you said, we did" and the
measures have something to show on a first start. Names are invented, emails are at
``example.org`` and phone numbers in Ofcom's 07700 900xxx range kept for drama, so nothing
here can reach a real person. Concerns older than the retention period are stored already
erased, as the purge would have left them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ruralaction.actions.db import write_session
from ruralaction.actions.models import Action, Concern, ConcernAction, utcnow
from ruralaction.concerns.form import (
    LOCATION_DECIMALS,
    concern_categories,
    matching_issues,
)
from ruralaction.concerns.privacy import cutoff, retention
from ruralaction.concerns.store import make_reference

DEMO_DATASET = "demo"
DEMO_ADMIN = "demo data"

_FIRST = (
    "Alex",
    "Sam",
    "Jo",
    "Chris",
    "Pat",
    "Jamie",
    "Morgan",
    "Robin",
    "Kim",
    "Lee",
    "Ashley",
    "Charlie",
    "Frankie",
    "Jess",
    "Ruth",
    "Tom",
    "Priya",
    "Aled",
    "Mina",
    "Owen",
)
_LAST = (
    "Ashby",
    "Brook",
    "Carter",
    "Dunmore",
    "Ellis",
    "Fairfax",
    "Greenwood",
    "Hollis",
    "Ingram",
    "Judd",
    "Kingsley",
    "Lowther",
    "Marsh",
    "Norbury",
    "Oakes",
    "Pryor",
    "Quarrie",
    "Rowntree",
    "Stanion",
    "Thorne",
)
_COUNCIL = "Parish Council clerk"
# Category weights for concerns not tied to an action (fly-tipping and speeding are what
# rural residents raise most).
_WEIGHTS = {
    "fly-tipping": 0.2,
    "speeding": 0.16,
    "hare coursing": 0.1,
    "burglary": 0.1,
    "anti-social behaviour": 0.1,
    "vehicle crime": 0.07,
    "criminal damage": 0.07,
    "wildlife crime": 0.05,
    "other": 0.1,
    "theft from the person": 0.03,
    "robbery": 0.02,
}
_TEXT = {
    "burglary": "Sheds and outbuildings along the lane have been broken into twice this month; tools and a quad bike taken.",
    "theft from the person": "Bags snatched at the bus stop by the green, twice in a fortnight.",
    "vehicle crime": "Catalytic converters stolen from cars parked overnight near the church.",
    "robbery": "A delivery driver was threatened and robbed at the lay-by after dark.",
    "criminal damage": "Gates and fences on the footpath keep being smashed; the latest was at the weekend.",
    "wildlife crime": "Someone has been lamping and shooting on the fields at night; we found snares by the hedge.",
    "fly-tipping": "Builders' rubble and mattresses dumped in the field gateway again, blocking the track.",
    "hare coursing": "Hare coursing on the fields at dawn most weekends: 4x4s driving across crops and gates left open.",
    "speeding": "Cars and vans race through the village well over the limit, right past the school.",
    "anti-social behaviour": "Groups gathering at the recreation ground late at night, fires and broken glass.",
    "other": "Dogs off leads among the sheep in the lambing fields; two ewes injured.",
}


def _wards(wards: pd.DataFrame | dict[str, str]) -> pd.DataFrame:
    if isinstance(wards, dict):
        return pd.DataFrame({"ward_code": list(wards), "ward_name": list(wards.values()), "ruc_code": None})
    out = pd.DataFrame(
        {"ward_code": wards["ward_code"].astype(str).to_numpy(), "ward_name": wards["ward_name"].astype(str).to_numpy()}
    )
    out["ruc_code"] = wards["ruc_code"].astype("object").to_numpy() if "ruc_code" in wards else None
    if "geometry" in wards:
        pts = wards.geometry.representative_point()
        out["lon"], out["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
    return out


def seed_demo_concerns(
    engine: Engine,
    wards: pd.DataFrame | dict[str, str],
    months: Sequence[str],
    seed: int = 2026,
    n: int = 60,
    now: dt.datetime | None = None,
) -> int:
    """Add about ``n`` demo concerns to the ``demo`` dataset, unless it already has some.

    Seed the demo actions first (:func:`~ruralaction.actions.demo.seed_demo_actions`): about
    half the concerns are raised in an action's ward a few weeks before it and linked to it.

    Parameters
    ----------
    engine : Engine
        A migrated database.
    wards : DataFrame or dict
        The demo wards, as for :func:`~ruralaction.actions.demo.seed_demo_actions`.
    months : sequence of str
        The demo's months (``"YYYY-MM"``); concerns are raised over the last two years of them.
    seed : int
        Same seed, same concerns.
    now : datetime, optional
        No concern is raised after it (default now).

    Returns
    -------
    int
        Concerns added (0 when the demo already had some, or there are no wards or months).
    """
    table = _wards(wards)
    if table.empty or not months:
        return 0
    now = now or utcnow()
    rng = np.random.default_rng([seed, 7])
    ruc = table["ruc_code"].astype("object")
    rural = table[ruc.isna() | ruc.astype(str).str[:1].isin(["D", "E"])]
    pool = rural if len(rural) >= 5 else table
    names = dict(zip(table["ward_code"], table["ward_name"]))
    last = pd.Period(months[-1], freq="M").end_time.tz_localize("UTC").to_pydatetime()
    end = min(last, now - dt.timedelta(hours=2))
    start = max(
        pd.Period(months[0], freq="M").start_time.tz_localize("UTC").to_pydatetime(), end - dt.timedelta(days=730)
    )
    categories = [c for c in concern_categories() if c in _WEIGHTS]
    weights = np.array([_WEIGHTS[c] for c in categories])
    erase_before = cutoff(retention(), now)
    try:
        with write_session(engine) as s:
            if s.scalar(select(func.count()).select_from(Concern).where(Concern.dataset == DEMO_DATASET)):
                return 0
            actions = s.scalars(
                select(Action)
                .where(Action.dataset == DEMO_DATASET, Action.deleted_at.is_(None))
                .options(selectinload(Action.wards))
                .order_by(Action.id)
            ).all()
            answerable = [a for a in actions if a.wards and (a.started_on or a.completed_on)]
            rows = []
            for i in range(n):
                link: Action | None = None
                if answerable and rng.random() < 0.5:
                    link = answerable[int(rng.integers(len(answerable)))]
                    code = link.wards[0].ward_code
                    fits = [c for c in categories if link.issue in matching_issues(c)]
                    category = fits[int(rng.integers(len(fits)))] if fits else "other"
                    done = link.started_on or link.completed_on
                    raised = dt.datetime.combine(done, dt.time(9), dt.UTC) - dt.timedelta(
                        days=int(rng.integers(10, 90))
                    )
                    raised = min(max(raised, start), end)
                else:
                    w = pool.iloc[int(rng.integers(len(pool)))]
                    code = str(w["ward_code"])
                    category = categories[int(rng.choice(len(categories), p=weights / weights.sum()))]
                    raised = start + (end - start) * float(rng.random() ** 0.7)
                raised = raised.replace(microsecond=0) + dt.timedelta(minutes=int(rng.integers(0, 600)))
                raised = min(raised, end)
                first, last_name = _FIRST[int(rng.integers(len(_FIRST)))], _LAST[int(rng.integers(len(_LAST)))]
                council = rng.random() < 0.15
                name = f"{names.get(code, 'Demo')} {_COUNCIL}" if council else f"{first} {last_name}"
                contact = rng.random()
                email = f"{first}.{last_name}{i}@example.org".lower() if contact < 0.75 else None
                phone = f"07700900{int(rng.integers(0, 1000)):03d}" if contact > 0.5 else None
                point = None
                if "lat" in table and rng.random() < 0.4:
                    row = table[table["ward_code"] == code].iloc[0]
                    point = (
                        round(float(row["lat"]) + rng.normal(0, 0.004), LOCATION_DECIMALS),
                        round(float(row["lon"]) + rng.normal(0, 0.006), LOCATION_DECIMALS),
                    )
                age = end - raised
                status = (
                    "actioned"
                    if link is not None and age > dt.timedelta(days=7)
                    else "new"
                    if age < dt.timedelta(days=21)
                    else "dismissed"
                    if rng.random() < 0.04
                    else "reviewed"
                    if rng.random() < 0.85
                    else "new"
                )
                reviewed = raised + dt.timedelta(days=int(rng.integers(1, 8))) if status != "new" else None
                gone = raised < erase_before
                c = Concern(
                    dataset=DEMO_DATASET,
                    submission_key=f"demo-{seed}-{i}",
                    raised_at=raised,
                    ward_code=code,
                    ward_name=names.get(code, ""),
                    ward_matched_by="picker",
                    category=category,
                    description=f"{_TEXT[category]} ({names.get(code, '')})",
                    latitude=point[0] if point else None,
                    longitude=point[1] if point else None,
                    name=None if gone else name,
                    email=None if gone else email,
                    phone=None if gone else phone,
                    place=None,
                    consent=True,
                    status=status,
                    reviewed_at=min(reviewed, end) if reviewed else None,
                    reviewed_by=DEMO_ADMIN if reviewed else None,
                    personal_erased_at=now if gone else None,
                )
                if status == "actioned":
                    c.links = [ConcernAction(action_id=link.id, linked_at=min(reviewed, end), linked_by=DEMO_ADMIN)]
                rows.append(c)
            s.add_all(rows)
            s.flush()
            for c in rows:
                c.reference = make_reference(DEMO_DATASET, c.raised_at, c.id)
    except IntegrityError:  # another process seeded the demo at the same moment
        return 0
    return len(rows)


def ensure_demo_concerns(engine: Engine, demo_dir: str | os.PathLike, seed: int = 2026) -> int:
    """Seed the demo concerns from a demo data folder (its ward boundaries and ``demo.json``),
    after its demo actions (seeded here too when missing).

    Returns the number of concerns added (0 when there were some already or the folder holds no demo).
    """
    import geopandas as gpd

    from ruralaction.actions.demo import ensure_demo_actions
    from ruralaction.geography.boundaries import read_boundaries

    root = Path(demo_dir)
    marker, bounds = root / "demo.json", root / "boundaries" / "wards" / "demo_wards.geojson"
    if not marker.is_file() or not bounds.is_file():
        return 0
    ensure_demo_actions(engine, root, seed)
    months = json.loads(marker.read_text("utf-8")).get("months") or []
    gdf = read_boundaries(bounds)  # checked by its bytes, like every boundary file
    wards = gpd.GeoDataFrame(
        {"ward_code": gdf["WD13CD"], "ward_name": gdf["WD13NM"], "ruc_code": gdf.get("RUC11CD")},
        geometry=gdf.geometry,
        crs=gdf.crs,
    )
    return seed_demo_concerns(engine, wards, months, seed)
