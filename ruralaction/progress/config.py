"""The scorecard's settings (the ``[progress]`` section of the definition TOML) and RAG status.

Each measure has a direction, a baseline, a target and an amber threshold (see the comments in
``definitions/northamptonshire.toml``). :func:`rag` turns a value into a :class:`Status` that is
never colour alone: it carries a word and a symbol too, so it reads in print, on a projector
and to people who do not see red and green apart.

The rule, for a measure where higher is better (``direction = "up"``)::

    value >= target            -> green  "On track"  ✓
    amber <= value < target    -> amber  "At risk"   !
    value < amber              -> red    "Off track" ✗
    no value                   -> grey   "Not rated" –

and mirrored (``<=``) where lower is better. A value exactly on a threshold takes the better
status.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ruralaction.definition import DEFAULT_DEFINITION, WHAT
from ruralaction.faults import ConfigError
from ruralaction.tomlschema import error_at, read_toml, validate

#: Measure keys in scorecard order, with the aim each serves.
MEASURE_AIMS: dict[str, int] = {
    "rural_crime": 1,
    "concerns_actioned": 1,
    "completed_per_month": 2,
    "visible_share": 2,
    "wards_visible_quarter": 2,
    "days_to_first_action": 2,
    "non_police_share": 3,
    "partners_active_quarter": 3,
    "multi_agency_share": 3,
}
AIMS: dict[int, str] = {
    1: "Tackle the issues that matter most",
    2: "Real and visible action",
    3: "Action broader than the police",
}
#: How each measure's value is shown: a count, a share (fraction), days, or a change (fraction).
UNITS: dict[str, str] = {
    "rural_crime": "change",
    "concerns_actioned": "share",
    "completed_per_month": "rate",
    "visible_share": "share",
    "wards_visible_quarter": "count",
    "days_to_first_action": "days",
    "non_police_share": "share",
    "partners_active_quarter": "count",
    "multi_agency_share": "share",
}


class ProgressConfigError(ConfigError):
    """The ``[progress]`` section is missing or wrong; the message names the file, line and setting."""


@dataclass(frozen=True)
class Status:
    """A RAG status with its word, symbol and colours (text on background, WCAG AA contrast).

    Attributes
    ----------
    level : {"green", "amber", "red", "none"}
    word : str
        "On track", "At risk", "Off track", "Not rated".
    symbol : str
        "✓", "!", "✗", "–".
    colour, background : str
        Hex colours for text and fill.
    why : str
        Why this status, in words (for a tooltip or the pack).
    """

    level: str
    word: str
    symbol: str
    colour: str
    background: str
    why: str = ""

    @property
    def text(self) -> str:
        """``"✓ On track"``."""
        return f"{self.symbol} {self.word}"


_STYLE = {
    "green": ("On track", "✓", "#0B5A1E", "#D8F0DD"),
    "amber": ("At risk", "!", "#6B4700", "#FFE8B0"),
    "red": ("Off track", "✗", "#8B0F0F", "#F9D6D5"),
    "none": ("Not rated", "–", "#333333", "#E6E6E6"),
}
_EPS = 1e-9


def status(level: str, why: str = "") -> Status:
    word, symbol, colour, background = _STYLE[level]
    return Status(level, word, symbol, colour, background, why)


@dataclass(frozen=True)
class MeasureConfig:
    """One measure's settings.

    Attributes
    ----------
    key : str
        One of :data:`MEASURE_AIMS`.
    title : str
    direction : {"up", "down"}
        "up": higher is better; "down": lower is better.
    baseline : float or None
        Where the programme started (None for the crime measures: their baseline is the
        baseline year's count, measured from the data).
    target, amber : float
        Thresholds in the measure's rated unit (for ``rural_crime``, the change against the
        baseline year as a fraction).
    county_only : bool
        The target is for the whole county: not rated when one ward is chosen.
    """

    key: str
    title: str
    direction: str
    baseline: float | None
    target: float
    amber: float
    county_only: bool = False

    @property
    def aim(self) -> int:
        return MEASURE_AIMS[self.key]

    @property
    def unit(self) -> str:
        return UNITS[self.key]


@dataclass(frozen=True)
class Priority:
    """A national rural-crime priority and how the data can show it.

    Attributes
    ----------
    name : str
    categories : tuple of str
        Rural categories of the definition that count for it.
    at_farm : bool
        Rural crimes at a farm count for it.
    keywords : tuple of str
        Whole words (any case) in a force export's description or context text.
    issues : tuple of str
        The action tracker's issues that tackle it.
    """

    name: str
    categories: tuple[str, ...] = ()
    at_farm: bool = False
    keywords: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()

    @property
    def has_crime_measure(self) -> bool:
        return bool(self.categories or self.at_farm or self.keywords)


@dataclass(frozen=True)
class ProgressConfig:
    """The ``[progress]`` section.

    Attributes
    ----------
    programme : str
        The programme's name, on every slide and in the pack.
    baseline_period : str
        The financial year the crime measures compare with (``"2024-25"``).
    police_partners : tuple of str
        Partners whose actions count as police-led.
    measures : dict of str to MeasureConfig
        In scorecard order.
    priorities : tuple of Priority
    path : Path or None
    """

    programme: str
    baseline_period: str
    police_partners: tuple[str, ...]
    measures: dict[str, MeasureConfig]
    priorities: tuple[Priority, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def measure(self, key: str) -> MeasureConfig:
        return self.measures[key]


class _Measure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    direction: Literal["up", "down"]
    baseline: float | None = None
    target: float
    amber: float | None = None
    county_only: StrictBool = False


_Names = list[Annotated[str, Field(min_length=1)]]


class _Priority(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    categories: _Names = []
    at_farm: StrictBool = False
    keywords: _Names = []
    issues: _Names = []


class _Progress(BaseModel):
    """The schema of ``[progress]``; its measures must be exactly those of :data:`MEASURE_AIMS`."""

    model_config = ConfigDict(extra="forbid")
    programme: str = Field("Rural Action", min_length=1)
    baseline_period: str
    police_partners: _Names = ["Police"]
    measures: dict[str, _Measure]
    priorities: list[_Priority] = []


def _measure(key: str, m: _Measure, fail) -> MeasureConfig:
    """A measure's config, with the checks between its numbers (``fail(setting, why)`` raises)."""
    crime = UNITS[key] == "change"
    if not crime and m.baseline is None:
        fail("baseline", "is missing (it is required for this measure)")
    baseline = None if crime else m.baseline
    amber = m.amber if m.amber is not None else (0.0 if crime else baseline)
    better = (lambda a, b: a >= b) if m.direction == "up" else (lambda a, b: a <= b)
    if not better(m.target, amber):
        fail(
            "target",
            f"must be at least as good as the amber threshold ({amber:g}; "
            f"{'higher' if m.direction == 'up' else 'lower'} is better)",
        )
    if UNITS[key] == "share" and not (0 <= m.target <= 1 and 0 <= amber <= 1):
        fail("target", "and amber are shares: fractions between 0 and 1 (0.6 = 60%)")
    return MeasureConfig(
        key, m.title or key.replace("_", " ").capitalize(), m.direction, baseline, m.target, amber, m.county_only
    )


