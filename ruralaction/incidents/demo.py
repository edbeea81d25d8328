"""Embedded demo data: a fictional but believable Northamptonshire, written in the real formats.

:func:`write_demo` writes three years of police.uk street-level CSVs (bulk-archive layout), a
force wildlife-crime export, demo ward boundaries (Voronoi cells around the county's real towns
and villages, clipped to a hand-drawn county outline) and an ONS-format LSOA rural-urban lookup.
The real pipeline reads them like any other data; only ``demo.json`` says they are a demo.

Geography (wards, LSOAs, the pool of police.uk snap points) is the same for every seed, so ward
codes in bookmarked links survive a regeneration; the seed only changes the incidents.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralaction.incidents.demo_tables import (
    DISTRICTS,
    ELSEWHERE,
    EXPORT_OUTCOMES,
    FARM_PREMISES,
    FARM_STREETS,
    FARMS,
    FORCE,
    FORCE_EXPORT_COLUMNS,
    GEO_SEED,
    HOSPITALS,
    HOTSPOT_TYPES,
    HOTSPOT_WARDS,
    KIND_BUSY,
    KINDS,
    KM_LAT,
    KM_LON,
    MARGIN,
    OUTCOME_BIAS,
    OUTCOMES,
    OUTLINE,
    POLICE_STATIONS,
    RECENT_UNDER_INVESTIGATION,
    ROADS,
    RUC_NAMES,
    STREETS,
    TYPE_KIND,
    TYPE_MIX,
    TYPE_RUC,
    UNCLASSIFIED_WARDS,
    WARDS,
    WILDLIFE_GROUPS,
)
from ruralaction.incidents.schema import CRIME_TYPES, POLICE_UK_COLUMNS


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo` wrote.

    Attributes
    ----------
    data_dir : Path
        The data directory written to.
    months : list of str
        The police.uk months written, ``"YYYY-MM"``, oldest first.
    n_incidents : int
        police.uk rows written (crimes and anti-social behaviour, including out-of-county and
        unmapped rows).
    n_force_export : int
        Rows in the force wildlife-crime export files.
    n_wards : int
        Demo wards in the boundary file.
    files : list of Path
        Every file written, ``demo.json`` last.
    """

    data_dir: Path
    months: list[str]
    n_incidents: int
    n_force_export: int
    n_wards: int
    files: list[Path]


@dataclass(frozen=True)
class _Geography:
    wards: gpd.GeoDataFrame  # one row per ward: code, name, district, ruc, weight, hotspot, geometry
    lsoas: pd.DataFrame  # code, name, ward (index into wards), ruc
    pool: pd.DataFrame  # police.uk snap points: lon, lat, text, kind, ward, lsoa, place


def default_end_month(today: dt.date | None = None) -> str:
    """Return the latest month police.uk would have published: two months before ``today``."""
    today = today or dt.date.today()
    index = today.year * 12 + today.month - 1 - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_list(end_month: str, years: int) -> list[str]:
    try:
        end = dt.datetime.strptime(end_month, "%Y-%m")
    except ValueError:
        raise ValueError(f"end_month must be 'YYYY-MM', not {end_month!r}.") from None
    if not isinstance(years, int) or years < 1:
        raise ValueError(f"years must be a positive whole number, not {years!r}.")
    last = end.year * 12 + end.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(last - 12 * years + 1, last + 1)]


def county_outline() -> shapely.Polygon:
    """The demo county outline: a hand-drawn approximation of Northamptonshire (WGS84)."""
    return shapely.Polygon(OUTLINE)


def _sample_points(poly, n: int, rng: np.random.Generator, centre=None, sigma_km: float = 1.0) -> np.ndarray:
    """``n`` points inside ``poly`` (at least ``MARGIN`` from its edge), clustered at ``centre`` if given."""
    inner = poly.buffer(-MARGIN)
    inner = poly if inner.is_empty else inner
    shapely.prepare(inner)
    x0, y0, x1, y1 = inner.bounds
    found: list[np.ndarray] = []
    need = n
    for attempt in range(60):
        m = 4 * need + 16
        if centre is not None and attempt < 30:
            xs = centre[0] + rng.normal(0, sigma_km * KM_LON, m)
            ys = centre[1] + rng.normal(0, sigma_km * KM_LAT, m)
        else:
            xs, ys = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        ok = shapely.contains_xy(inner, xs, ys)
        found.append(np.column_stack([xs[ok], ys[ok]])[:need])
        need -= len(found[-1])
        if need == 0:
            break
    return np.round(np.concatenate(found), 6)


