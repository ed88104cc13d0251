"""Properties of the capacity arithmetic: beds by state now and the 14-day forecast."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.shelters.domain import forecast

NOW = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
DAYS = forecast.forecast_days(NOW)
STATES = ["occupied", "held", "out_of_service"]


@st.composite
def shelters(draw):
    """A shelter's bed count and its active allocations: per bed, stays that never
    overlap (the exclusion constraint sees to that), in hours around now."""
    beds = draw(st.integers(0, 6))
    busy: list[forecast.Busy] = []
    for i in range(beds):
        bed = uuid.UUID(int=i)
        cuts = sorted(draw(st.lists(st.integers(-48, 20 * 24), max_size=6, unique=True)))
        for lo, hi in zip(cuts[::2], cuts[1::2], strict=False):
            state = draw(st.sampled_from(STATES))
            busy.append(forecast.Busy(bed, NOW + timedelta(hours=lo), NOW + timedelta(hours=hi), state))
    return beds, busy


@given(shelters(), st.booleans())
def test_beds_now_and_forecast_add_up(shelter, usable):
    beds, busy = shelter
    load = forecast.shelter_load(beds, usable=usable, busy=busy, now=NOW, days=DAYS)
    taken_now = {b.bed_id for b in busy if b.start <= NOW < b.end}
    assert load.occupied + load.held + load.out_of_service == len(taken_now)
    assert len(load.forecast) == forecast.FORECAST_DAYS
    if not usable:
        # A closed or compromised shelter takes nobody: nothing is free there.
        assert load.free == 0 and load.forecast == [0] * forecast.FORECAST_DAYS
        return
    assert load.free == beds - len(taken_now) >= 0
    assert load.forecast[0] == load.free  # day 0 is now
    for at, free in zip(DAYS, load.forecast, strict=True):
        assert free == beds - len({b.bed_id for b in busy if b.start <= at < b.end})
        assert 0 <= free <= beds


@given(shelters())
def test_each_bed_now_has_the_state_of_its_allocation(shelter):
    beds, busy = shelter
    load = forecast.shelter_load(beds, usable=True, busy=busy, now=NOW, days=DAYS)
    now = [b for b in busy if b.start <= NOW < b.end]
    assert load.occupied == sum(b.state == "occupied" for b in now)
    assert load.held == sum(b.state == "held" for b in now)
    assert load.out_of_service == sum(b.state == "out_of_service" for b in now)


def test_bed_state_of_an_allocation():
    assert forecast.bed_state("out_of_service", None) == "out_of_service"
    assert forecast.bed_state("placement", "checked_in") == "occupied"
    assert forecast.bed_state("placement", "held") == forecast.bed_state("placement", "confirmed") == "held"


@given(st.lists(st.tuples(st.sampled_from(["GT", "MX", "SV"]), shelters(), st.booleans()), max_size=8))
def test_country_totals_add_up_the_shelters(rows):
    loads = [
        (country, forecast.shelter_load(beds, usable=usable, busy=busy, now=NOW, days=DAYS))
        for country, (beds, busy), usable in rows
    ]
    totals = dict(forecast.by_country(loads))
    assert list(totals) == sorted(totals) == sorted({c for c, _ in loads})
    for country, t in totals.items():
        mine = [load for c, load in loads if c == country]
        for name in ("beds", "occupied", "held", "out_of_service", "free"):
            assert getattr(t, name) == sum(getattr(load, name) for load in mine)
        assert t.forecast == [sum(day) for day in zip(*(load.forecast for load in mine), strict=True)]
