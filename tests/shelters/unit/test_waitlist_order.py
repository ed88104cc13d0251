"""The waitlist's order: the rank stored with each request (the SQL sorts by it)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.shelters.domain import waitlist
from shared.events import LEVELS


@given(st.sampled_from(LEVELS), st.sampled_from(LEVELS))
def test_a_higher_level_is_always_served_first(a, b):
    assert (waitlist.rank(a) > waitlist.rank(b)) == (LEVELS.index(a) > LEVELS.index(b))


def test_every_level_has_a_rank_extreme_highest():
    assert set(waitlist.LEVEL_RANK) == set(LEVELS)
    assert max(LEVELS, key=waitlist.rank) == "extreme"
