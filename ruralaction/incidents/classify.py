"""Classify incidents against the county's rural-crime definition, keeping the reason.

    is_rural_crime = in-scope category AND in the county AND (at a farm OR in a rural ward)

Each step works on the distinct values of a column (crime types, location texts, snap points)
and broadcasts back to rows, so a million incidents classify in a fraction of a second.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ruralaction.definition import Definition, load_definition
from ruralaction.geography.boundaries import Geography, locate, near_points
from ruralaction.geography.parishes import assign_parishes
from ruralaction.incidents.schema import RURAL_CATEGORIES

#: ``rural_basis`` values for the area evidence, in the order the classifier tries them.
AREA_BASES = (
    "ward lookup",
    "ward boundaries",
    "ward (derived from LSOAs)",
    "configured",
    "LSOA lookup",
    "LSOA boundary",
    "unknown",
)


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


def _codes_of(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Integer position of each value in ``categories`` (-1 when missing), via distinct values."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    lookup = categories.get_indexer(values.cat.categories.astype(object))
    codes = values.cat.codes.to_numpy()
    return np.where(codes < 0, -1, lookup[np.maximum(codes, 0)] if len(lookup) else -1)


def rural_category(df: pd.DataFrame, definition: Definition) -> pd.Categorical:
    """The rural-crime category of each incident, or missing when out of scope.

    Wildlife crime (a force export's flag, or a wildlife keyword in the description or
    context) takes precedence over the crime-type mapping, because it is the more specific fact.
    """
    order = pd.Index(
        list(dict.fromkeys([*RURAL_CATEGORIES, *definition.categories.values(), definition.wildlife_category]))
    )
    type_to_cat = order.get_indexer(pd.Index(df["crime_type"].cat.categories).map(definition.categories.get))
    type_codes = df["crime_type"].cat.codes.to_numpy()
    codes = np.where(type_codes < 0, -1, type_to_cat[np.maximum(type_codes, 0)] if len(type_to_cat) else -1)
    wildlife = (
        df["wildlife_flag"].fillna(False).to_numpy(dtype=bool, copy=True)
        if "wildlife_flag" in df
        else np.zeros(len(df), bool)
    )
    if definition.wildlife_keywords:
        pattern = re.compile(rf"\b(?:{_words(definition.wildlife_keywords)})\b", re.IGNORECASE)
        for column in ("description", "context"):
            if column not in df or not df[column].notna().any():
                continue
            text = df[column]
            if isinstance(text.dtype, pd.CategoricalDtype):
                wildlife |= _broadcast(text, lambda s: s.str.contains(pattern), False).astype(bool)
            else:
                has = text.notna().to_numpy()
                wildlife[has] |= text[has].astype(str).str.contains(pattern).to_numpy(dtype=bool)
    codes = np.where(wildlife, order.get_loc(definition.wildlife_category), codes)
    return pd.Categorical.from_codes(codes, categories=order)


def farm_location_pattern(definition: Definition) -> re.Pattern:
    """Farm words as whole words, in a name that is not a street's.

    "On or near Manor Farm" matches; "Home Farm Close", "Farm Road" and "Barn Owl Close" do
    not, because a name ending in a street type (or with a street type right after the farm
    word) is a street named after a farm, not the farm.
    """
    streets = _words(definition.street_types)
    farm = _words(definition.farm_location_words)
    return re.compile(rf"^(?!.*\b(?:{streets})\W*$).*\b(?:{farm})\b(?!\s+(?:{streets})\b)", re.IGNORECASE)


FARM_BASES = (None, "premises type", "location text", "farm points")


def at_farm(
    df: pd.DataFrame, definition: Definition, geography: Geography | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each incident is at a farm, and which evidence said so.

    Returns ``(at_farm bool array, basis int8 array)``; basis indexes :data:`FARM_BASES`
    (0 none, 1 premises type, 2 location text, 3 farm points). A premises type, where the
    row has one, decides; otherwise the location text does.
    """
    n = len(df)
    basis = np.zeros(n, dtype=np.int8)
    has_premises = df["premises_type"].notna().to_numpy() if "premises_type" in df else np.zeros(n, bool)
    if has_premises.any():
        prem = re.compile(rf"\b(?:{_words(definition.farm_premises_words)})", re.IGNORECASE)
        basis[_broadcast(df["premises_type"], lambda s: s.str.contains(prem), False).astype(bool)] = 1
    loc = farm_location_pattern(definition)
    basis[_broadcast(df["location"], lambda s: s.str.contains(loc), False).astype(bool) & ~has_premises] = 2
    if geography is not None and geography.farms is not None:
        near = near_points(
            df["longitude"].to_numpy(), df["latitude"].to_numpy(), geography.farms, definition.farm_points_buffer_m
        )
        basis[near & (basis == 0)] = 3
    return basis > 0, basis


