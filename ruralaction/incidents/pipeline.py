"""Load + classify in one call, the data directory the app reads, and the output table."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ruralaction.definition import Definition, load_definition
from ruralaction.geography.boundaries import (
    Geography,
    build_geography,
    find_geography_files,
)
from ruralaction.incidents.classify import classify
from ruralaction.incidents.loader import LoadSummary, load_incidents
from ruralaction.incidents.schema import (
    CANONICAL_TO_POLICE_UK,
    CLASSIFICATION_COLUMNS,
    POLICE_UK_COLUMNS,
)
from ruralaction.incidents.sources import Input
from ruralaction.settings import data_dir

#: Sub-folders of the data directory that hold incident files.
INCIDENT_DIRS = ("police_uk", "force_export")
#: Sub-folders that hold boundaries and lookups (the layout of ``shared/data``).
GEOGRAPHY_DIRS = ("boundaries", "ruc", "population", "postcodes", "places")


@dataclass
class Classified:
    """The result of a load and classify: what every page and command works from."""

    incidents: pd.DataFrame
    rejected: pd.DataFrame
    summary: LoadSummary
    geography: Geography
    definition: Definition


def geography_from_folder(folder: str | os.PathLike, definition: Definition) -> Geography:
    """Build a :class:`Geography` from every boundary file and lookup found under ``folder``."""
    found = find_geography_files(folder)
    return build_geography(definition, found["boundaries"], found["lookups"])


def run(
    inputs: Iterable[Input],
    geography: Geography | None = None,
    definition: Definition | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Classified:
    """Load the inputs and classify every loaded row."""
    definition = definition or load_definition()
    geography = geography or Geography()
    loaded = load_incidents(inputs, definition, progress=progress)
    return Classified(
        incidents=classify(loaded.incidents, geography, definition),
        rejected=loaded.rejected,
        summary=loaded.summary,
        geography=geography,
        definition=definition,
    )


def _data_files(root: Path) -> list[Path]:
    dirs = [root / d for d in (*INCIDENT_DIRS, *GEOGRAPHY_DIRS)]
    return sorted(p for d in dirs if d.exists() for p in d.rglob("*") if p.is_file())


def data_version(root: str | os.PathLike | None = None) -> str:
    """A fingerprint of the data directory's files (paths, sizes, modification times).

    Caches key on it, so the app picks up new data without a restart.
    """
    root = Path(root or data_dir())
    h = hashlib.sha256()
    for p in _data_files(root):
        st = p.stat()
        h.update(f"{p.relative_to(root).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def geography_files(root: Path) -> dict[str, list]:
    """The boundary and lookup files in a data (or dataset) folder's geography folders:
    ``{"boundaries": [...], "lookups": [...]}``."""
    found: dict[str, list] = {"boundaries": [], "lookups": []}
    for d in GEOGRAPHY_DIRS:
        if (root / d).exists():
            f = find_geography_files(root / d)
            found["boundaries"] += f["boundaries"]
            found["lookups"] += f["lookups"]
    return found


def load_data_dir(root: str | os.PathLike | None = None, definition: Definition | None = None) -> Classified:
    """Load and classify everything in the data directory (incidents, boundaries, lookups)."""
    root = Path(root or data_dir())
    definition = definition or load_definition()
    geo_root_has_files = any((root / d).exists() for d in GEOGRAPHY_DIRS)
    geography = Geography()
    if geo_root_has_files:
        found = geography_files(root)
        geography = build_geography(definition, found["boundaries"], found["lookups"])
    inputs = [root / d for d in INCIDENT_DIRS if (root / d).exists()]
    return run(inputs, geography, definition)


def _month_labels(month: pd.Series) -> pd.Series:
    """``month.dt.strftime("%Y-%m")``, each distinct month formatted once (a million rows hold a few dozen)."""
    codes, months = pd.factorize(month)
    labels = pd.DatetimeIndex(months).strftime("%Y-%m").to_numpy(dtype=object)
    values = np.empty(len(codes), dtype=object)
    values[:] = None
    values[codes >= 0] = labels[codes[codes >= 0]]
    return pd.Series(values, index=month.index, dtype="str", name=month.name)


def output_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The classified rows as written by ``classify --out``: original police.uk columns, any
    force-export fields, the source file and line, then the classification columns."""
    out = pd.DataFrame({CANONICAL_TO_POLICE_UK[c]: df[c] for c in CANONICAL_TO_POLICE_UK})
    out["Month"] = _month_labels(df["month"])
    extras = {
        "occurred_at": "Occurred at",
        "premises_type": "Premises type",
        "description": "Description",
        "wildlife_flag": "Wildlife flag",
    }
    for c, label in extras.items():
        if df[c].notna().any():
            out[label] = df[c]
    out["source_file"] = df["source_file"]
    out["line"] = df["line"]
    for c in CLASSIFICATION_COLUMNS:
        out[c] = df[c]
    if "parish_name" in df and df["parish_name"].notna().any():  # only when parishes are loaded
        out["parish_code"], out["parish_name"] = df["parish_code"], df["parish_name"]
    return out[[*POLICE_UK_COLUMNS, *[c for c in out.columns if c not in POLICE_UK_COLUMNS]]]


def rural_counts(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Rural crimes by category and by reason (for summaries)."""
    rural = df[df["is_rural_crime"]]
    return {
        "by_category": rural["rural_category"].value_counts(sort=False),
        "by_reason": rural["rural_reason"].value_counts().loc[lambda s: s > 0],
        "by_basis": rural["rural_basis"].value_counts().loc[lambda s: s > 0],
    }
