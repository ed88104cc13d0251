"""The arithmetic of ``GET /capacity``: what each bed is doing now, and how many beds are
free at the same time of day on each of the next 14 days (``FORECAST_DAYS``), per shelter
and per country. Its input is the active allocations touching that window."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

FORECAST_DAYS = 14
BedState = Literal["occupied", "held", "out_of_service"]


class Busy(NamedTuple):
    """One active allocation of a bed for ``[start, end)``."""

    bed_id: uuid.UUID
    start: datetime
    end: datetime
    state: BedState


def bed_state(kind: str, placement_status: str | None) -> BedState:
    """An allocation is an out-of-service period, a family staying (checked in), or beds
    kept for a family that has not arrived (held or confirmed)."""
    if kind == "out_of_service":
        return "out_of_service"
    return "occupied" if placement_status == "checked_in" else "held"


def forecast_days(now: datetime) -> list[datetime]:
    return [now + timedelta(days=d) for d in range(FORECAST_DAYS)]


@dataclass
class Load:
    """Beds now by state, free now, and free on each forecast day."""

    beds: int = 0
    occupied: int = 0
    held: int = 0
    out_of_service: int = 0
    free: int = 0
    forecast: list[int] = field(default_factory=lambda: [0] * FORECAST_DAYS)


def shelter_load(
    beds: int, *, usable: bool, busy: Sequence[Busy], now: datetime, days: Sequence[datetime]
) -> Load:
    """A shelter that is not open has no free beds (it takes nobody), though its beds
    may still be occupied or held."""
    now_state: dict[uuid.UUID, BedState] = {}
    for b in busy:
        if b.start <= now < b.end:
            now_state[b.bed_id] = b.state
    states = list(now_state.values())
    load = Load(
        beds=beds,
        occupied=states.count("occupied"),
        held=states.count("held"),
        out_of_service=states.count("out_of_service"),
        free=beds - len(now_state) if usable else 0,
    )
    load.forecast = [
        (beds - len({b.bed_id for b in busy if b.start <= t < b.end})) if usable else 0 for t in days
    ]
    return load


def by_country(loads: Iterable[tuple[str, Load]]) -> list[tuple[str, Load]]:
    """Per-country sums of the shelters' loads, in country order."""
    totals: dict[str, Load] = {}
    for country, load in loads:
        t = totals.get(country)
        if t is None:
            t = totals[country] = Load(forecast=[0] * len(load.forecast))
        t.beds += load.beds
        t.occupied += load.occupied
        t.held += load.held
        t.out_of_service += load.out_of_service
        t.free += load.free
        t.forecast = [a + b for a, b in zip(t.forecast, load.forecast, strict=True)]
    return sorted(totals.items())
