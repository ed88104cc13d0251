"""Request and response bodies of consents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

import msgspec

from shared.events import ConsentPurpose


class ConsentCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """She agrees, today, to one purpose; until a day (inclusive) or until she revokes it."""

    EXAMPLE: ClassVar[dict] = {"purpose": "shelters", "until": "2027-06-30"}

    purpose: ConsentPurpose
    until: date | None = None


class ConsentView(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    case_id: uuid.UUID
    purpose: ConsentPurpose
    given_at: date
    until: date | None
    # Valid today: given, not ended, not revoked.
    current: bool
    recorded_by: str
    recorded_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class Consents(msgspec.Struct, kw_only=True, frozen=True):
    """Every consent of the case, newest first, and the purposes valid now."""

    case_id: uuid.UUID
    shared_with: list[ConsentPurpose]
    items: list[ConsentView]
