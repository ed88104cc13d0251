"""Who is told what, and when: pure rules (property-tested in tests/console/test_notifications.py).

A notice is raised by an event and cleared by a later one; it is *shown* from ``due_at``
minus its kind's warning window until it is cleared. A person sees the kinds of her roles
in her countries (an admin sees all of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["hold_expiring", "emergency_due", "reassessment_due", "ratification_waiting"]
KINDS: tuple[Kind, ...] = ("hold_expiring", "emergency_due", "reassessment_due", "ratification_waiting")

# How long before its moment a notice starts to show (the "within an hour",
# "within 6 hours"); a due re-assessment or a waiting ratification shows at once.
WINDOW: dict[Kind, timedelta] = {
    "hold_expiring": timedelta(hours=1),
    "emergency_due": timedelta(hours=6),
    "reassessment_due": timedelta(0),
    "ratification_waiting": timedelta(0),
}

# The widest window: the store narrows rows with it before the rule decides.
WIDEST = max(WINDOW.values())

# The roles that act on each kind.
ROLES: dict[Kind, frozenset[str]] = {
    "hold_expiring": frozenset({"network_staff", "shelter_coordinator"}),
    "emergency_due": frozenset({"fund_committee", "fund_admin"}),
    "reassessment_due": frozenset({"risk_analyst"}),
    "ratification_waiting": frozenset({"fund_committee", "fund_admin"}),
}


def shows_from(kind: Kind, due_at: datetime) -> datetime:
    return due_at - WINDOW[kind]


def is_shown(kind: Kind, due_at: datetime, cleared: bool, now: datetime) -> bool:
    return not cleared and now >= shows_from(kind, due_at)


def kinds_for(roles: Iterable[str]) -> list[Kind]:
    held = set(roles)
    if "admin" in held:
        return list(KINDS)
    return [k for k in KINDS if ROLES[k] & held]


def concerns(kind: Kind, country: str, roles: Iterable[str], countries: Iterable[str]) -> bool:
    """Whether a notice of ``kind`` about ``country`` is for a person with these roles."""
    roles = set(roles)
    return kind in kinds_for(roles) and ("admin" in roles or country in set(countries))
