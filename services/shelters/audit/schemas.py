"""Response bodies of the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class AuditEntry(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    at: datetime
    # Who: the token's subject (the console sends the person's email).
    actor: str
    # What, e.g. shelter.address.read.
    action: str
    # On what: the shelter's id (never its address or contact).
    object_id: uuid.UUID
