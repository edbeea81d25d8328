"""Configuration files checked against a schema, with the line of every problem.

The definition, its ``[progress]`` section and the action vocabulary are TOML files that an
administrator edits by hand. Each is read here and validated by a pydantic model; a problem
becomes a :class:`~ruralaction.faults.ConfigError` that names the file, the line, the setting
and what was expected, e.g.::

    Definition file northamptonshire.toml, line 64: rural.classes should be a list, not 5.

``tomllib`` keeps no positions, so :func:`key_lines` finds them by reading the text once: table
headers (``[a.b]``, ``[[a.b]]``), ``key = value`` lines (bare, quoted and dotted keys) and the
keys of one-line inline tables. A setting that cannot be placed exactly is reported at the line
of its table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ruralaction.faults import ConfigError

M = TypeVar("M", bound=BaseModel)

_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=\s*(.*)$")
_INLINE_KEY = re.compile(rf"[{{,]\s*({_DOTTED})\s*=")


def _split(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_KEY, dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def key_lines(text: str) -> dict[tuple, int]:
    """Map each setting's path to its 1-based line.

    Paths use strings for keys and 0-based integers for the entries of an array of tables:
    ``("progress", "priorities", 2, "name")``; a table header maps its own path.
    """
    lines: dict[tuple, int] = {}
    table: tuple = ()
    arrays: dict[tuple, int] = {}
    in_multiline = None  # the quote that opened a multi-line string
    array: list = []  # [path, next item index] while inside a multi-line array of plain values
    for n, raw in enumerate(text.splitlines(), start=1):
        if array:
            closed = _array_items(raw, array, lines, n)
            if closed:
                array = []
            continue
        if in_multiline:
            if raw.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER.match(raw)
        if header:
            path = _split(header.group(2))
            if header.group(1) == "[[":
                arrays[path] = arrays.get(path, -1) + 1
                table = (*path, arrays[path])
            else:
                # a sub-table of the latest array entry: [progress.priorities.x] after [[progress.priorities]]
                for i in range(len(path), 0, -1):
                    if path[:i] in arrays:
                        path = (*path[:i], arrays[path[:i]], *path[i:])
                        break
                table = path
            lines.setdefault(table, n)
            continue
        assign = _ASSIGN.match(raw)
        if not assign:
            continue
        path = (*table, *_split(assign.group(1)))
        lines.setdefault(path, n)
        value = assign.group(2)
        if value.lstrip().startswith("[") and not value.lstrip().startswith("[["):
            state = [path, 0]
            if not _array_items(value.lstrip()[1:], state, lines, n):
                array = state
        if value.lstrip().startswith("{"):
            for inner in _INLINE_KEY.finditer(value):
                lines.setdefault((*path, *_split(inner.group(1))), n)
        for quote in ('"""', "'''"):
            if value.count(quote) % 2 == 1:
                in_multiline = quote
    return lines


_ITEM = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|#.*$|[\[\]{},]|[^\s,\[\]{}#]+')


def _array_items(text: str, state: list, lines: dict[tuple, int], n: int) -> bool:
    """Record the line of each plain value of an array in ``text`` (one line of it); ``state`` is
    ``[path, next index]``. Returns True when the array closes on this line."""
    depth = 0
    for token in _ITEM.findall(text):
        if token.startswith("#"):
            break
        if token in ("[", "{"):
            if depth == 0:
                lines.setdefault((*state[0], state[1]), n)
            depth += 1
        elif token in ("]", "}"):
            if depth == 0:
                return True
            depth -= 1
            if depth == 0:
                state[1] += 1
        elif token == ",":
            continue
        elif depth == 0:
            lines.setdefault((*state[0], state[1]), n)
            state[1] += 1
    return False


def line_of(lines: dict[tuple, int], loc: Sequence) -> int | None:
    """The line of ``loc`` or, failing that, of the nearest enclosing setting or table."""
    loc = tuple(loc)
    for i in range(len(loc), 0, -1):
        if loc[:i] in lines:
            return lines[loc[:i]]
    return None


def read_toml(path: Path, what: str) -> tuple[dict, str]:
    """Read a TOML file; a missing, unreadable or malformed file is a :class:`ConfigError`.

    Returns the parsed table and the text (for :func:`key_lines`).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist.", path=path) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {path.name} is not UTF-8 text.", path=path) from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror or exc}.", path=path) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        why = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).rstrip(".")
        where = f", line {line}" if line else ""
        raise ConfigError(f"{what} {path.name}{where} is not valid TOML: {why}.", path=path, line=line) from None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _words(err: dict) -> str:
    """A pydantic error as the end of a sentence about its setting."""
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "is missing (it is required)"
    if kind == "extra_forbidden":
        return "is not a setting this file can have (a typo?)"
    msg = re.sub(r"^(Input|Value) should be", "should be", msg)
    msg = re.sub(r"^Value error, ", "", msg)
    msg = re.sub(r"^Assertion failed, ", "", msg)
    if not msg.startswith("should"):
        msg = f"is wrong: {msg[:1].lower()}{msg[1:]}"
    return f"{msg}, not {_shown(err.get('input'))}" if "input" in err and kind != "value_error" else msg


def dotted(loc: Sequence) -> str:
    """``("progress", "priorities", 2, "name")`` as ``progress.priorities[2].name``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def error_at(path: Path, what: str, text: str, loc: Sequence, message: str, prefix: Sequence = ()) -> ConfigError:
    """A :class:`ConfigError` for the setting at ``prefix + loc`` with its line number."""
    full = (*prefix, *loc)
    line = line_of(key_lines(text), full)
    key = dotted(full)
    where = f", line {line}" if line else ""
    return ConfigError(f"{what} {path.name}{where}: {key} {message}.", path=path, line=line, key=key)


def validate(model: type[M], data: object, path: Path, what: str, text: str, prefix: Sequence = ()) -> M:
    """``model`` validated from ``data`` (a table of the file at ``prefix``).

    Raises
    ------
    ConfigError
        For the first problem, with the file, line and setting; the message also says how many
        other problems there are, so the file is fixed in one pass.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        err = error_at(path, what, text, first["loc"], _words(first), prefix)
        if len(errors) > 1:
            others = []
            lines = key_lines(text)
            for e in errors[1:4]:
                full = (*prefix, *e["loc"])
                ln = line_of(lines, full)
                others.append(dotted(full) + (f" (line {ln})" if ln else ""))
            more = f" and {len(errors) - 4} more" if len(errors) > 4 else ""
            err = ConfigError(
                f"{err} Also wrong: {', '.join(others)}{more}.", path=err.path, line=err.line, key=err.key
            )
        raise err from None
