"""When an open case needs a new assessment.

A case is due when, after its latest assessment (or ever, if it has none), something
happened that may make her measures wrong (a mark: her placement ended, her shelter was
compromised, a new incident), or when her latest level is high or extreme and that
assessment is older than the configured number of days. Marks are never deleted: a newer
assessment clears them by being newer. Closed cases are never due.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from shared.events import Level, PlacementEnded, ShelterCompromised

MarkReason = Literal["placement_ended", "shelter_compromised", "new_incident"]
Reason = Literal["placement_ended", "shelter_compromised", "new_incident", "assessment_aged"]

# The events of other services after which her measures may no longer fit.
MARKING_EVENTS: dict[str, MarkReason] = {
    PlacementEnded.TYPE: "placement_ended",
    ShelterCompromised.TYPE: "shelter_compromised",
}
# Levels whose assessment goes stale with age.
AGEING_LEVELS: tuple[Level, ...] = ("high", "extreme")


class Mark(msgspec.Struct, frozen=True):
    reason: MarkReason
    marked_at: datetime


class Due(msgspec.Struct, frozen=True):
    reasons: list[Reason]  # sorted, each once
    since: datetime  # the earliest moment the case became due


def due(
    *,
    status: str,
    level: Level | None,
    last_assessed_at: datetime | None,
    marks: Iterable[Mark],
    now: datetime,
    reassessment_days: int,
) -> Due | None:
    """Why the case is due, and since when; ``None`` when it is not."""
    if status != "open":
        return None
    pending = [m for m in marks if last_assessed_at is None or m.marked_at > last_assessed_at]
    reasons: set[Reason] = {m.reason for m in pending}
    since = [m.marked_at for m in pending]
    if level in AGEING_LEVELS and last_assessed_at is not None:
        aged_at = last_assessed_at + timedelta(days=reassessment_days)
        if aged_at < now:
            reasons.add("assessment_aged")
            since.append(aged_at)
    if not reasons:
        return None
    return Due(reasons=sorted(reasons), since=min(since))
