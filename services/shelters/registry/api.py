"""HTTP routes of the shelter registry. Thin: parse, call ``service``, return a Struct."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.params import Parameter

from services.shelters.fields import RegionQ
from services.shelters.http import COORDINATOR, STAFF, CountryQ
from services.shelters.registry import schemas, service
from shared import idempotency
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

ShelterStatusQ = Annotated[schemas.ShelterStatus | None, Parameter(default=None)]


class ShelterController(Controller):
    path = "/shelters"
    tags = ["shelters"]

    @post("/", operation_id="createShelter", guards=[COORDINATOR])
    async def create(
        self,
        rt: Rt,
        principal: Caller,
        data: schemas.ShelterCreate,
        key: IdempotencyKeyHeader = None,
        lang: AcceptLanguage = None,
    ) -> Response[schemas.Shelter]:
        """Register a shelter (address and contact are stored encrypted), optionally with beds."""
        retry = idempotency.request("createShelter", principal, key, data)
        shelter = await service.create_shelter(rt, principal, data, retry)
        return idempotency.created(named(shelter, lang), retry)

    @get("/", operation_id="listShelters", guards=[STAFF])
    async def list(
        self,
        rt: Rt,
        principal: Caller,
        country: CountryQ,
        status: ShelterStatusQ,
        region: RegionQ,
        limit: Limit = 50,
        offset: Offset = 0,
        lang: AcceptLanguage = None,
    ) -> Page[schemas.Shelter]:
        """Shelters in the countries of your token (never with addresses)."""
        items, total = await service.list_shelters(
            rt, principal, country=country, status=status, region=region, limit=limit, offset=offset
        )
        return named(Page(items=items, total=total, limit=limit, offset=offset), lang)

    @get("/{shelter_id:uuid}", operation_id="getShelter", guards=[STAFF])
    async def get_one(
        self, rt: Rt, principal: Caller, shelter_id: uuid.UUID, lang: AcceptLanguage = None
    ) -> schemas.Shelter:
        """One shelter; address and contact only for shelter coordinators and admins."""
        return named(await service.get_shelter(rt, principal, shelter_id), lang)

    @post("/{shelter_id:uuid}/beds", operation_id="addBeds", guards=[COORDINATOR])
    async def add_beds(
        self,
        rt: Rt,
        principal: Caller,
        shelter_id: uuid.UUID,
        data: schemas.BedBatch,
        key: IdempotencyKeyHeader = None,
    ) -> Response[schemas.BedsAdded]:
        """Add ``count`` beds to a room (created if new); waiting requests may get holds."""
        retry = idempotency.request("addBeds", principal, key, shelter_id, data)
        return idempotency.created(await service.add_beds(rt, principal, shelter_id, data, retry), retry)

    @get("/{shelter_id:uuid}/beds", operation_id="listBeds", guards=[STAFF])
    async def list_beds(self, rt: Rt, principal: Caller, shelter_id: uuid.UUID) -> list[schemas.Bed]:
        """The beds of a shelter by room."""
        return await service.list_beds(rt, principal, shelter_id)

    @post(
        "/{shelter_id:uuid}/beds/{bed_id:uuid}/out-of-service",
        operation_id="addBedOutOfService",
        guards=[COORDINATOR],
    )
    async def add_out_of_service(
        self,
        rt: Rt,
        principal: Caller,
        shelter_id: uuid.UUID,
        bed_id: uuid.UUID,
        data: schemas.OutOfServiceCreate,
    ) -> schemas.OutOfService:
        """Take a bed out of service for a period (409 if it is held or occupied then)."""
        return await service.add_out_of_service(rt, principal, shelter_id, bed_id, data)

    @get(
        "/{shelter_id:uuid}/beds/{bed_id:uuid}/out-of-service",
        operation_id="listBedOutOfService",
        guards=[STAFF],
    )
    async def list_out_of_service(
        self, rt: Rt, principal: Caller, shelter_id: uuid.UUID, bed_id: uuid.UUID
    ) -> list[schemas.OutOfService]:
        """Current and future out-of-service periods of a bed."""
        return await service.list_out_of_service(rt, principal, shelter_id, bed_id)

    @delete(
        "/{shelter_id:uuid}/beds/{bed_id:uuid}/out-of-service/{period_id:int}",
        operation_id="endBedOutOfService",
        guards=[COORDINATOR],
    )
    async def end_out_of_service(
        self,
        rt: Rt,
        principal: Caller,
        shelter_id: uuid.UUID,
        bed_id: uuid.UUID,
        period_id: Annotated[int, Parameter(ge=1, le=2**63 - 1)],
    ) -> None:
        """The bed is back in service; waiting requests may get holds."""
        await service.end_out_of_service(rt, principal, shelter_id, bed_id, period_id)

    @post("/{shelter_id:uuid}/close", operation_id="closeShelter", guards=[COORDINATOR], status_code=200)
    async def close(self, rt: Rt, principal: Caller, shelter_id: uuid.UUID) -> schemas.Reopened:
        """Stop new holds in an open shelter; people placed there stay."""
        return await service.close(rt, principal, shelter_id)

    @post("/{shelter_id:uuid}/reopen", operation_id="reopenShelter", guards=[COORDINATOR], status_code=200)
    async def reopen(self, rt: Rt, principal: Caller, shelter_id: uuid.UUID) -> schemas.Reopened:
        """Open a closed or compromised shelter again; waiting requests may get holds."""
        return await service.reopen(rt, principal, shelter_id)


ROUTES = [ShelterController]
