"""Response bodies of the waitlist."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class WaitlistEntry(msgspec.Struct, kw_only=True):
    position: int
    placement_id: uuid.UUID
    case_id: uuid.UUID
    level: str
    country: str
    party_size: int
    accessible: bool
    requested_at: datetime
    relocation_of: uuid.UUID | None
    country_name: str | None = None  # in the caller's language (Accept-Language)
