"""The data store: the files the app reads, in two datasets — the generated demo and "our data".

Layout under the data directory (``RURALACTION_DATA_DIR``, default ``data/``)::

    ours/police_uk/<added-at>/…        police.uk CSVs and archives exactly as added (validated first)
    ours/force_export/<added-at>/…     force exports
    ours/boundaries/…, ours/ruc/…      ward / LSOA / parish boundaries and rural-urban lookups
    ours/postcodes/…, ours/places/…    an ONSPD/NSPL postcode extract; OS Open Names place names
    demo/…                             the same layout, written by ``ruralaction.incidents.demo``
    settings.json                      which dataset the dashboard shows ({"active": "ours"})

Raw files are the store: nothing is lost, and a changed definition reclassifies everything.
Every addition is validated by the real loader *before* anything is written, and written to a
temporary name then renamed, so a bad upload never touches the good data already there.
Files added later sort later, so a newer copy of a force-month replaces an older one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ruralaction.definition import Definition, load_definition
from ruralaction.geography.boundaries import (
    GeographyError,
    boundary_kind,
    read_boundaries,
    read_lookup,
)
from ruralaction.geography.gazetteer import is_open_names_file, read_open_names
from ruralaction.geography.population import PopulationError, find_population_files, is_population_file, read_population
from ruralaction.geography.postcodes import is_postcode_file, read_postcodes
from ruralaction.incidents.loader import LoadResult, load_incidents
from ruralaction.incidents.pipeline import (
    INCIDENT_DIRS,
    Classified,
    data_version,
    load_data_dir,
)
from ruralaction.incidents.sources import NOT_STREET_FILE, Input
from ruralaction.settings import data_dir

DATASETS = ("ours", "demo")
LABELS = {"ours": "Our data", "demo": "Demo data (generated, not real incidents)"}
BOUNDARY_EXTENSIONS = (".geojson", ".json", ".gpkg", ".zip")
LOOKUP_EXTENSIONS = (".csv",)


class StoreError(ValueError):
    """A request the store refuses; the message is one plain sentence."""


def safe_name(name: str) -> str:
    """A file name safe to write: the last path component, ``[A-Za-z0-9._-]`` only, ≤ 100 chars.

    Upload names come from the user's browser, so ``../../etc/passwd`` becomes ``etc_passwd``
    style names and can never leave the store's folder.
    """
    base = re.split(r"[\\/]", name.strip())[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or "upload"
    return base[-100:]


@dataclass
class AddResult:
    """What happened when files were added: the validation result and what was kept."""

    load: LoadResult
    saved: list[Path] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return bool(self.saved)


@dataclass(frozen=True)
class Store:
    """The data directory: two datasets and the setting that says which one is shown."""

    root: Path

    @classmethod
    def default(cls) -> Store:
        return cls(data_dir())

    # ----------------------------------------------------------------- datasets

    def path(self, dataset: str) -> Path:
        if dataset not in DATASETS:
            raise StoreError(f"There is no dataset called '{dataset}'; choose one of {', '.join(DATASETS)}.")
        return self.root / dataset

    def has_incidents(self, dataset: str) -> bool:
        """Whether the dataset holds any incident file."""
        base = self.path(dataset)
        return any(
            p.is_file() and p.suffix.lower() in (".csv", ".zip") and not NOT_STREET_FILE.search(p.name)
            for d in INCIDENT_DIRS
            if (base / d).is_dir()
            for p in (base / d).rglob("*")
        )

    def active(self) -> str:
        """The dataset the dashboard shows: the saved choice, else ours when it has data, else demo."""
        try:
            chosen = json.loads((self.root / "settings.json").read_text()).get("active")
        except (OSError, ValueError):
            chosen = None
        if chosen in DATASETS and (chosen == "demo" or self.has_incidents(chosen)):
            return chosen
        return "ours" if self.has_incidents("ours") else "demo"

    def set_active(self, dataset: str) -> None:
        """Choose the dataset every user sees (saved in ``settings.json``)."""
        self.path(dataset)  # validates the name
        if dataset == "ours" and not self.has_incidents("ours"):
            raise StoreError("There is no data of our own yet: add police.uk files first.")
        _atomic_write(self.root / "settings.json", json.dumps({"active": dataset}).encode())

    def version(self, dataset: str | None = None) -> str:
        """Fingerprint of a dataset's files: caches key on it, so new data shows without a restart."""
        return data_version(self.path(dataset or self.active()))

    def ensure_demo(self, **kwargs) -> bool:
        """Write the demo dataset if it is missing. Returns True when it wrote it."""
        if self.has_incidents("demo"):
            return False
        from ruralaction.incidents.demo import write_demo

        target = self.path("demo")
        tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=self.root if self.root.exists() else None))
        try:
            write_demo(tmp, **kwargs)
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True

    def load(self, dataset: str | None = None, definition: Definition | None = None) -> Classified:
        """Load and classify a dataset (default: the active one)."""
        return load_data_dir(self.path(dataset or self.active()), definition)

    # ----------------------------------------------------------------- adding data

    def add_incidents(
        self, inputs: list[Input], definition: Definition | None = None, dataset: str = "ours"
    ) -> AddResult:
        """Validate incident files and, if any row loads, keep the files that loaded rows.

        Inputs are paths (files, folders, zips) or ``(name, bytes)`` uploads. Files that cannot
        be read at all are reported and not kept; rejected rows are reported with reasons and
        stay inside their (kept) file, so nothing is lost and re-validation gives the same
        answer. Nothing is written when no row loads.
        """
        definition = definition or load_definition()
        result = load_incidents(inputs, definition)
        good_sources = {f.source for f in result.summary.files if f.format and f.rows_loaded + f.rows_replaced > 0}
        if not good_sources:
            return AddResult(result)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        saved: list[Path] = []
        for item in inputs:
            for target_rel, data in _files_to_keep(item, good_sources):
                fmt_dir = "force_export" if _is_force_export(result, target_rel) else "police_uk"
                dest = self.path(dataset) / fmt_dir / stamp / target_rel
                _atomic_write(dest, data)
                saved.append(dest)
        return AddResult(result, saved)

    def add_geography(
        self, name: str, data: bytes, definition: Definition | None = None, dataset: str = "ours"
    ) -> tuple[str, Path]:
        """Validate and keep a boundaries file (GeoJSON / GeoPackage / zipped Shapefile) or a
        rural-urban lookup CSV, an ONS LSOA population estimates CSV, an ONSPD/NSPL postcode
        extract or an OS Open Names CSV. Returns ``(kind, saved path)``; kind is ``"ward"``,
        ``"lsoa"``, ``"parish"``, ``"farm"``, ``"lsoa lookup"``, ``"ward lookup"``,
        ``"population"``, ``"postcode lookup"`` or ``"place names"``. Raises :class:`GeographyError`
        (one sentence naming the file) and writes nothing when the file is unusable."""
        definition = definition or load_definition()
        fname = safe_name(name)
        suffix = Path(fname).suffix.lower()
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / fname
            probe.write_bytes(data)
            if suffix in LOOKUP_EXTENSIONS and is_postcode_file(probe):
                read_postcodes(probe, fname)  # every row checked; a bad one refuses the file
                kind, folder = "postcode lookup", "postcodes"
            elif suffix in LOOKUP_EXTENSIONS and is_open_names_file(probe):
                read_open_names(probe, fname)
                kind, folder = "place names", "places"
            elif suffix in LOOKUP_EXTENSIONS and is_population_file(probe):
                try:
                    read_population(probe, fname)  # every row checked; a bad one refuses the file
                except PopulationError as exc:
                    raise GeographyError(str(exc)) from None
                kind, folder = "population", "population"
            elif suffix in LOOKUP_EXTENSIONS:
                kind, classes = read_lookup(probe, definition)
                if classes.empty:
                    raise GeographyError(f"{fname} has no rows with a recognised rural-urban class.")
                kind, folder = f"{kind} lookup", "ruc"
            elif suffix in BOUNDARY_EXTENSIONS:
                kind = boundary_kind(read_boundaries(probe, isolated=True, name=fname))
                if kind is None:
                    raise GeographyError(
                        f"{fname} has no ward, LSOA or parish code column (e.g. WD13CD, LSOA11CD, PAR23CD) "
                        "and is not a point layer."
                    )
                folder = "boundaries"
            else:
                raise GeographyError(
                    f"{fname} is not a boundaries file (GeoJSON, GeoPackage, zipped Shapefile) or a lookup CSV."
                )
        dest = self.path(dataset) / folder / fname
        _atomic_write(dest, data)
        return kind, dest

    def add_geography_folder(
        self, folder: str | os.PathLike, definition: Definition | None = None, dataset: str = "ours"
    ) -> list[tuple[str, Path]]:
        """Add every boundary file and lookup found in a folder laid out like ``shared/data``."""
        from ruralaction.geography.boundaries import find_geography_files

        found = find_geography_files(folder)
        added = []
        places = [
            p
            for p in sorted(Path(folder).rglob("*.csv"))
            if p not in found["lookups"] and (is_postcode_file(p) or is_open_names_file(p))
        ]
        for p in [*found["boundaries"], *found["lookups"], *find_population_files(folder), *places]:
            kind, dest = self.add_geography(p.name, p.read_bytes(), definition, dataset)
            added.append((kind, dest))
        return added


def _files_to_keep(item: Input, good_sources: set[str]) -> list[tuple[Path, bytes]]:
    """(relative destination, bytes) for each part of an input that loaded rows."""
    if isinstance(item, tuple):
        name, data = item
        keep = name in good_sources or any(s.startswith(f"{name}!") for s in good_sources)
        return [(Path(safe_name(name)), data)] if keep else []
    path = Path(item)
    if path.is_dir():
        return [
            (p.relative_to(path.parent), p.read_bytes())
            for p in sorted(path.rglob("*"))
            if p.is_file() and (str(p) in good_sources or any(s.startswith(f"{p}!") for s in good_sources))
        ]
    if str(path) in good_sources or any(s.startswith(f"{path}!") for s in good_sources):
        return [(Path(safe_name(path.name)), path.read_bytes())]
    return []


def _is_force_export(result: LoadResult, rel: Path) -> bool:
    return any(f.source.endswith(rel.name) and f.format and "police.uk" not in f.format for f in result.summary.files)


def _atomic_write(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
