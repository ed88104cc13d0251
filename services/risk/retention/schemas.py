"""Request and response bodies of retention."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

import msgspec

from services.risk.cases.schemas import CaseDetail
from services.risk.domain import retention

ErasureReason = Literal[retention.ERASURE_REASONS]
BlockedReadReason = Literal[retention.BLOCKED_READ_REASONS]


class ErasureRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Why the case's personal data is erased now, as a code (never free text: it is kept in
    the audit log and travels in the event)."""

    EXAMPLE: ClassVar[dict] = {"reason": "data_subject_request"}

    reason: ErasureReason


class BlockedRead(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Why an admin reads blocked personal data, as a code; written to the audit log."""

    EXAMPLE: ClassVar[dict] = {"reason": "authority_request"}

    reason: BlockedReadReason


class AssessmentNotes(msgspec.Struct, kw_only=True, frozen=True):
    assessment_id: uuid.UUID
    recorded_at: datetime
    notes: str
    override_reason: str | None


class BlockedPersonalData(msgspec.Struct, kw_only=True, frozen=True):
    """Everything personal risk holds about a blocked case: her data and the assessments' notes."""

    case: CaseDetail
    assessment_notes: list[AssessmentNotes]


class RetentionRun(msgspec.Struct, kw_only=True, frozen=True):
    """What one run did, in counts (never personal data)."""

    at: datetime
    blocked: int
    erased: int
