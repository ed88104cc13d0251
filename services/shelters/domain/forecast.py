"""The arithmetic of ``GET /capacity``: what each bed is doing now, and how many beds are
free at the same time of day on each of the next 14 days (``FORECAST_DAYS``), per shelter
and per country. Its input is the active allocations touching that window."""

from __future__ import annotations

import uuid
from bisect import bisect_left
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
    load.forecast = _free_on(beds, busy, days) if usable else [0] * len(days)
    return load


def _free_on(beds: int, busy: Sequence[Busy], days: Sequence[datetime]) -> list[int]:
    """Beds free at each of ``days`` (ascending): each bed's stays merged, then counted
    over the days they cover, so a day costs nothing per stay (200 shelters' forecasts
    were a fifth of a capacity answer when every day looked at every stay)."""
    by_bed: dict[uuid.UUID, list[tuple[datetime, datetime]]] = {}
    for b in busy:
        by_bed.setdefault(b.bed_id, []).append((b.start, b.end))
    starts = [0] * (len(days) + 1)  # beds that become busy at each day, and stop after
    for spans in by_bed.values():
        spans.sort()
        lo, hi = spans[0]
        for start, end in spans[1:]:
            if start <= hi:  # overlapping or touching: one busy stretch of this bed
                hi = max(hi, end)
                continue
            starts[bisect_left(days, lo)] += 1
            starts[bisect_left(days, hi)] -= 1
            lo, hi = start, end
        starts[bisect_left(days, lo)] += 1
        starts[bisect_left(days, hi)] -= 1
    free, taken = [], 0
    for i in range(len(days)):
        taken += starts[i]
        free.append(beds - taken)
    return free


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
