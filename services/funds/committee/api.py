"""Routes of the committee: votes and recusals on an application."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from services.funds.committee import service
from services.funds.committee.schemas import RecusalCreate, RecusalView, SeatView, VoteCreate, VoteView
from shared.auth import requires
from shared.http import Caller, Rt

COMMITTEE = requires("fund_committee")
READERS = requires("fund_committee", "fund_admin")


class CommitteeController(Controller):
    path = "/applications/{application_id:uuid}"
    tags = ["committee"]

    @post("/votes", operation_id="voteOnApplication", guards=[COMMITTEE])
    async def vote(
        self, rt: Rt, principal: Caller, application_id: FromPath[uuid.UUID], data: JSONBody[VoteCreate]
    ) -> VoteView:
        """A committee member votes approve (with an amount), reject or request_info. The vote
        that completes the quorum approves the lowest amount proposed; on the emergency track
        one approval within the emergency limit approves at once, for the committee to ratify."""
        return await service.vote(rt, principal, application_id, data)

    @post("/recusals", operation_id="recuseFromApplication", guards=[COMMITTEE])
    async def recuse(
        self, rt: Rt, principal: Caller, application_id: FromPath[uuid.UUID], data: JSONBody[RecusalCreate]
    ) -> RecusalView:
        """Declare a conflict of interest before voting: the member no longer counts toward the quorum."""
        return await service.recuse(rt, principal, application_id, data)

    @get("/seat", operation_id="getCommitteeSeat", guards=[READERS])
    async def seat(self, rt: Rt, principal: Caller, application_id: FromPath[uuid.UUID]) -> SeatView:
        """The caller's seat on the committee deciding this application: member or not,
        recused, her vote, whether she may vote, and whether an approve vote of hers would
        approve it alone (emergency track, up to the emergency limit) or complete the quorum."""
        return await service.seat(rt, principal, application_id)
