"""Bodies of the committee: votes and recusals."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar

import msgspec

from services.funds.applications.schemas import ApplicationView
from services.funds.domain.vocabulary import Outcome, VoteDecision
from services.funds.schemas import Amount, ReasonCode, Request


class VoteCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "decision": "approve",
        "amount": 90_000,
        "comment": "La defensora y sus dos hijas necesitan salir de la región esta semana.",
    }

    decision: VoteDecision
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
    outcome: Outcome
    application: ApplicationView


class RecusalCreate(Request):
    EXAMPLE: ClassVar[dict] = {"reason_code": "family_tie"}

    reason_code: ReasonCode = "conflict_of_interest"


class RecusalView(msgspec.Struct, kw_only=True):
    id: str
    application_id: uuid.UUID
    member: str
    reason_code: str
    application: ApplicationView
