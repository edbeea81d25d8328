"""Files people download: CSV that is safe to open in a spreadsheet.

The one writer for every CSV the app offers and every CSV the command line writes (pages call
:func:`csv_bytes`, commands :func:`write_csv`). Data in this app comes from files and forms anyone
can fill in, so a download opened in Excel or LibreOffice must not run what someone typed
(CSV injection) nor split one row into two:

- a text cell whose first character a spreadsheet reads as the start of a formula (``=``, ``+``,
  ``-``, ``@``, tab, carriage return) gets an apostrophe in front, and so does every line of a
  multi-line cell that starts that way (a spreadsheet or a careless parser may treat the text after
  a line break as a cell of its own); cells that are simply numbers ("-0.91") are left alone;
- carriage returns inside a cell become line feeds, and any cell holding a line feed is quoted,
  so a value can never start a new row (a bare CR is not quoted by Python's CSV writer but Excel
  reads it as the end of a row);
- column names get the same treatment (some tables take their columns from data).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

#: Where an apostrophe goes once carriage returns are line feeds: every line that a spreadsheet
#: would run as a formula ("=HYPERLINK(…)", "+cmd|…", "@SUM(…)", a leading tab).
_RISKY_LINE = re.compile(r"(?m)^(?=[=+\-@\t])")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_CR = re.compile(r"\r\n?")


def neutralise(value: str) -> str:
    """One text value as :func:`spreadsheet_safe` writes it (carriage returns → line feeds, an
    apostrophe before every line that starts like a formula, numbers untouched)."""
    text = _CR.sub("\n", value)
    if _NUMBER.match(text):
        return text
    return _RISKY_LINE.sub("'", text)


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object


_RISKY_FIRST = ["=", "+", "-", "@", "\t", "\r"]


def _safe_text(text: pd.Series) -> pd.Series:
    """Neutralised copies of the text cells that need it (vectorised: a first-character test and
    a line-break test pick the few candidates; only those go through :func:`neutralise`)."""
    candidates = text.str.slice(0, 1).isin(_RISKY_FIRST) | text.str.contains("[\r\n]", regex=True)
    picked = text[candidates.fillna(False).astype(bool)]
    fixed = picked.map(neutralise)
    return fixed[fixed != picked]


def _safe_column(s: pd.Series) -> pd.Series | None:
    """The column with risky text cells neutralised, or None when nothing needs to change."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # the categories only: few, whatever the rows
        cats = s.cat.categories
        if not (pd.api.types.is_string_dtype(cats) or cats.dtype == object):
            return None
        names = pd.Series(cats.astype("str"), index=range(len(cats)))
        changed = _safe_text(names)
        if changed.empty:
            return None
        new = names.copy()
        new.loc[changed.index] = changed
        if new.is_unique:
            return s.cat.rename_categories(list(new))
        return s.astype(object).map(lambda v: neutralise(v) if isinstance(v, str) else v)
    present = s.notna()
    if not present.any():
        return None
    values = s[present]
    if s.dtype == object:  # mixed columns: only real strings are text
        values = values[values.map(type).eq(str)]
    changed = _safe_text(values.astype("str"))
    if changed.empty:
        return None
    out = s.copy()
    out.loc[changed.index] = changed
    return out


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` that a spreadsheet opens as plain values (see the module's notes)."""
    out = df.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if not _is_text(s):
            continue
        safe = _safe_column(s)
        if safe is not None:
            out.isetitem(i, safe)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a BOM, so Excel reads accents right) of a spreadsheet-safe copy."""
    return spreadsheet_safe(df).to_csv(index=False).encode("utf-8-sig")


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write :func:`csv_bytes` of ``df`` to ``path`` (the command line's CSV outputs)."""
    path = Path(path)
    spreadsheet_safe(df).to_csv(path, index=False, encoding="utf-8-sig")
    return path
