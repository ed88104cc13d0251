"""A placement's states and its time: the hold's period and expiry, the stay's end, and
how an overstaying family keeps its beds."""

from __future__ import annotations

from datetime import datetime, timedelta

ACTIVE = ("requested", "held", "confirmed", "checked_in")
# Beds are kept by these states (the allocation rows are active).
KEEPS_BEDS = ("held", "confirmed", "checked_in")

TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"held", "cancelled"}),
    "held": frozenset({"confirmed", "cancelled", "expired"}),
    "confirmed": frozenset({"checked_in", "cancelled"}),
    "checked_in": frozenset({"ended"}),
    "ended": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
}
# A family still checked in after its expected end keeps its beds this far ahead of the
# clock, renewed by the periodic job, so no hold is ever placed on a bed somebody sleeps in.
OVERSTAY_MARGIN = timedelta(days=1)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def states_before(target: str) -> list[str]:
    """The states from which a placement may move to ``target`` (for a refusal's detail)."""
    return sorted(s for s, nxt in TRANSITIONS.items() if target in nxt)


def hold_period(now: datetime, stay_days: int) -> tuple[datetime, datetime]:
    """The beds are held for the whole requested stay, from now."""
    return now, now + timedelta(days=stay_days)


def hold_expiry(now: datetime, hold_hours: float) -> datetime:
    return now + timedelta(hours=hold_hours)


def hold_expired(expires_at: datetime | None, now: datetime) -> bool:
    """An unconfirmed hold is over at its expiry (the job may not have released it yet)."""
    return expires_at is not None and expires_at <= now


def stay_end(
    starts_at: datetime,
    current_end: datetime,
    *,
    expected_end: datetime | None,
    stay_days: int | None,
) -> datetime:
    """The end a stay change asks for: an explicit end, or a length from the stay's start;
    neither keeps the current end."""
    if expected_end is not None:
        return expected_end
    if stay_days is not None:
        return starts_at + timedelta(days=stay_days)
    return current_end


def overstay_until(now: datetime) -> datetime:
    """Where an overstaying family's beds are kept until (renewed while she stays)."""
    return now + OVERSTAY_MARGIN
