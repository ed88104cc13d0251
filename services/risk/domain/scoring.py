"""Answers -> scores, level and measures; the regions she must not be placed in.

The rule is written out at the top of the instrument file; this is it in code. Integer
arithmetic only, so the same answers to the same version give the same result anywhere.
"""

from __future__ import annotations

import typing

import msgspec

from services.risk.domain.instrument import GROUPS, Instrument
from shared.events import LEVELS, Level, MeasureKind

SCORE_KEYS = (*GROUPS, "pressure", "capacity_reduction_percent", "risk")
# The order measures are listed in: the order the event type declares them in.
MEASURE_ORDER: tuple[MeasureKind, ...] = typing.get_args(MeasureKind)

Answers = dict[str, bool | int]


def rank(level: Level) -> int:
    return LEVELS.index(level)


class AnswerErrors(msgspec.Struct, frozen=True):
    """What is wrong with a set of answers. Codes the instrument does not have are only
    counted: they are the caller's text, and an error never repeats what was sent."""

    unknown_count: int
    missing_required: list[str]
    bad_values: list[str]

    def __bool__(self) -> bool:
        return bool(self.unknown_count or self.missing_required or self.bad_values)

    def describe(self) -> str:
        parts = []
        if self.unknown_count:
            parts.append(f"{self.unknown_count} answers name indicators the instrument does not have")
        if self.missing_required:
            parts.append(f"required indicators not answered: {', '.join(self.missing_required)}")
        if self.bad_values:
            parts.append(f"answers of the wrong type or out of range: {', '.join(self.bad_values)}")
        return "; ".join(parts)


def check_answers(instrument: Instrument, answers: Answers) -> AnswerErrors:
    index = {i.code: i for i in instrument.indicators}
    unknown = sum(1 for c in answers if c not in index)
    missing = [i.code for i in instrument.indicators if i.required and i.code not in answers]
    bad = []
    for code, value in answers.items():
        ind = index.get(code)
        if ind is None:
            continue
        if ind.answer == "bool":
            if not isinstance(value, bool):
                bad.append(f"{code} (true or false)")
        elif isinstance(value, bool) or not 0 <= value <= instrument.scoring.scale_max:
            bad.append(f"{code} (0 to {instrument.scoring.scale_max})")
    return AnswerErrors(unknown, missing, sorted(bad))


class Result(msgspec.Struct, frozen=True):
    scores: dict[str, int]
    computed_level: Level
    floors: list[str]


def score(instrument: Instrument, answers: Answers) -> Result:
    """Scores per group, the risk after capacities, and the computed level.

    Answers must have passed ``check_answers``; optional indicators left out count 0.
    """
    groups = dict.fromkeys(GROUPS, 0)
    floor_rank = 0
    floors: list[str] = []
    for ind in instrument.indicators:
        v = int(answers.get(ind.code, 0))
        groups[ind.group] += ind.weight * v
        if ind.floor is not None and v >= ind.floor_from and v > 0:
            floors.append(ind.code)
            floor_rank = max(floor_rank, rank(ind.floor))
    pressure = groups["threats"] + groups["vulnerabilities"] + groups["gender"]
    s = instrument.scoring
    reduction = min(groups["capacities"] * s.capacity_percent_per_point, s.capacity_max_percent)
    risk = pressure * (100 - reduction) // 100
    t = instrument.levels
    by_threshold = 3 if risk >= t.extreme else 2 if risk >= t.high else 1 if risk >= t.medium else 0
    return Result(
        scores={**groups, "pressure": pressure, "capacity_reduction_percent": reduction, "risk": risk},
        computed_level=LEVELS[max(by_threshold, floor_rank)],
        floors=floors,
    )


def measures_for(instrument: Instrument, level: Level, answers: Answers) -> list[MeasureKind]:
    """The measures whose rules match the FINAL level and the answers, in a fixed order."""
    chosen: set[str] = set()
    for rule in instrument.measures:
        if rule.min_level is not None and rank(level) < rank(rule.min_level):
            continue
        if rule.any_of and not any(int(answers.get(c, 0)) >= 1 for c in rule.any_of):
            continue
        chosen.add(rule.kind)
    return [m for m in MEASURE_ORDER if m in chosen]


def excluded_regions(
    case_region: str | None, requested: list[str] | None, exclude_case_region: bool
) -> list[str]:
    """The case's region (where she was attacked) first, then the analyst's, without
    repeats. Regions are ISO codes: one spelling each. A case whose region is unknown
    (recorded as free text before codes) adds nothing of its own."""
    regions = ([case_region] if exclude_case_region and case_region else []) + list(requested or [])
    return list(dict.fromkeys(regions))