def _snap_counts(ward, rng: np.random.Generator) -> dict[str, int]:
    """How many police.uk snap points of each kind a ward has (town centres have the venues)."""
    urban, rural_town, centre = ward.ruc == "C1", ward.ruc == "D1", ward.weight >= 1.5
    chance = rng.random(6)
    return {
        "street": 50 if centre else 35 if urban else 30 if rural_town else 22,
        "road": 1 if urban else int(rng.integers(2, 4)),
        "farm": int(chance[0] < 0.2) if urban else int(rng.integers(3, 5) if rural_town else rng.integers(5, 9)),
        "farm street": int(chance[1] < 0.5),
        "Parking Area": 3 if centre else 1 + int(urban),
        "Supermarket": 3 if centre else int(rng.integers(1, 3)) if urban else int(rural_town),
        "Petrol Station": int(urban or chance[2] < 0.4),
        "Shopping Area": 3 if centre else int(urban and chance[3] < 0.5),
        "Sports/Recreation Area": int(urban or rural_town or chance[4] < 0.5),
        "Park/Open Space": 1 + int(centre),
        "Further/Higher Educational Building": int(centre or (urban and chance[5] < 0.3)),
        "Nightclub": 2 * int(centre),
        "Theatre/Concert Hall": int(centre),
        "Police Station": int(ward["name"] in POLICE_STATIONS),
        "Hospital": int(ward["name"] in HOSPITALS),
    }


def _build_geography() -> _Geography:
    rng = np.random.default_rng(GEO_SEED)
    table = pd.DataFrame(WARDS, columns=["name", "district", "lon", "lat", "ruc", "weight"])
    table["district"] = table["district"].map(DISTRICTS)
    table = table.sort_values(["district", "name"], ignore_index=True)
    outline = county_outline()
    # Voronoi in a plane scaled to ~km so cells are not stretched east-west, then back to degrees.
    scale = np.array([1 / KM_LON, 1 / KM_LAT])
    seeds = shapely.points(table[["lon", "lat"]].to_numpy() * scale)
    frame = shapely.multipoints(np.array(OUTLINE) * scale).envelope.buffer(50)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    cells = shapely.transform(np.asarray(cells.geoms), lambda c: c / scale)
    cells = shapely.set_precision(shapely.intersection(cells, outline), 1e-6)
    wards = gpd.GeoDataFrame(table, geometry=cells, crs="EPSG:4326")
    wards["code"] = [f"E059{i:05d}" for i in range(1, len(wards) + 1)]
    wards["hotspot"] = wards["name"].isin(HOTSPOT_WARDS)

    # LSOAs: 1-5 per ward, sectors around the ward's centre; numbered north to south per district.
    n_lsoa = np.where(
        wards["ruc"] == "C1",
        rng.integers(3, 6, len(wards)),
        np.where(wards["ruc"] == "D1", rng.integers(2, 5, len(wards)), rng.integers(1, 4, len(wards))),
    )
    msoa = wards.groupby("district")["lat"].rank(ascending=False, method="first").astype(int)
    lsoa_ward = np.repeat(np.arange(len(wards)), n_lsoa)
    letter = np.concatenate([np.arange(k) for k in n_lsoa])
    lsoas = pd.DataFrame(
        {
            "code": [f"E019{i:05d}" for i in range(1, len(lsoa_ward) + 1)],
            "name": [f"{wards['district'].iat[w]} {msoa.iat[w]:03d}{'ABCDE'[k]}" for w, k in zip(lsoa_ward, letter)],
            "ward": lsoa_ward,
            "ruc": wards["ruc"].to_numpy()[lsoa_ward],
        }
    )
    first_lsoa = np.r_[0, np.cumsum(n_lsoa)[:-1]]

    frames = []
    kind_of = {k: i for i, k in enumerate(KINDS)}
    letter_of = {v: k for k, v in DISTRICTS.items()}
    for w, ward in wards.iterrows():  # ~100 wards, not rows
        urban = ward.ruc == "C1"
        counts = _snap_counts(ward, rng)
        kinds = np.repeat([kind_of[k] for k in counts], list(counts.values()))
        spread = np.isin(kinds, [kind_of["farm"], kind_of["road"]])  # farms and roads lie in open country
        xy = np.empty((len(kinds), 2))
        xy[~spread] = _sample_points(
            ward.geometry, int((~spread).sum()), rng, (ward.lon, ward.lat), 0.9 if urban else 0.8
        )
        xy[spread] = _sample_points(ward.geometry, int(spread.sum()), rng)
        text = np.asarray(KINDS, dtype=object)[kinds]  # named places read "On or near Supermarket"
        for kind, names, unique in (
            ("street", STREETS, True),
            ("road", ROADS[letter_of[ward.district]], False),
            ("farm", FARMS, True),
            ("farm street", FARM_STREETS, False),
        ):
            sel = kinds == kind_of[kind]
            text[sel] = rng.choice(names, sel.sum(), replace=not unique)
        angle = np.arctan2(xy[:, 1] - ward.lat, (xy[:, 0] - ward.lon) * KM_LAT / KM_LON)
        sector = np.minimum((angle + np.pi) / (2 * np.pi) * n_lsoa[w], n_lsoa[w] - 1).astype(int)
        frames.append(
            pd.DataFrame(
                {
                    "lon": xy[:, 0],
                    "lat": xy[:, 1],
                    "text": "On or near " + pd.Series(text, dtype=object),
                    "kind": kinds,
                    "ward": w,
                    "lsoa": first_lsoa[w] + sector,
                    "place": ward["name"].split(" and ")[0],
                }
            )
        )
    return _Geography(wards, lsoas, pd.concat(frames, ignore_index=True))


