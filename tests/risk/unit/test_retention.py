"""The retention rule (domain.retention.decide): properties of blocking, then erasing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.risk.domain.retention import RANK, STATES, decide, next_state

T0 = datetime(2024, 1, 1, tzinfo=UTC)
times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))
days = st.integers(0, 3_000)
gaps = st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)), max_size=30)


@given(state=st.sampled_from(STATES), blocked_at=st.none() | times, now=times, block=days, erase=days)
def test_an_open_case_is_always_kept(state, blocked_at, now, block, erase):
    assert (
        decide(
            state=state, closed_at=None, blocked_at=blocked_at, now=now, block_days=block, erase_days=erase
        )
        == "keep"
    )


@given(closed_at=times, blocked_at=st.none() | times, now=times, block=days, erase=days)
def test_erased_data_has_nothing_left_to_do(closed_at, blocked_at, now, block, erase):
    action = decide(
        state="erased",
        closed_at=closed_at,
        blocked_at=blocked_at,
        now=now,
        block_days=block,
        erase_days=erase,
    )
    assert action == "keep"


@given(closed_at=times, now=times, block=days, erase=days)
def test_active_data_is_kept_exactly_until_the_blocking_period_ends(closed_at, now, block, erase):
    action = decide(
        state="active", closed_at=closed_at, blocked_at=None, now=now, block_days=block, erase_days=erase
    )
    if now - closed_at < timedelta(days=block):
        assert action == "keep"
    else:
        assert action == ("erase" if erase == 0 else "block")


@given(closed_at=times, blocked_at=times, now=times, block=days, erase=days)
def test_blocked_data_is_never_erased_before_the_erasure_period(closed_at, blocked_at, now, block, erase):
    action = decide(
        state="blocked",
        closed_at=closed_at,
        blocked_at=blocked_at,
        now=now,
        block_days=block,
        erase_days=erase,
    )
    assert action in ("keep", "erase")
    assert (action == "erase") == (now - blocked_at >= timedelta(days=erase))


@given(
    state=st.sampled_from(STATES),
    closed_at=times,
    blocked_at=st.none() | times,
    now=times,
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5_000)),
    block=days,
    erase=days,
)
def test_a_later_run_never_does_less(state, closed_at, blocked_at, now, later, block, erase):
    """Monotone in time: what a run would do now, a later run does too (or more)."""
    args = {
        "state": state,
        "closed_at": closed_at,
        "blocked_at": blocked_at,
        "block_days": block,
        "erase_days": erase,
    }
    assert RANK[decide(now=now + later, **args)] >= RANK[decide(now=now, **args)]


@given(
    closed_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800)),
    runs=gaps,
    block=days,
    erase=days,
)
def test_daily_runs_block_then_erase_and_never_early(closed_after, runs, block, erase):
    """A case driven through runs at arbitrary times: the states only move forward, data
    is blocked no earlier than ``block`` days after closing and erased no earlier than
    ``erase`` days after blocking (so never before ``block + erase`` days after closing)."""
    closed_at = T0 + closed_after
    state, blocked_at, erased_at = "active", None, None
    now = closed_at
    for gap in runs:
        now += gap
        action = decide(
            state=state,
            closed_at=closed_at,
            blocked_at=blocked_at,
            now=now,
            block_days=block,
            erase_days=erase,
        )
        before = STATES.index(state)
        state = next_state(state, action)
        assert STATES.index(state) >= before
        if action == "block":
            blocked_at = now
            assert now - closed_at >= timedelta(days=block)
        if action == "erase":
            erased_at = now
            assert blocked_at is not None or erase == 0
            assert now - (blocked_at or now) >= timedelta(days=erase)
            assert now - closed_at >= timedelta(days=block + (erase if blocked_at else 0))
    if erased_at is not None:
        assert state == "erased"


def test_zero_days_erases_at_the_first_run_after_closing():
    assert (
        decide(state="active", closed_at=T0, blocked_at=None, now=T0, block_days=0, erase_days=0) == "erase"
    )


def test_defaults_read_a_year_then_two():
    closed = T0
    assert (
        decide(
            state="active",
            closed_at=closed,
            blocked_at=None,
            now=T0 + timedelta(days=364),
            block_days=365,
            erase_days=730,
        )
        == "keep"
    )
    assert (
        decide(
            state="active",
            closed_at=closed,
            blocked_at=None,
            now=T0 + timedelta(days=365),
            block_days=365,
            erase_days=730,
        )
        == "block"
    )


def test_negative_periods_are_refused():
    with pytest.raises(ValueError):
        decide(state="active", closed_at=T0, blocked_at=None, now=T0, block_days=-1, erase_days=0)
