"""The instrument as data (one TOML file per version) and the rules a file must keep
for scoring to stay monotone and unambiguous."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import msgspec

from shared.events import Level, MeasureKind

GROUPS = ("threats", "vulnerabilities", "capacities", "gender")
Group = Literal["threats", "vulnerabilities", "capacities", "gender"]
AnswerType = Literal["bool", "scale"]


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


class InstrumentError(ValueError):
    """An instrument file breaks a rule the scoring depends on."""


def instrument_from(raw: dict[str, Any], *, name: str) -> Instrument:
    """The instrument in a file's parsed contents; ``name`` is the file's name without
    suffix, which must be its version (an assessment names the version, and so the file)."""
    try:
        instrument = msgspec.convert(raw, Instrument)
    except msgspec.ValidationError as exc:
        raise InstrumentError(f"{name}: {exc}") from None
    if instrument.version != name:
        raise InstrumentError(f"{name}: version {instrument.version!r} must match the file name")
    return check_instrument(instrument)


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
