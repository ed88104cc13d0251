"""HTTP routes of placements. Thin: parse, call the use case, return a Struct."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from services.shelters.http import COORDINATOR, STAFF, CountryQ
from services.shelters.placements import lifecycle, schemas, service
from shared import idempotency
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

PlacementStatusQ = Annotated[schemas.PlacementStatus | None, Parameter(default=None)]


class PlacementController(Controller):
    path = "/placements"
    tags = ["placements"]

    @post("/", operation_id="requestPlacement", guards=[STAFF])
    async def create(
        self,
        rt: Rt,
        principal: Caller,
        data: schemas.PlacementCreate,
        key: IdempotencyKeyHeader = None,
        lang: AcceptLanguage = None,
    ) -> Response[schemas.Placement]:
        """Request a placement: holds beds for the whole party at once, or waitlists it."""
        retry = idempotency.request("requestPlacement", principal, key, data)
        placement = await service.request_placement(rt, principal, data, retry)
        return idempotency.created(named(placement, lang), retry)

    @get("/", operation_id="listPlacements", guards=[STAFF])
    async def list(
        self,
        rt: Rt,
        principal: Caller,
        country: CountryQ,
        status: PlacementStatusQ,
        case_id: Annotated[uuid.UUID | None, Parameter(default=None)],
        shelter_id: Annotated[uuid.UUID | None, Parameter(default=None)],
        limit: Limit = 50,
        offset: Offset = 0,
        lang: AcceptLanguage = None,
    ) -> Page[schemas.Placement]:
        """Placements, newest first; ``country`` matches the case's or the shelter's country."""
        items, total = await service.list_placements(
            rt,
            principal,
            country=country,
            case_id=case_id,
            status=status,
            shelter_id=shelter_id,
            limit=limit,
            offset=offset,
        )
        return named(Page(items=items, total=total, limit=limit, offset=offset), lang)

    @get("/{placement_id:uuid}", operation_id="getPlacement", guards=[STAFF])
    async def get_one(
        self, rt: Rt, principal: Caller, placement_id: uuid.UUID, lang: AcceptLanguage = None
    ) -> schemas.Placement:
        """One placement with its shelter, beds and the reason that shelter was chosen."""
        return named(await service.get_placement(rt, principal, placement_id), lang)

    @post(
        "/{placement_id:uuid}/confirm", operation_id="confirmPlacement", guards=[COORDINATOR], status_code=200
    )
    async def confirm(
        self,
        rt: Rt,
        principal: Caller,
        placement_id: uuid.UUID,
        data: schemas.Confirm | None = None,
        lang: AcceptLanguage = None,
    ) -> schemas.Placement:
        """Confirm a hold (it no longer expires); optionally set the expected end of the stay."""
        return named(await lifecycle.confirm(rt, principal, placement_id, data or schemas.Confirm()), lang)

    @post(
        "/{placement_id:uuid}/stay", operation_id="changePlacementStay", guards=[COORDINATOR], status_code=200
    )
    async def change_stay(
        self,
        rt: Rt,
        principal: Caller,
        placement_id: uuid.UUID,
        data: schemas.Confirm,
        lang: AcceptLanguage = None,
    ) -> schemas.Placement:
        """Shorten or extend a confirmed or current stay (409 if the beds are booked then)."""
        return named(await lifecycle.change_stay(rt, principal, placement_id, data), lang)

    @post(
        "/{placement_id:uuid}/check-in",
        operation_id="checkInPlacement",
        guards=[COORDINATOR],
        status_code=200,
    )
    async def check_in(
        self,
        rt: Rt,
        principal: Caller,
        placement_id: uuid.UUID,
        data: schemas.CheckIn | None = None,
        lang: AcceptLanguage = None,
    ) -> schemas.Placement:
        """The family has arrived."""
        return named(await lifecycle.check_in(rt, principal, placement_id), lang)

    @post(
        "/{placement_id:uuid}/check-out",
        operation_id="checkOutPlacement",
        guards=[COORDINATOR],
        status_code=200,
    )
    async def check_out(
        self,
        rt: Rt,
        principal: Caller,
        placement_id: uuid.UUID,
        data: schemas.CheckOut | None = None,
        lang: AcceptLanguage = None,
    ) -> schemas.Placement:
        """The family has left: the stay ends and the beds free up."""
        return named(await lifecycle.check_out(rt, principal, placement_id), lang)

    @post("/{placement_id:uuid}/cancel", operation_id="cancelPlacement", guards=[STAFF], status_code=200)
    async def cancel(
        self,
        rt: Rt,
        principal: Caller,
        placement_id: uuid.UUID,
        data: schemas.Cancel | None = None,
        lang: AcceptLanguage = None,
    ) -> schemas.Placement:
        """Cancel a request, hold or confirmed placement (before check-in); beds free up."""
        return named(await lifecycle.cancel(rt, principal, placement_id, data or schemas.Cancel()), lang)


ROUTES = [PlacementController]
