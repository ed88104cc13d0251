"""The arithmetic of ``GET /availability``: whether a party fits a shelter's free beds,
and the totals per country. The free-bed counts come from one SQL query."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.shelters.domain.beds import Need, fit_by_counts


def free_by_kind(
    plain: int, plain_accessible: int, child: int, child_accessible: int
) -> tuple[int, int, int]:
    """``(regular, child, accessible)`` free beds, from the four kinds a bed is one of
    (plain, plain accessible, child-sized, child-sized accessible)."""
    return plain + plain_accessible, child + child_accessible, plain_accessible + child_accessible


def query_need(adults: int, children: int, accessible: bool) -> Need:
    """The party of an availability query. Its children have no ages here, so they count
    as young enough for child-sized beds (the question is "could they fit")."""
    return Need(adults=adults, children_ages=(0,) * children, accessible=accessible)


def party_fit(need: Need) -> Callable[[bool, int, int, int], bool]:
    """``fits(shelter_accessible, regular, regular_accessible, child)``: the whole party
    fits in a shelter's free beds as a hold would find them (``pick_beds``). Built once
    per query: it is asked of every shelter."""
    fits = fit_by_counts(need)
    needs_accessible = need.accessible

    def party_fits(shelter_accessible: bool, regular: int, regular_accessible: int, child: int) -> bool:
        return (shelter_accessible or not needs_accessible) and fits(regular, regular_accessible, child)

    return party_fits


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
