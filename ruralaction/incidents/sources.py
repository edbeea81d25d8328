"""Finding input files: single CSVs, folders, the police.uk bulk-archive layout and .zip archives.

Every input becomes a list of :class:`Source` objects (a display name and a way to read its
bytes), in the order their data should be applied: later sources replace earlier copies of the
same force-month.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

#: police.uk archives also hold outcomes and stop-and-search files; they are not incidents.
NOT_STREET_FILE = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)
ZIP_MAGIC = b"PK\x03\x04"
#: Limits that refuse zip bombs before anything is decompressed. A year of a whole country's
#: police.uk street files is ~1.5 GB uncompressed; CSV compresses ~10:1.
MAX_ZIP_TOTAL_BYTES = 6 * 1024**3
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_RATIO = 200

Input = str | os.PathLike | tuple[str, bytes]


@dataclass(frozen=True)
class Source:
    """One CSV to read: ``name`` (shown to users, e.g. ``archive.zip!2024-01/…-street.csv``)."""

    name: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Skipped:
    """An input that was not read as incidents, and why (one plain sentence)."""

    name: str
    reason: str
    error: bool = True


def _zip_sources(name: str, data: bytes) -> tuple[list[Source], list[Skipped]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = sorted(i.filename for i in zf.infolist() if not i.is_dir())
    except (zipfile.BadZipFile, OSError, ValueError):
        return [], [Skipped(name, f"{name} is not a readable zip archive.")]
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 10 * 1024**2), default=0)
    if len(infos) > MAX_ZIP_MEMBERS or total > MAX_ZIP_TOTAL_BYTES or ratio > MAX_ZIP_RATIO:
        return [], [
            Skipped(
                name,
                f"{name} was refused: it would expand to {total / 1024**3:.1f} GB in {len(infos):,} files, "
                f"beyond the limits for a police.uk archive (a possible zip bomb).",
            )
        ]
    csvs = [m for m in members if m.lower().endswith(".csv") and not Path(m).name.startswith("._")]
    if not csvs:
        return [], [Skipped(name, f"{name} is a zip archive with no CSV files in it.")]
    sources, skipped = [], []
    for member in csvs:
        full = f"{name}!{member}"
        if NOT_STREET_FILE.search(member):
            skipped.append(
                Skipped(
                    full,
                    f"{full} is a police.uk outcomes or stop-and-search file, not street-level crimes.",
                    error=False,
                )
            )
            continue
        sources.append(Source(full, lambda m=member, z=zf: z.read(m)))
    return sources, skipped


def _folder_files(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in {".csv", ".zip"}),
        key=lambda p: p.relative_to(folder).as_posix(),
    )


def expand_inputs(inputs: Iterable[Input]) -> tuple[list[Source], list[Skipped]]:
    """Turn files, folders, zips and in-memory uploads into an ordered list of sources.

    Parameters
    ----------
    inputs : iterable
        Each item is a path (a ``.csv`` file, a ``.zip`` archive, or a folder searched
        recursively for both, in path order, so the ``YYYY-MM/`` archive layout is applied
        chronologically) or a ``(name, bytes)`` pair for an upload.

    Returns
    -------
    sources, skipped
        Skipped inputs carry a one-sentence reason; ``error`` is false for files that are simply
        not incident files (outcomes, stop-and-search).
    """
    sources: list[Source] = []
    skipped: list[Skipped] = []
    for item in inputs:
        if isinstance(item, tuple):
            name, data = item
            if data[:4] == ZIP_MAGIC or name.lower().endswith(".zip"):
                s, k = _zip_sources(name, data)
                sources += s
                skipped += k
            else:
                sources.append(Source(name, lambda d=data: d))
            continue
        path = Path(item)
        if path.is_dir():
            files = _folder_files(path)
            if not files:
                skipped.append(Skipped(str(path), f"{path} is a folder with no CSV or zip files in it."))
            s, k = expand_inputs(files)
            sources += s
            skipped += k
        elif not path.exists():
            skipped.append(Skipped(str(path), f"{path} does not exist."))
        elif path.suffix.lower() == ".zip" or _starts_with(path, ZIP_MAGIC):
            s, k = _zip_sources(str(path), path.read_bytes())
            sources += s
            skipped += k
        elif NOT_STREET_FILE.search(path.name):
            skipped.append(
                Skipped(
                    str(path),
                    f"{path} is a police.uk outcomes or stop-and-search file, not street-level crimes.",
                    error=False,
                )
            )
        else:
            sources.append(Source(str(path), path.read_bytes))
    return sources, skipped


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(magic)) == magic
    except OSError:
        return False