def load_progress_config(path: str | os.PathLike | None = None) -> ProgressConfig:
    """Read the ``[progress]`` section of a definition file, checked against its schema.

    Parameters
    ----------
    path : path-like, optional
        Default: ``$RURALACTION_DEFINITION`` if set, else the shipped Northamptonshire file
        (the same file :func:`ruralaction.definition.load_definition` reads).

    Raises
    ------
    ProgressConfigError
        No ``[progress]`` section, a measure missing, or a setting of the wrong kind; the
        message names the file, the line and the setting.
    """
    from ruralaction.measures.periods import PeriodError, parse_period

    p = Path(path or os.environ.get("RURALACTION_DEFINITION") or DEFAULT_DEFINITION)
    try:
        raw, text = read_toml(p, WHAT)
        prog = raw.get("progress")
        if not isinstance(prog, dict):
            raise ConfigError(f"{p} has no [progress] section (the scorecard's baselines and targets).", path=p)
        cfg = validate(_Progress, prog, p, WHAT, text, prefix=("progress",))

        def fail(loc: tuple, why: str):
            raise error_at(p, WHAT, text, loc, why, prefix=("progress",))

        missing = [k for k in MEASURE_AIMS if k not in cfg.measures]
        if missing:
            fail(("measures",), f"lacks {', '.join(missing)}")
        unknown = [k for k in cfg.measures if k not in MEASURE_AIMS]
        if unknown:
            fail(("measures", unknown[0]), f"is not a measure the scorecard has (one of {', '.join(MEASURE_AIMS)})")
        try:
            if parse_period(cfg.baseline_period).kind != "fy":
                raise PeriodError("not a financial year")
        except PeriodError:
            fail(("baseline_period",), 'must be a financial year such as "2024-25"')
        measures = {
            k: _measure(k, cfg.measures[k], lambda key, why, k=k: fail(("measures", k, key), why)) for k in MEASURE_AIMS
        }
    except ConfigError as exc:
        raise ProgressConfigError(str(exc), path=exc.path, line=exc.line, key=exc.key) from None
    return ProgressConfig(
        programme=cfg.programme,
        baseline_period=cfg.baseline_period,
        police_partners=tuple(v.strip() for v in cfg.police_partners) or ("Police",),
        measures=measures,
        priorities=tuple(
            Priority(
                name=x.name.strip(),
                categories=tuple(v.strip() for v in x.categories),
                at_farm=x.at_farm,
                keywords=tuple(v.strip() for v in x.keywords),
                issues=tuple(v.strip() for v in x.issues),
            )
            for x in cfg.priorities
        ),
        path=p,
    )


def rag(value: float | None, cfg: MeasureConfig, why_not: str = "") -> Status:
    """The status of ``value`` against ``cfg``'s target and amber threshold (rule in the module doc).

    Parameters
    ----------
    value : float or None
        In the measure's rated unit; None when there is no fair value.
    cfg : MeasureConfig
    why_not : str, optional
        Why there is no value (used when ``value`` is None).
    """
    if value is None:
        return status("none", why_not or "There is no value to rate.")
    # A value on a threshold takes the better status, also when float arithmetic lands it a
    # hair off (3 / 5 against 0.6, or (95 - 100) / 100 against -0.05).
    better = (lambda a, b: a >= b - _EPS) if cfg.direction == "up" else (lambda a, b: a <= b + _EPS)
    if better(value, cfg.target):
        return status("green", "Meets the target.")
    if better(value, cfg.amber):
        return status("amber", "Misses the target but meets the amber threshold.")
    return status("red", "Misses the amber threshold.")
