"""Request and response bodies of a compromise."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar

import msgspec

from services.shelters.fields import Request
from shared.validation import END


class Compromise(Request):
    """What happened, for the record: stored encrypted, never in events or logs."""

    EXAMPLE: ClassVar[dict] = {"reason": "Persons unknown asked neighbours about the shelter's residents."}

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00]{1,2000}" + END)]


class CompromiseResult(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    status: str
    affected_placements: int
    relocations_held: int
    relocations_waitlisted: int
    relocation_placement_ids: list[uuid.UUID]
