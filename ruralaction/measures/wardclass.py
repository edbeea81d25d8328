"""A ward's rural-urban class and the evidence for it: one source for every page, table and pack.

The class comes from ``Geography.wards`` (``ruc_code`` and ``class_basis``, decided once by
:mod:`ruralaction.geography.boundaries`), which is also what classified each crime in the ward
(its ``rural_basis`` names the same evidence). The Local area header, the Map's ward table,
the summary downloads and the meeting pack all read it from :func:`ward_classes`, so none of
them can call a ward "unknown" while its crimes count as "in a rural ward".
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: ``Geography.wards.class_basis`` (and the ward part of a crime's ``rural_basis``) in words.
BASIS_WORDS: dict[str, str] = {
    "ward lookup": "2011 ward lookup",
    "ward boundaries": "class in the ward boundary file",
    "ward (derived from LSOAs)": "derived from its 2011 LSOAs by area",
    "configured": "set in the definition file",
}
#: What a ward without a class is called, and why.
UNKNOWN_BASIS = "no class: not in the ward lookup and no LSOA boundaries to derive one"


def basis_words(basis: object) -> str:
    """The basis of a ward's class in words ("2011 ward lookup", "derived from its 2011 LSOAs by area")."""
    if basis is None or (not isinstance(basis, str) and pd.isna(basis)):
        return UNKNOWN_BASIS
    return BASIS_WORDS.get(str(basis), str(basis))


def ward_classes(wards: pd.DataFrame | None, rural_classes: Sequence[str]) -> pd.DataFrame:
    """Each loaded ward's class, whether it counts as rural, and the basis in words.

    Parameters
    ----------
    wards : DataFrame or None
        ``Geography.wards`` (``ward_code``, ``ruc_code``, ``class_basis``).
    rural_classes : sequence of str
        ``Definition.rural_classes``.

    Returns
    -------
    DataFrame
        Index ``ward_code``; columns ``ruc_code`` (str or None), ``rural`` (object: True, False,
        or None when the class is unknown), ``rural_class`` ("Rural", "Urban" or "Unknown") and
        ``class_basis`` (words, :func:`basis_words`).
    """
    if wards is None or not len(wards):
        return pd.DataFrame(
            {"ruc_code": [], "rural": [], "rural_class": [], "class_basis": []},
            index=pd.Index([], name="ward_code", dtype=object),
        )
    ruc = wards["ruc_code"].astype(object).where(wards["ruc_code"].notna(), None).to_numpy()
    known = pd.notna(wards["ruc_code"]).to_numpy()
    is_rural = wards["ruc_code"].isin(list(rural_classes)).to_numpy()
    basis = wards["class_basis"] if "class_basis" in wards else pd.Series([None] * len(wards))
    out = pd.DataFrame(
        {
            "ruc_code": ruc,
            "rural": [bool(r) if k else None for r, k in zip(is_rural, known)],
            "rural_class": ["Rural" if r else "Urban" if k else "Unknown" for r, k in zip(is_rural, known)],
            "class_basis": [basis_words(b) if k else UNKNOWN_BASIS for b, k in zip(basis, known)],
        },
        index=pd.Index(wards["ward_code"].astype(str).to_numpy(), name="ward_code"),
    )
    return out[~out.index.duplicated(keep="last")]


def kind_words(rural: bool | None, basis: str | None = None, area: str = "ward") -> str:
    """ "rural ward (2011 ward lookup)", "urban ward (…)", or "ward of unknown rural-urban class"
    (``area="parish"``: the same words for a parish)."""
    if rural is None:
        return f"{area} of unknown rural-urban class"
    kind = f"rural {area}" if rural else f"urban {area}"
    return f"{kind} ({basis})" if basis else kind
