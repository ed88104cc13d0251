"""The scoring rules of the instrument (domain/scoring.py), driven by hypothesis.

DESIGN.md: the same answers to the same instrument version always give the same score
and level; answering a threat never lowers the level, a capacity never raises it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.domain import scoring
from services.risk.instruments import DIRECTORY, load_file
from shared.events import LEVELS
from tests.risk.helpers import INSTRUMENT, answers_st, extreme_answers, high_answers, required_answers

INDICATORS = {i.code: i for i in INSTRUMENT.indicators}


def codes_of(*groups: str) -> list[str]:
    return [i.code for i in INSTRUMENT.indicators if i.group in groups]


def raised(answers: dict, code: str) -> dict:
    """The same answers with one indicator answered "more" (true, or one step up the scale)."""
    ind = INDICATORS[code]
    current = answers.get(code, False if ind.answer == "bool" else 0)
    new = True if ind.answer == "bool" else min(int(current) + 1, INSTRUMENT.scoring.scale_max)
    return {**answers, code: new}


@settings(max_examples=300, deadline=None)
@given(answers=answers_st)
def test_same_answers_same_version_same_result(answers):
    first = scoring.score(INSTRUMENT, answers)
    shuffled = dict(reversed(list(answers.items())))
    reloaded = load_file(DIRECTORY / "gender-v1.toml")
    assert scoring.score(reloaded, shuffled) == first
    assert not scoring.check_answers(INSTRUMENT, answers)
    assert all(isinstance(v, int) for v in first.scores.values())
    assert list(first.scores) == list(scoring.SCORE_KEYS)
    level = first.computed_level
    assert scoring.measures_for(INSTRUMENT, level, answers) == scoring.measures_for(reloaded, level, shuffled)


@settings(max_examples=400, deadline=None)
@given(answers=answers_st, code=st.sampled_from(codes_of("threats", "vulnerabilities", "gender")))
def test_adding_a_threat_vulnerability_or_gender_indicator_never_lowers_the_level(answers, code):
    before = scoring.score(INSTRUMENT, answers)
    after = scoring.score(INSTRUMENT, raised(answers, code))
    assert scoring.rank(after.computed_level) >= scoring.rank(before.computed_level)
    assert after.scores["risk"] >= before.scores["risk"]


@settings(max_examples=400, deadline=None)
@given(answers=answers_st, code=st.sampled_from(codes_of("capacities")))
def test_adding_a_capacity_never_raises_the_level(answers, code):
    before = scoring.score(INSTRUMENT, answers)
    after = scoring.score(INSTRUMENT, raised(answers, code))
    assert scoring.rank(after.computed_level) <= scoring.rank(before.computed_level)
    assert after.scores["risk"] <= before.scores["risk"]


@settings(max_examples=200, deadline=None)
@given(answers=answers_st)
def test_capacities_never_take_away_more_than_half(answers):
    result = scoring.score(INSTRUMENT, answers)
    assert result.scores["risk"] * 2 >= result.scores["pressure"]
    assert result.scores["pressure"] == sum(
        result.scores[g] for g in ("threats", "vulnerabilities", "gender")
    )


@settings(max_examples=200, deadline=None)
@given(answers=answers_st, level=st.sampled_from(LEVELS))
def test_measures_follow_the_final_level(answers, level):
    measures = scoring.measures_for(INSTRUMENT, level, answers)
    high = scoring.rank(level) >= scoring.rank("high")
    assert ("shelter" in measures) == high
    assert ("relocation_grant" in measures) == high
    assert len(set(measures)) == len(measures)
    assert list(measures) == [m for m in scoring.MEASURE_ORDER if m in measures]


@settings(max_examples=200, deadline=None)
@given(
    answers=answers_st,
    extra=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda c: c not in INDICATORS), st.booleans()
    ),
)
def test_answer_errors_only_count_codes_the_instrument_does_not_have(answers, extra):
    """What was typed is never repeated: the errors are the same whatever the unknown codes."""
    errors = scoring.check_answers(INSTRUMENT, {**answers, **extra})
    placeholders = {f"unknown-{n}": True for n in range(len(extra))}
    assert errors == scoring.check_answers(INSTRUMENT, {**answers, **placeholders})
    assert errors.unknown_count == len(extra) and bool(errors) == bool(extra)


def test_worked_examples():
    nothing = scoring.score(INSTRUMENT, required_answers(False))
    assert nothing.computed_level == "low" and nothing.scores["risk"] == 0
    high = scoring.score(INSTRUMENT, high_answers())
    assert high.computed_level == "high", high
    assert scoring.measures_for(INSTRUMENT, "high", high_answers()) == [
        "shelter",
        "relocation_grant",
        "home_security_grant",
        "self_care",
    ]
    extreme = scoring.score(INSTRUMENT, extreme_answers())
    assert extreme.computed_level == "extreme" and "T03" in extreme.floors
    assert "medical_psychological_grant" in scoring.measures_for(INSTRUMENT, "extreme", extreme_answers())
    assert "legal_grant" in scoring.measures_for(INSTRUMENT, "extreme", extreme_answers())
    # Sexual violence alone is at least high, whatever the sum says.
    assert scoring.score(INSTRUMENT, {**required_answers(False), "G01": True}).computed_level == "high"


def test_answer_errors_name_the_instruments_codes_only():
    answers = {**required_answers(False), "Z99": True, "T01": True, "T02": 2}
    del answers["G02"]
    errors = scoring.check_answers(INSTRUMENT, answers)
    assert errors.unknown_count == 1
    assert errors.missing_required == ["G02"]
    assert errors.bad_values == ["T01 (0 to 3)", "T02 (true or false)"]
    assert "Z99" not in errors.describe() and "G02" in errors.describe()
    assert scoring.check_answers(INSTRUMENT, {**required_answers(), "T01": 4}).bad_values == ["T01 (0 to 3)"]


CODES = st.sampled_from(["GT-17", "GT-18", "GT-16", "MX-CHP", "HN-CR", "MX"])


@settings(max_examples=200, deadline=None)
@given(region=CODES | st.none(), requested=st.lists(CODES, max_size=6), exclude=st.booleans())
def test_excluded_regions_start_with_the_case_region_and_never_repeat(region, requested, exclude):
    regions = scoring.excluded_regions(region, requested, exclude)
    assert len(set(regions)) == len(regions)
    if exclude and region:
        assert regions[0] == region
    if not exclude and region not in requested:
        assert region not in regions
    assert set(requested) <= set(regions)


def test_excluded_regions_examples():
    assert scoring.excluded_regions("GT-17", None, True) == ["GT-17"]
    assert scoring.excluded_regions("GT-17", ["GT-18", "GT-17"], True) == ["GT-17", "GT-18"]
    assert scoring.excluded_regions("GT-17", ["GT-18"], False) == ["GT-18"]
    # A case whose region was free text before codes (now unknown) adds nothing.
    assert scoring.excluded_regions(None, ["GT-18"], True) == ["GT-18"]
