"""Files people download: CSV that is safe to open in a spreadsheet."""

from __future__ import annotations

import re

import pandas as pd

#: A cell a spreadsheet would run as a formula ("=HYPERLINK(…)", "+cmd|…", "@SUM(…)"), unless
#: it is simply a number such as "-0.91".
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Data in this app comes from files and forms anyone can fill in, so a download opened in
    Excel must not execute what someone typed (CSV injection). Numbers are left alone.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object):
            continue
        text = s.astype("str")
        risky = text.str.match(_FORMULA).fillna(False) & ~text.str.match(_NUMBER).fillna(False)
        if risky.any():
            out[col] = text.where(~risky, "'" + text)
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a BOM, so Excel reads accents right) of a spreadsheet-safe copy."""
    return spreadsheet_safe(df).to_csv(index=False).encode("utf-8-sig")
