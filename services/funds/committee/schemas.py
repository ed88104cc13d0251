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


class SeatView(msgspec.Struct, kw_only=True):
    """The caller's seat on the committee deciding an application: whether she may vote,
    and what her approve vote would do (so a page can say so before she casts it)."""

    application_id: uuid.UUID
    member: bool
    recused: bool
    # Recused because she opened it (not declared by her).
    automatic: bool
    # Her approve or reject vote, if she cast one (request_info does not use up a vote).
    decision: str | None
    votes_open: bool
    may_vote: bool
    ceiling: int | None
    emergency_limit: int | None
    # An approve vote of hers of at most this amount approves at once, alone (emergency track).
    alone_approves_up_to: int | None
    # Her approve vote would complete the quorum as the tally stands.
    completes_quorum: bool
