"""Bodies of disbursements: one tranche of an approved grant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

import msgspec

from services.funds.domain.vocabulary import Method
from services.funds.schemas import Amount, Request
from shared.events import Currency
from shared.validation import END

# An account or wallet reference, never a person's name: upper-case letters, digits and
# dashes, 4-34 characters, with at least one digit (IBAN-like, wallet ids, partner codes).
PayeeReference = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(?=[A-Z0-9-]*[0-9])[A-Z0-9][A-Z0-9-]{3,33}" + END,
        description="account/wallet/partner reference: A-Z, 0-9, '-', 4-34 chars, at least one digit; not a name",
    ),
]


class DisbursementCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "amount": 30_000,
        "currency": "USD",
        "method": "bank_transfer",
        "payee_reference": "GT82-0001-2345",
    }

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


class TrancheView(msgspec.Struct, kw_only=True):
    """A tranche already paid, as the fund office lists it: the reference masked."""

    id: uuid.UUID
    application_id: uuid.UUID
    tranche: int
    amount: int
    currency: str
    method: str
    payee_reference: str
    made_at: datetime
