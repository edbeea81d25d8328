"""The data store: the files the app reads, in two datasets — the generated demo and "our data".

Layout of one data version (``versions/<id>/`` under the data directory, see
:mod:`ruralaction.incidents.versions`; ``RURALACTION_DATA_DIR``, default ``data/``)::

    ours/police_uk/<added-at>/…        police.uk CSVs and archives exactly as added (validated first)
    ours/force_export/<added-at>/…     force exports
    ours/boundaries/…, ours/ruc/…      ward / LSOA / parish boundaries and rural-urban lookups
    ours/postcodes/…, ours/places/…    an ONSPD/NSPL postcode extract; OS Open Names place names
    demo/…                             the same layout, written by ``ruralaction.incidents.demo``
    settings.json                      which dataset the dashboard shows ({"active": "ours"})

Raw files are the store: nothing is lost, and a changed definition reclassifies everything.
Every addition is validated by the real loader *before* anything is written. Every write (an
upload of any number of files, geography, the dataset switch, deleting an upload, the demo
build, a fetch) needs :attr:`~ruralaction.permissions.Permission.MANAGE_DATA` (admins), makes a
new data version in one atomic step, is written to the audit log, and can be undone.
Files added later sort later, so a newer copy of a force-month replaces an older one.

The store cannot reach the accounts database (it sits below it), so it trusts the role of the
:class:`~ruralaction.permissions.Actor` it is given: callers pass the actor as the database knows
it now (``dashboard.actions.actor()``, ``ruralaction.actions.principal``), or a system actor for
the command line and the first-start demo.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

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
from ruralaction.incidents import accounting, columnar
from ruralaction.incidents.loader import LoadResult, load_incidents
from ruralaction.incidents.pipeline import (
    GEOGRAPHY_DIRS,
    INCIDENT_DIRS,
    Classified,
    data_version,
    load_data_dir,
)
from ruralaction.incidents.sources import NOT_STREET_FILE, Input
from ruralaction.incidents.versions import Change, Version, VersionError, Versions, write_atomic
from ruralaction.permissions import Actor, Permission, require
from ruralaction.settings import data_dir

DATASETS = ("ours", "demo")
LABELS = {"ours": "Our data", "demo": "Demo data (generated, not real incidents)"}
BOUNDARY_EXTENSIONS = (".geojson", ".json", ".gpkg", ".zip")
LOOKUP_EXTENSIONS = (".csv",)


class StoreError(ValueError):
    """A request the store refuses; the message is one plain sentence."""


#: Folders of a dataset whose direct children are single uploads (a dated folder or a file).
UPLOAD_DIRS = (*INCIDENT_DIRS, *GEOGRAPHY_DIRS)


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
    #: ``(kind, saved path)`` of geography files kept with the incidents (``add_incidents(geography=…)``).
    geography: list[tuple[str, Path]] = field(default_factory=list)
    #: Force-months already loaded that these files replaced (:func:`accounting.replaced_months`).
    replaced: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Files that look implausible but were loaded (:func:`accounting.implausible_files`).
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the upload replaced and what looks odd, in words (file names only)."""
        return [*accounting.replaced_words(self.replaced), *self.warnings]

    @property
    def accepted(self) -> bool:
        return bool(self.saved)


@dataclass(frozen=True)
class Upload:
    """One thing added to a dataset, removable as a whole: a dated folder of incident files
    (``police_uk/20261202T…``), the API's months (``police_uk/0-api``) or a geography file."""

    dataset: str
    name: str  # relative to the dataset, e.g. "police_uk/20261202T064512123456Z"
    files: int
    bytes: int

    @property
    def kind(self) -> str:
        top = self.name.split("/", 1)[0]
        return {"police_uk": "police.uk files", "force_export": "force export", "ruc": "rural-urban lookup"}.get(
            top, top
        )


