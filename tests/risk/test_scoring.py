"""The pure scoring rules of the instrument (services/risk/domain.py), driven by hypothesis."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk import domain
from services.risk.instruments import DIRECTORY, all_instruments, load_file
from shared.events import LEVELS
from tests.risk.helpers import INSTRUMENT, extreme_answers, high_answers, required_answers

ROOT = Path(__file__).resolve().parents[2]


def value_strategy(ind: domain.Indicator):
    return st.booleans() if ind.answer == "bool" else st.integers(0, INSTRUMENT.scoring.scale_max)


answers_st = st.fixed_dictionaries(
    {i.code: value_strategy(i) for i in INSTRUMENT.indicators if i.required},
    optional={i.code: value_strategy(i) for i in INSTRUMENT.indicators if not i.required},
)


def codes_of(*groups: str) -> list[str]:
    return [i.code for i in INSTRUMENT.indicators if i.group in groups]


def raised(answers: dict, code: str) -> dict:
    """The same answers with one indicator answered "more" (true, or one step up the scale)."""
    ind = INSTRUMENT.indicator(code)
    current = answers.get(code, False if ind.answer == "bool" else 0)
    new = True if ind.answer == "bool" else min(int(current) + 1, INSTRUMENT.scoring.scale_max)
    return {**answers, code: new}


@settings(max_examples=300, deadline=None)
@given(answers=answers_st)
def test_same_answers_same_version_same_result(answers):
    first = domain.score(INSTRUMENT, answers)
    shuffled = dict(reversed(list(answers.items())))
    reloaded = load_file(DIRECTORY / "gender-v1.toml")
    assert domain.score(reloaded, shuffled) == first
    assert not domain.check_answers(INSTRUMENT, answers)
    assert all(isinstance(v, int) for v in first.scores.values())
    level = first.computed_level
    assert domain.measures_for(INSTRUMENT, level, answers) == domain.measures_for(reloaded, level, shuffled)


@settings(max_examples=400, deadline=None)
@given(answers=answers_st, code=st.sampled_from(codes_of("threats", "vulnerabilities", "gender")))
def test_adding_a_threat_vulnerability_or_gender_indicator_never_lowers_the_level(answers, code):
    before = domain.score(INSTRUMENT, answers)
    after = domain.score(INSTRUMENT, raised(answers, code))
    assert domain.rank(after.computed_level) >= domain.rank(before.computed_level)
    assert after.scores["risk"] >= before.scores["risk"]


@settings(max_examples=400, deadline=None)
@given(answers=answers_st, code=st.sampled_from(codes_of("capacities")))
def test_adding_a_capacity_never_raises_the_level(answers, code):
    before = domain.score(INSTRUMENT, answers)
    after = domain.score(INSTRUMENT, raised(answers, code))
    assert domain.rank(after.computed_level) <= domain.rank(before.computed_level)
    assert after.scores["risk"] <= before.scores["risk"]


@settings(max_examples=200, deadline=None)
@given(answers=answers_st)
def test_capacities_never_take_away_more_than_half(answers):
    result = domain.score(INSTRUMENT, answers)
    assert result.scores["risk"] * 2 >= result.scores["pressure"]
    assert result.scores["pressure"] == sum(
        result.scores[g] for g in ("threats", "vulnerabilities", "gender")
    )


@settings(max_examples=200, deadline=None)
@given(answers=answers_st, level=st.sampled_from(LEVELS))
def test_measures_follow_the_final_level(answers, level):
    measures = domain.measures_for(INSTRUMENT, level, answers)
    high = domain.rank(level) >= domain.rank("high")
    assert ("shelter" in measures) == high
    assert ("relocation_grant" in measures) == high
    assert len(set(measures)) == len(measures)
    assert list(measures) == [m for m in domain.MEASURE_ORDER if m in measures]


def test_worked_examples():
    nothing = domain.score(INSTRUMENT, required_answers(False))
    assert nothing.computed_level == "low" and nothing.scores["risk"] == 0
    high = domain.score(INSTRUMENT, high_answers())
    assert high.computed_level == "high", high
    assert domain.measures_for(INSTRUMENT, "high", high_answers()) == [
        "shelter",
        "relocation_grant",
        "home_security_grant",
        "self_care",
    ]
    extreme = domain.score(INSTRUMENT, extreme_answers())
    assert extreme.computed_level == "extreme" and "T03" in extreme.floors
    assert "medical_psychological_grant" in domain.measures_for(INSTRUMENT, "extreme", extreme_answers())
    assert "legal_grant" in domain.measures_for(INSTRUMENT, "extreme", extreme_answers())
    # Sexual violence alone is at least high, whatever the sum says.
    assert domain.score(INSTRUMENT, {**required_answers(False), "G01": True}).computed_level == "high"


def test_answer_errors_name_the_codes():
    answers = {**required_answers(False), "Z99": True, "T01": True, "T02": 2}
    del answers["G02"]
    errors = domain.check_answers(INSTRUMENT, answers)
    assert errors.unknown_codes == ["Z99"]
    assert errors.missing_required == ["G02"]
    assert errors.bad_values == ["T01 (0 to 3)", "T02 (true or false)"]
    assert "Z99" in errors.describe() and "G02" in errors.describe()
    assert domain.check_answers(INSTRUMENT, {**required_answers(), "T01": 4}).bad_values == ["T01 (0 to 3)"]


def test_the_instrument_is_served_from_the_package_and_the_repository_copy_is_the_same():
    assert sorted(all_instruments()) == ["gender-v1"]
    assert (ROOT / "instruments" / "gender-v1.toml").read_bytes() == (
        DIRECTORY / "gender-v1.toml"
    ).read_bytes()
    groups = {i.group for i in INSTRUMENT.indicators}
    assert groups == set(domain.GROUPS)
    kinds = {m.kind for m in INSTRUMENT.measures}
    assert kinds == set(domain.MEASURE_ORDER)
    assert all(i.text_es and i.text_en for i in INSTRUMENT.indicators)


def test_broken_instruments_are_refused():
    good = msgspec.to_builtins(INSTRUMENT)
    negative = {**good, "indicators": [{**good["indicators"][0], "weight": -1}, *good["indicators"][1:]]}
    with pytest.raises(domain.InstrumentError, match="negative"):
        domain.check_instrument(msgspec.convert(negative, domain.Instrument))
    shuffled = {**good, "levels": {"medium": 20, "high": 10, "extreme": 30}}
    with pytest.raises(domain.InstrumentError, match="thresholds"):
        domain.check_instrument(msgspec.convert(shuffled, domain.Instrument))
    dangling = {**good, "measures": [{**good["measures"][0], "any_of": ["NOPE"]}]}
    with pytest.raises(domain.InstrumentError, match="unknown"):
        domain.check_instrument(msgspec.convert(dangling, domain.Instrument))


def test_excluded_regions_start_with_the_case_region():
    assert domain.excluded_regions("Petén", None, True) == ["Petén"]
    assert domain.excluded_regions("Petén", ["Izabal", "petén", " "], True) == ["Petén", "Izabal"]
    assert domain.excluded_regions("Petén", ["Izabal"], False) == ["Izabal"]
