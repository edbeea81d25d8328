"""Classify incidents against the county's rural-crime definition, keeping the reason.

    is_rural_crime = in-scope category AND in the county AND (at a farm OR in a rural ward)

Each step works on the distinct values of a column (crime types, location texts, snap points)
and broadcasts back to rows, so a million incidents classify in a fraction of a second.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .definition import Definition, load_definition
from .geography import Geography, locate, near_points
from .schema import RURAL_CATEGORIES

#: ``rural_basis`` values for the area evidence, in the order the classifier tries them.
AREA_BASES = ("ward lookup", "ward boundaries", "ward (derived from LSOAs)", "configured",
              "LSOA lookup", "LSOA boundary", "unknown")


def _words(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


def _broadcast(col: pd.Series, fn, fill) -> np.ndarray:
    """Apply ``fn`` to the distinct values of a categorical/str column; broadcast to rows."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("category")
    cats, codes = col.cat.categories, col.cat.codes.to_numpy()
    if len(cats) == 0:
        return np.full(len(codes), fill)
    vals = np.asarray(fn(pd.Series(cats.astype(str))))
    out = vals[np.maximum(codes, 0)]
    return np.where(codes < 0, fill, out)


def rural_category(df: pd.DataFrame, definition: Definition) -> pd.Categorical:
    """The rural-crime category of each incident, or missing when out of scope.

    Wildlife crime (a force export's flag, or a wildlife keyword in the description or
    context) takes precedence over the crime-type mapping, because it is the more specific fact.
    """
    mapping = {k: v for k, v in definition.categories.items()}
    cat = df["crime_type"].astype(object).map(mapping).to_numpy(dtype=object)
    wildlife = df["wildlife_flag"].fillna(False).to_numpy(dtype=bool, copy=True) if "wildlife_flag" in df else np.zeros(len(df), bool)
    if definition.wildlife_keywords:
        pattern = re.compile(rf"\b(?:{_words(definition.wildlife_keywords)})\b", re.IGNORECASE)
        for column in ("description", "context"):
            if column in df and df[column].notna().any():
                text = df[column]
                if isinstance(text.dtype, pd.CategoricalDtype):
                    wildlife |= _broadcast(text, lambda s: s.str.contains(pattern), False).astype(bool)
                else:
                    has = text.notna().to_numpy()
                    hit = np.zeros(len(df), dtype=bool)
                    hit[has] = text[has].astype(str).str.contains(pattern).to_numpy(dtype=bool)
                    wildlife |= hit
    cat = np.where(wildlife, definition.wildlife_category, cat)
    order = list(dict.fromkeys([*RURAL_CATEGORIES, *mapping.values(), definition.wildlife_category]))
    return pd.Categorical(cat, categories=order)


def farm_location_pattern(definition: Definition) -> re.Pattern:
    """Farm words as whole words, in a name that is not a street's.

    "On or near Manor Farm" matches; "Home Farm Close", "Farm Road" and "Barn Owl Close" do
    not, because a name ending in a street type (or with a street type right after the farm
    word) is a street named after a farm, not the farm.
    """
    streets = _words(definition.street_types)
    farm = _words(definition.farm_location_words)
    return re.compile(rf"^(?!.*\b(?:{streets})\W*$).*\b(?:{farm})\b(?!\s+(?:{streets})\b)", re.IGNORECASE)


