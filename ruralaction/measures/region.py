"""A region of neighbouring forces: rural crime side by side, and crimes just across the border.

Rural crime crosses force borders (hare coursing and machinery-theft gangs travel), so a county
looks at its neighbours too. The ``[region]`` section of the definition file names the forces,
as police.uk's "Falls within" column names them, and how far across the border to look::

    [region]
    name = "Northamptonshire and its neighbours"
    border_distance_m = 3000
    [[region.forces]]
    name = "Leicestershire Police"
    districts = ["E07000131", "Harborough"]   # optional: LAD codes or names of its area

The county's own force (``[county] force``) is always the first force of the region. Without a
``[region]`` section the region is that force alone.

Which wards are a force's area: the wards of its listed districts when given; otherwise the
force that records most of the crimes located in a ward (police.uk places each crime in the
area of the force that recorded it, so this is the force area as the data draws it). A force's
area in km² is the area of its loaded ward boundaries; with none loaded for it, no rate is given.

Every function works on whole columns (pandas groupby, a geopandas spatial join); only small
tables leave this module. Each takes a classified frame or a
:class:`~ruralaction.measures.store_queries.StoreView` of the classified store: the counts are
then made in SQL (:mod:`ruralaction.measures.store_progress`), and the border test reads only the
neighbours' crimes inside the border zones' bounding box.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ruralaction.definition import DEFAULT_DEFINITION, WHAT, Definition
from ruralaction.faults import ConfigError
from ruralaction.geography.boundaries import BNG
from ruralaction.measures import store_progress as sp
from ruralaction.measures.store_queries import StoreView
from ruralaction.tomlschema import error_at, read_toml, validate

DEFAULT_BORDER_M = 3000.0
#: Degrees added around the border zones' bounding box before the exact test (a zone's edges bend
#: a little when reprojected from the grid to longitude and latitude).
_BOX_MARGIN_DEG = 0.01


class RegionConfigError(ConfigError):
    """The ``[region]`` section is wrong; the message names the file, line and setting."""


class _Force(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    districts: list[Annotated[str, Field(min_length=1)]] = []


class _Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=200)
    border_distance_m: float = Field(DEFAULT_BORDER_M, gt=0, le=50_000)
    forces: list[_Force] = []


@dataclass(frozen=True)
class Force:
    """One force of the region: its police.uk name and, optionally, the districts of its area."""

    name: str
    districts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    """The forces compared (the home force first) and the border distance in metres."""

    name: str
    home: str
    forces: tuple[Force, ...]
    border_distance_m: float = DEFAULT_BORDER_M

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.forces]

    @property
    def neighbours(self) -> list[str]:
        return [f.name for f in self.forces if f.name != self.home]


def load_region(definition: Definition) -> Region:
    """The region of ``definition``'s file (its ``[region]`` section), or its force alone.

    Raises
    ------
    RegionConfigError
        A setting of the wrong kind, or a force named twice; with the file, line and setting.
    """
    home = definition.force or definition.county
    p = Path(definition.path or os.environ.get("RURALACTION_DEFINITION") or DEFAULT_DEFINITION)
    try:
        raw, text = read_toml(p, WHAT)
        section = raw.get("region")
        if section is None:
            return Region(name=definition.county, home=home, forces=(Force(home),))
        if not isinstance(section, dict):
            raise error_at(p, WHAT, text, ("region",), "must be a table ([region])")
        cfg = validate(_Region, section, p, WHAT, text, prefix=("region",))
        names = [f.name for f in cfg.forces]
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice:
            raise error_at(p, WHAT, text, ("region", "forces"), f"names {twice!r} twice")
    except ConfigError as exc:
        raise RegionConfigError(str(exc), path=exc.path, line=exc.line, key=exc.key) from None
    forces = [Force(f.name, tuple(f.districts)) for f in cfg.forces]
    if home not in names:
        forces.insert(0, Force(home))
    else:
        forces.sort(key=lambda f: f.name != home)  # the home force first, the rest as written
    return Region(
        name=cfg.name or definition.county,
        home=home,
        forces=tuple(forces),
        border_distance_m=float(cfg.border_distance_m),
    )


def ward_forces(incidents: pd.DataFrame | StoreView, wards: gpd.GeoDataFrame | None, region: Region) -> pd.DataFrame:
    """Each loaded ward's force: ``ward_code, ward_name, force, force_basis, area_km2``.

    ``force_basis`` is ``"listed district"`` or ``"most crimes recorded"``; a ward whose
    district no force lists and in which no crime was recorded has no force (it is left out).
    """
    cols = ["ward_code", "ward_name", "force", "force_basis", "area_km2"]
    if wards is None or wards.empty:
        return pd.DataFrame(columns=cols)
    w = pd.DataFrame(
        {
            "ward_code": wards["ward_code"].to_numpy(),
            "ward_name": wards["ward_name"].to_numpy(),
            "area_km2": wards.geometry.to_crs(BNG).area.to_numpy() / 1e6,
        }
    )
    w["force"] = pd.Series(pd.NA, index=w.index, dtype="object")
    w["force_basis"] = pd.Series(pd.NA, index=w.index, dtype="object")
    if "district" in wards.columns:
        district = wards["district"].astype("string").str.strip().str.casefold().to_numpy()
        for f in region.forces:  # a handful of forces, each a vectorised match
            listed = {d.strip().casefold() for d in f.districts}
            if not listed:
                continue
            hit = pd.Series(district).isin(listed).to_numpy() & w["force"].isna().to_numpy()
            w.loc[hit, ["force", "force_basis"]] = [f.name, "listed district"]
    if isinstance(incidents, StoreView):
        counts = sp.ward_force_counts(incidents)
    else:
        recorded = incidents.loc[incidents["ward_code"].notna(), ["ward_code", "falls_within"]]
        counts = recorded.groupby(["ward_code", "falls_within"], observed=True).size().rename("n").reset_index()
    if len(counts):
        counts = counts.astype({"ward_code": object, "falls_within": object})
        # most crimes first; a tie goes to the force first by name
        top = counts.sort_values(["ward_code", "n", "falls_within"], ascending=[True, False, True])
        top = top.drop_duplicates("ward_code")
        most = w["ward_code"].map(top.set_index("ward_code")["falls_within"])
        fill = w["force"].isna() & most.notna()
        w.loc[fill, "force"] = most[fill]
        w.loc[fill, "force_basis"] = "most crimes recorded"
    return w[w["force"].notna()][cols].reset_index(drop=True)


def region_table(incidents: pd.DataFrame | StoreView, wards: gpd.GeoDataFrame | None, region: Region) -> pd.DataFrame:
    """One row per force of the region, in the region's order.

    Columns: ``force, months, crimes, rural_crimes, area_km2, rural_per_100km2_year, note``.
    ``months`` counts the months with data from that force; the rate is rural crimes a year per
    100 km² of its loaded ward area over those months, and is missing (with a ``note``) when
    the force has no data or no loaded boundaries.
    """
    grouped = _force_months(incidents, region).groupby("falls_within")
    crimes, rural, months = grouped["crimes"].sum(), grouped["rural_crimes"].sum(), grouped["month"].nunique()
    areas = ward_forces(incidents, wards, region).groupby("force")["area_km2"].sum()
    out = pd.DataFrame({"force": region.names})
    out["months"] = out["force"].map(months).fillna(0).astype(int)
    out["crimes"] = out["force"].map(crimes).fillna(0).astype(int)
    out["rural_crimes"] = out["force"].map(rural).fillna(0).astype(int)
    out["area_km2"] = out["force"].map(areas)
    years = out["months"] / 12
    rate = out["rural_crimes"] / years / out["area_km2"] * 100
    out["rural_per_100km2_year"] = rate.where((out["months"] > 0) & (out["area_km2"] > 0)).round(2)
    out["note"] = np.select(
        [out["months"] == 0, out["area_km2"].isna()],
        ["no files from this force are loaded", "no ward boundaries loaded for its area: no rate"],
        default="",
    )
    return out


def region_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`region_table` as text for a page or a slide: thousands separators, and "—" where a
    force has no data (not 0, which would read as no crime) or no rate."""
    none = table["months"] == 0

    def text(values: pd.Series, fmt: str, blank: pd.Series) -> pd.Series:
        shown = values.map(lambda v: "—" if pd.isna(v) else format(v, fmt))  # a handful of forces
        return shown.mask(blank, "—")

    return pd.DataFrame(
        {
            "Force": table["force"],
            "Months of data": table["months"].astype(str),
            "All crimes": text(table["crimes"], ",", none),
            "Rural crimes": text(table["rural_crimes"], ",", none),
            "Area (km²)": text(table["area_km2"], ",.0f", table["area_km2"].isna()),
            "Rural crimes a year per 100 km²": text(
                table["rural_per_100km2_year"], ",.1f", table["rural_per_100km2_year"].isna()
            ),
        }
    )


