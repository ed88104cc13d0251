"""Request and response bodies of the funds API (msgspec Structs).

Money on the wire is integer minor units (cents, centavos) plus the ISO 4217 currency
of the fund; the currency is stated once per object, never mixed inside one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Currency = Literal["USD", "MXN", "GTQ", "HNL", "NIO", "CRC", "EUR", "SVC", "BZD", "PAB"]
CURRENCIES: tuple[str, ...] = ("USD", "MXN", "GTQ", "HNL", "NIO", "CRC", "EUR", "SVC", "BZD", "PAB")
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. GT")]
Purpose = Literal[
    "relocation",
    "temporary_lodging",
    "home_security",
    "medical_psychological",
    "legal",
    "digital_security",
    "self_care",
    "family_support",
]
Track = Literal["emergency", "ordinary"]
Status = Literal["pending", "info_requested", "approved", "rejected", "closed"]
Method = Literal["bank_transfer", "partner_cash", "mobile_money"]
# Minor units; at most 10^12 keeps every sum far inside bigint.
Amount = Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000_000, description="integer minor units, > 0")]
Hours = Annotated[float, msgspec.Meta(gt=0, le=24 * 365)]
Sub = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^\S+$")]
# An account or wallet reference, never a person's name: upper-case letters, digits and
# dashes, 4-34 characters, with at least one digit (IBAN-like, wallet ids, partner codes).
PayeeReference = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(?=[A-Z0-9-]*[0-9])[A-Z0-9][A-Z0-9-]{3,33}$",
        description="account/wallet/partner reference: A-Z, 0-9, '-', 4-34 chars, at least one digit; not a name",
    ),
]
ReasonCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="a reason code")]


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    pass


# --- funds -----------------------------------------------------------------------------


class FundCreate(Request):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    currency: Currency
    countries: Annotated[list[Country], msgspec.Meta(min_length=1, max_length=20)]


class DepositCreate(Request):
    amount: Amount
    currency: Currency


class SuggestedAmount(Request):
    purpose: Purpose
    amount: Amount
    # None: the amount for every country the fund serves without a specific one.
    country: Country | None = None


class PolicyPut(Request):
    ceiling: Amount
    emergency_limit: Amount
    quorum: Annotated[int, msgspec.Meta(ge=1, le=25)] = 2
    suggested: Annotated[list[SuggestedAmount], msgspec.Meta(max_length=200)] = []
    # None: the service settings (AMPARO_DECISION_HOURS, ...).
    decision_hours: Hours | None = None
    emergency_decision_hours: Hours | None = None
    ratification_hours: Hours | None = None


class MemberAdd(Request):
    sub: Sub


class Policy(msgspec.Struct, kw_only=True):
    ceiling: int
    emergency_limit: int
    quorum: int
    suggested: list[SuggestedAmount]
    decision_hours: float | None
    emergency_decision_hours: float | None
    ratification_hours: float | None
    updated_at: datetime


class FundView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    currency: str
    countries: list[str]
    balance: int
    committed: int
    available: int
    deposited: int
    disbursed: int
    policy: Policy | None
    members: list[str]
    created_at: datetime


class LedgerEntryView(msgspec.Struct, kw_only=True):
    id: int
    fund_id: uuid.UUID
    kind: str
    amount: int
    currency: str
    application_id: uuid.UUID | None
    disbursement_id: uuid.UUID | None
    recorded_at: datetime


class DepositView(msgspec.Struct, kw_only=True):
    id: int
    fund_id: uuid.UUID
    amount: int
    currency: str
    balance: int
    committed: int
    available: int
    recorded_at: datetime


class MemberView(msgspec.Struct, kw_only=True):
    id: str
    fund_id: uuid.UUID
    sub: str
    members: list[str]


# --- applications ----------------------------------------------------------------------


class LineIn(Request):
    purpose: Purpose
    amount: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000_000)]


class ApplicationCreate(Request):
    case_id: uuid.UUID
    country: Country
    fund_id: uuid.UUID
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=8)]
    track: Track = "ordinary"


class FundAssign(Request):
    fund_id: uuid.UUID


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


class ApplicationView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    assessment_id: uuid.UUID | None
    fund_id: uuid.UUID | None
    country: str
    track: str
    status: str
    currency: str
    lines: list[LineView]
    requested: int
    approved: int | None
    paid: int
    released: int
    ratified: bool | None
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


class VoteCreate(Request):
    decision: Literal["approve", "reject", "request_info"]
    # Only for approve; default: what was requested (capped by the ceiling).
    amount: Amount | None = None
    # Free text that may name people: stored encrypted, never logged or emitted.
    comment: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class VoteView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    application_id: uuid.UUID
    member: str
    decision: str
    amount: int | None
    emergency: bool
    outcome: Literal["recorded", "approved", "rejected", "info_requested", "ratified", "flagged"]
    application: ApplicationView


class RecusalCreate(Request):
    reason_code: ReasonCode = "conflict_of_interest"


class RecusalView(msgspec.Struct, kw_only=True):
    id: str
    application_id: uuid.UUID
    member: str
    reason_code: str
    application: ApplicationView


class DisbursementCreate(Request):
    amount: Amount
    currency: Currency
    method: Method
    payee_reference: PayeeReference


class DisbursementView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    application_id: uuid.UUID
    fund_id: uuid.UUID
    tranche: int
    amount: int
    currency: str
    method: str
    payee_reference: str
    paid_total: int
    approved: int
    remaining: int
    made_at: datetime


class CloseCreate(Request):
    reason_code: ReasonCode = "completed"


# --- reports ---------------------------------------------------------------------------


class GrantRow(msgspec.Struct, kw_only=True):
    country: str
    purpose: str
    month: str
    currency: str
    granted: int
    paid: int


class Distribution(msgspec.Struct, kw_only=True):
    count: int
    median_hours: float | None
    p90_hours: float | None


class GrantsReport(msgspec.Struct, kw_only=True):
    rows: list[GrantRow]
    to_decision: Distribution
    to_first_payment: Distribution
