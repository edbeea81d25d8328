"""What an upload did to the data already there, in words: which force-months it replaced, and
files that look implausible (the same Crime ID used far more often than real files use it).

Real police.uk street files reuse a Crime ID only where one crime has several records: in the
nine Northamptonshire files under ``shared/data`` at most 4 rows share an ID, and a file has at
most 1.02 rows per distinct ID. A file far beyond that (every ID 36 times) is most likely the
same rows pasted again; it is loaded as given (the rows may be genuine) but said plainly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: A file with more rows per distinct Crime ID than this is said to be implausible.
MAX_ROWS_PER_ID = 1.5
#: ...and so is one in which any single Crime ID is used more often than this.
MAX_REPEATS = 10


def replaced_months(new: pd.DataFrame, existing: dict[str, dict], key) -> pd.DataFrame:
    """The force-months of ``new`` rows that replace ones already loaded.

    Parameters
    ----------
    new : DataFrame
        Loaded rows (``source_format, reported_by, month, source_file``).
    existing : dict
        The current classified store's partitions (``key -> {"source", "force", "month",
        "rows", ...}``, :mod:`ruralaction.incidents.columnar`).
    key : callable
        ``(format, force, month) -> partition key`` (``columnar._partition_key``).

    Returns
    -------
    DataFrame
        ``reported_by, month, rows_before, replaced_file, by_file``, one row per replaced month.
    """
    cols = ["reported_by", "month", "rows_before", "replaced_file", "by_file"]
    if new.empty or not existing:
        return pd.DataFrame(columns=cols)
    groups = new.groupby(["source_format", "reported_by", "month"], observed=True)["source_file"].last().reset_index()
    groups["key"] = [key(f, r, m) for f, r, m in zip(groups["source_format"], groups["reported_by"], groups["month"])]
    hit = groups[groups["key"].isin(existing)]
    return pd.DataFrame(
        {
            "reported_by": hit["reported_by"].astype(str).to_numpy(),
            "month": pd.to_datetime(hit["month"]).to_numpy(),
            "rows_before": [int(existing[k]["rows"]) for k in hit["key"]],
            "replaced_file": [Path(str(existing[k]["source"])).name for k in hit["key"]],
            "by_file": [Path(str(s)).name for s in hit["source_file"]],
        },
        columns=cols,
    )


def replaced_words(replaced: pd.DataFrame) -> list[str]:
    """One sentence per replaced force-month (file names only, never a server path)."""
    return [
        f"Replaced {r.reported_by} {pd.Timestamp(r.month):%B %Y} ({r.rows_before:,} rows from {r.replaced_file}) "
        f"with the copy in {r.by_file}."
        for r in replaced.itertuples(index=False)
    ]


def implausible_files(new: pd.DataFrame) -> list[str]:
    """A warning for each file whose Crime IDs repeat far beyond what real files show."""
    ids = new.loc[new["crime_id"].notna(), ["source_file", "crime_id"]]
    if ids.empty:
        return []
    # rows per (file, Crime ID) from integer codes: a string group-by over every row took ~0.4 s a month
    files, file_names = pd.factorize(ids["source_file"], sort=False)
    crime, crime_ids = pd.factorize(ids["crime_id"], sort=False)
    pairs, per_id = np.unique(files.astype(np.int64) * (len(crime_ids) + 1) + crime, return_counts=True)
    of_file = pd.Index(file_names)[pairs // (len(crime_ids) + 1)]
    by_file = pd.Series(per_id, index=of_file).groupby(level=0, sort=False).agg(["size", "sum", "max"])
    odd = by_file[(by_file["sum"] / by_file["size"] > MAX_ROWS_PER_ID) | (by_file["max"] > MAX_REPEATS)]
    return [
        f"{Path(str(f)).name}: its {int(row['sum']):,} rows use only {int(row['size']):,} Crime IDs "
        f"({row['sum'] / row['size']:.1f} rows per ID, one ID {int(row['max']):,} times); real police.uk files "
        "have about 1.02 rows per ID and no ID more than a few times. It was loaded as given: check it is not "
        "the same rows repeated."
        for f, row in odd.iterrows()
    ]