def region_notes(table: pd.DataFrame) -> dict[str, list[str]]:
    """The table's notes, each with the forces it applies to (for one line under the table)."""
    notes = {
        "No files loaded yet (add their police.uk street files on the Data page)": "no files",
        "No ward boundaries loaded for their area, so no rate": "no ward boundaries",
    }
    out = {}
    for words, key in notes.items():
        forces = table.loc[table["note"].str.startswith(key), "force"].tolist()
        if forces:
            out[words] = forces
    return out


def _force_months(incidents: pd.DataFrame | StoreView, region: Region) -> pd.DataFrame:
    """Crimes and rural crimes of the region's forces per force and month: ``falls_within, month,
    crimes, rural_crimes`` (a row with no month counts in ``crimes`` but has no month)."""
    if isinstance(incidents, StoreView):
        return sp.force_month_counts(incidents, region.names)
    df = incidents[incidents["falls_within"].isin(region.names)]
    out = (
        pd.DataFrame(
            {
                "falls_within": df["falls_within"].astype(object).to_numpy(),
                "month": df["month"].to_numpy(),
                "rural": df["is_rural_crime"].to_numpy(dtype=bool),
            }
        )
        .groupby(["falls_within", "month"], dropna=False)
        .agg(crimes=("rural", "size"), rural_crimes=("rural", "sum"))
        .reset_index()
    )
    return out.astype({"crimes": np.int64, "rural_crimes": np.int64})


