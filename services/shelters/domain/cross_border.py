"""The network's cross-border agreements: the countries a network_staff member may search
for beds in (availability, capacity) beyond the countries whose cases she handles.

Written as ``AMPARO_CROSS_BORDER="GT:MX,SV;HN:GT"``: staff of GT may search beds in MX and
SV, staff of HN in GT. One-way (GT:MX does not let MX search GT) and not transitive (GT
staff do not reach what MX staff reach). Only bed searches widen: placements and cases
stay scoped by the case's country (or the shelter's), as the token says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from shared import places

Agreements = Mapping[str, frozenset[str]]


def parse(text: str) -> dict[str, frozenset[str]]:
    """``"GT:MX,SV;HN:GT"`` -> {GT: {MX, SV}, HN: {GT}}; raises ValueError naming the fault
    (never repeating the text, which is configuration, not input, but keeps the rule)."""
    agreements: dict[str, set[str]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        home, sep, partners = part.partition(":")
        home = home.strip()
        codes = [c.strip() for c in partners.split(",") if c.strip()]
        if not sep or not codes:
            raise ValueError("each agreement is COUNTRY:COUNTRY[,COUNTRY...], separated by ';'")
        for code in (home, *codes):
            if not places.is_country(code):
                raise ValueError("cross-border agreements name ISO 3166-1 alpha-2 countries (e.g. GT:MX,SV)")
        agreements.setdefault(home, set()).update(c for c in codes if c != home)
    return {home: frozenset(partners) for home, partners in agreements.items()}


@lru_cache(maxsize=8)
def agreements(text: str) -> Agreements:
    """The parsed agreements of a configuration value (parsed once)."""
    return parse(text)


def searchable(own: Iterable[str], agreements: Agreements) -> frozenset[str]:
    """Her own countries and those her countries' agreements open to a bed search."""
    own = frozenset(own)
    return own.union(*(agreements.get(c, frozenset()) for c in own))
