"""Bodies of applications: opening one by hand, assigning a fund, closing, and the read model."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

import msgspec

from services.funds.domain.vocabulary import Purpose, Track
from services.funds.schemas import ReasonCode, Request
from shared import places
from shared.events import Country


class LineIn(Request):
    EXAMPLE: ClassVar[dict] = {"purpose": "legal", "amount": 30_000}

    purpose: Purpose
    amount: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000_000, description="integer minor units")]


class ApplicationCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "case_id": "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c34",
        "country": "GT",
        "fund_id": "0b8e5d2a-7c41-4f0e-8d3a-51c9e2f7a610",
        "track": "ordinary",
        "lines": [{"purpose": "legal", "amount": 30_000}, {"purpose": "relocation", "amount": 120_000}],
    }

    case_id: uuid.UUID
    country: Country
    fund_id: uuid.UUID
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=8)]
    track: Track = "ordinary"

    def __post_init__(self) -> None:
        places.check_country("country", self.country)


class FundAssign(Request):
    EXAMPLE: ClassVar[dict] = {"fund_id": "0b8e5d2a-7c41-4f0e-8d3a-51c9e2f7a610"}

    fund_id: uuid.UUID


class PricingCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "lines": [{"purpose": "relocation", "amount": 120_000}, {"purpose": "legal", "amount": 30_000}],
        "reason_code": "quote_received",
    }

    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=8)]
    # Why it is priced so (a code, e.g. quote_received, policy_gap, committee_request).
    reason_code: ReasonCode


class CloseCreate(Request):
    EXAMPLE: ClassVar[dict] = {"reason_code": "completed"}

    reason_code: ReasonCode = "completed"


class LineView(msgspec.Struct, kw_only=True):
    purpose: str
    amount: int
    approved: int | None


class Tally(msgspec.Struct, kw_only=True):
    members: int
    recused: int
    eligible: int
    required: int
    approvals: int
    rejections: int
    info_requests: int


class Assessed(msgspec.Struct, kw_only=True):
    """From the assessment that opened the application: what the committee decides on,
    and nothing personal (no names, places or ages)."""

    level: str
    measures: list[str]
    party_size: int


class MatchView(msgspec.Struct, kw_only=True):
    """Why no fund took the application: ``no_fund_serves_country``, ``no_fund_with_policy``
    or ``not_enough_available`` (then the closest fund's available vs needed, its currency)."""

    reason: str
    available: int | None = None
    needed: int | None = None
    currency: str | None = None


class SnapshotLine(msgspec.Struct, kw_only=True):
    purpose: str
    amount: int


class Snapshot(msgspec.Struct, kw_only=True):
    fund_id: uuid.UUID | None
    currency: str
    track: str
    requested: int
    lines: list[SnapshotLine]


class RevisionView(msgspec.Struct, kw_only=True):
    """One revision: ``cause`` assessment (``assessment_id`` names it), policy or pricing
    (``reason_code``), who or which event (``event:<id>``) made it, before and after."""

    revision: int
    cause: str
    revised_by: str
    assessment_id: uuid.UUID | None
    reason_code: str | None
    previous: Snapshot
    current: Snapshot
    revised_at: datetime


class ApplicationView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    assessment_id: uuid.UUID | None
    fund_id: uuid.UUID | None
    country: str
    country_name: str | None = None  # in the caller's language (Accept-Language)
    track: str
    status: str
    currency: str
    lines: list[LineView]
    requested: int
    approved: int | None
    paid: int
    released: int
    ratified: bool | None
    # Who opened it: a person's token subject (recused from deciding it), or ``event:<id>``.
    opened_by: str
    flagged: bool
    flag_reason: str | None
    overdue: bool
    opened_at: datetime
    due_at: datetime
    decided_at: datetime | None
    ratification_due_at: datetime | None
    ratified_at: datetime | None
    first_paid_at: datetime | None
    closed_at: datetime | None
    tally: Tally
    # None when a fund took it; otherwise why none did (issue 14).
    match: MatchView | None = None
    # The decided application of the same case this one follows up (new purposes only).
    follows_id: uuid.UUID | None = None
    revision: int = 0
    revisions: list[RevisionView] = msgspec.field(default_factory=list)
    # None for an application opened by hand (no assessment behind it).
    assessed: Assessed | None = None
