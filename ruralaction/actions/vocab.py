"""The lists the action tracker offers: partners, issues (with their measure), action types, statuses.

Partners, issues and action types are data (``vocabulary.toml`` beside this module, or the file
named by ``RURALACTION_ACTIONS_VOCABULARY``); statuses are code, because the tracker's rules
depend on them (a completed action needs its completion date).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_VOCABULARY = Path(__file__).with_name("vocabulary.toml")

#: An action's status, in the order work goes.
STATUSES: tuple[str, ...] = ("planned", "in progress", "completed", "cancelled")


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class Vocabulary:
    """What the add form and the import accept.

    Attributes
    ----------
    partners : tuple of str
        Lead and supporting partners ("Police", "Fire and Rescue", …).
    action_types : tuple of str
        "Patrol", "Crime-prevention visit", … .
    issues : tuple of str
        The issues an action can tackle, in display order.
    issue_category : dict of str to str
        Issue -> rural-crime category measuring it (issues without a police.uk measure are absent).
    statuses : tuple of str
        :data:`STATUSES`.
    """

    partners: tuple[str, ...]
    action_types: tuple[str, ...]
    issues: tuple[str, ...]
    issue_category: dict[str, str]
    statuses: tuple[str, ...] = STATUSES

    def category_of(self, issue: str) -> str | None:
        """The rural-crime category that measures ``issue``, or None when police data cannot."""
        return self.issue_category.get(issue)


def _names(raw: dict, key: str, path: Path) -> tuple[str, ...]:
    values = raw.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise VocabularyError(f"{path.name}: '{key}' must be a non-empty list of names.")
    names = tuple(v.strip() for v in values)
    if len(set(map(str.casefold, names))) != len(names):
        raise VocabularyError(f"{path.name}: '{key}' names an entry twice.")
    return names


@cache
def _load(path: Path) -> Vocabulary:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VocabularyError(f"{path.name} cannot be read: {exc}") from exc
    issues_raw = raw.get("issues")
    if (
        not isinstance(issues_raw, list)
        or not issues_raw
        or not all(isinstance(i, dict) and i.get("name") for i in issues_raw)
    ):
        raise VocabularyError(f"{path.name}: '[[issues]]' must list issues, each with a name.")
    issues = _names({"issues": [str(i["name"]) for i in issues_raw]}, "issues", path)
    return Vocabulary(
        partners=_names(raw, "partners", path),
        action_types=_names(raw, "action_types", path),
        issues=issues,
        issue_category={name: str(i["category"]).strip() for name, i in zip(issues, issues_raw) if i.get("category")},
    )


def load_vocabulary(path: str | os.PathLike | None = None) -> Vocabulary:
    """The vocabulary from ``path``, else ``$RURALACTION_ACTIONS_VOCABULARY``, else the shipped default.

    Raises
    ------
    VocabularyError
        The file is missing, not TOML, or lacks a list.
    """
    chosen = path or os.environ.get("RURALACTION_ACTIONS_VOCABULARY") or DEFAULT_VOCABULARY
    return _load(Path(chosen).resolve())
