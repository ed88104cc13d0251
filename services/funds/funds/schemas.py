"""Bodies of fund administration: funds, deposits, policies, committee members, the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from services.funds.domain.vocabulary import Purpose
from services.funds.schemas import Amount, Request
from shared import places
from shared.events import Country, Currency
from shared.validation import END

Hours = Annotated[float, msgspec.Meta(gt=0, le=24 * 365)]
Sub = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[!-~]+" + END)]


class FundCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "name": "Fondo de respuesta rápida",
        "currency": "USD",
        "countries": ["GT", "HN"],
    }

    # PostgreSQL text cannot hold NUL: the document says so, rather than a 400 it does not.
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00]+" + END)]
    currency: Annotated[Currency, msgspec.Meta(description="ISO 4217; one the network keeps funds in")]
    countries: Annotated[list[Country], msgspec.Meta(min_length=1, max_length=20)]

    def __post_init__(self) -> None:
        for country in self.countries:
            places.check_country("countries", country)


class DepositCreate(Request):
    EXAMPLE: ClassVar[dict] = {"amount": 500_000, "currency": "USD"}

    amount: Amount
    currency: Currency


# Why a deposit is taken back (a code; a free-text note may add to it, stored encrypted).
ReversalReason = Literal[
    "wrong_amount", "wrong_fund", "duplicate", "not_received", "returned_to_donor", "other"
]


Note = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=r"^[^\x00]+" + END)]


class ReversalCreate(Request):
    EXAMPLE: ClassVar[dict] = {"reason_code": "wrong_amount", "note": "the donor sent 500.00, not 5,000.00"}

    reason_code: ReversalReason
    # Free text may name a donor or a person: stored encrypted, never returned nor logged.
    note: Note | None = None


class SuggestedAmount(Request):
    EXAMPLE: ClassVar[dict] = {"purpose": "relocation", "amount": 120_000, "country": "GT"}

    purpose: Purpose
    amount: Amount
    # None: the amount for every country the fund serves without a specific one.
    country: Country | None = None

    def __post_init__(self) -> None:
        if self.country is not None:
            places.check_country("country", self.country)


class PolicyPut(Request):
    EXAMPLE: ClassVar[dict] = {
        "ceiling": 800_000,
        "emergency_limit": 200_000,
        "quorum": 2,
        "suggested": [
            {"purpose": "relocation", "amount": 150_000},
            {"purpose": "relocation", "country": "GT", "amount": 120_000},
            {"purpose": "legal", "amount": 30_000},
        ],
        "decision_hours": 72.0,
        "emergency_decision_hours": 24.0,
        "ratification_hours": None,
    }

    ceiling: Amount
    emergency_limit: Amount
    quorum: Annotated[int, msgspec.Meta(ge=1, le=25)] = 2
    suggested: Annotated[list[SuggestedAmount], msgspec.Meta(max_length=200)] = []
    # None: the service's config (AMPARO_DECISION_HOURS, ...).
    decision_hours: Hours | None = None
    emergency_decision_hours: Hours | None = None
    ratification_hours: Hours | None = None


class MemberAdd(Request):
    EXAMPLE: ClassVar[dict] = {"sub": "ana.committee"}

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
    # Their names, in the caller's language (Accept-Language: es, the default, or en).
    country_names: list[str] = msgspec.field(default_factory=list)
    balance: int
    committed: int
    available: int
    deposited: int
    disbursed: int
    policy: Policy | None
    # A fund takes applications only once it has a grant policy (it prices them with it).
    receives_applications: bool = False
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
    # A deposit_reversal names the deposit it takes back and why (a note, if any, is kept
    # encrypted and not shown); a reversed deposit names its reversal.
    reverses_id: int | None = None
    reversed_by_id: int | None = None
    reason_code: str | None = None
    has_note: bool = False


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


class ReversalView(msgspec.Struct, kw_only=True):
    id: int
    fund_id: uuid.UUID
    deposit_id: int
    amount: int
    currency: str
    reason_code: str
    has_note: bool
    balance: int
    committed: int
    available: int
    recorded_at: datetime
