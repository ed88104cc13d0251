"""Properties of picking beds for a party (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.shelters.domain.beds import BedSlot, Need, fit_by_counts, pick_beds
from tests.shelters.unit.strategies import beds_st, feasible, need_st


@given(need_st, beds_st)
def test_pick_beds_is_all_or_none_and_respects_bed_kinds(need, beds):
    chosen = pick_beds(need, beds)
    assert (chosen is not None) == feasible(need, beds)
    if chosen is None:
        return
    by_id = {b.id: b for b in beds}
    assert len(chosen) == need.size == len(set(chosen))
    assert all(c in by_id for c in chosen)
    # Child-sized beds only for young children; one accessible regular bed when needed.
    assert sum(by_id[c].child_sized for c in chosen) <= need.young_children
    if need.accessible:
        assert any(by_id[c].accessible and not by_id[c].child_sized for c in chosen)


@given(
    adults=st.integers(1, 6),
    ages=st.lists(st.integers(0, 17), max_size=5),
    accessible=st.booleans(),
    free=st.tuples(st.integers(0, 8), st.integers(0, 3), st.integers(0, 6), st.integers(0, 2)),
)
def test_counting_free_beds_agrees_with_picking_them(adults, ages, accessible, free):
    """Availability answers 'does the party fit' from counts; holds pick real beds.
    Both must always give the same answer."""
    plain, plain_accessible, child, child_accessible = free
    kinds = [(False, False)] * plain + [(False, True)] * plain_accessible
    kinds += [(True, False)] * child + [(True, True)] * child_accessible
    beds = [BedSlot(id=uuid.UUID(int=i), child_sized=c, accessible=a) for i, (c, a) in enumerate(kinds)]
    need = Need(adults=adults, children_ages=tuple(ages), accessible=accessible)
    counted = fit_by_counts(need)(plain + plain_accessible, plain_accessible, child + child_accessible)
    assert counted == (pick_beds(need, beds) is not None)


def test_a_party_of_young_children_needing_access_gets_the_accessible_bed():
    """Found by the availability property (a query may have no adults): the accessible
    regular bed went to nobody, so three young children did not fit in three beds."""
    beds = [BedSlot(uuid.UUID(int=1), child_sized=False, accessible=True)]
    beds += [BedSlot(uuid.UUID(int=i), child_sized=True, accessible=True) for i in (2, 3)]
    need = Need(adults=0, children_ages=(2, 5, 9), accessible=True)
    assert sorted(pick_beds(need, beds)) == [b.id for b in beds]
    assert fit_by_counts(need)(1, 1, 2)


T0 = datetime(2026, 11, 1, tzinfo=UTC)
request_st = st.tuples(need_st, st.integers(0, 20), st.integers(1, 10))  # party, starts on day, stays days


@given(beds=beds_st, requests=st.lists(request_st, max_size=12))
def test_a_bed_is_never_held_by_two_parties_for_overlapping_time(beds, requests):
    """DESIGN.md's invariant, on the pure rules: holds pick only beds free for their whole
    period (as the store reads them), so no bed ends up in two overlapping stays. The
    database's exclusion constraint enforces the same (tests/shelters/integration)."""
    ledger: list[tuple[uuid.UUID, datetime, datetime]] = []
    for need, day, days in requests:
        start, end = T0 + timedelta(days=day), T0 + timedelta(days=day + days)
        free = [b for b in beds if not any(bed == b.id and s < end and start < e for bed, s, e in ledger)]
        chosen = pick_beds(need, free)
        if chosen is None:
            continue
        assert len(chosen) == need.size == len(set(chosen))
        ledger += [(bed, start, end) for bed in chosen]
    for i, (bed, s, e) in enumerate(ledger):
        for bed2, s2, e2 in ledger[i + 1 :]:
            assert not (bed == bed2 and s < e2 and s2 < e)