def classify(
    df: pd.DataFrame, geography: Geography | None = None, definition: Definition | None = None
) -> pd.DataFrame:
    """Add the classification columns to a loaded incident frame (returns a new frame).

    Added columns
    -------------
    rural_category : category
        burglary, theft from the person, vehicle crime, robbery, criminal damage, wildlife
        crime; missing when out of scope.
    at_farm : bool
    ward_code, ward_name : category
        The ward the point lies in; missing when unknown (no location, or outside every ward).
    parish_code, parish_name : category
        The parish the point lies in when parishes are loaded; ``parish_name`` is
        "Unparished area" inside the county but in no parish; both missing otherwise.
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
    n = len(df)
    lon, lat = df["longitude"].to_numpy(), df["latitude"].to_numpy()
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    category = rural_category(df, definition)
    farm, farm_basis = at_farm(df, definition, geography)

    # Every rural-urban class is an integer index into `classes`; every basis into AREA_BASES.
    wards, lsoas = geography.wards, geography.lsoas
    known = [geography.lsoa_classes.to_numpy(dtype=object)]
    known += [w["ruc_code"].dropna().to_numpy(dtype=object) for w in (wards, lsoas) if w is not None]
    classes = pd.Index(sorted(set(np.concatenate(known)) if known else set()), dtype=object)
    class_is_rural = classes.isin(list(definition.rural_classes))
    area_class = np.full(n, -1, dtype=np.int32)
    area_basis = np.full(n, AREA_BASES.index("unknown"), dtype=np.int8)

    # 1. The ward the point lies in, with the ward's own class.
    ward_idx = np.full(n, -1, dtype=np.int32)
    if wards is not None and len(wards):
        ward_idx = locate(lon, lat, wards.geometry)
        w_class = classes.get_indexer(wards["ruc_code"].astype(object))
        w_basis = np.array(
            [AREA_BASES.index(b) if b in AREA_BASES else -1 for b in wards["class_basis"]], dtype=np.int8
        )
        cls = np.where(ward_idx >= 0, w_class[np.maximum(ward_idx, 0)], -1)
        take = cls >= 0
        area_class[take] = cls[take]
        area_basis[take] = w_basis[ward_idx[take]]

    # 2. Else the LSOA's class by its code.
    if len(geography.lsoa_classes):
        per_code = classes.get_indexer(pd.Index(geography.lsoa_classes.to_numpy(dtype=object)))
        lsoa_row = _codes_of(df["lsoa_code"], pd.Index(geography.lsoa_classes.index))
        cls = np.where(lsoa_row >= 0, per_code[np.maximum(lsoa_row, 0)], -1)
        take = (area_class < 0) & (cls >= 0)
        area_class[take] = cls[take]
        area_basis[take] = AREA_BASES.index("LSOA lookup")

    # 3. Else the class of the 2011 LSOA polygon the point lies in.
    lsoa_idx = None
    if lsoas is not None and len(lsoas):
        need = has_xy if wards is None else (area_class < 0) & has_xy  # without wards, LSOAs also decide in_county
        lsoa_idx = np.full(n, -1, dtype=np.int32)
        if need.any():
            lsoa_idx[need] = locate(lon[need], lat[need], lsoas.geometry)
        l_class = classes.get_indexer(lsoas["ruc_code"].astype(object))
        cls = np.where(lsoa_idx >= 0, l_class[np.maximum(lsoa_idx, 0)], -1)
        take = (area_class < 0) & (cls >= 0)
        area_class[take] = cls[take]
        area_basis[take] = AREA_BASES.index("LSOA boundary")

    class_known = area_class >= 0
    rural = class_known & (class_is_rural[np.maximum(area_class, 0)] if len(classes) else False)

    # In the county: inside a ward (else an LSOA, else the bounding box); rows without a
    # location count when their LSOA code is one of the county's LSOAs.
    county = np.zeros(n, dtype=bool)
    if wards is not None and len(wards):
        county = ward_idx >= 0
    elif lsoa_idx is not None:
        county = lsoa_idx >= 0
    else:
        b = definition.bounds
        county = has_xy & (lon >= b["min_lon"]) & (lon <= b["max_lon"]) & (lat >= b["min_lat"]) & (lat <= b["max_lat"])
    county_unknown = ~has_xy
    if lsoas is not None and len(lsoas):
        own_lsoa = ~has_xy & (_codes_of(df["lsoa_code"], pd.Index(lsoas["lsoa_code"])) >= 0)
        county |= own_lsoa
        county_unknown &= ~own_lsoa

    cat_codes = category.codes
    in_scope = cat_codes >= 0
    is_rural = in_scope & county & (farm | rural)

    out = df.copy()
    out["rural_category"] = category
    out["at_farm"] = farm
    if wards is not None and len(wards):
        out["ward_code"] = pd.Categorical.from_codes(ward_idx, categories=pd.Index(wards["ward_code"]))
        names = pd.Index(wards["ward_name"]).unique()
        out["ward_name"] = pd.Categorical.from_codes(
            np.where(ward_idx >= 0, names.get_indexer(wards["ward_name"])[np.maximum(ward_idx, 0)], -1),
            categories=names,
        )
    else:
        out["ward_code"] = pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype=object))
        out["ward_name"] = out["ward_code"]
    out["parish_code"], out["parish_name"] = assign_parishes(lon, lat, geography.parishes, county & has_xy)
    in_rural_ward = pd.arrays.BooleanArray(rural, ~class_known)
    out["in_rural_ward"] = in_rural_ward
    out["rural_basis"] = _basis(farm_basis, area_basis)
    out["in_county"] = pd.arrays.BooleanArray(county, county_unknown)
    out["is_rural_crime"] = is_rural
    out["rural_reason"] = _reasons(out, in_scope, county, county_unknown, farm, rural, class_known, ward_idx)
    return out


def _basis(farm_basis: np.ndarray, area_basis: np.ndarray) -> pd.Categorical:
    """Combine farm and area evidence codes into one labelled category per combination."""
    labels = [("farm (" + f + "); " if f else "") + a for f in FARM_BASES for a in AREA_BASES]
    return pd.Categorical.from_codes(farm_basis.astype(np.int64) * len(AREA_BASES) + area_basis, categories=labels)


REASONS = ("out", "county?", "outside", "farm+rural", "farm", "rural", "urban", "unknown")


def _reasons(df: pd.DataFrame, in_scope, county, county_unknown, farm, rural, known, ward_idx) -> pd.Categorical:
    """Build ``rural_reason`` from the distinct combinations of its inputs, not per row.

    Each row gets a template and up to four integer codes (crime type, category, ward, LSOA
    name) that the template uses; the combinations are factorised and worded once each.
    """
    t = np.select(
        [~in_scope, county_unknown, ~county, farm & rural, farm, rural, known],
        [0, 1, 2, 3, 4, 5, 6],
        default=7,
    ).astype(np.int64)
    uses_place = (t == 3) | (t == 5)
    type_code = np.where(t == 0, df["crime_type"].cat.codes.to_numpy(), -1).astype(np.int64)
    cat_code = np.where((t >= 3) & (t <= 5), df["rural_category"].cat.codes, -1).astype(np.int64)
    ward = np.where(uses_place, ward_idx, -1).astype(np.int64)
    lsoa = np.where(uses_place & (ward < 0), df["lsoa_name"].cat.codes.to_numpy(), -1).astype(np.int64)
    dims = (
        len(REASONS),
        len(df["crime_type"].cat.categories) + 1,
        len(df["rural_category"].cat.categories) + 1,
        int(ward_idx.max(initial=-1)) + 2,
        len(df["lsoa_name"].cat.categories) + 1,
    )
    key = np.ravel_multi_index((t, type_code + 1, cat_code + 1, ward + 1, lsoa + 1), dims)
    codes, uniq = pd.factorize(key)
    crime_types, cats = df["crime_type"].cat.categories, df["rural_category"].cat.categories
    lsoa_names = df["lsoa_name"].cat.categories
    ward_names = df["ward_name"].cat.categories
    name_of_ward = np.full(dims[3], -1, dtype=np.int64)  # ward index -> ward name code
    located = ward_idx >= 0
    name_of_ward[ward_idx[located]] = df["ward_name"].cat.codes.to_numpy()[located]
    texts = []
    for _u, (tt, ty, ca, wa, ls) in zip(uniq, zip(*np.unravel_index(uniq, dims))):  # per combination, not per row
        cat = cats[ca - 1].capitalize() if ca else ""
        if wa:
            place = f"a rural ward ({ward_names[name_of_ward[wa - 1]]})"
        else:
            place = f"a rural area ({lsoa_names[ls - 1]}; ward unknown)" if ls else "a rural area (ward unknown)"
        texts.append(
            (
                f"Out of scope: {crime_types[ty - 1].lower() if ty else 'unknown type'}",
                "Location unknown, so not counted as the county's rural crime",
                "Outside the county",
                f"{cat} at a farm location in {place}",
                f"{cat} at a farm location",
                f"{cat} in {place}",
                "Urban ward, not at a farm",
                "Rural-urban class unknown, not at a farm",
            )[tt]
        )
    labels = pd.Index(texts)
    if labels.is_unique:
        return pd.Categorical.from_codes(codes, categories=labels)
    return pd.Categorical(np.asarray(texts, dtype=object)[codes])
