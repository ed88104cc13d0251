"""The instrument as data (domain/instrument.py): the packaged file, and the files the
checks refuse."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.domain import instrument, scoring
from services.risk.instruments import DIRECTORY, all_instruments
from tests.risk.helpers import INSTRUMENT, answers_st

ROOT = Path(__file__).resolve().parents[3]


def test_the_instrument_is_served_from_the_package_and_the_repository_copy_is_the_same():
    assert sorted(all_instruments()) == ["gender-v1"]
    assert (ROOT / "instruments" / "gender-v1.toml").read_bytes() == (
        DIRECTORY / "gender-v1.toml"
    ).read_bytes()
    assert {i.group for i in INSTRUMENT.indicators} == set(instrument.GROUPS)
    assert {m.kind for m in INSTRUMENT.measures} == set(scoring.MEASURE_ORDER)
    assert all(i.text_es and i.text_en for i in INSTRUMENT.indicators)


def test_broken_instruments_are_refused():
    good = msgspec.to_builtins(INSTRUMENT)
    negative = {**good, "indicators": [{**good["indicators"][0], "weight": -1}, *good["indicators"][1:]]}
    with pytest.raises(instrument.InstrumentError, match="negative"):
        instrument.instrument_from(negative, name="gender-v1")
    shuffled = {**good, "levels": {"medium": 20, "high": 10, "extreme": 30}}
    with pytest.raises(instrument.InstrumentError, match="thresholds"):
        instrument.instrument_from(shuffled, name="gender-v1")
    dangling = {**good, "measures": [{**good["measures"][0], "any_of": ["NOPE"]}]}
    with pytest.raises(instrument.InstrumentError, match="unknown"):
        instrument.instrument_from(dangling, name="gender-v1")
    twice = {**good, "indicators": [good["indicators"][0], *good["indicators"]]}
    with pytest.raises(instrument.InstrumentError, match="unique"):
        instrument.instrument_from(twice, name="gender-v1")
    capacity_floor = next(i for i in good["indicators"] if i["group"] == "capacities")
    floored = {
        **good,
        "indicators": [{**i, "floor": "high"} if i is capacity_floor else i for i in good["indicators"]],
    }
    with pytest.raises(instrument.InstrumentError, match="floor"):
        instrument.instrument_from(floored, name="gender-v1")
    with pytest.raises(instrument.InstrumentError, match="file name"):
        instrument.instrument_from(good, name="gender-v2")
    with pytest.raises(instrument.InstrumentError):
        instrument.instrument_from({**good, "surprise": 1}, name="gender-v1")
    assert instrument.instrument_from(good, name="gender-v1") == INSTRUMENT


GOOD = msgspec.to_builtins(INSTRUMENT)


@st.composite
def instruments_st(draw) -> dict:
    """gender-v1's indicators and rules with any weights, thresholds and capacity limits."""
    weights = draw(
        st.lists(st.integers(0, 12), min_size=len(GOOD["indicators"]), max_size=len(GOOD["indicators"]))
    )
    medium, high, extreme = sorted(draw(st.sets(st.integers(1, 80), min_size=3, max_size=3)))
    scoring_rule = {
        "capacity_percent_per_point": draw(st.integers(0, 20)),
        "capacity_max_percent": draw(st.integers(0, 100)),
        "scale_max": 3,
    }
    return {
        **GOOD,
        "indicators": [{**i, "weight": w} for i, w in zip(GOOD["indicators"], weights, strict=True)],
        "levels": {"medium": medium, "high": high, "extreme": extreme},
        "scoring": scoring_rule,
    }


@settings(max_examples=200, deadline=None)
@given(raw=instruments_st(), answers=answers_st, data=st.data())
def test_what_the_checks_accept_scores_monotonically(raw, answers, data):
    """The checks exist for this: in any instrument they accept, answering a threat,
    vulnerability or gender indicator never lowers the level, and a capacity never raises it."""
    checked = instrument.instrument_from(raw, name="gender-v1")
    ind = data.draw(st.sampled_from(checked.indicators))
    more = {**answers, ind.code: True if ind.answer == "bool" else min(int(answers.get(ind.code, 0)) + 1, 3)}
    before, after = scoring.score(checked, answers), scoring.score(checked, more)
    if ind.group == "capacities":
        assert scoring.rank(after.computed_level) <= scoring.rank(before.computed_level)
    else:
        assert scoring.rank(after.computed_level) >= scoring.rank(before.computed_level)
    assert scoring.score(checked, answers) == before  # and the same answers, the same result


@settings(max_examples=100, deadline=None)
@given(raw=instruments_st(), data=st.data())
def test_a_negative_weight_anywhere_is_refused(raw, data):
    n = data.draw(st.integers(0, len(raw["indicators"]) - 1))
    indicators = [{**i, "weight": -1} if k == n else i for k, i in enumerate(raw["indicators"])]
    with pytest.raises(instrument.InstrumentError, match="negative"):
        instrument.instrument_from({**raw, "indicators": indicators}, name="gender-v1")