def _fixed6(values: pd.Series) -> np.ndarray:
    """Coordinates as police.uk writes them (six decimals), formatted once per snap point."""
    return np.array([f"{v:.6f}" for v in values], dtype=object)


def _police_uk_frame(geo: _Geography, months: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """All police.uk rows for ``months``, sorted by month and then LSOA name like the real files."""
    types = list(CRIME_TYPES)
    share = np.array([TYPE_MIX[t][0] for t in types])
    swing = np.array([TYPE_MIX[t][1] for t in types])
    cal = np.array([int(m[5:]) for m in months])
    season = 1 + swing[None, :] * np.cos(2 * np.pi * (cal[:, None] - 7) / 12)
    trend = 1 - 0.015 * np.arange(len(months))[:, None] / 12
    counts = rng.poisson(5850 * share[None, :] / share.sum() * season * trend)  # months x types

    pool, wards = geo.pool, geo.wards
    ruc_index = wards["ruc"].map({"C1": 0, "D1": 1, "E1": 2}).to_numpy()[pool["ward"]]
    kind_index = pool["kind"].to_numpy()
    busy = KIND_BUSY[kind_index]
    base = busy / np.bincount(pool["ward"], weights=busy)[pool["ward"]] * wards["weight"].to_numpy()[pool["ward"]]
    weights = np.empty((len(types), len(pool)))
    for t, name in enumerate(types):
        kind_mult = np.ones(len(KINDS))
        for kind, mult in TYPE_KIND.get(name, {}).items():
            kind_mult[KINDS.index(kind)] = mult
        weights[t] = base * np.asarray(TYPE_RUC.get(name, (1, 1, 1)))[ruc_index] * kind_mult[kind_index]
    hot_rows = [types.index(t) for t in HOTSPOT_TYPES]
    in_hotspot = wards["hotspot"].to_numpy()[pool["ward"]]

    point_parts, month_parts, type_parts = [], [], []
    for m in range(len(months)):  # hotspots cool down from x3.2 to x1.8 as the programme works
        w = weights.copy()
        w[np.ix_(hot_rows, np.flatnonzero(in_hotspot))] *= 3.2 - 1.4 * m / max(len(months) - 1, 1)
        cum = np.cumsum(w, axis=1)
        for t in range(len(types)):
            u = rng.random(counts[m, t]) * cum[t, -1]
            point_parts.append(np.searchsorted(cum[t], u, side="right"))
            month_parts.append(np.full(counts[m, t], m))
            type_parts.append(np.full(counts[m, t], t))
    pt = np.concatenate(point_parts)
    lsoa = pool["lsoa"].to_numpy()[pt]
    inside = pd.DataFrame(
        {
            "m": np.concatenate(month_parts),
            "t": np.concatenate(type_parts),
            "lon": _fixed6(pool["lon"])[pt],
            "lat": _fixed6(pool["lat"])[pt],
            "loc": pool["text"].to_numpy()[pt],
            "lsoa_code": geo.lsoas["code"].to_numpy()[lsoa],
            "lsoa_name": geo.lsoas["name"].to_numpy()[lsoa],
        }
    )

    # A few dozen rows a month recorded by the force but located elsewhere, and a handful unmapped.
    away = pd.DataFrame(ELSEWHERE, columns=["area", "lon", "lat", "prefix", "weight"])
    spots = away.loc[rng.choice(len(away), 120, p=away["weight"] / away["weight"].sum())].reset_index(drop=True)
    spots["lon"] = spots["lon"] + rng.normal(0, 4 * KM_LON, len(spots))
    spots["lat"] = spots["lat"] + rng.normal(0, 4 * KM_LAT, len(spots))
    spots = spots[~shapely.contains_xy(county_outline().buffer(0.02), spots["lon"], spots["lat"])].reset_index(
        drop=True
    )
    spots["code"] = spots["prefix"] + pd.Series(rng.integers(1000, 9999, len(spots)).astype(str))
    msoa = pd.Series(rng.integers(1, 40, len(spots))).map("{:03d}".format)
    spots["name"] = spots["area"] + " " + msoa + pd.Series(rng.choice(list("ABCDEF"), len(spots)))
    spots["loc"] = "On or near " + pd.Series(rng.choice(STREETS, len(spots)), dtype=object)
    n_away, n_lost = rng.poisson(30, len(months)), rng.poisson(4, len(months))
    a = rng.integers(0, len(spots), n_away.sum())
    away_rows = pd.DataFrame(
        {
            "m": np.repeat(np.arange(len(months)), n_away),
            "lon": _fixed6(spots["lon"])[a],
            "lat": _fixed6(spots["lat"])[a],
            "loc": spots["loc"].to_numpy()[a],
            "lsoa_code": spots["code"].to_numpy()[a],
            "lsoa_name": spots["name"].to_numpy()[a],
        }
    )
    lost_rows = pd.DataFrame(
        {
            "m": np.repeat(np.arange(len(months)), n_lost),
            "lon": "",
            "lat": "",
            "loc": "No Location",
            "lsoa_code": "",
            "lsoa_name": "",
        }
    )
    extra = pd.concat([away_rows, lost_rows], ignore_index=True)
    extra["t"] = rng.choice(len(types), len(extra), p=share / share.sum())
    rows = pd.concat([inside, extra], ignore_index=True)

    # Outcomes: per-type mix; the latest months are mostly still under investigation.
    names = np.array(list(OUTCOMES), dtype=object)
    outcome = np.empty(len(rows), dtype=object)
    for t, name in enumerate(types):
        sel = np.flatnonzero(rows["t"].to_numpy() == t)
        if name == "Anti-social behaviour":
            outcome[sel] = ""
            continue
        p = np.array([OUTCOMES[o] * OUTCOME_BIAS.get(name, {}).get(o, 1) for o in names])
        outcome[sel] = rng.choice(names, len(sel), p=p / p.sum())
    age = len(months) - 1 - rows["m"].to_numpy()
    recent = np.r_[RECENT_UNDER_INVESTIGATION, 0.0][np.minimum(age, len(RECENT_UNDER_INVESTIGATION))]
    is_asb = rows["t"].to_numpy() == types.index("Anti-social behaviour")
    outcome[(rng.random(len(rows)) < recent) & ~is_asb] = "Under investigation"

    crime_id = np.frombuffer(rng.bytes(32 * len(rows)).hex().encode("ascii"), dtype="S64").astype(str).astype(object)
    crime_id[is_asb] = ""
    # Real files list rows by LSOA name (unmapped rows last), in no particular order within one.
    by_name = np.where(rows["lsoa_name"] == "", "\uffff", rows["lsoa_name"]).astype(str)
    order = np.lexsort((rng.random(len(rows)), by_name, rows["m"]))
    frame = pd.DataFrame(
        {
            "Crime ID": crime_id,
            "Month": np.asarray(months, dtype=object)[rows["m"]],
            "Reported by": FORCE,
            "Falls within": FORCE,
            "Longitude": rows["lon"],
            "Latitude": rows["lat"],
            "Location": rows["loc"],
            "LSOA code": rows["lsoa_code"],
            "LSOA name": rows["lsoa_name"],
            "Crime type": np.asarray(types, dtype=object)[rows["t"]],
            "Last outcome category": outcome,
            "Context": "",
        }
    )
    return frame.iloc[order].reset_index(drop=True)[list(POLICE_UK_COLUMNS)]


def _force_export_frame(geo: _Geography, months: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Wildlife and farm crime from the force's own system: exact places, premises and free text."""
    pool, wards = geo.pool, geo.wards
    rural_ward = (wards["ruc"] != "C1").to_numpy()[pool["ward"]]
    farm_pts = np.flatnonzero(pool["kind"].to_numpy() == KINDS.index("farm"))
    open_pts = np.flatnonzero(pool["kind"].to_numpy() <= KINDS.index("farm street"))
    cal = np.array([int(m[5:]) for m in months])
    parts = []
    for group, (per_year, flag, season, hours, premises, texts) in WILDLIFE_GROUPS.items():
        lam = per_year / 12 * (np.ones(12) if season is None else season / season.mean())[cal - 1]
        n = rng.poisson(lam)
        k = int(n.sum())
        prem = rng.choice(list(premises), k, p=np.array(list(premises.values())) / sum(premises.values()))
        candidates = np.where(np.isin(prem, FARM_PREMISES), 1, 0)
        rural_first = rng.random(k) < 0.92
        pick = np.empty(k, dtype=int)
        for c, pts in ((1, farm_pts), (0, open_pts)):
            for want_rural in (True, False):
                sel = (candidates == c) & (rural_first == want_rural)
                choices = pts[rural_ward[pts] == want_rural]
                pick[sel] = rng.choice(choices, sel.sum())
        parts.append(
            pd.DataFrame(
                {
                    "m": np.repeat(np.arange(len(months)), n),
                    "group": group,
                    "flag": flag,
                    "premises": prem,
                    "pt": pick,
                    "hour": rng.choice(24, k, p=hours / hours.sum()),
                    "template": rng.choice(np.array(texts, dtype=object), k),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    starts = pd.to_datetime(pd.Series(months)[rows["m"]].to_numpy(), format="%Y-%m")
    when = (
        starts
        + pd.to_timedelta(np.floor(rng.random(len(rows)) * starts.days_in_month), unit="D")
        + pd.to_timedelta(rows["hour"], unit="h")
        + pd.to_timedelta(rng.integers(0, 60, len(rows)), unit="min")
    )
    rows["when"] = when
    rows = rows.sort_values(["when", "group"], ignore_index=True)

    pts = pool.iloc[rows["pt"]].reset_index(drop=True)
    # Exact positions (force systems are not snapped): jitter ~80 m, kept inside the ward.
    lon = pts["lon"].to_numpy() + rng.normal(0, 0.08 * KM_LON, len(rows))
    lat = pts["lat"].to_numpy() + rng.normal(0, 0.08 * KM_LAT, len(rows))
    ok = shapely.contains_xy(wards.geometry.to_numpy()[pts["ward"]], lon, lat)
    lon, lat = np.where(ok, lon, pts["lon"]), np.where(ok, lat, pts["lat"])
    place = pts["place"]
    spot = pts["text"].str.removeprefix("On or near ")
    is_farm = pts["kind"].to_numpy() == KINDS.index("farm")
    premises = rows["premises"]
    lead = np.select(
        [is_farm, premises == "Woodland", premises == "Dwelling"],
        [spot, "Woodland off " + spot, spot],
        "Field off " + spot,
    )
    year = rows["when"].dt.year
    seq = rows.groupby(year).cumcount().to_numpy() * 7 + 100 + rng.integers(0, 7, len(rows))
    return pd.DataFrame(
        {
            "Occurrence Reference": "NP-"
            + (year % 100).map("{:02d}".format)
            + "-"
            + pd.Series(seq).map("{:06d}".format),
            "Date Committed": rows["when"].dt.strftime("%d/%m/%Y %H:%M"),
            "Offence Group": rows["group"],
            "Longitude": np.round(lon, 6),
            "Latitude": np.round(lat, 6),
            "Location Description": pd.Series(lead, dtype=object) + ", " + place,
            "LSOA Code": geo.lsoas["code"].to_numpy()[pts["lsoa"]],
            "LSOA Name": geo.lsoas["name"].to_numpy()[pts["lsoa"]],
            "Premises Type": premises,
            "Wildlife Flag": rows["flag"],
            "Description": [t.format(place=p) for t, p in zip(rows["template"], place)],  # a few hundred rows
            "Outcome": rng.choice(list(EXPORT_OUTCOMES), len(rows), p=list(EXPORT_OUTCOMES.values())),
        }
    )[list(FORCE_EXPORT_COLUMNS)]


def _written_before(data_dir: Path) -> set[Path]:
    """Files a previous demo wrote here; raise if the directory holds data the demo did not write."""
    marker = data_dir / "demo.json"
    previous: set[Path] = set()
    if marker.exists():
        try:
            previous = {(data_dir / f).resolve() for f in json.loads(marker.read_text("utf-8")).get("files", [])}
        except (json.JSONDecodeError, AttributeError):
            previous = set()
    for sub in ("police_uk", "force_export", "boundaries", "ruc"):
        for path in (data_dir / sub).rglob("*") if (data_dir / sub).is_dir() else ():
            if path.is_file() and path.resolve() not in previous:
                raise FileExistsError(
                    f"{data_dir} already holds data that is not demo data ({path}); "
                    "write the demo to an empty or demo-only directory."
                )
    return previous


def _write_marker(root: Path, seed: int, years: int, months: list[str], files: list[Path]) -> Path:
    """``demo.json``: tells the UI the data is a demo, and the next run which files it may replace."""
    base = root.resolve()
    rel = sorted({p.relative_to(base).as_posix() for p in map(Path.resolve, map(Path, files)) if base in p.parents})
    marker = root / "demo.json"
    marker.write_text(
        json.dumps(
            {
                "demo": True,
                "seed": seed,
                "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "months": months,
                "years": years,
                "end_month": months[-1],
                "files": rel,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return marker


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.6f", na_rep="", encoding="utf-8")
    return path


def write_demo(
    data_dir: str | os.PathLike, *, seed: int = 2026, years: int = 3, end_month: str | None = None
) -> DemoSummary:
    """Write the embedded demo data set into ``data_dir`` in the formats the real pipeline reads.

    Parameters
    ----------
    data_dir : path-like
        Created if missing. Must hold no data other than an earlier demo's (checked against the
        ``files`` list in its ``demo.json``); an earlier demo's files are replaced.
    seed : int, default 2026
        Seeds the incidents. Same seed and ``end_month`` give byte-identical files (except the
        ``generated`` stamp in ``demo.json``).
    years : int, default 3
        Number of twelve-month years of police.uk data, ending at ``end_month``.
    end_month : str, optional
        Last month, ``"YYYY-MM"``. Default: :func:`default_end_month` (two months before today).

    Returns
    -------
    DemoSummary

    Raises
    ------
    ValueError
        ``end_month`` is not ``YYYY-MM`` or ``years`` is not a positive integer.
    FileExistsError
        ``data_dir`` already holds non-demo data.

    Notes
    -----
    Files written (relative to ``data_dir``):

    - ``police_uk/YYYY-MM/YYYY-MM-northamptonshire-street.csv``: police.uk street-level CSVs.
    - ``force_export/YYYY-wildlife-export.csv``: one per calendar year, the
      ``[formats.force_export]`` layout of the definition file.
    - ``boundaries/wards/demo_wards.geojson``: ward polygons (``WD13CD``, ``WD13NM``, ``LAD13NM``,
      ``RUC11CD``, ``RUC11``, ``demo``); codes ``E059xxxxx`` cannot collide with real wards.
    - ``ruc/demo_ruc_2011.csv``: ONS-format LSOA lookup, codes ``E019xxxxx``.
    - ``demo.json``: ``{"demo": true, "seed", "generated", "months", "files", ...}``.
    """
    months = _month_list(end_month or default_end_month(), years)
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    previous = _written_before(root)
    # Mark the directory first, so a run that fails half-way still leaves it recognisably demo.
    planned = [root / "police_uk" / m / f"{m}-northamptonshire-street.csv" for m in months]
    planned += [root / "force_export" / f"{y}-wildlife-export.csv" for y in sorted({m[:4] for m in months})]
    planned += [root / "boundaries" / "wards" / "demo_wards.geojson", root / "ruc" / "demo_ruc_2011.csv"]
    _write_marker(root, seed, years, months, [*previous, *planned])
    geo = _build_geography()
    rng = np.random.default_rng([seed, 7])
    files: list[Path] = []

    incidents = _police_uk_frame(geo, months, rng)
    bounds = np.searchsorted(incidents["Month"].to_numpy(), months + ["9999-99"], side="left")
    for i, month in enumerate(months):
        rows = incidents.iloc[bounds[i] : bounds[i + 1]]
        files.append(_csv(rows, root / "police_uk" / month / f"{month}-northamptonshire-street.csv"))

    export = _force_export_frame(geo, months, rng)
    export_year = export["Date Committed"].str[6:10]
    for year in sorted(export_year.unique()):
        files.append(_csv(export[export_year == year], root / "force_export" / f"{year}-wildlife-export.csv"))

    wards = geo.wards
    null_ruc = wards["name"].isin(UNCLASSIFIED_WARDS)
    out = gpd.GeoDataFrame(
        {
            "WD13CD": wards["code"],
            "WD13NM": wards["name"],
            "LAD13NM": wards["district"],
            "RUC11CD": wards["ruc"].where(~null_ruc, None),
            "RUC11": wards["ruc"].map(RUC_NAMES).where(~null_ruc, None),
            "demo": True,
        },
        geometry=wards.geometry,
        crs="EPSG:4326",
    )
    geojson = root / "boundaries" / "wards" / "demo_wards.geojson"
    geojson.parent.mkdir(parents=True, exist_ok=True)
    geojson.unlink(missing_ok=True)  # the GeoJSON driver will not overwrite
    out.to_file(geojson, driver="GeoJSON")
    files.append(geojson)

    lookup = pd.DataFrame(
        {
            "LSOA11CD": geo.lsoas["code"],
            "LSOA11NM": geo.lsoas["name"],
            "RUC11CD": geo.lsoas["ruc"],
            "RUC11": geo.lsoas["ruc"].map(RUC_NAMES),
        }
    )
    files.append(_csv(lookup, root / "ruc" / "demo_ruc_2011.csv"))

    written = {f.resolve() for f in files}
    for stale in previous - written:  # an earlier demo's months that this one does not cover
        if stale.is_file() and root.resolve() in stale.parents:
            stale.unlink()
            if stale.parent.name[:4].isdigit() and not any(stale.parent.iterdir()):
                stale.parent.rmdir()
    files.append(_write_marker(root, seed, years, months, files))
    return DemoSummary(root, months, len(incidents), len(export), len(wards), files)
