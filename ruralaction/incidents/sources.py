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
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ruralaction.limits import UploadLimits, limits

#: police.uk archives also hold outcomes and stop-and-search files; they are not incidents.
NOT_STREET_FILE = re.compile(r"-(outcomes|stop-and-search)\.csv$", re.IGNORECASE)
ZIP_MAGIC = b"PK\x03\x04"
#: Members smaller than this are not held to the compression-ratio limit (a tiny file of
#: repeated text compresses very well and costs nothing).
RATIO_FLOOR_BYTES = 1024**2

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


class MemberRefused(ValueError):
    """A file inside an archive that is beyond the limits or damaged; one sentence naming it."""


def _bounded_member(zf: zipfile.ZipFile, member: str, full: str, lim: UploadLimits) -> bytes:
    """A member's bytes, counted while they are decompressed: never more than the per-member
    limit is held, whatever the archive's headers claim."""
    out, size = [], 0
    try:
        with zf.open(member) as fh:
            while chunk := fh.read(1 << 20):
                size += len(chunk)
                if size > lim.max_member_bytes:
                    raise MemberRefused(
                        f"{full} was refused: it expands beyond {lim.max_member_bytes // 1024**2:,} MB."
                    )
                out.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        if isinstance(exc, MemberRefused):
            raise
        raise MemberRefused(f"{full} could not be read from the archive: it is damaged ({exc}).") from None
    return b"".join(out)


def _zip_sources(name: str, data: bytes) -> tuple[list[Source], list[Skipped]]:
    lim = limits()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = sorted(i.filename for i in zf.infolist() if not i.is_dir())
    except (zipfile.BadZipFile, OSError, ValueError):
        return [], [Skipped(name, f"{name} is not a readable zip archive.")]
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    biggest = max((i.file_size for i in infos), default=0)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > RATIO_FLOOR_BYTES), default=0)
    why = ""
    if len(infos) > lim.max_members:
        why = f"it holds {len(infos):,} files, more than {lim.max_members:,}"
    elif total > lim.max_total_bytes or biggest > lim.max_member_bytes:
        why = (
            f"it would expand to {total / 1024**2:,.0f} MB (largest file {biggest / 1024**2:,.0f} MB), beyond "
            f"{lim.max_total_bytes // 1024**2:,} MB in all or {lim.max_member_bytes // 1024**2:,} MB a file"
        )
    elif ratio > lim.max_ratio:
        why = f"a file in it expands {ratio:,.0f} times, far more than CSV compresses (a possible zip bomb)"
    if why:
        return [], [Skipped(name, f"{name} was refused: {why}.")]
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
        sources.append(Source(full, lambda m=member, z=zf, f=full: _bounded_member(z, m, f, lim)))
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
            lim = limits()
            if len(data) > lim.max_bytes:
                skipped.append(Skipped(name, f"{name} was refused: it is larger than {lim.max_bytes // 1024**2:,} MB."))
                continue
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
