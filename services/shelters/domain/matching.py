"""Which shelter a party goes to: one shelter for the whole party, never an excluded
region, and the reason for the choice (rule codes, never an address)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.shelters.domain.beds import Need, fit_by_counts


@dataclass(frozen=True)
class Candidate:
    """An open shelter and how many beds of each kind are free for the whole period.

    Matching ranks every open shelter on every hold, so it works on counts; the beds
    themselves are read only for the chosen shelter, under its lock."""

    shelter_id: uuid.UUID
    code: str
    country: str
    region: str | None  # None: recorded as free text before regions were codes
    accepts: tuple[str, ...]
    accessible: bool
    free_regular: int  # regular (not child-sized) beds, accessible ones included
    free_regular_accessible: int
    free_child: int

    @property
    def free_total(self) -> int:
        return self.free_regular + self.free_child


@dataclass(frozen=True)
class Match:
    shelter_id: uuid.UUID
    code: str
    country: str
    region: str | None
    reason: str


def is_excluded(country: str, region: str | None, excluded: Iterable[str]) -> bool:
    """An excluded entry is a subdivision code (GT-17), or a whole country by its code (GT).
    Codes have one spelling: no folding, no "Peten" against "Petén"."""
    excluded = set(excluded)
    return country in excluded or (region is not None and region in excluded)


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
    home_region: str | None,
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
    fits = fit_by_counts(need)
    for c in candidates:
        if is_excluded(c.country, c.region, excluded):
            continue
        if need.accessible and not c.accessible:
            continue
        considered += 1
        if not fits(c.free_regular, c.free_regular_accessible, c.free_child):
            continue
        cross_border = c.country != home_country
        same_region = home_region is not None and c.region == home_region
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
        f"region={best.region or 'unknown'}",
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
