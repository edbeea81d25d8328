"""Load incident CSVs into one canonical, typed frame, keeping every rejected row with its reason.

The accounting always balances::

    rows read = rows loaded + rows rejected + rows replaced by a later copy of the same force-month

Parsing is done by Arrow's CSV reader (multi-threaded, dictionary-encoded), and every check runs
on the distinct values of a column (police.uk files repeat months, snap points and LSOAs
heavily), so no Python code runs per row.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ruralaction.definition import Definition, SourceFormat, load_definition
from ruralaction.incidents.schema import (
    CRIME_TYPES,
    INCIDENT_COLUMNS,
    POLICE_UK_COLUMNS,
    POLICE_UK_TO_CANONICAL,
)
from ruralaction.incidents.sources import Input, MemberRefused, Source, expand_inputs
from ruralaction.incidents.validate import empty_rejected, rejected_frame, validate_rows
from ruralaction.limits import UploadLimits, limits

POLICE_UK = SourceFormat(
    name="police_uk",
    label="police.uk street-level CSV",
    required=tuple(c for c in POLICE_UK_COLUMNS if c != "Context"),
    columns={v: k for k, v in POLICE_UK_TO_CANONICAL.items()},
)
_CATEGORICAL = (
    "reported_by", "falls_within", "location", "lsoa_code", "lsoa_name",
    "last_outcome", "context", "premises_type",
)  # fmt: skip


class FileFormatError(ValueError):
    """A file that cannot be read as incidents at all; the message is one plain sentence."""


@dataclass
class FileReport:
    """What happened to one input file."""

    source: str
    format: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_replaced: int = 0
    error: str | None = None
    note: str | None = None


@dataclass
class LoadSummary:
    """Row accounting for a load, per file and in total."""

    files: list[FileReport] = field(default_factory=list)
    replaced: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["source_format", "reported_by", "month", "replaced_file", "by_file", "rows"]
        )
    )

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_replaced(self) -> int:
        return sum(f.rows_replaced for f in self.files)

    @property
    def errors(self) -> list[str]:
        """One sentence per file that could not be read."""
        return [f.error for f in self.files if f.error]

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_rejected + self.rows_replaced

    def table(self) -> pd.DataFrame:
        """One row per input file: what it was read as and where each of its rows went."""
        return pd.DataFrame(
            {
                "file": [f.source for f in self.files],
                "read as": [f.format or "" for f in self.files],
                "rows read": [f.rows_read for f in self.files],
                "loaded": [f.rows_loaded for f in self.files],
                "rejected": [f.rows_rejected for f in self.files],
                "replaced": [f.rows_replaced for f in self.files],
                "problem": [f.error or f.note or "" for f in self.files],
            }
        )

    def lines(self) -> list[str]:
        """The summary as plain-English lines (for the CLI and the Data page)."""
        read_ok = [f for f in self.files if f.format]
        out = [
            f"Files: {len(read_ok)} read, {len(self.errors)} could not be read, "
            f"{sum(1 for f in self.files if f.note and not f.format and not f.error)} skipped.",
            f"Rows: {self.rows_read:,} read = {self.rows_loaded:,} loaded + {self.rows_rejected:,} rejected"
            f" + {self.rows_replaced:,} replaced by a later copy of the same force-month.",
        ]
        for r in self.replaced.itertuples(index=False):
            out.append(
                f"Replaced {r.rows:,} rows of {r.reported_by} {pd.Timestamp(r.month):%Y-%m} from {r.replaced_file} "
                f"with the later copy in {r.by_file}."
            )
        out += [f"Not read: {e}" for e in self.errors]
        return out


@dataclass
class LoadResult:
    """Loaded incidents (canonical columns), rejected rows, and the accounting."""

    incidents: pd.DataFrame
    rejected: pd.DataFrame
    summary: LoadSummary


# --------------------------------------------------------------------------- reading one file


#: A header line longer than this is not a header (police.uk's is 150 bytes).
MAX_HEADER_BYTES = 64 * 1024


def _split_header(data: bytes, name: str, lim: UploadLimits | None = None) -> list[str]:
    """The header fields of a CSV file's first line: linear in its length, and refused when it
    is longer than :data:`MAX_HEADER_BYTES` or has more than the column limit."""
    lim = lim or limits()
    end = data.find(b"\n", 0, MAX_HEADER_BYTES + 1)
    if end < 0 and len(data) > MAX_HEADER_BYTES:
        raise FileFormatError(
            f"{name} was refused: its first line is longer than {MAX_HEADER_BYTES // 1024} KB, too long for a CSV header."
        )
    first = data if end < 0 else data[:end]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError(f"{name} is not a police.uk CSV: its first line is not UTF-8 text.") from None
    try:
        fields = next(csv.reader([text.rstrip("\r")]), [])
    except csv.Error:
        raise FileFormatError(f"{name} is not a police.uk CSV: its first line is not a CSV header.") from None
    if len(fields) > lim.max_columns:
        raise FileFormatError(
            f"{name} was refused: its header has {len(fields):,} columns, more than the limit of {lim.max_columns:,}."
        )
    return [f.strip() for f in fields]


def detect_format(header: list[str], name: str, definition: Definition) -> SourceFormat:
    """Pick the input format whose required columns the header has, or explain what is missing."""
    present = set(header)
    for fmt in (POLICE_UK, *definition.formats):
        if set(fmt.required) <= present:
            return fmt
    missing = [c for c in POLICE_UK.required if c not in present]
    hint = ""
    if "Outcome type" in present:
        hint = " (it looks like a police.uk outcomes file)"
    elif "Object of search" in present or "Type" in present and "Legislation" in present:
        hint = " (it looks like a police.uk stop-and-search file)"
    shown = ", ".join(f"'{c}'" for c in missing[:4]) + (" and others" if len(missing) > 4 else "")
    return _raise(
        f"{name} is not a police.uk street-level CSV{hint}: it has no {shown} column{'s' if len(missing) > 1 else ''}."
    )


def _raise(message: str):
    raise FileFormatError(message)


def _valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow's vectorised validator (no copy)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    arr = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        arr.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _undecodable_lines(data: bytes, encoding: str) -> tuple[bytes, list[tuple[int, str]]]:
    """Blank out lines that are not valid text; return cleaned bytes and (line, raw) pairs.

    Only called when a file fails to decode, so a Python pass over its lines is acceptable.
    """
    lines = data.split(b"\n")
    bad = []
    for i, raw in enumerate(lines):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            bad.append((i + 1, raw.decode(encoding, errors="replace").rstrip("\r")))
            lines[i] = b""
    return b"\n".join(lines), bad


def _record_lines(data: bytes, n_records: int) -> np.ndarray:
    """Map CSV record numbers (1 = header, blank lines not counted) to physical line numbers."""
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if n_lines == n_records:  # no blank lines and no quoted newlines: records are lines
        return np.arange(1, n_records + 1, dtype=np.int64)
    # Rare: blank lines or newlines inside quoted fields. Walk the records once.
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    starts, prev = [], 0
    try:
        for rec in reader:
            if rec:
                starts.append(prev + 1)
            prev = reader.line_num
    except csv.Error:
        starts = []
    if len(starts) != n_records:  # the two parsers disagree on a malformed file: fall back
        return np.arange(1, n_records + 1, dtype=np.int64)
    return np.asarray(starts, dtype=np.int64)


def _parse(data: bytes, header: list[str], name: str) -> tuple[pd.DataFrame, list[tuple[int, str, str]], np.ndarray]:
    """Parse the body with Arrow. Returns (frame of strings, invalid (record, raw, why), lines)."""
    counts = Counter(header)  # linear: header.count() per column was quadratic in the columns
    names = [h if counts[h] == 1 else f"{h}.{i}" for i, h in enumerate(header)]
    types = {
        n: (pa.string() if n in ("Crime ID", "Description") else pa.dictionary(pa.int32(), pa.string())) for n in names
    }

    def run(threads: bool):
        invalid: list[tuple[int | None, str, str]] = []

        def handler(row):
            invalid.append((row.number, row.text, f"has {row.actual_columns} fields, expected {row.expected_columns}"))
            return "skip"

        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, use_threads=threads, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
        return table, invalid

    table, invalid = run(True)
    if invalid and any(n is None for n, _, _ in invalid):  # record numbers need a single-threaded pass
        table, invalid = run(False)
    n_records = 1 + table.num_rows + len(invalid)
    rec_to_line = _record_lines(data, n_records)
    bad_records = np.array([n for n, _, _ in invalid], dtype=np.int64)
    good_records = np.setdiff1d(np.arange(2, n_records + 1), bad_records, assume_unique=True)
    invalid_out = [(int(rec_to_line[n - 1]), text, why) for n, text, why in invalid]
    _check_field_lengths(table, name)
    frame = table.to_pandas()
    frame.columns = header if len(set(header)) == len(header) else names
    return frame, invalid_out, rec_to_line[good_records - 1]


def _check_field_lengths(table: pa.Table, name: str, lim: UploadLimits | None = None) -> None:
    """Refuse a file with a value longer than the field limit (vectorised, on Arrow's columns;
    a dictionary column checks its distinct values only)."""
    lim = lim or limits()
    for col_name, col in zip(table.column_names, table.columns):
        for chunk in col.chunks:
            values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            longest = pc.max(pc.utf8_length(values)).as_py() if len(values) else 0
            if (longest or 0) > lim.max_field_chars:
                raise FileFormatError(
                    f"{name} was refused: a value in its '{col_name[:40]}' column is longer than "
                    f"{lim.max_field_chars:,} characters."
                )


class RowLimitError(FileFormatError):
    """The files of one load hold more rows than the limit: nothing of the load is used."""


def read_source(
    source: Source, definition: Definition, lim: UploadLimits | None = None, rows_left: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, FileReport]:
    """Read one CSV. Returns (valid rows, rejected rows, report); raises FileFormatError.

    ``rows_left`` is what remains of the load's row limit: the file's lines are counted (a
    memchr pass) before it is parsed, so a load past the limit stops before holding more rows.
    """
    return _check_rows(_read_and_parse(source, definition, lim, rows_left), definition)


@dataclass
class _Parsed:
    """One file read and parsed (Arrow), its rows not yet checked."""

    name: str
    fmt: SourceFormat
    raw: pd.DataFrame
    lines: np.ndarray
    rejected_rows: list[tuple[int, str, str, str]]

    @property
    def rows_read(self) -> int:
        return len(self.raw) + len(self.rejected_rows)


def _read_and_parse(
    source: Source, definition: Definition, lim: UploadLimits | None = None, rows_left: int | None = None
) -> _Parsed:
    """:func:`read_source`'s first half: read, refuse, detect the format, decode and parse."""
    name = source.name
    lim = lim or limits()
    rows_left = lim.max_rows if rows_left is None else rows_left
    try:
        data = source.read()
    except OSError as exc:
        raise FileFormatError(f"{name} could not be read: {exc.strerror or exc}.") from None
    except MemberRefused as exc:
        raise FileFormatError(str(exc)) from None
    if len(data) > lim.max_member_bytes:
        raise FileFormatError(f"{name} was refused: it is larger than {lim.max_member_bytes // 1024**2:,} MB.")
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1  # memchr-fast; rows ≤ lines after the header
    if lines > rows_left:
        raise RowLimitError(
            f"{name} was refused: with it the files hold more than {lim.max_rows:,} rows, the limit for one load; "
            "nothing was loaded (split the files, or raise RURALACTION_UPLOAD_MAX_ROWS)."
        )
    if not data[:65536].strip() and not data.strip():
        raise FileFormatError(f"{name} is empty: a police.uk CSV needs a header line and rows.")
    if b"\x00" in data[:8192]:
        raise FileFormatError(f"{name} is not a CSV text file: it contains binary data.")
    header = _split_header(data, name, lim)
    fmt = detect_format(header, name, definition)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    rejected_rows: list[tuple[int, str, str, str]] = []
    if fmt.encoding.lower().replace("-", "") not in ("utf8", "utf8sig"):
        cleaned, bad = _undecodable_lines(data, fmt.encoding)
        data = cleaned.decode(fmt.encoding).encode("utf-8")
        rejected_rows += [(ln, "", f"line is not {fmt.encoding} text (undecodable bytes)", raw) for ln, raw in bad]
    elif not _valid_utf8(data):  # only a file that fails pays for finding the bad lines
        data, bad = _undecodable_lines(data, "utf-8")
        rejected_rows += [(ln, "", "line is not UTF-8 text (undecodable bytes)", raw) for ln, raw in bad]
    try:
        raw, invalid, lines = _parse(data, header, name)
    except pa.ArrowException as exc:
        raise FileFormatError(f"{name} could not be parsed as CSV: {str(exc).splitlines()[0]}.") from None
    rejected_rows += [(ln, "", f"wrong number of fields: {why}", text) for ln, text, why in invalid]
    return _Parsed(name, fmt, raw, lines, rejected_rows)