def region_trend(incidents: pd.DataFrame | StoreView, region: Region) -> pd.DataFrame:
    """Rural crimes by force and month (``force, month, rural_crimes``), months with data only."""
    t = _force_months(incidents, region)
    out = t.loc[t["month"].notna(), ["falls_within", "month", "rural_crimes"]].rename(columns={"falls_within": "force"})
    out["rural_crimes"] = out["rural_crimes"].astype(int)
    return out.sort_values(["force", "month"]).reset_index(drop=True)


def border_crimes(incidents: pd.DataFrame | StoreView, wards: gpd.GeoDataFrame | None, region: Region) -> pd.DataFrame:
    """Crimes recorded by a neighbouring force within the border distance of each home ward.

    One row per (home ward, neighbouring force) with any such crime: ``ward_code, ward_name,
    neighbour, crimes, rural_category_crimes`` (crimes of a type the rural definition covers,
    wherever they are), sorted by ward then most crimes. Only the home force's wards are used,
    and only crimes with coordinates.
    """
    cols = ["ward_code", "ward_name", "neighbour", "crimes", "rural_category_crimes"]
    if wards is None or wards.empty or not region.neighbours:
        return pd.DataFrame(columns=cols)
    home = ward_forces(incidents, wards, region)
    home_codes = set(home.loc[home["force"] == region.home, "ward_code"])
    ours = wards[wards["ward_code"].isin(home_codes)]
    if ours.empty:
        return pd.DataFrame(columns=cols)
    zones = gpd.GeoDataFrame(
        {"ward_code": ours["ward_code"].to_numpy(), "ward_name": ours["ward_name"].to_numpy()},
        geometry=ours.geometry.to_crs(BNG).buffer(region.border_distance_m).to_numpy(),
        crs=BNG,
    )
    if isinstance(incidents, StoreView):  # only the candidates inside the zones' box leave the store
        west, south, east, north = zones.to_crs("EPSG:4326").total_bounds
        m = _BOX_MARGIN_DEG
        theirs = sp.neighbour_points(incidents, region.neighbours, (west - m, south - m, east + m, north + m))
    else:
        theirs = incidents[
            incidents["falls_within"].isin(region.neighbours)
            & incidents["longitude"].notna()
            & incidents["latitude"].notna()
        ]
        theirs = pd.DataFrame(
            {
                "falls_within": theirs["falls_within"].to_numpy(),
                "in_scope": theirs["rural_category"].notna().to_numpy(),
                "longitude": theirs["longitude"].to_numpy(),
                "latitude": theirs["latitude"].to_numpy(),
            }
        )
    if theirs.empty:
        return pd.DataFrame(columns=cols)
    points = gpd.GeoDataFrame(
        {
            "neighbour": theirs["falls_within"].astype(str).to_numpy(),
            "in_scope": theirs["in_scope"].to_numpy(dtype=bool),
        },
        geometry=gpd.points_from_xy(theirs["longitude"], theirs["latitude"], crs="EPSG:4326"),
    ).to_crs(BNG)
    hits = gpd.sjoin(points, zones, predicate="within", how="inner")
    if hits.empty:
        return pd.DataFrame(columns=cols)
    out = (
        hits.groupby(["ward_code", "ward_name", "neighbour"], observed=True)
        .agg(crimes=("in_scope", "size"), rural_category_crimes=("in_scope", "sum"))
        .reset_index()
    )
    out["rural_category_crimes"] = out["rural_category_crimes"].astype(int)
    return out.sort_values(["ward_name", "crimes"], ascending=[True, False]).reset_index(drop=True)[cols]


def trend_chart(trend: pd.DataFrame):
    """Rural crimes by month, one line per force (:func:`region_trend`'s frame)."""
    import plotly.express as px

    from ruralaction.measures import months

    fig = px.line(
        trend,
        x="month",
        y="rural_crimes",
        color="force",
        markers=True,
        labels={"month": "Month", "rural_crimes": "Rural crimes", "force": "Force"},
    )
    months.month_axis(fig, trend["month"])  # each point under its own month; gaps marked
    # the legend under the chart, so on a phone the lines keep the width
    fig.update_layout(legend={"title_text": "", "orientation": "h", "y": -0.25}, margin={"t": 10})
    return fig
