"""HTTP route of a compromise."""

from __future__ import annotations

import uuid

from litestar import post

from services.shelters.compromise import schemas, service
from services.shelters.http import COORDINATOR
from shared.http import Caller, Rt


@post(
    "/shelters/{shelter_id:uuid}/compromise",
    operation_id="compromiseShelter",
    guards=[COORDINATOR],
    status_code=200,
    tags=["shelters"],
)
async def compromise(
    rt: Rt, principal: Caller, shelter_id: uuid.UUID, data: schemas.Compromise
) -> schemas.CompromiseResult:
    """The shelter is no longer safe: stop taking people and relocate everyone in it."""
    return await service.compromise(rt, principal, shelter_id, data)


ROUTES = [compromise]
