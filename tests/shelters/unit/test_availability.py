"""Properties of the availability arithmetic: free beds by kind, the fit answer and the
country totals."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.shelters.domain import availability
from services.shelters.domain.beds import BedSlot, pick_beds

# Free beds of the four kinds: plain, plain accessible, child-sized, child-sized accessible.
kinds_st = st.tuples(st.integers(0, 8), st.integers(0, 3), st.integers(0, 6), st.integers(0, 2))


def beds_of(plain: int, plain_accessible: int, child: int, child_accessible: int) -> list[BedSlot]:
    kinds = [(False, False)] * plain + [(False, True)] * plain_accessible
    kinds += [(True, False)] * child + [(True, True)] * child_accessible
    return [BedSlot(id=uuid.UUID(int=i), child_sized=c, accessible=a) for i, (c, a) in enumerate(kinds)]


@given(
    adults=st.integers(0, 6),
    children=st.integers(0, 6),
    accessible=st.booleans(),
    shelter_accessible=st.booleans(),
    kinds=kinds_st,
)
def test_fits_party_is_what_a_hold_would_find(adults, children, accessible, shelter_accessible, kinds):
    """The answer counts children as young (their ages are unknown here); with young
    children that is exactly whether a hold would pick beds for the party there."""
    need = availability.query_need(adults, children, accessible)
    assert need.size == adults + children and need.young_children == children
    regular, child, _ = availability.free_by_kind(*kinds)
    fits = availability.party_fit(need)(shelter_accessible, regular, kinds[1], child)
    could_hold = pick_beds(need, beds_of(*kinds)) is not None and (shelter_accessible or not accessible)
    assert fits == could_hold


@given(kinds_st)
def test_every_free_bed_is_counted_once_by_kind(kinds):
    beds = beds_of(*kinds)
    regular, child, accessible = availability.free_by_kind(*kinds)
    assert regular + child == len(beds)
    assert regular == sum(not b.child_sized for b in beds)
    assert child == sum(b.child_sized for b in beds)
    assert accessible == sum(b.accessible for b in beds)


shelter_st = st.tuples(
    st.sampled_from(["GT", "MX", "SV", "HN"]), st.integers(0, 30), st.integers(0, 30), st.booleans()
).map(lambda t: (t[0], t[1], min(t[1], t[2]), t[3]))


@given(st.lists(shelter_st, max_size=20))
def test_country_totals_add_up_the_shelters(shelters):
    totals = availability.by_country(shelters)
    assert [c for c, _ in totals] == sorted({s[0] for s in shelters})
    for country, t in totals:
        mine = [s for s in shelters if s[0] == country]
        assert t.shelters == len(mine)
        assert t.beds == sum(s[1] for s in mine)
        assert t.free == sum(s[2] for s in mine) <= t.beds
        assert t.shelters_fitting_party == sum(s[3] for s in mine) <= t.shelters
