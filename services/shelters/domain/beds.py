"""Which beds fit a party: bed kinds, picking beds for the whole party, or counting."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

# Children up to this age sleep in child-sized beds; older ones need a regular bed.
CHILD_BED_MAX_AGE = 12


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
    young = need.young_children
    if need.accessible:
        accessible = [b for b in regular if b.accessible]
        if not accessible:
            return None
        chosen.append(accessible[0])
        regular.remove(accessible[0])
        # Whoever needs it sleeps there: someone who needs a regular bed, else a child.
        if regular_needed:
            regular_needed -= 1
        else:
            young -= 1
    # regular is sorted non-accessible first: accessible beds are used last.
    if regular_needed > len(regular):
        return None
    chosen.extend(regular[:regular_needed])
    leftover = regular[regular_needed:]
    flexible = child + leftover
    if young > len(flexible):
        return None
    chosen.extend(flexible[:young])
    return [b.id for b in chosen]


def fit_by_counts(need: Need) -> Callable[[int, int, int], bool]:
    """``fits(regular, regular_accessible, child)``: whether ``pick_beds`` would find beds
    for this party among free beds counted by kind (``regular`` includes the accessible
    ones). Matching and availability ask it of every shelter on every request, so it is
    built once per party and builds no bed list."""
    accessible = need.accessible
    regular_needed = need.regular_needed
    young = need.young_children

    def fits(regular: int, regular_accessible: int, child: int) -> bool:
        if accessible and regular_accessible < 1:
            return False
        if regular_needed > regular:
            return False
        # Young children take child-sized beds first, then the regular beds left over.
        return young <= child + regular - regular_needed

    return fits