def _check_rows(parsed: _Parsed, definition: Definition) -> tuple[pd.DataFrame, pd.DataFrame, FileReport]:
    """:func:`read_source`'s second half: check every row, split the good from the rejected."""
    name, fmt, raw, lines, rejected_rows = parsed.name, parsed.fmt, parsed.raw, parsed.lines, parsed.rejected_rows
    frame, checks = validate_rows(raw, fmt, definition, name)
    bad_mask = np.zeros(len(frame), dtype=bool)
    for c in checks:
        bad_mask |= c.mask
    rejected = rejected_frame(name, raw, checks, bad_mask, lines, rejected_rows)
    good = frame.loc[~bad_mask].reset_index(drop=True) if bad_mask.any() else frame
    good["line"] = lines[~bad_mask].astype(np.int32)
    good["source_format"] = fmt.name
    good["source_file"] = name
    report = FileReport(
        source=name,
        format=fmt.label,
        rows_read=len(frame) + len(rejected_rows),
        rows_loaded=len(good),
        rows_rejected=len(rejected),
    )
    return good, rejected, report


# --------------------------------------------------------------------------- many files


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return empty_incidents()
    cats = [c for c in (*_CATEGORICAL, "source_format", "source_file") if c in frames[0].columns]
    frames = [
        f.astype({c: "category" for c in cats if not isinstance(f[c].dtype, pd.CategoricalDtype)}) for f in frames
    ]

    def as_str(col: pd.Series) -> pd.Series:  # all-missing columns have object-typed categories
        return (
            col
            if col.cat.categories.dtype == "str"
            else col.cat.set_categories(pd.Index(col.cat.categories.astype(str), dtype="str"))
        )

    merged = {c: pd.api.types.union_categoricals([as_str(f[c]) for f in frames], ignore_order=True) for c in cats}
    df = pd.concat([f.drop(columns=cats) for f in frames], ignore_index=True)
    for c in cats:
        df[c] = pd.Series(merged[c], index=df.index)
    df["crime_type"] = df["crime_type"].astype(pd.CategoricalDtype(list(CRIME_TYPES)))
    return df[list(INCIDENT_COLUMNS)]


