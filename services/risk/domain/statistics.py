"""The figures of a regional report that are more than a count."""

from __future__ import annotations


def share(part: int, total: int, per: int) -> int:
    """``part / total`` in units of ``1/per`` (100: percent, 10,000: basis points), rounded
    half up in integers, so a report gives the same figure on every machine; 0 of nothing is 0."""
    if total <= 0:
        return 0
    return (2 * per * part + total) // (2 * total)
