"""Write a large frame as CSV, byte for byte what ``DataFrame.to_csv(path, index=False)`` writes, fast.

pandas hands every cell to Python's ``csv`` writer as a Python object, about 25 s for the
million classified rows of ``python -m ruralaction classify``. Here each column becomes its
cells' text in Arrow instead (a categorical's few categories are rendered once and taken by
code; numbers are rendered by numpy's ``astype(str)``, as pandas does; text gets the ``csv``
module's minimal quoting, vectorised), the columns are joined row by row in Arrow and the
joined rows' buffer is written as it is. A frame with a column of another kind (dates, mixed
objects, non-text categories) or a single column is written by pandas itself, so the output
never differs. ``tests/test_cli.py`` holds the two byte-identical.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Rows rendered at a time (bounds the memory of the rendered text).
CHUNK_ROWS = 100_000
#: Chunks rendered ahead of the one being written (in as many threads).
AHEAD = 2


@functools.cache
def _quoted_characters(lineterminator: str) -> str:
    """The characters that make Python's ``csv`` writer (QUOTE_MINIMAL) quote a field (the
    answer differs between Python versions for a carriage return)."""
    probe = [",", '"', "\n", "\r"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator=lineterminator).writerow([f"a{c}b" for c in probe])
    cells = buf.getvalue()[: -len(lineterminator)]
    quoted = []
    for c in probe:
        text = f"a{c}b"
        if f'"{text.replace(chr(34), 2 * chr(34))}"' in cells:
            quoted.append(c)
    return "".join(quoted)


def _quote(text: pa.Array, pattern: str) -> pa.Array:
    """Text cells as the ``csv`` writer writes them: quoted (inner quotes doubled) when they hold
    a delimiter, a quote or a line break; nulls as empty cells."""
    text = pc.fill_null(text.cast(pa.large_string()), "")
    needs = pc.match_substring_regex(text, pattern)
    if not pc.any(needs).as_py():
        return text
    q = pa.scalar('"', pa.large_string())
    quoted = pc.binary_join_element_wise(q, pc.replace_substring(text, '"', '""'), q, pa.scalar("", pa.large_string()))
    return pc.if_else(needs, quoted, text)


def _take(names: list[str] | pa.Array, codes: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``names[codes]`` as Arrow text, empty where ``missing``."""
    names = names if isinstance(names, pa.Array) else pa.array(names, pa.large_string())
    taken = names.take(pa.array(codes, mask=missing))
    return pc.fill_null(taken, "") if missing is not None else taken


def _strings(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """numpy values rendered by ``astype(str)`` (what pandas does for numbers), each distinct
    value once; empty where ``missing``."""
    bits = values.view(f"u{values.dtype.itemsize}")  # by bit pattern: -0.0 and 0.0 are written apart
    uniques, codes = np.unique(bits, return_inverse=True)
    rendered = uniques.view(values.dtype).astype(str).astype(object)
    return _take(pa.array(rendered, pa.large_string()), codes.ravel(), missing)


def _kind(s: pd.Series) -> str | None:
    """How a column is rendered here, or None for a kind left to pandas."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        ok = pd.api.types.is_string_dtype(cats.dtype) and all(isinstance(c, str) for c in cats)
        return "category" if ok else None
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return "text" if s.map(type).eq(str).all() else None
    if pd.api.types.is_string_dtype(dtype):
        return "text"
    if isinstance(dtype, pd.BooleanDtype):
        return "boolean"
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return {"b": "bool", "f": "float"}.get(dtype.kind, "int")
    return None


def _render(s: pd.Series, kind: str, pattern: str) -> pa.Array:
    """One column's cells as pandas' CSV writer writes them (empty for a missing value)."""
    if kind == "category":
        codes = s.cat.codes.to_numpy()
        names = _quote(pa.array(list(s.cat.categories), pa.large_string()), pattern)
        return _take(names, np.maximum(codes, 0), codes < 0)
    if kind == "text":
        values = s.to_numpy() if s.dtype.kind == "O" else s.array
        return _quote(pa.array(values, pa.large_string(), from_pandas=True), pattern)
    if kind == "bool":
        return _take(["False", "True"], s.to_numpy().view(np.int8))
    if kind == "boolean":
        missing = s.isna().to_numpy()
        return _take(["False", "True"], s.fillna(False).to_numpy(bool).view(np.int8), missing)
    values = s.to_numpy()
    return _strings(values, np.isnan(values) if kind == "float" else None)


def write_frame_csv(df: pd.DataFrame, path: str | os.PathLike, encoding: str = "utf-8") -> Path:
    """``df.to_csv(path, index=False, encoding=encoding)``, byte for byte, faster (see the module's notes).

    ``encoding`` is ``"utf-8"`` or ``"utf-8-sig"`` (a BOM first)."""
    path = Path(path)
    nl = os.linesep
    pattern = "[" + "".join({"\n": r"\n", "\r": r"\r"}.get(c, c) for c in _quoted_characters(nl)) + "]"
    kinds = [_kind(df.iloc[:, i]) for i in range(df.shape[1])]
    if (
        encoding not in ("utf-8", "utf-8-sig")
        or df.shape[1] < 2
        or None in kinds
        or not all(isinstance(c, str) for c in df.columns)
    ):
        df.to_csv(path, index=False, encoding=encoding)
        return path
    header = _quote(pa.array(list(df.columns), pa.large_string()), pattern).to_pylist()
    end, sep, none = (pa.scalar(x, pa.large_string()) for x in (nl, ",", ""))

    def rows(start: int) -> memoryview:
        """The CSV text of rows ``start`` to ``start + CHUNK_ROWS`` (Arrow's buffer, not copied)."""
        part = df.iloc[start : start + CHUNK_ROWS]
        cols = [_render(part.iloc[:, i], k, pattern) for i, k in enumerate(kinds)]
        cols[-1] = pc.binary_join_element_wise(cols[-1], end, none)
        text = pc.binary_join_element_wise(*cols, sep)
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64, count=len(text) + 1, offset=text.offset * 8)
        return memoryview(text.buffers()[2])[offsets[0] : offsets[-1]]

    # Arrow's kernels and the file's writes release the GIL: the next chunks are rendered while
    # one is written (at most AHEAD chunks held at once).
    with open(path, "wb") as fh, ThreadPoolExecutor(max_workers=AHEAD) as pool:
        if encoding == "utf-8-sig":
            fh.write("\ufeff".encode())
        fh.write((",".join(header) + nl).encode("utf-8"))
        pending: deque = deque()
        for start in range(0, len(df), CHUNK_ROWS):
            pending.append(pool.submit(rows, start))
            if len(pending) >= AHEAD:
                fh.write(pending.popleft().result())
        while pending:
            fh.write(pending.popleft().result())
    return path
