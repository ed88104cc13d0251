"""The arithmetic of ``GET /availability``: whether a party fits a shelter's free beds,
and the totals per country. The free-bed counts come from one SQL query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from services.shelters.domain.beds import Need, fits_counts


class FreeBeds(NamedTuple):
    """A shelter's beds free for the whole period, by kind (each bed in exactly one)."""

    regular: int  # not child-sized, not accessible
    regular_accessible: int
    child: int  # child-sized, not accessible
    child_accessible: int

    @property
    def total(self) -> int:
        return self.regular + self.regular_accessible + self.child + self.child_accessible

    @property
    def all_regular(self) -> int:
        return self.regular + self.regular_accessible

    @property
    def all_child(self) -> int:
        return self.child + self.child_accessible

    @property
    def all_accessible(self) -> int:
        return self.regular_accessible + self.child_accessible


def query_need(adults: int, children: int, accessible: bool) -> Need:
    """The party of an availability query. Its children have no ages here, so they count
    as young enough for child-sized beds (the question is "could they fit")."""
    return Need(adults=adults, children_ages=(0,) * children, accessible=accessible)


def party_fits(need: Need, *, shelter_accessible: bool, free: FreeBeds) -> bool:
    """The whole party fits in the free beds, as a hold would find them (``pick_beds``)."""
    if need.accessible and not shelter_accessible:
        return False
    return fits_counts(
        need, regular=free.all_regular, regular_accessible=free.regular_accessible, child=free.all_child
    )


@dataclass
class CountryTotals:
    shelters: int = 0
    beds: int = 0
    free: int = 0
    shelters_fitting_party: int = 0


def by_country(shelters: Iterable[tuple[str, int, int, bool]]) -> list[tuple[str, CountryTotals]]:
    """Totals per country, in country order, from ``(country, beds, free, fits)`` per shelter."""
    totals: dict[str, CountryTotals] = {}
    for country, beds, free, fits in shelters:
        t = totals.get(country)
        if t is None:
            t = totals[country] = CountryTotals()
        t.shelters += 1
        t.beds += beds
        t.free += free
        t.shelters_fitting_party += fits
    return sorted(totals.items())