def at_farm(df: pd.DataFrame, definition: Definition, geography: Geography | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whether each incident is at a farm, and which evidence said so.

    Returns ``(at_farm bool array, basis object array)`` where basis is ``"premises type"``,
    ``"location text"``, ``"farm points"`` or ``None``. A premises type, where the row has
    one, decides; otherwise the location text does.
    """
    n = len(df)
    basis = np.full(n, None, dtype=object)
    has_premises = df["premises_type"].notna().to_numpy() if "premises_type" in df else np.zeros(n, bool)
    prem = re.compile(rf"\b(?:{_words(definition.farm_premises_words)})", re.IGNORECASE)
    by_premises = _broadcast(df["premises_type"], lambda s: s.str.contains(prem), False).astype(bool) if has_premises.any() else np.zeros(n, bool)
    loc = farm_location_pattern(definition)
    by_location = _broadcast(df["location"], lambda s: s.str.contains(loc), False).astype(bool) & ~has_premises
    basis[by_location] = "location text"
    basis[by_premises] = "premises type"
    farm = by_premises | by_location
    if geography is not None and geography.farms is not None:
        near = near_points(df["longitude"].to_numpy(), df["latitude"].to_numpy(), geography.farms, definition.farm_points_buffer_m) & ~farm
        basis[near] = "farm points"
        farm |= near
    return farm, basis


def classify(df: pd.DataFrame, geography: Geography | None = None, definition: Definition | None = None) -> pd.DataFrame:
    """Add the classification columns to a loaded incident frame (returns a new frame).

    Added columns
    -------------
    rural_category : category
        burglary, theft from the person, vehicle crime, robbery, criminal damage, wildlife
        crime; missing when out of scope.
    at_farm : bool
    ward_code, ward_name : category
        The ward the point lies in; missing when unknown (no location, or outside every ward).
    in_rural_ward : boolean
        True/False, or missing when no evidence covers the row.
    rural_basis : category
        The evidence that decided: farm evidence and/or one of :data:`AREA_BASES`.
    in_county : boolean
        Inside the county's wards (or LSOAs, or bounding box when no boundaries are loaded);
        missing when the row has no location and its LSOA is not a known county LSOA.
    is_rural_crime : bool
    rural_reason : category
        In words, e.g. "Burglary in a rural ward (Brixworth)", "Out of scope: shoplifting".
    """
    definition = definition or load_definition()
    geography = geography or Geography()
    out = df.copy()
    n = len(df)
    lon, lat = df["longitude"].to_numpy(), df["latitude"].to_numpy()
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    rural_codes = definition.rural_classes

    category = rural_category(df, definition)
    farm, farm_basis = at_farm(df, definition, geography)

    # Ward (point in polygon) and the ward's own class.
    ward_idx = np.full(n, -1, dtype=np.int32)
    area_class = np.full(n, None, dtype=object)
    area_basis = np.full(n, "unknown", dtype=object)
    wards = geography.wards
    if wards is not None and len(wards):
        ward_idx = locate(lon, lat, wards.geometry)
        in_ward = ward_idx >= 0
        w_class = wards["ruc_code"].to_numpy(dtype=object)
        w_basis = wards["class_basis"].to_numpy(dtype=object)
        take = in_ward & pd.notna(w_class[np.maximum(ward_idx, 0)])
        area_class[take] = w_class[ward_idx[take]]
        area_basis[take] = w_basis[ward_idx[take]]

    # Else the LSOA's class by its code.
    lsoa_cls = _broadcast(df["lsoa_code"], lambda s: s.map(geography.lsoa_classes), None) if len(geography.lsoa_classes) else np.full(n, None, object)
    take = pd.isna(area_class) & pd.notna(lsoa_cls)
    area_class[take] = lsoa_cls[take]
    area_basis[take] = "LSOA lookup"

    # Else the class of the 2011 LSOA polygon the point lies in.
    lsoa_idx = None
    lsoas = geography.lsoas
    if lsoas is not None and len(lsoas):
        need = pd.isna(area_class) & has_xy
        if wards is None:
            need = has_xy  # LSOA polygons also decide in_county when there are no wards
        lsoa_idx = np.full(n, -1, dtype=np.int32)
        if need.any():
            lsoa_idx[need] = locate(lon[need], lat[need], lsoas.geometry)
        l_class = lsoas["ruc_code"].to_numpy(dtype=object)
        take = pd.isna(area_class) & (lsoa_idx >= 0)
        take &= pd.notna(l_class[np.maximum(lsoa_idx, 0)])
        area_class[take] = l_class[lsoa_idx[take]]
        area_basis[take] = "LSOA boundary"

    known = pd.notna(area_class)
    rural = np.isin(area_class.astype(str), list(rural_codes)) & known
    in_rural_ward = pd.array(np.where(known, rural, False), dtype="boolean")
    in_rural_ward[~known] = pd.NA

    # In the county?
    in_county = pd.array(np.full(n, pd.NA), dtype="boolean")
    if wards is not None and len(wards):
        in_county[has_xy] = ward_idx[has_xy] >= 0
    elif lsoa_idx is not None:
        in_county[has_xy] = lsoa_idx[has_xy] >= 0
    else:
        b = definition.bounds
        in_county[has_xy] = ((lon >= b["min_lon"]) & (lon <= b["max_lon"]) & (lat >= b["min_lat"]) & (lat <= b["max_lat"]))[has_xy]
    county_lsoas = set(lsoas["lsoa_code"]) if lsoas is not None else set()
    if county_lsoas:
        no_xy_known = ~has_xy & _broadcast(df["lsoa_code"], lambda s: s.isin(county_lsoas), False).astype(bool)
        in_county[no_xy_known] = True

    in_scope = ~pd.isna(np.asarray(category, dtype=object))
    county_true = in_county.fillna(False).to_numpy(dtype=bool)
    is_rural = in_scope & county_true & (farm | rural)

    out["rural_category"] = category
    out["at_farm"] = farm
    if wards is not None and len(wards):
        codes = pd.Categorical.from_codes(ward_idx, categories=pd.Index(wards["ward_code"]))
        names = pd.Categorical.from_codes(ward_idx, categories=pd.Index(wards["ward_name"]).unique()) if wards["ward_name"].is_unique \
            else pd.Categorical(np.where(ward_idx >= 0, wards["ward_name"].to_numpy(dtype=object)[np.maximum(ward_idx, 0)], None))
        out["ward_code"], out["ward_name"] = codes, names
    else:
        out["ward_code"] = pd.Categorical([None] * n, categories=[])
        out["ward_name"] = pd.Categorical([None] * n, categories=[])
    out["in_rural_ward"] = in_rural_ward
    out["rural_basis"] = _basis(farm_basis, area_basis)
    out["in_county"] = in_county
    out["is_rural_crime"] = is_rural
    out["rural_reason"] = _reasons(out, in_scope, county_true, np.asarray(in_county.isna()), farm, rural, known)
    return out


def _basis(farm_basis: np.ndarray, area_basis: np.ndarray) -> pd.Categorical:
    key = pd.Series(farm_basis).fillna("").astype(str) + "|" + pd.Series(area_basis).astype(str)
    codes, uniq = pd.factorize(key)
    labels = [("farm (" + f + "); " if f else "") + a for f, a in (u.split("|", 1) for u in uniq)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels).unique()) if pd.Index(labels).is_unique \
        else pd.Categorical(np.asarray(labels, dtype=object)[codes])


def _reasons(df: pd.DataFrame, in_scope, in_county, county_unknown, farm, rural, known) -> pd.Categorical:
    """Build ``rural_reason`` from the distinct combinations of its inputs (not per row)."""
    template = np.select(
        [~in_scope, county_unknown, ~in_county, farm & rural, farm, rural, known],
        ["out", "county?", "outside", "farm+rural", "farm", "rural", "urban"],
        default="unknown",
    )
    parts = pd.DataFrame({
        "t": template,
        "crime_type": df["crime_type"].astype(object).to_numpy(),
        "cat": np.asarray(df["rural_category"], dtype=object),
        "ward": df["ward_name"].astype(object).to_numpy(),
        "lsoa": df["lsoa_name"].astype(object).to_numpy(),
    })
    # Only the fields a template uses take part in its key, so the combinations stay few.
    parts.loc[parts["t"] != "out", "crime_type"] = None
    parts.loc[parts["t"].isin(["out", "county?", "outside", "urban", "unknown"]), ["cat"]] = None
    parts.loc[~parts["t"].isin(["farm+rural", "rural"]), ["ward", "lsoa"]] = None
    parts.loc[parts["ward"].notna(), "lsoa"] = None
    group = parts.groupby(list(parts.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = parts.drop_duplicates().reset_index(drop=True)
    texts = []
    for r in first.itertuples(index=False):  # one per distinct combination, not per row
        cat = str(r.cat).capitalize() if isinstance(r.cat, str) else ""
        place = f"a rural ward ({r.ward})" if isinstance(r.ward, str) else (
            f"a rural area ({r.lsoa}; ward unknown)" if isinstance(r.lsoa, str) else "a rural area (ward unknown)")
        texts.append({
            "out": f"Out of scope: {str(r.crime_type).lower() if isinstance(r.crime_type, str) else 'unknown type'}",
            "county?": "Location unknown, so not counted as the county's rural crime",
            "outside": "Outside the county",
            "farm+rural": f"{cat} at a farm location in {place}",
            "farm": f"{cat} at a farm location",
            "rural": f"{cat} in {place}",
            "urban": "Urban ward, not at a farm",
            "unknown": "Rural-urban class unknown, not at a farm",
        }[r.t])
    # ngroup numbers groups in order of first appearance when sort=False, matching drop_duplicates.
    cats = pd.Index(texts)
    if cats.is_unique:
        return pd.Categorical.from_codes(group, categories=cats)
    return pd.Categorical(np.asarray(texts, dtype=object)[group])
