"""Pure rules of the risk service: the instrument, scoring, levels, measures, the timeline.

No I/O here, so hypothesis can drive every rule directly.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

import msgspec

from shared.events import LEVELS, Envelope, Level, MeasureKind

GROUPS = ("threats", "vulnerabilities", "capacities", "gender")
SCORE_KEYS = (*GROUPS, "pressure", "capacity_reduction_percent", "risk")
Group = Literal["threats", "vulnerabilities", "capacities", "gender"]
AnswerType = Literal["bool", "scale"]
MEASURE_ORDER: tuple[str, ...] = (
    "shelter",
    "relocation_grant",
    "home_security_grant",
    "medical_psychological_grant",
    "legal_grant",
    "digital_security",
    "self_care",
)
LINES_OF_DEFENCE = (
    "land_and_territory",
    "indigenous_rights",
    "womens_rights",
    "sexual_and_reproductive_rights",
    "lgbti_rights",
    "journalism",
    "search_for_the_disappeared",
    "labour_rights",
    "migrants_rights",
    "environment",
    "other",
)
CLOSE_REASONS = ("risk_resolved", "relocated", "defender_request", "lost_contact", "transferred", "other")
AGGRESSION_TYPES = (
    "threats",
    "harassment",
    "defamation_stigmatization",
    "surveillance",
    "raid",
    "criminalization",
    "physical_assault",
    "sexual_violence",
    "attempted_murder",
    "murder",
    "forced_disappearance",
    "other",
)
PERPETRATOR_TYPES = (
    "state_agents",
    "organized_crime",
    "companies",
    "community",
    "family",
    "own_organization_or_movement",
    "unknown",
)
GENDER_COMPONENTS = (
    "sexual_violence",
    "threats_of_sexual_violence",
    "threats_against_children_or_family",
    "family_violence",
    "violence_from_own_organization",
    "stigmatization_as_woman",
    "stigmatization_for_sexuality",
    "care_responsibilities",
    "isolation",
    "other",
)


def rank(level: str) -> int:
    return LEVELS.index(level)  # type: ignore[arg-type]


# --- the instrument, as read from its TOML file ------------------------------------------


class Indicator(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    group: Group
    answer: AnswerType
    weight: int
    required: bool
    text_es: str
    text_en: str
    floor: Level | None = None
    floor_from: int = 1


class MeasureRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: MeasureKind
    text_es: str
    text_en: str
    min_level: Level | None = None
    any_of: list[str] = msgspec.field(default_factory=list)


class Scoring(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    capacity_percent_per_point: int
    capacity_max_percent: int
    scale_max: int = 3


class Thresholds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    medium: int
    high: int
    extreme: int


class Instrument(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str
    title_es: str
    title_en: str
    published_on: date
    scoring: Scoring
    levels: Thresholds
    indicators: list[Indicator]
    measures: list[MeasureRule]

    def indicator(self, code: str) -> Indicator | None:
        return _index(self).get(code)


def _index(instrument: Instrument) -> dict[str, Indicator]:
    return {i.code: i for i in instrument.indicators}


class InstrumentError(ValueError):
    """An instrument file breaks a rule the scoring depends on."""


def check_instrument(instrument: Instrument) -> Instrument:
    """Refuse files that would make scoring non-monotone or ambiguous."""
    codes = [i.code for i in instrument.indicators]
    if len(set(codes)) != len(codes):
        raise InstrumentError(f"{instrument.version}: indicator codes must be unique")
    for ind in instrument.indicators:
        if ind.weight < 0:
            raise InstrumentError(f"{instrument.version}: {ind.code} has a negative weight")
        if ind.floor is not None and ind.group == "capacities":
            raise InstrumentError(f"{instrument.version}: capacity {ind.code} cannot set a floor")
    s = instrument.scoring
    if s.capacity_percent_per_point < 0 or not 0 <= s.capacity_max_percent <= 100 or s.scale_max < 1:
        raise InstrumentError(f"{instrument.version}: scoring parameters out of range")
    t = instrument.levels
    if not 0 < t.medium < t.high < t.extreme:
        raise InstrumentError(f"{instrument.version}: level thresholds must grow: medium < high < extreme")
    for rule in instrument.measures:
        unknown = [c for c in rule.any_of if c not in codes]
        if unknown:
            raise InstrumentError(f"{instrument.version}: measure {rule.kind} names unknown {unknown}")
        if rule.min_level is None and not rule.any_of:
            raise InstrumentError(f"{instrument.version}: measure {rule.kind} has a rule with no condition")
    return instrument


# --- answers and scoring -----------------------------------------------------------------

Answers = dict[str, bool | int]


class AnswerErrors(msgspec.Struct, frozen=True):
    unknown_codes: list[str]
    missing_required: list[str]
    bad_values: list[str]

    def __bool__(self) -> bool:
        return bool(self.unknown_codes or self.missing_required or self.bad_values)

    def describe(self) -> str:
        parts = []
        if self.unknown_codes:
            parts.append(f"unknown indicator codes: {', '.join(self.unknown_codes)}")
        if self.missing_required:
            parts.append(f"required indicators not answered: {', '.join(self.missing_required)}")
        if self.bad_values:
            parts.append(f"answers of the wrong type or out of range: {', '.join(self.bad_values)}")
        return "; ".join(parts)


def check_answers(instrument: Instrument, answers: Answers) -> AnswerErrors:
    index = _index(instrument)
    unknown = sorted(c for c in answers if c not in index)
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


def value_of(value: bool | int) -> int:
    return int(value)


class Result(msgspec.Struct, frozen=True):
    scores: dict[str, int]
    computed_level: Level
    floors: list[str]


def score(instrument: Instrument, answers: Answers) -> Result:
    """Scores per group, the risk after capacities, and the computed level.

    The rule is written out at the top of the instrument file; this is it in code.
    Answers must have passed ``check_answers``.
    """
    groups = dict.fromkeys(GROUPS, 0)
    floor_rank = 0
    floors: list[str] = []
    for ind in instrument.indicators:
        v = value_of(answers.get(ind.code, 0))
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
    level = LEVELS[max(by_threshold, floor_rank)]
    return Result(
        scores={**groups, "pressure": pressure, "capacity_reduction_percent": reduction, "risk": risk},
        computed_level=level,
        floors=floors,
    )


def measures_for(instrument: Instrument, level: Level, answers: Answers) -> list[MeasureKind]:
    """The measures whose rules match the FINAL level and the answers, in a fixed order."""
    chosen: set[str] = set()
    for rule in instrument.measures:
        if rule.min_level is not None and rank(level) < rank(rule.min_level):
            continue
        if rule.any_of and not any(value_of(answers.get(c, 0)) >= 1 for c in rule.any_of):
            continue
        chosen.add(rule.kind)
    return [m for m in MEASURE_ORDER if m in chosen]  # type: ignore[misc]


def excluded_regions(case_region: str, requested: list[str] | None, exclude_case_region: bool) -> list[str]:
    """The case's region (where she was attacked) first, then the analyst's, without repeats."""
    regions = ([case_region] if exclude_case_region else []) + list(requested or [])
    seen: dict[str, None] = {}
    for r in regions:
        key = r.strip()
        if key and key.casefold() not in {s.casefold() for s in seen}:
            seen[key] = None
    return list(seen)


# --- the timeline -------------------------------------------------------------------------


def summary_for(event: Envelope) -> str:
    """A short line for the timeline: ids, codes, counts and levels, never personal data."""
    try:
        return _summary(event.type, event.data)
    except (AttributeError, TypeError, ValueError):
        # A newer payload shape than this code knows: the type still says what happened.
        return " ".join(event.type.rsplit(".", 2)[-2:]).replace("_", " ")


def _summary(type_: str, d) -> str:
    match type_:
        case "amparo.shelters.placement.requested":
            return f"placement requested for {d.party.size} people (level {d.level})"
        case "amparo.shelters.placement.held":
            return (
                f"{d.beds} beds held in shelter {d.shelter_code} until {d.hold_expires_at:%Y-%m-%d %H:%M} UTC"
            )
        case "amparo.shelters.placement.waitlisted":
            return f"waitlisted in {d.country} at level {d.level}"
        case "amparo.shelters.placement.confirmed":
            return "placement confirmed"
        case "amparo.shelters.placement.checked_in":
            return "checked in at the shelter"
        case "amparo.shelters.placement.ended":
            return f"placement ended ({d.reason}); re-assessment due"
        case "amparo.shelters.placement.cancelled":
            return f"placement cancelled ({d.reason or 'no reason given'})"
        case "amparo.shelters.placement.expired":
            return "hold expired without confirmation"
        case "amparo.shelters.shelter.compromised":
            return "her shelter was reported compromised; relocation and re-assessment due"
        case "amparo.funds.application.opened":
            return f"{d.track} grant application opened for {_money(d.requested)}"
        case "amparo.funds.application.approved":
            return f"grant approved: {_money(d.approved)}" + (
                "" if d.ratified else " (awaiting ratification)"
            )
        case "amparo.funds.application.rejected":
            return "grant application rejected"
        case "amparo.funds.application.info_requested":
            return "the committee asked for more information"
        case "amparo.funds.application.overdue":
            return f"{d.track} grant decision overdue since {d.due_at:%Y-%m-%d %H:%M} UTC"
        case "amparo.funds.disbursement.made":
            return f"tranche {d.tranche} paid: {_money(d.amount)} (total {_money(d.paid_total)})"
        case "amparo.funds.application.closed":
            return f"grant closed: paid {_money(d.paid)}, released {_money(d.released)}"
    return " ".join(type_.rsplit(".", 2)[-2:]).replace("_", " ")


def _money(m) -> str:
    return f"{m.amount // 100}.{m.amount % 100:02d} {m.currency}"


class StepRow(msgspec.Struct, frozen=True):
    type: str
    occurred_at: datetime
    service: str
    summary: str


class Step(msgspec.Struct, frozen=True):
    type: str
    occurred_at: datetime
    elapsed_seconds: float
    since_previous_seconds: float
    service: str
    summary: str


def build_steps(opened_at: datetime, rows: list[StepRow]) -> list[Step]:
    """Order the steps and measure each from the opening of the case and from the step before."""
    ordered = sorted(rows, key=lambda r: r.occurred_at)
    steps: list[Step] = []
    previous = opened_at
    for row in ordered:
        steps.append(
            Step(
                type=row.type,
                occurred_at=row.occurred_at,
                elapsed_seconds=round((row.occurred_at - opened_at).total_seconds(), 3),
                since_previous_seconds=round((row.occurred_at - previous).total_seconds(), 3),
                service=row.service,
                summary=row.summary,
            )
        )
        previous = row.occurred_at
    return steps


def uuid_bytes(value: uuid.UUID) -> bytes:
    """Associated data that binds a ciphertext to its row."""
    return value.bytes
