"""The lists the action tracker offers: partners, issues (with their measure), action types, statuses.

Partners, issues and action types are data (``vocabulary.toml`` beside this module, or the file
named by ``RURALACTION_ACTIONS_VOCABULARY``); statuses are code, because the tracker's rules
depend on them (a completed action needs its completion date).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ruralaction.faults import ConfigError
from ruralaction.tomlschema import read_toml, validate

DEFAULT_VOCABULARY = Path(__file__).with_name("vocabulary.toml")

#: An action's status, in the order work goes.
STATUSES: tuple[str, ...] = ("planned", "in progress", "completed", "cancelled")


class VocabularyError(ConfigError):
    """A vocabulary file that cannot be used; the message names the file, the line and why."""


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


_Name = Annotated[str, Field(min_length=1), AfterValidator(str.strip)]


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    for n in names:
        if n.casefold() in seen:
            raise ValueError(f"names {n!r} twice")
        seen.add(n.casefold())
    return names


_Names = Annotated[list[_Name], Field(min_length=1), AfterValidator(_unique)]


class _Issue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: _Name
    category: _Name | None = None


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partners: _Names
    action_types: _Names
    issues: list[_Issue] = Field(min_length=1)

    @field_validator("issues")
    @classmethod
    def _unique_issues(cls, v: list[_Issue]) -> list[_Issue]:
        _unique([i.name for i in v])
        return v


@cache
def _load(path: Path, mtime_ns: int) -> Vocabulary:
    # ``mtime_ns`` is part of the cache key only: an edited file is read again.
    what = "Vocabulary file"
    try:
        raw, text = read_toml(path, what)
        v = validate(_VocabularyFile, raw, path, what, text)
    except ConfigError as exc:
        raise VocabularyError(str(exc), path=exc.path, line=exc.line, key=exc.key) from None
    return Vocabulary(
        partners=tuple(v.partners),
        action_types=tuple(v.action_types),
        issues=tuple(i.name for i in v.issues),
        issue_category={i.name: i.category for i in v.issues if i.category},
    )


def load_vocabulary(path: str | os.PathLike | None = None) -> Vocabulary:
    """The vocabulary from ``path``, else ``$RURALACTION_ACTIONS_VOCABULARY``, else the shipped default.

    Raises
    ------
    VocabularyError
        The file is missing, not TOML, or a list is missing, empty, repeats a name or holds
        something other than names; the message names the file, the line and the setting.
    """
    chosen = Path(path or os.environ.get("RURALACTION_ACTIONS_VOCABULARY") or DEFAULT_VOCABULARY).resolve()
    try:
        mtime = chosen.stat().st_mtime_ns
    except OSError:
        mtime = 0  # missing or unreadable: _load says so in words
    return _load(chosen, mtime)
