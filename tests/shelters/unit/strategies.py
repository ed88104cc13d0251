"""Generators of the shelters' domain values, shared by the unit tests."""

from __future__ import annotations

from hypothesis import strategies as st

from services.shelters.domain.beds import BedSlot, Need

beds_st = st.lists(
    st.builds(BedSlot, id=st.uuids(), child_sized=st.booleans(), accessible=st.booleans()),
    max_size=10,
    unique_by=lambda b: b.id,
)
need_st = st.builds(
    Need,
    adults=st.integers(1, 4),
    children_ages=st.lists(st.integers(0, 17), max_size=4).map(tuple),
    accessible=st.booleans(),
)


def feasible(need: Need, beds: list[BedSlot]) -> bool:
    """The model of "the party fits": one accessible regular bed if needed, a regular
    bed for everyone too old for a child-sized one, a bed for everyone."""
    regular = [b for b in beds if not b.child_sized]
    if need.accessible and not any(b.accessible for b in regular):
        return False
    return need.regular_needed <= len(regular) and need.size <= len(beds)