def empty_incidents() -> pd.DataFrame:
    """A zero-row incident frame with the canonical columns and types."""
    df = pd.DataFrame(
        {
            "crime_id": pd.Series(dtype="str"),
            "month": pd.Series(dtype="datetime64[s]"),
            **{c: pd.Series(dtype="category") for c in ("reported_by", "falls_within")},
            "longitude": pd.Series(dtype="float64"),
            "latitude": pd.Series(dtype="float64"),
            **{c: pd.Series(dtype="category") for c in ("location", "lsoa_code", "lsoa_name")},
            "crime_type": pd.Series(dtype=pd.CategoricalDtype(list(CRIME_TYPES))),
            **{c: pd.Series(dtype="category") for c in ("last_outcome", "context")},
            "occurred_at": pd.Series(dtype="datetime64[s]"),
            "premises_type": pd.Series(dtype="category"),
            "description": pd.Series(dtype="str"),
            "wildlife_flag": pd.Series(dtype="boolean"),
            "source_format": pd.Series(dtype="category"),
            "source_file": pd.Series(dtype="category"),
            "line": pd.Series(dtype="int32"),
        }
    )
    return df[list(INCIDENT_COLUMNS)]


def _drop_replaced(
    df: pd.DataFrame, file_idx: np.ndarray, reports: list[FileReport]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep only the last copy of each (format, force, month); count the replaced rows per file."""
    if df.empty:
        return df, LoadSummary().replaced
    keys = pd.DataFrame(
        {
            "f": file_idx,
            "source_format": df["source_format"].cat.codes.to_numpy(),
            "reported_by": df["reported_by"].cat.codes.to_numpy(),
            "month": df["month"].to_numpy(),
        }
    )
    combos = (
        keys.groupby(["f", "source_format", "reported_by", "month"], sort=False).size().rename("rows").reset_index()
    )
    last = combos.groupby(["source_format", "reported_by", "month"], dropna=False)["f"].transform("max")
    old = combos[combos["f"] < last].copy()
    if old.empty:
        return df, LoadSummary().replaced
    old["by"] = last[combos["f"] < last].to_numpy()
    old_keys = pd.MultiIndex.from_frame(old[["f", "source_format", "reported_by", "month"]])
    row_keys = pd.MultiIndex.from_frame(keys)
    drop = row_keys.isin(old_keys)
    for f, rows in old.groupby("f")["rows"].sum().items():
        reports[f].rows_replaced += int(rows)
        reports[f].rows_loaded -= int(rows)
    fmt_cats, force_cats = df["source_format"].cat.categories, df["reported_by"].cat.categories
    replaced = pd.DataFrame(
        {
            "source_format": fmt_cats[old["source_format"].to_numpy()],
            "reported_by": [force_cats[c] if c >= 0 else "" for c in old["reported_by"]],
            "month": old["month"].to_numpy(),
            "replaced_file": [reports[f].source for f in old["f"]],
            "by_file": [reports[f].source for f in old["by"]],
            "rows": old["rows"].to_numpy(),
        }
    )
    return df.loc[~drop].reset_index(drop=True), replaced


def load_incidents(
    inputs: Iterable[Input],
    definition: Definition | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> LoadResult:
    """Load police.uk street-level CSVs (and force exports) from files, folders, zips or uploads.

    Parameters
    ----------
    inputs : iterable of path or (name, bytes)
        See :func:`ruralaction.incidents.sources.expand_inputs`. Order matters: a later copy of a
        force-month replaces an earlier one.
    definition : Definition, optional
        Supplies the column mappings of force exports; default the shipped definition.
    progress : callable, optional
        Called as ``progress(done, total, name)`` after each file.

    Returns
    -------
    LoadResult
        ``incidents`` with :data:`ruralaction.incidents.schema.INCIDENT_COLUMNS`; ``rejected`` with
        ``source_file, line, column, reason, raw``; ``summary`` with the row accounting.
        Never raises for bad input: unreadable files are reported in ``summary.errors``.
    """
    definition = definition or load_definition()
    sources, skipped = expand_inputs(inputs)
    reports: list[FileReport] = [
        FileReport(source=s.name, error=s.reason if s.error else None, note=s.reason) for s in skipped
    ]
    lim = limits()
    frames, rejected, file_ids, rows_so_far = [], [], [], 0
    # The next file is read and parsed (Arrow, mostly without the GIL) in a thread while this
    # one's rows are checked; files are still taken, counted and reported in order.
    pool = ThreadPoolExecutor(max_workers=1)

    def parse(i: int) -> Future:
        return pool.submit(_read_and_parse, sources[i], definition, lim, lim.max_rows - rows_so_far)

    ahead = parse(0) if sources else None
    try:
        for i, src in enumerate(sources):
            try:
                parsed = ahead.result()
            except RowLimitError as exc:  # all or nothing: past the limit, nothing of this load is used
                return LoadResult(
                    incidents=empty_incidents(),
                    rejected=empty_rejected(),
                    summary=LoadSummary(files=[FileReport(source=src.name, error=str(exc))]),
                )
            except FileFormatError as exc:
                ahead = parse(i + 1) if i + 1 < len(sources) else None
                reports.append(FileReport(source=src.name, error=str(exc)))
            else:
                rows_so_far += parsed.rows_read
                ahead = parse(i + 1) if i + 1 < len(sources) else None
                good, rej, report = _check_rows(parsed, definition)
                if len(good):  # one category (what _concat's astype would make, without hashing every row)
                    for c in ("source_format", "source_file"):
                        value = pd.Index([good[c].iloc[0]], dtype="str")
                        good[c] = pd.Categorical.from_codes(np.zeros(len(good), np.int8), categories=value)
                file_ids.append(np.full(len(good), len(reports), dtype=np.int32))
                reports.append(report)
                frames.append(good)
                if len(rej):
                    rejected.append(rej)
            if progress:
                progress(i + 1, len(sources), src.name)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    df = _concat(frames)
    df, replaced = _drop_replaced(df, np.concatenate(file_ids) if file_ids else np.array([], np.int32), reports)
    rej = pd.concat(rejected, ignore_index=True) if rejected else empty_rejected()
    return LoadResult(incidents=df, rejected=rej, summary=LoadSummary(files=reports, replaced=replaced))
