"""Response bodies of the timeline (a step is the domain's own ``TimelineStep``)."""

from __future__ import annotations

import uuid

import msgspec

from services.risk.cases.schemas import CaseStatus
from services.risk.domain.timeline import TimelineStep
from shared.events import Level


class Timeline(msgspec.Struct, kw_only=True, frozen=True):
    case_id: uuid.UUID
    status: CaseStatus
    level: Level | None
    # The type of the last step shown: where the case is now.
    current_step: str | None
    reassessment_due: bool
    steps: list[TimelineStep]