@dataclass(frozen=True)
class Store:
    """The data directory: two datasets and the setting that says which one is shown, in
    versions that change all at once (see :mod:`ruralaction.incidents.versions`)."""

    root: Path

    @classmethod
    def default(cls) -> Store:
        return cls(data_dir())

    @property
    def versions(self) -> Versions:
        return Versions(self.root)

    # ----------------------------------------------------------------- datasets

    def path(self, dataset: str) -> Path:
        """The dataset's folder in the current data version (read it; never write into it)."""
        if dataset not in DATASETS:
            raise StoreError(f"There is no dataset called '{dataset}'; choose one of {', '.join(DATASETS)}.")
        return self.versions.current_dir() / dataset

    def has_incidents(self, dataset: str) -> bool:
        """Whether the dataset holds any incident file (from the version's manifest when it
        says: no walk over the files on every rerun)."""
        path = self.path(dataset)
        try:
            known = self.versions.current().info.get("has_incidents", {})
        except (AttributeError, VersionError):
            known = {}
        return known[dataset] if dataset in known else _has_incidents(path)

    def active(self) -> str:
        """The dataset the dashboard shows: the saved choice, else ours when it has data, else demo."""
        try:
            chosen = json.loads((self.versions.current_dir() / "settings.json").read_text()).get("active")
        except (OSError, ValueError):
            chosen = None
        if chosen in DATASETS and (chosen == "demo" or self.has_incidents(chosen)):
            return chosen
        return "ours" if self.has_incidents("ours") else "demo"

    def version(self, dataset: str | None = None) -> str:
        """Fingerprint of a dataset's files: caches key on it, so new data shows without a restart.

        Once versioned it comes from the current version's manifest (two small reads, no walk
        over the files), so every app process can check it on every rerun.
        """
        dataset = dataset or self.active()
        if self.versions.current_id() is None:
            return data_version(self.path(dataset))
        return self.versions.fingerprint(dataset)

    def load(self, dataset: str | None = None, definition: Definition | None = None) -> Classified:
        """Load and classify a dataset (default: the active one) from its raw files."""
        return load_data_dir(self.path(dataset or self.active()), definition)

    def classified(self, dataset: str | None = None, definition: Definition | None = None) -> Classified:
        """The dataset from its classified store (nothing reclassified), or loaded and classified
        from the raw files when the current version has no store for it (see :meth:`reclassify`)."""
        dataset = dataset or self.active()
        definition = definition or load_definition()
        if self.classified_ready(dataset, definition):
            return columnar.read_classified(self.versions.current_dir(), dataset, definition)
        return self.load(dataset, definition)

    # ----------------------------------------------------------------- writing: the one way in

    @contextlib.contextmanager
    def change(self, actor: Actor, action: str, note: str = "") -> Iterator[Change]:
        """Stage a data change (admins only) and switch to it atomically when the block ends.

        Yields a :class:`~ruralaction.incidents.versions.Change`: a complete hard-linked copy of
        the current version in ``change.folder``. Write new files there (through a temporary
        name, never into an existing file); ``change.cancel()`` keeps nothing.
        """
        require(actor, Permission.MANAGE_DATA)
        with self.versions.change(actor, action, note) as ch:
            parent = self.versions.current_dir() if self.versions.current_id() else None
            yield ch
            if not ch.cancelled:  # classified in the staged version: it switches in with the files
                self._classify(ch.folder, parent, ch.definition, ch.loaded)
                ch.info["has_incidents"] = {d: _has_incidents(ch.folder / d) for d in DATASETS}

    def _classify(
        self, folder: Path, parent: Path | None, definition: Definition | None, loaded: tuple | None = None
    ) -> None:
        """Write the classified store of each dataset in a staged version (see :mod:`columnar`)."""
        definition = definition or load_definition()
        for dataset in DATASETS:
            if (folder / dataset).is_dir():
                mine = loaded[1:] if loaded is not None and loaded[0] == dataset else None
                columnar.build(folder, dataset, definition, previous=parent, loaded=mine)
            elif columnar.store_dir(folder, dataset).exists():
                shutil.rmtree(columnar.store_dir(folder, dataset))

    def classified_ready(self, dataset: str, definition: Definition | None = None) -> bool:
        """Whether the current version holds the classified store of this dataset's files."""
        if self.versions.current_id() is None:
            return False
        return columnar.is_current(self.versions.current_dir(), dataset, definition or load_definition())

    def reclassify(self, *, actor: Actor, definition: Definition | None = None) -> bool:
        """Classify the current data into a new version when its classified store is missing or
        was built from another definition (a data directory from before the store, a changed
        definition file). Returns True when it wrote a version."""
        definition = definition or load_definition()
        with self.change(actor, "classify the data", "the definition or the store changed") as ch:
            ch.definition = definition
            if all(columnar.is_current(ch.folder, d, definition) or not (ch.folder / d).is_dir() for d in DATASETS):
                ch.cancel()  # already classified (another process was first): no new version
        return not ch.cancelled

    def undo(self, actor: Actor) -> Version:
        """Undo the last data change: the version before it is shown again. The undone version's
        files are removed after the grace period (other app instances may still be reading them)."""
        require(actor, Permission.MANAGE_DATA)
        try:
            return self.versions.undo(actor)
        except VersionError as exc:
            raise StoreError(str(exc)) from None

    def use(self, ref: str, actor: Actor) -> Version:
        """Show an earlier data version again (recorded as a new version; nothing is lost)."""
        require(actor, Permission.MANAGE_DATA)
        try:
            return self.versions.use(ref, actor)
        except VersionError as exc:
            raise StoreError(str(exc)) from None

    def set_active(self, dataset: str, *, actor: Actor) -> None:
        """Choose the dataset every user sees (saved in the data version's ``settings.json``)."""
        require(actor, Permission.MANAGE_DATA)
        self.path(dataset)  # validates the name
        if dataset == "ours" and not self.has_incidents("ours"):
            raise StoreError("There is no data of our own yet: add police.uk files first.")
        with self.change(actor, f"show {LABELS[dataset].split(' (')[0].lower()}") as ch:
            write_atomic(ch.folder / "settings.json", json.dumps({"active": dataset}).encode())

    def ensure_demo(self, *, actor: Actor, **kwargs) -> bool:
        """Write the demo dataset if it is missing. Returns True when it wrote it."""
        require(actor, Permission.MANAGE_DATA)
        if self.has_incidents("demo"):
            return False
        self.build_demo(actor=actor, **kwargs)
        return True

    def build_demo(self, *, actor: Actor, **kwargs):
        """(Re)write the demo dataset as a new data version. Returns the demo's summary."""
        from ruralaction.incidents.demo import write_demo

        require(actor, Permission.MANAGE_DATA)
        with self.change(actor, "build the demo data") as ch:
            target = ch.folder / "demo"
            if target.exists():
                shutil.rmtree(target)  # hard links: the older versions keep their copy
            summary = write_demo(target, **kwargs)
        return summary

    def uploads(self, dataset: str = "ours") -> list[Upload]:
        """What was added to a dataset, one entry per removable upload, newest first."""
        base = self.path(dataset)
        out = []
        for d in UPLOAD_DIRS:
            folder = base / d
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                files = [p] if p.is_file() else [q for q in p.rglob("*") if q.is_file()]
                if files:
                    out.append(Upload(dataset, f"{d}/{p.name}", len(files), sum(f.stat().st_size for f in files)))
        return sorted(out, key=lambda u: u.name.rsplit("/", 1)[-1], reverse=True)

    def delete_upload(self, name: str, *, actor: Actor, dataset: str = "ours") -> None:
        """Remove one upload (see :meth:`uploads`) from the dataset, as a new data version."""
        require(actor, Permission.MANAGE_DATA)
        if name not in {u.name for u in self.uploads(dataset)}:
            raise StoreError(f"There is no upload '{name}' in {LABELS[dataset].lower()}.")
        with self.change(actor, "delete an upload", name) as ch:
            target = ch.folder / dataset / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()

    # ----------------------------------------------------------------- adding data

    def add_incidents(
        self,
        inputs: list[Input],
        definition: Definition | None = None,
        dataset: str = "ours",
        *,
        actor: Actor,
        geography: list[tuple[str, bytes]] | None = None,
    ) -> AddResult:
        """Validate incident files and, if any row loads, keep the files that loaded rows.

        Inputs are paths (files, folders, zips) or ``(name, bytes)`` uploads. Files that cannot
        be read at all are reported and not kept; rejected rows are reported with reasons and
        stay inside their (kept) file, so nothing is lost and re-validation gives the same
        answer. Nothing is written when no row loads; all the kept files arrive in one new data
        version (all or nothing). Admins only.

        ``geography`` (``(name, bytes)`` boundaries or lookups) is checked first (an unusable
        file raises :class:`GeographyError`) and kept in the same version as the incidents.
        """
        require(actor, Permission.MANAGE_DATA)
        self.path(dataset)
        definition = definition or load_definition()
        geo = [(self._check_geography(name, data, definition), data) for name, data in geography or []]
        result = load_incidents(inputs, definition)
        good_sources = {f.source for f in result.summary.files if f.format and f.rows_loaded + f.rows_replaced > 0}
        if not good_sources:
            return AddResult(result)
        before = columnar.read_manifest(columnar.store_dir(self.versions.current_dir(), dataset)) or {}
        replaced = accounting.replaced_months(result.incidents, before.get("partitions", {}), columnar.partition_key)
        warnings = accounting.implausible_files(result.incidents)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        kept: list[Path] = []
        with self.change(actor, "add incident files") as ch:
            ch.definition = definition
            for (_, folder, fname), data in geo:
                write_atomic(ch.folder / dataset / folder / fname, data)
            names: dict[str, str] = {}  # each input's source name -> its path in the dataset folder
            for item in inputs:
                for target_rel, data in _files_to_keep(item, good_sources):
                    fmt_dir = "force_export" if _is_force_export(result, target_rel) else "police_uk"
                    rel = Path(dataset) / fmt_dir / stamp / target_rel
                    write_atomic(ch.folder / rel, data)
                    kept.append(rel)
                    if isinstance(item, tuple) or not Path(item).is_dir():
                        names[item[0] if isinstance(item, tuple) else str(item)] = rel.relative_to(dataset).as_posix()
            sources = {f.source.split("!", 1)[0] for f in result.summary.files}
            if (
                sources == set(names)
                and len(names) == len(kept)
                and all(f.source in good_sources for f in result.summary.files)
            ):
                ch.loaded = (dataset, names, result)  # every file loaded rows and was kept: no second parse
            s = result.summary
            ch.note = f"{len(kept)} file{'s' if len(kept) != 1 else ''}, {s.rows_loaded:,} rows" + (
                f"; geography {', '.join(fname for (_, _, fname), _ in geo)}" if geo else ""
            )
        assert ch.version is not None
        final = self.root / "versions" / ch.version.id
        geo_saved = [(kind, final / dataset / folder / fname) for (kind, folder, fname), _ in geo]
        return AddResult(result, [final / rel for rel in kept], geo_saved, replaced, warnings)

    def _check_geography(self, name: str, data: bytes, definition: Definition) -> tuple[str, str, str]:
        """Validate one geography upload: ``(kind, folder, safe file name)`` or GeographyError.

        Kinds: ``"ward"``, ``"lsoa"``, ``"parish"``, ``"farm"``, ``"lsoa lookup"``, ``"ward lookup"``,
        ``"population"``, ``"postcode lookup"``, ``"place names"``."""
        fname = safe_name(name)
        suffix = Path(fname).suffix.lower()
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / fname
            probe.write_bytes(data)
            if suffix in LOOKUP_EXTENSIONS and is_postcode_file(probe):
                read_postcodes(probe, fname)  # every row checked; a bad one refuses the file
                return "postcode lookup", "postcodes", fname
            if suffix in LOOKUP_EXTENSIONS and is_open_names_file(probe):
                read_open_names(probe, fname)
                return "place names", "places", fname
            if suffix in LOOKUP_EXTENSIONS and is_population_file(probe):
                try:
                    read_population(probe, fname)  # every row checked; a bad one refuses the file
                except PopulationError as exc:
                    raise GeographyError(str(exc)) from None
                return "population", "population", fname
            if suffix in LOOKUP_EXTENSIONS:
                kind, classes = read_lookup(probe, definition)
                if classes.empty:
                    raise GeographyError(f"{fname} has no rows with a recognised rural-urban class.")
                return f"{kind} lookup", "ruc", fname
            if suffix in BOUNDARY_EXTENSIONS:
                kind = boundary_kind(read_boundaries(probe, isolated=True, name=fname))
                if kind is None:
                    raise GeographyError(
                        f"{fname} has no ward, LSOA or parish code column (e.g. WD13CD, LSOA11CD, PAR23CD) "
                        "and is not a point layer."
                    )
                return kind, "boundaries", fname
        raise GeographyError(
            f"{fname} is not a boundaries file (GeoJSON, GeoPackage, zipped Shapefile) or a lookup CSV."
        )

    def add_geography(
        self, name: str, data: bytes, definition: Definition | None = None, dataset: str = "ours", *, actor: Actor
    ) -> tuple[str, Path]:
        """Validate and keep a boundaries file (GeoJSON / GeoPackage / zipped Shapefile) or a
        rural-urban lookup CSV, an ONS LSOA population estimates CSV, an ONSPD/NSPL postcode
        extract or an OS Open Names CSV. Returns ``(kind, saved path)``; kind as
        :meth:`_check_geography` says. Raises :class:`GeographyError`
        (one sentence naming the file) and writes nothing when the file is unusable. Admins only."""
        return self.add_geography_files([(name, data)], definition, dataset, actor=actor)[0]

    def add_geography_files(
        self,
        files: list[tuple[str, bytes]],
        definition: Definition | None = None,
        dataset: str = "ours",
        *,
        actor: Actor,
    ) -> list[tuple[str, Path]]:
        """Validate several geography files and keep them all in one new data version, or none
        (the first unusable file raises :class:`GeographyError`). Admins only."""
        require(actor, Permission.MANAGE_DATA)
        self.path(dataset)
        definition = definition or load_definition()
        checked = [(self._check_geography(name, data, definition), data) for name, data in files]
        if not checked:
            return []
        names = ", ".join(fname for (_, _, fname), _ in checked)
        with self.change(actor, "add geography", names) as ch:
            ch.definition = definition
            rels = []
            for (kind, folder, fname), data in checked:
                rel = Path(dataset) / folder / fname
                write_atomic(ch.folder / rel, data)
                rels.append((kind, rel))
        assert ch.version is not None
        return [(kind, self.root / "versions" / ch.version.id / rel) for kind, rel in rels]

    def add_geography_folder(
        self, folder: str | os.PathLike, definition: Definition | None = None, dataset: str = "ours", *, actor: Actor
    ) -> list[tuple[str, Path]]:
        """Add every boundary file and lookup found in a folder laid out like ``shared/data``
        (one data version: all of them or none)."""
        require(actor, Permission.MANAGE_DATA)
        return self.add_geography_files(geography_folder_files(folder), definition, dataset, actor=actor)


def geography_folder_files(folder: str | os.PathLike) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of every boundary file, lookup, population, postcode and place-names file
    in a folder laid out like ``shared/data``."""
    from ruralaction.geography.boundaries import find_geography_files

    found = find_geography_files(folder)
    places = [
        p
        for p in sorted(Path(folder).rglob("*.csv"))
        if p not in found["lookups"] and (is_postcode_file(p) or is_open_names_file(p))
    ]
    paths = [*found["boundaries"], *found["lookups"], *find_population_files(folder), *places]
    names = [p.name for p in paths]
    # shared/data has wards_by_lad/E07000150.json and lsoa_by_lad/E07000150.json: a name that
    # repeats keeps its folder in front, so one file never replaces another of the same name
    return [(f"{p.parent.name}_{p.name}" if names.count(p.name) > 1 else p.name, p.read_bytes()) for p in paths]


def _has_incidents(base: Path) -> bool:
    return any(
        p.is_file() and p.suffix.lower() in (".csv", ".zip") and not NOT_STREET_FILE.search(p.name)
        for d in INCIDENT_DIRS
        if (base / d).is_dir()
        for p in (base / d).rglob("*")
    )


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
