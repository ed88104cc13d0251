"""The instrument as data (domain/instrument.py): the packaged file, and the files the
checks refuse."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from services.risk.domain import instrument, scoring
from services.risk.instruments import DIRECTORY, all_instruments
from tests.risk.helpers import INSTRUMENT

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
