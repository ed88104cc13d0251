"""Pure rules of the shelters service: bed matching, lifecycle transitions, waitlist order."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

LEVEL_RANK = {"low": 1, "medium": 2, "high": 3, "extreme": 4}
ACTIVE = ("requested", "held", "confirmed", "checked_in")
# Beds are kept by these states (the allocation rows are active).
KEEPS_BEDS = ("held", "confirmed", "checked_in")
# Children up to this age sleep in child-sized beds; older ones need a regular bed.
CHILD_BED_MAX_AGE = 12

TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"held", "cancelled"}),
    "held": frozenset({"confirmed", "cancelled", "expired"}),
    "confirmed": frozenset({"checked_in", "cancelled"}),
    "checked_in": frozenset({"ended"}),
    "ended": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class Need:
    """What a party needs in beds."""

    adults: int
    children_ages: tuple[int, ...] = ()
    accessible: bool = False

    @cached_property
    def size(self) -> int:
        return self.adults + len(self.children_ages)

    @cached_property
    def young_children(self) -> int:
        return sum(1 for age in self.children_ages if age <= CHILD_BED_MAX_AGE)

    @cached_property
    def regular_needed(self) -> int:
        """People who need a regular (not child-sized) bed."""
        return self.size - self.young_children


@dataclass(frozen=True)
class BedSlot:
    id: uuid.UUID
    child_sized: bool
    accessible: bool


@dataclass(frozen=True)
class Candidate:
    """An open shelter and how many beds of each kind are free for the whole period.

    Matching ranks every open shelter on every hold, so it works on counts; the beds
    themselves are read only for the chosen shelter, under its lock."""

    shelter_id: uuid.UUID
    code: str
    country: str
    region: str
    accepts: tuple[str, ...]
    accessible: bool
    free_regular: int  # regular (not child-sized) beds, accessible ones included
    free_regular_accessible: int
    free_child: int
    free_beds: tuple[BedSlot, ...] = ()  # only when built from beds

    @classmethod
    def from_beds(cls, *, free_beds: Iterable[BedSlot], **fields) -> Candidate:
        beds = tuple(free_beds)
        return cls(
            **fields,
            free_regular=sum(not b.child_sized for b in beds),
            free_regular_accessible=sum(b.accessible and not b.child_sized for b in beds),
            free_child=sum(b.child_sized for b in beds),
            free_beds=beds,
        )

    @property
    def free_total(self) -> int:
        return self.free_regular + self.free_child


@dataclass(frozen=True)
class Match:
    shelter_id: uuid.UUID
    code: str
    country: str
    region: str
    reason: str
    bed_ids: tuple[uuid.UUID, ...] = ()  # empty until beds are picked under the lock


def pick_beds(need: Need, beds: Iterable[BedSlot]) -> list[uuid.UUID] | None:
    """Beds for the whole party, or None. All or none.

    Order matters: the one accessible bed first, then people who need regular beds
    (sparing accessible ones), young children last because any bed fits them
    (child-sized beds first). This greedy order is optimal for these bed kinds.
    """
    pool = sorted(beds, key=lambda b: (b.child_sized, b.accessible, str(b.id)))
    regular = [b for b in pool if not b.child_sized]
    child = [b for b in pool if b.child_sized]
    chosen: list[BedSlot] = []
    regular_needed = need.regular_needed
    if need.accessible:
        accessible = [b for b in regular if b.accessible]
        if not accessible:
            return None
        chosen.append(accessible[0])
        regular.remove(accessible[0])
        regular_needed -= 1
    # regular is sorted non-accessible first: accessible beds are used last.
    if regular_needed > len(regular):
        return None
    chosen.extend(regular[:regular_needed])
    leftover = regular[regular_needed:]
    young = need.young_children
    flexible = child + leftover
    if young > len(flexible):
        return None
    chosen.extend(flexible[:young])
    return [b.id for b in chosen]


def fits_counts(need: Need, *, regular: int, regular_accessible: int, child: int) -> bool:
    """Whether ``pick_beds`` would find beds, from free-bed counts alone (``regular``
    includes ``regular_accessible``). Availability asks this for every shelter on every
    request, so it must not build a bed list."""
    if need.accessible and regular_accessible < 1:
        return False
    if need.regular_needed > regular:
        return False
    return need.young_children <= child + regular - need.regular_needed


def is_excluded(country: str, region: str, excluded: Iterable[str]) -> bool:
    """An excluded entry names a region, or a whole country by its two-letter code."""
    region_key = region.strip().casefold()
    for item in excluded:
        value = item.strip()
        if value.casefold() == region_key:
            return True
        if len(value) == 2 and value.isalpha() and value.isupper() and value == country:
            return True
    return False


def _accepts_party(candidate: Candidate, need: Need) -> bool:
    if not candidate.accepts:
        return True
    if need.children_ages:
        return bool({"families", "children"} & set(candidate.accepts))
    return True


def choose_shelter(
    need: Need,
    *,
    home_country: str,
    home_region: str,
    excluded: Sequence[str],
    candidates: Iterable[Candidate],
) -> Match | None:
    """The best shelter for the whole party, with the reason, or None.

    Rules (in order): one shelter for the whole party; never an excluded region or
    country; the shelter is accessible when the party needs it; same country before
    crossing a border; away from the home region; a shelter that says it takes
    families/children for a party with children; then the tightest fit (keeps large
    shelters for large families); then the code, so the choice is reproducible.
    """
    options: list[tuple[tuple, Candidate]] = []
    considered = 0
    for c in candidates:
        if is_excluded(c.country, c.region, excluded):
            continue
        if need.accessible and not c.accessible:
            continue
        considered += 1
        if not fits_counts(
            need, regular=c.free_regular, regular_accessible=c.free_regular_accessible, child=c.free_child
        ):
            continue
        cross_border = c.country != home_country
        same_region = c.country == home_country and c.region.casefold() == home_region.casefold()
        key = (
            cross_border,
            same_region,
            not _accepts_party(c, need),
            c.free_total - need.size,
            c.code,
        )
        options.append((key, c))
    if not options:
        return None
    options.sort(key=lambda o: o[0])
    key, best = options[0]
    # pick_beds gives young children the child-sized beds first.
    child_beds = min(need.young_children, best.free_child)
    parts = [
        "cross_border" if key[0] else "same_country",
        f"region={best.region}",
        "outside_excluded_regions" if excluded else "no_exclusions",
        f"beds={need.size}(regular={need.size - child_beds},child={child_beds})",
    ]
    if need.accessible:
        parts.append("accessible")
    if key[1]:
        parts.append("in_home_region")
    if need.children_ages:
        parts.append("takes_families" if not key[2] else "families_not_listed")
    parts.append(f"tightest_fit_of={len(options)}/{considered}")
    return Match(
        shelter_id=best.shelter_id,
        code=best.code,
        country=best.country,
        region=best.region,
        reason="; ".join(parts),
    )


def waitlist_key(level: str, requested_at) -> tuple:
    """Extreme first, then who has waited longest."""
    return (-LEVEL_RANK[level], requested_at)
