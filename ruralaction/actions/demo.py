"""Demo actions: believable partners' actions in the demo wards, in the ``demo`` dataset.

They sit in the same database as real actions but in their own dataset, so every list, map and
measure of "our data" leaves them out, and partner editors can try the forms on the demo
without touching real records.
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

from ruralaction.actions.db import write_session
from ruralaction.actions.models import Action, utcnow
from ruralaction.actions.tracker import ActionInput, create_in_session
from ruralaction.actions.vocab import load_vocabulary
from ruralaction.permissions import Actor

DEMO_ACTOR = Actor.system_actor("demo data")
DEMO_DATASET = "demo"

# (issue, action type, lead, supporters, title, description, outcome); {ward}, {farm}, {venue} and
# {spot} are filled in, and a named place becomes the action's place name.
_TEMPLATES: tuple[tuple[str, str, str, tuple[str, ...], str, str, str], ...] = (
    (
        "Burglary",
        "Patrol",
        "Police",
        ("Farm Watch",),
        "Night patrols after outbuilding break-ins near {ward}",
        "Marked and unmarked patrols of farm tracks and outbuildings between 22:00 and 04:00 over two weeks.",
        "Two vehicles stopped and checked; no further break-ins reported during the operation.",
    ),
    (
        "Burglary",
        "Crime-prevention visit",
        "Police",
        ("NFU",),
        "Farm security visits in {ward}",
        "Rural crime officers visited farms to advise on locks, lighting and storage of tools and quad bikes.",
        "Eleven farms visited; security packs and shed alarms handed out.",
    ),
    (
        "Burglary",
        "Property marking",
        "Farm Watch",
        ("Police",),
        "Property-marking day at {venue}",
        "Forensic marking of tools, trailers and quad bikes, with registration on the national database.",
        "34 items marked for 12 households and farms.",
    ),
    (
        "Vehicle crime",
        "CCTV or ANPR",
        "Police",
        ("District or unitary council",),
        "ANPR camera on the lanes into {ward}",
        "A portable ANPR camera on the back lanes used to reach farms and villages off the main road.",
        "Camera live; two vehicles of interest identified in the first month.",
    ),
    (
        "Vehicle crime",
        "Crime-prevention visit",
        "Police",
        ("Neighbourhood Watch",),
        "Catalytic converter marking in {ward}",
        "Free marking of catalytic converters on vans and 4x4s at the village hall.",
        "46 vehicles marked.",
    ),
    (
        "Criminal damage",
        "Gate or road measure",
        "Highways",
        ("Parish or town council",),
        "Lockable gates on the green lane by {farm}",
        "Lockable gates and boulders to stop vehicles driving onto fields and damaging crops.",
        "Gates fitted; keys held by the landowner and the parish council.",
    ),
    (
        "Criminal damage",
        "Community meeting",
        "Parish or town council",
        ("Police",),
        "Rural crime surgery in {ward}",
        "An open meeting with the rural crime team about damage to fences, gates and crops.",
        "About 40 residents attended; three farms joined Farm Watch.",
    ),
    (
        "Hare coursing",
        "Enforcement operation",
        "Police",
        ("NFU", "Farm Watch"),
        "Hare coursing operation around {ward}",
        "Dawn and dusk patrols during the coursing season with landowners reporting suspicious vehicles.",
        "Four vehicles stopped, two dispersal notices, one seizure of dogs under warrant.",
    ),
    (
        "Wildlife crime",
        "Signage",
        "Police",
        ("Parish or town council",),
        "Wildlife crime warning signs in {ward}",
        "Rural Action signs at field entrances warning that hare coursing and poaching are reported and prosecuted.",
        "Twenty signs put up at known entry points.",
    ),
    (
        "Machinery theft",
        "Property marking",
        "NFU",
        ("Police",),
        "Machinery marking for farms near {farm}",
        "Marking of GPS units, trailers and quad bikes, with advice on immobilisers.",
        "Nine farms took part.",
    ),
    (
        "Fuel theft",
        "Crime-prevention visit",
        "Police",
        ("Farm Watch",),
        "Fuel tank security visits in {ward}",
        "Advice to farms on locking red diesel tanks, fitting alarms and lighting.",
        "Fourteen farms visited; six fitted tank alarms afterwards.",
    ),
    (
        "Fly-tipping",
        "Clean-up",
        "District or unitary council",
        ("Environment Agency",),
        "Fly-tipping clear-up at {spot}",
        "Removal of tipped waste from a field gateway and a lay-by, with evidence kept for enforcement.",
        "Three tonnes removed; one fixed penalty notice issued.",
    ),
    (
        "Fly-tipping",
        "CCTV or ANPR",
        "District or unitary council",
        ("Parish or town council",),
        "Covert camera at the tipping spot near {farm}",
        "A covert camera at a repeatedly used gateway, with signs saying it is there.",
        "No tipping at the site since the camera went up.",
    ),
    (
        "Speeding",
        "Gate or road measure",
        "Highways",
        ("Parish or town council",),
        "Speed signs on the main road through {ward}",
        "Vehicle-activated signs at both ends of the village.",
        "Average speeds down by 4 mph in the first month.",
    ),
    (
        "Livestock worrying",
        "Signage",
        "Parish or town council",
        ("NFU",),
        "Dogs-on-leads signs on footpaths in {ward}",
        "Signs at stiles and gates during lambing, with leaflets at the village shop.",
        "No sheep worrying reported during lambing.",
    ),
    (
        "Burglary",
        "Fire-safety visit",
        "Fire and Rescue",
        ("Police",),
        "Joint fire and security visits in {ward}",
        "Fire and Rescue and rural crime officers visited isolated homes together: smoke alarms and door locks.",
        "Twenty homes visited; smoke alarms fitted in eight.",
    ),
)
_FARMS = (
    "Manor Farm",
    "Home Farm",
    "Grange Farm",
    "Lodge Farm",
    "Church Farm",
    "Glebe Farm",
    "Hill Farm",
    "Brook Farm",
    "Park Farm",
    "Mill Farm",
)
_VENUES = ("the village hall", "the recreation ground", "the church hall", "the community centre")
_SPOTS = ("the Mill Lane lay-by", "a field gateway on Back Lane", "the old quarry entrance", "the B-road lay-by")


def _wards_table(wards: pd.DataFrame | dict[str, str]) -> pd.DataFrame:
    if isinstance(wards, dict):
        return pd.DataFrame({"ward_code": list(wards), "ward_name": list(wards.values()), "ruc_code": None})
    out = pd.DataFrame({"ward_code": wards["ward_code"].astype(str), "ward_name": wards["ward_name"].astype(str)})
    out["ruc_code"] = wards["ruc_code"].astype("object") if "ruc_code" in wards else None
    if "geometry" in wards:
        pts = wards.geometry.representative_point()
        out["lon"], out["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
    return out.reset_index(drop=True)


def seed_demo_actions(
    engine: Engine, wards: pd.DataFrame | dict[str, str], months: Sequence[str], seed: int = 2026, n: int = 72
) -> int:
    """Add about ``n`` demo actions to the ``demo`` dataset, unless it already has actions.

    Parameters
    ----------
    engine : Engine
        A migrated database (:func:`~ruralaction.actions.db.open_database`).
    wards : DataFrame or dict
        The demo wards: a frame with ``ward_code``, ``ward_name`` and optionally ``ruc_code``
        and ``geometry`` (as in ``Geography.wards``), or code -> name. Rural wards (RUC D*/E*,
        or no class) get most actions; with geometry some actions get a point in their ward.
    months : sequence of str
        The demo's months, ``"YYYY-MM"``. Actions are completed across them, more of them
        recently (the programme grows); a few are in progress or planned.
    seed : int
        Same seed, same actions.

    Returns
    -------
    int
        Actions added (0 when the demo dataset already had some).
    """
    table = _wards_table(wards)
    if table.empty or not months:
        return 0
    rng = np.random.default_rng([seed, 11])
    vocab = load_vocabulary()
    ruc = table["ruc_code"].astype("object")
    rural = table[ruc.isna() | ruc.astype(str).str[:1].isin(["D", "E"])]
    pool = rural if len(rural) >= 5 else table
    first = pd.Period(months[0], freq="M")
    last = pd.Period(months[-1], freq="M")
    today = max(dt.date.today(), last.end_time.date())
    span = (last - first).n
    templates = [
        t for t in _TEMPLATES if t[0] in vocab.issues and t[1] in vocab.action_types and t[2] in vocab.partners
    ]
    names = dict(zip(table["ward_code"], table["ward_name"]))
    inputs: list[tuple[ActionInput, dt.datetime]] = []
    for i in range(n):
        issue, kind, lead, supporters, title, desc, outcome = templates[int(rng.integers(len(templates)))]
        w = pool.iloc[int(rng.integers(len(pool)))]
        codes = [w["ward_code"]]
        if rng.random() < 0.2:  # a second ward: a neighbour when the wards have places
            if "lat" in pool:
                dist = np.hypot(pool["lat"] - w["lat"], (pool["lon"] - w["lon"]) * 0.61)
                near = pool.iloc[np.argsort(dist.to_numpy())[1:4]]
                codes.append(near.iloc[int(rng.integers(len(near)))]["ward_code"])
            else:
                codes.append(pool.iloc[int(rng.integers(len(pool)))]["ward_code"])
        place = {
            "farm": _FARMS[int(rng.integers(len(_FARMS)))],
            "venue": _VENUES[int(rng.integers(len(_VENUES)))],
            "spot": _SPOTS[int(rng.integers(len(_SPOTS)))],
        }
        named = next((v for k, v in place.items() if "{" + k + "}" in title), "")
        # Completed across the months, more of them recently (the programme grows); a few
        # recent ones still in progress, a few planned for the coming weeks.
        r = rng.random()
        status = "completed" if r < 0.86 else "in progress" if r < 0.93 else "planned"
        offset = (
            int(rng.triangular(span * 0.1, span, span + 1)) if status == "completed" else span - int(rng.integers(0, 2))
        )
        offset = min(offset, span)
        month = first + offset
        day = int(rng.integers(1, month.days_in_month + 1))
        when = dt.date(month.year, month.month, day)
        if status == "planned":
            when = today + dt.timedelta(days=int(rng.integers(10, 75)))
        point = None
        if "lat" in w and rng.random() < 0.5:
            point = (round(float(w["lat"]) + rng.normal(0, 0.004), 6), round(float(w["lon"]) + rng.normal(0, 0.006), 6))
        inp = ActionInput(
            title=title.format(ward=w["ward_name"], **place),
            wards=tuple(dict.fromkeys(codes)),
            lead_partner=lead,
            issue=issue,
            action_type=kind,
            status=status,
            planned_on=when - dt.timedelta(days=int(rng.integers(7, 40))) if status != "planned" else when,
            started_on=when - dt.timedelta(days=int(rng.integers(0, 14))) if status != "planned" else None,
            completed_on=when if status == "completed" else None,
            visible=bool(rng.random() < 0.65),
            description=desc,
            supporting_partners=supporters,
            place_name=named.removeprefix("the ").capitalize() if named.startswith("the ") else named,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            outcome=outcome if status == "completed" else "",
            evidence=f"ECINS-{int(rng.integers(10_000, 99_999))}" if rng.random() < 0.4 else "",
            reference=f"DEMO-{i + 1:04d}",
        )
        created = min(
            dt.datetime.combine(when, dt.time(17, int(rng.integers(0, 60))), dt.UTC),
            utcnow() - dt.timedelta(hours=int(rng.integers(1, 72))),
        )  # recorded after, never in the future
        inputs.append((inp, created))
    try:
        with write_session(engine) as s:
            if s.scalar(select(func.count()).select_from(Action).where(Action.dataset == DEMO_DATASET)):
                return 0
            for inp, created in sorted(inputs, key=lambda x: x[1]):
                create_in_session(
                    s,
                    DEMO_ACTOR,
                    inp,
                    names,
                    dataset=DEMO_DATASET,
                    vocab=vocab,
                    today=today,
                    note="demo data",
                    now=created,
                )
    except IntegrityError:  # another process seeded the demo at the same moment
        return 0
    return len(inputs)


def ensure_demo_actions(engine: Engine, demo_dir: str | os.PathLike, seed: int = 2026) -> int:
    """Seed the demo actions from a demo data folder (its ward boundaries and ``demo.json``).

    Returns the number of actions added (0 when there were some already or the folder holds no demo).
    """
    import geopandas as gpd

    from ruralaction.geography.boundaries import read_boundaries

    root = Path(demo_dir)
    marker, bounds = root / "demo.json", root / "boundaries" / "wards" / "demo_wards.geojson"
    if not marker.is_file() or not bounds.is_file():
        return 0
    months = json.loads(marker.read_text("utf-8")).get("months") or []
    gdf = read_boundaries(bounds)  # checked by its bytes, like every boundary file
    wards = gpd.GeoDataFrame(
        {"ward_code": gdf["WD13CD"], "ward_name": gdf["WD13NM"], "ruc_code": gdf.get("RUC11CD")},
        geometry=gdf.geometry,
        crs=gdf.crs,
    )
    return seed_demo_actions(engine, wards, months, seed)
