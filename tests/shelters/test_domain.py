"""Properties of the pure matching rules (no I/O)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.shelters import domain
from services.shelters.domain import BedSlot, Candidate, Need

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
REGIONS = ["Quiché", "Petén", "Chiapas", "Oaxaca", "San Salvador"]
candidate_st = st.builds(
    Candidate.from_beds,
    shelter_id=st.uuids(),
    code=st.text("ABCDEFGH", min_size=1, max_size=4),
    country=st.sampled_from(["GT", "MX", "SV"]),
    region=st.sampled_from(REGIONS),
    accepts=st.sampled_from([(), ("women",), ("women", "families")]),
    accessible=st.booleans(),
    free_beds=beds_st.map(tuple),
)


def feasible(need: Need, beds: list[BedSlot]) -> bool:
    regular = [b for b in beds if not b.child_sized]
    if need.accessible and not any(b.accessible for b in regular):
        return False
    return need.regular_needed <= len(regular) and need.size <= len(beds)


@given(need_st, beds_st)
def test_pick_beds_is_all_or_none_and_respects_bed_kinds(need, beds):
    chosen = domain.pick_beds(need, beds)
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
    need_st,
    st.sampled_from(["GT", "MX"]),
    st.lists(st.sampled_from([*REGIONS, "SV", "MX"]), max_size=3),
    st.lists(candidate_st, max_size=6, unique_by=lambda c: c.shelter_id),
)
def test_choose_shelter_never_excluded_one_shelter_same_country_first(need, home, excluded, candidates):
    match = domain.choose_shelter(
        need, home_country=home, home_region="Quiché", excluded=excluded, candidates=candidates
    )
    allowed = [
        c
        for c in candidates
        if not domain.is_excluded(c.country, c.region, excluded)
        and (c.accessible or not need.accessible)
        and feasible(need, list(c.free_beds))
    ]
    if match is None:
        assert not allowed
        return
    chosen = next(c for c in candidates if c.shelter_id == match.shelter_id)
    assert chosen in allowed
    # The beds are picked later, under the shelter's lock; they must be there to pick.
    beds = domain.pick_beds(need, chosen.free_beds)
    assert beds is not None and len(beds) == need.size
    assert match.reason and "Calle" not in match.reason
    if any(c.country == home for c in allowed):
        assert chosen.country == home and "same_country" in match.reason
    else:
        assert "cross_border" in match.reason


def test_excluded_entries_name_regions_or_whole_countries():
    assert domain.is_excluded("GT", "Quiché", ["quiché"])
    assert domain.is_excluded("GT", "Petén", ["GT"])
    assert not domain.is_excluded("MX", "Chiapas", ["GT", "Quiché"])


def test_family_prefers_shelter_taking_families_then_tightest_fit():
    def cand(code, accepts, n):
        return Candidate.from_beds(
            shelter_id=uuid.uuid4(),
            code=code,
            country="MX",
            region="Oaxaca",
            accepts=accepts,
            accessible=False,
            free_beds=tuple(BedSlot(uuid.uuid4(), False, False) for _ in range(n)),
        )

    need = Need(adults=1, children_ages=(5,))
    women_only, big, small = (
        cand("A", ("women",), 2),
        cand("B", ("families",), 9),
        cand("C", ("families",), 3),
    )
    match = domain.choose_shelter(
        need, home_country="MX", home_region="Chiapas", excluded=[], candidates=[women_only, big, small]
    )
    assert match is not None and match.code == "C"


def test_transitions():
    assert domain.can_transition("held", "confirmed")
    assert not domain.can_transition("checked_in", "cancelled")
    assert not domain.can_transition("expired", "held")
    assert domain.waitlist_key("extreme", 2) < domain.waitlist_key("high", 1)


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
    counted = domain.fits_counts(
        need,
        regular=plain + plain_accessible,
        regular_accessible=plain_accessible,
        child=child + child_accessible,
    )
    assert counted == (domain.pick_beds(need, beds) is not None)
