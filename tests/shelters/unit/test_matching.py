"""Properties of choosing a shelter for a party (no I/O)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.shelters.domain.beds import BedSlot, Need, pick_beds
from services.shelters.domain.matching import Candidate, choose_shelter, is_excluded
from tests.shelters.unit.strategies import beds_st, feasible, need_st

REGIONS = ["GT-14", "GT-17", "MX-CHP", "MX-OAX", "SV-SS"]


def with_beds(*, free_beds, **fields) -> tuple[Candidate, tuple[BedSlot, ...]]:
    """A candidate counted from its free beds (as the store's query counts them), and the beds."""
    beds = tuple(free_beds)
    candidate = Candidate(
        **fields,
        free_regular=sum(not b.child_sized for b in beds),
        free_regular_accessible=sum(b.accessible and not b.child_sized for b in beds),
        free_child=sum(b.child_sized for b in beds),
    )
    return candidate, beds


candidate_st = st.builds(
    with_beds,
    shelter_id=st.uuids(),
    code=st.text("ABCDEFGH", min_size=1, max_size=4),
    country=st.sampled_from(["GT", "MX", "SV"]),
    region=st.sampled_from(REGIONS),
    accepts=st.sampled_from([(), ("women",), ("women", "families")]),
    accessible=st.booleans(),
    free_beds=beds_st.map(tuple),
)


@given(
    need_st,
    st.sampled_from(["GT", "MX"]),
    st.lists(st.sampled_from([*REGIONS, "SV", "MX"]), max_size=3),
    st.lists(candidate_st, max_size=6, unique_by=lambda c: c[0].shelter_id),
)
def test_choose_shelter_never_excluded_one_shelter_same_country_first(need, home, excluded, counted):
    candidates = [c for c, _ in counted]
    beds_of = {c.shelter_id: beds for c, beds in counted}
    match = choose_shelter(
        need, home_country=home, home_region="GT-14", excluded=excluded, candidates=candidates
    )
    allowed = [
        c
        for c in candidates
        if not is_excluded(c.country, c.region, excluded)
        and (c.accessible or not need.accessible)
        and feasible(need, list(beds_of[c.shelter_id]))
    ]
    if match is None:
        assert not allowed
        return
    chosen = next(c for c in candidates if c.shelter_id == match.shelter_id)
    assert chosen in allowed
    # The beds are picked later, under the shelter's lock; they must be there to pick.
    beds = pick_beds(need, beds_of[chosen.shelter_id])
    assert beds is not None and len(beds) == need.size
    assert match.reason and "Calle" not in match.reason
    if any(c.country == home for c in allowed):
        assert chosen.country == home and "same_country" in match.reason
    else:
        assert "cross_border" in match.reason


def test_excluded_entries_name_regions_or_whole_countries():
    assert is_excluded("GT", "GT-14", ["GT-14"])
    assert is_excluded("GT", "GT-17", ["GT"])
    assert not is_excluded("MX", "MX-CHP", ["GT", "GT-14"])
    # Codes have one spelling: a name is no longer a region.
    assert not is_excluded("GT", "GT-14", ["quiché", "gt-14"])
    # A shelter whose region became unknown (free text before codes) is excluded only by country.
    assert not is_excluded("GT", None, ["GT-14"]) and is_excluded("GT", None, ["GT"])


def test_family_prefers_shelter_taking_families_then_tightest_fit():
    def cand(code, accepts, n):
        candidate, _ = with_beds(
            shelter_id=uuid.uuid4(),
            code=code,
            country="MX",
            region="MX-OAX",
            accepts=accepts,
            accessible=False,
            free_beds=tuple(BedSlot(uuid.uuid4(), False, False) for _ in range(n)),
        )
        return candidate

    need = Need(adults=1, children_ages=(5,))
    women_only, big, small = (
        cand("A", ("women",), 2),
        cand("B", ("families",), 9),
        cand("C", ("families",), 3),
    )
    match = choose_shelter(
        need, home_country="MX", home_region="MX-CHP", excluded=[], candidates=[women_only, big, small]
    )
    assert match is not None and match.code == "C"


@given(
    need_st,
    st.sampled_from(["GT", "MX"]),
    st.lists(st.sampled_from([*REGIONS, "SV", "MX"]), max_size=3),
    st.lists(candidate_st, max_size=8, unique_by=lambda c: c[0].shelter_id),
)
def test_her_country_first_then_the_others_chooses_as_all_at_once(need, home, excluded, counted):
    """The hold engine reads her country's shelters first and the others only when none
    there fits (placements.holds._room_in): it must choose what all at once would."""
    candidates = [c for c, _ in counted]

    def choose(options):
        return choose_shelter(
            need, home_country=home, home_region="GT-14", excluded=excluded, candidates=options
        )

    at_once = choose(candidates)
    in_turn = choose([c for c in candidates if c.country == home]) or choose(
        [c for c in candidates if c.country != home]
    )
    assert (in_turn and in_turn.shelter_id) == (at_once and at_once.shelter_id)
