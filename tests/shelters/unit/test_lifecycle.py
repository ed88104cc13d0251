"""Properties of a placement's states and time: transitions, hold expiry, stay ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.shelters.domain import lifecycle

STATES = sorted(lifecycle.TRANSITIONS)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


def test_transitions():
    assert lifecycle.can_transition("held", "confirmed")
    assert not lifecycle.can_transition("checked_in", "cancelled")
    assert not lifecycle.can_transition("expired", "held")
    assert lifecycle.states_before("checked_in") == ["confirmed"]


@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_states_keep_beds_exactly_between_hold_and_end(current, target):
    """A state that keeps beds is reached only by a hold (or from another that keeps
    them), and every state that keeps beds can still give them back."""
    if lifecycle.can_transition(current, target) and target in lifecycle.KEEPS_BEDS:
        assert current in lifecycle.KEEPS_BEDS or (current, target) == ("requested", "held")
    if current in lifecycle.KEEPS_BEDS:
        assert set(lifecycle.TRANSITIONS[current]) - set(lifecycle.KEEPS_BEDS)
    assert lifecycle.can_transition(current, target) == (current in lifecycle.states_before(target))
    assert set(lifecycle.KEEPS_BEDS) <= set(lifecycle.ACTIVE)


@given(now=moments, hours=st.floats(0.01, 72), later=st.timedeltas(timedelta(0), timedelta(days=5)))
def test_a_hold_expires_exactly_at_its_expiry(now, hours, later):
    expires = lifecycle.hold_expiry(now, hours)
    assert expires > now
    assert not lifecycle.hold_expired(expires, now)
    assert lifecycle.hold_expired(expires, now + later) == (now + later >= expires)
    assert not lifecycle.hold_expired(None, now + later)  # confirmed: no expiry


@given(now=moments, days=st.integers(1, 365))
def test_a_hold_covers_the_whole_requested_stay(now, days):
    start, end = lifecycle.hold_period(now, days)
    assert start == now and end - start == timedelta(days=days)


@given(
    starts=moments,
    current=st.integers(1, 365),
    expected=st.none() | st.integers(1, 400),
    days=st.none() | st.integers(1, 365),
)
def test_a_stay_change_takes_the_end_given_else_the_length_else_keeps_it(starts, current, expected, days):
    current_end = starts + timedelta(days=current)
    expected_end = None if expected is None else starts + timedelta(days=expected)
    end = lifecycle.stay_end(starts, current_end, expected_end=expected_end, stay_days=days)
    if expected_end is not None:
        assert end == expected_end
    elif days is not None:
        assert end == starts + timedelta(days=days)
    else:
        assert end == current_end


@given(now=moments)
def test_an_overstay_keeps_its_beds_ahead_of_the_clock(now):
    assert lifecycle.overstay_until(now) > now
