"""Can the loaded data be classified? What is missing, and where to get it.

Rural crime is decided by the rural-urban class of a crime's ward (or LSOA). Real police.uk files
alone carry no class: without ward boundaries and the ONS Rural-Urban Classification lookups
every crime's class is unknown, and the dashboard would show a county of zeros. These functions
say in plain words what is missing and where the official files are, so a page can explain an
empty result instead of showing 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ruralaction.geography.boundaries import Geography

#: The ONS Open Geography Portal: official ward and LSOA boundaries and lookups.
ONS_PORTAL = "https://geoportal.statistics.gov.uk"
#: The 2011 Rural-Urban Classification (LSOA and ward lookups) on the ONS site.
RUC_PAGE = (
    "https://www.ons.gov.uk/methodology/geography/geographicalproducts/ruralurbanclassifications/"
    "2011ruralurbanclassification"
)


@dataclass(frozen=True)
class Missing:
    """One thing the classification needs that is not loaded.

    Attributes
    ----------
    what : str
        Short name ("ward boundaries").
    sentence : str
        Why it matters and where to get it, in one or two plain sentences.
    """

    what: str
    sentence: str


WARD_BOUNDARIES = Missing(
    "ward boundaries",
    "No ward boundaries are loaded, so no crime can be placed in a ward (the county's definition "
    "counts crimes in its rural wards). Download the county's electoral ward boundaries (GeoJSON, "
    f"GeoPackage or zipped Shapefile) from the ONS Open Geography Portal ({ONS_PORTAL}) and add "
    "them on the Data page.",
)
RUC_LOOKUP = Missing(
    "rural-urban lookup",
    "No rural-urban lookup is loaded, so no ward or LSOA has a rural-urban class and no crime can "
    "count as in a rural ward. Add the ONS 2011 Rural-Urban Classification lookups (by LSOA: "
    "LSOA11CD, RUC11CD; and by ward) from the ONS Open Geography Portal "
    f"({ONS_PORTAL}; also {RUC_PAGE}) on the Data page.",
)
LSOA_BOUNDARIES = Missing(
    "LSOA boundaries",
    "Some wards are not in the ward lookup and no LSOA boundaries are loaded to derive their class "
    "from: add the 2011 Lower layer Super Output Area boundaries from the ONS Open Geography "
    f"Portal ({ONS_PORTAL}) on the Data page.",
)


def missing_geography(geo: Geography | None) -> list[Missing]:
    """What the rural-ward rule needs and the loaded geography lacks (empty when nothing is)."""
    if geo is None:
        return [WARD_BOUNDARIES, RUC_LOOKUP]
    wards = geo.wards
    out: list[Missing] = []
    if wards is None or not len(wards):
        out.append(WARD_BOUNDARIES)
    ward_classes = wards is not None and len(wards) and wards["ruc_code"].notna().any()
    lsoa_classes = len(geo.lsoa_classes) > 0 or (geo.lsoas is not None and geo.lsoas["ruc_code"].notna().any())
    if not ward_classes and not lsoa_classes:
        out.append(RUC_LOOKUP)
    elif wards is not None and len(wards) and wards["ruc_code"].isna().any() and geo.lsoas is None:
        out.append(LSOA_BOUNDARIES)
    return out


def unclassified_share(df: pd.DataFrame) -> float | None:
    """Share of the in-county, in-scope incidents whose area has no rural-urban class (None
    when there are none)."""
    in_scope = df["rural_category"].notna().to_numpy() & df["in_county"].astype("boolean").fillna(False).to_numpy(bool)
    n = int(in_scope.sum())
    if not n:
        return None
    return float(df["in_rural_ward"].isna().to_numpy()[in_scope].sum() / n)


def empty_result_words(df: pd.DataFrame, geo: Geography | None) -> str | None:
    """Why the rural-crime figures are empty or partial, in words, or None when they can stand.

    Said when the data cannot be classified (something listed by :func:`missing_geography`, or
    most in-scope incidents have no class): a 0 is then "not known", not "none", and any count
    holds only crimes at farms.
    """
    if df.empty:
        return None
    return words_for(geo, unclassified_share(df), bool(df["is_rural_crime"].any()))


def words_for(geo: Geography | None, share: float | None, any_rural: bool) -> str | None:
    """:func:`empty_result_words` from what it needs of the rows (the store asks them in SQL):
    the :func:`unclassified_share` and whether any row is a rural crime."""
    missing = missing_geography(geo)
    if not missing and (share is None or share < 0.5):
        return None
    if missing == [LSOA_BOUNDARIES] and not share:
        return None  # some wards have no class, but every in-scope crime is in one that has (the Data page lists it)
    unclassed = f"{share:.0%} of the in-scope crimes have no rural-urban class" if share else ""
    if any_rural and missing == [LSOA_BOUNDARIES] and share < 0.5:
        # most crimes are classed: those in wards with a class count in full, the rest only at a farm
        lead = f"Rural crime is counted in part: {unclassed}, so those count only at a farm."
    elif any_rural:
        lead = (
            "Rural crime can only be counted in part: "
            + (unclassed + ", so " if unclassed else "")
            + "only crimes at a farm count, not those in rural wards."
        )
    else:
        lead = (
            "No rural crime can be counted yet"
            + (": " + unclassed if unclassed else "")
            + ". This is not a county without rural crime."
        )
    return " ".join([lead, *(m.sentence for m in missing)])
