"""HTTP routes of the shelters service. Thin: parse, call ``service``, return a Struct."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import Parameter

from services.shelters import schemas, service
from shared.auth import requires
from shared.errors import BadInput as BadRequest
from shared.http import Caller, Rt
from shared.pagination import Limit, Offset, Page

STAFF = requires("network_staff")
COORDINATOR = requires("shelter_coordinator")
CountryQ = Annotated[
    str | None, Parameter(pattern=r"^[A-Z]{2}$", description="ISO country code", default=None)
]
ShelterStatusQ = Annotated[schemas.ShelterStatus | None, Parameter(default=None)]
PlacementStatusQ = Annotated[schemas.PlacementStatus | None, Parameter(default=None)]


def _moment(value: str | None, name: str) -> datetime | None:
    """A date (``2026-11-22``, midnight UTC) or an ISO 8601 time; without an offset, UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadRequest(
            f"'{name}' must be a date (2026-11-22) or an ISO 8601 time (2026-11-22T18:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class ShelterController(Controller):
    path = "/shelters"
    tags = ["shelters"]

    @post("/", operation_id="createShelter", guards=[COORDINATOR])
    async def create(self, rt: Rt, principal: Caller, data: schemas.ShelterCreate) -> schemas.Shelter:
        """Register a shelter (address and contact are stored encrypted), optionally with beds."""
        return await service.create_shelter(rt, principal, data)

    @get("/", operation_id="listShelters", guards=[STAFF])
    async def list(
        self,
        rt: Rt,
        principal: Caller,
        country: CountryQ,
        status: ShelterStatusQ,
        region: Annotated[str | None, Parameter(max_length=80, default=None)],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[schemas.Shelter]:
        """Shelters in the countries of your token (never with addresses)."""
        items, total = await service.list_shelters(
            rt, principal, country=country, status=status, region=region, limit=limit, offset=offset
        )
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get("/{shelter_id:uuid}", operation_id="getShelter", guards=[STAFF])
    async def get_one(self, rt: Rt, principal: Caller, shelter_id: uuid.UUID) -> schemas.Shelter:
        """One shelter; address and contact only for shelter coordinators and admins."""
        return await service.get_shelter(rt, principal, shelter_id)

    @post("/{shelter_id:uuid}/beds", operation_id="addBeds", guards=[COORDINATOR])
    async def add_beds(
        self, rt: Rt, principal: Caller, shelter_id: uuid.UUID, data: schemas.BedBatch
    ) -> schemas.BedsAdded:
        """Add ``count`` beds to a room (created if new); waiting requests may get holds."""
        return await service.add_beds(rt, principal, shelter_id, data)

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

    @post(
        "/{shelter_id:uuid}/compromise",
        operation_id="compromiseShelter",
        guards=[COORDINATOR],
        status_code=200,
    )
    async def compromise(
        self, rt: Rt, principal: Caller, shelter_id: uuid.UUID, data: schemas.Compromise
    ) -> schemas.CompromiseResult:
        """The shelter is no longer safe: stop taking people and relocate everyone in it."""
        return await service.compromise(rt, principal, shelter_id, data)

    @post("/{shelter_id:uuid}/close", operation_id="closeShelter", guards=[COORDINATOR], status_code=200)
    async def close(self, rt: Rt, principal: Caller, shelter_id: uuid.UUID) -> schemas.Reopened:
        """Stop new holds in an open shelter; people placed there stay."""
        return await service.close(rt, principal, shelter_id)

    @post("/{shelter_id:uuid}/reopen", operation_id="reopenShelter", guards=[COORDINATOR], status_code=200)
    async def reopen(self, rt: Rt, principal: Caller, shelter_id: uuid.UUID) -> schemas.Reopened:
        """Open a closed or compromised shelter again; waiting requests may get holds."""
        return await service.reopen(rt, principal, shelter_id)


class PlacementController(Controller):
    path = "/placements"
    tags = ["placements"]

    @post("/", operation_id="requestPlacement", guards=[STAFF])
    async def create(self, rt: Rt, principal: Caller, data: schemas.PlacementCreate) -> schemas.Placement:
        """Request a placement: holds beds for the whole party at once, or waitlists it."""
        return await service.request_placement(rt, principal, data)

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
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get("/{placement_id:uuid}", operation_id="getPlacement", guards=[STAFF])
    async def get_one(self, rt: Rt, principal: Caller, placement_id: uuid.UUID) -> schemas.Placement:
        """One placement with its shelter, beds and the reason that shelter was chosen."""
        return await service.get_placement(rt, principal, placement_id)

    @post(
        "/{placement_id:uuid}/confirm", operation_id="confirmPlacement", guards=[COORDINATOR], status_code=200
    )
    async def confirm(
        self, rt: Rt, principal: Caller, placement_id: uuid.UUID, data: schemas.Confirm | None = None
    ) -> schemas.Placement:
        """Confirm a hold (it no longer expires); optionally set the expected end of the stay."""
        return await service.confirm(rt, principal, placement_id, data or schemas.Confirm())

    @post(
        "/{placement_id:uuid}/stay", operation_id="changePlacementStay", guards=[COORDINATOR], status_code=200
    )
    async def change_stay(
        self, rt: Rt, principal: Caller, placement_id: uuid.UUID, data: schemas.Confirm
    ) -> schemas.Placement:
        """Shorten or extend a confirmed or current stay (409 if the beds are booked then)."""
        return await service.change_stay(rt, principal, placement_id, data)

    @post(
        "/{placement_id:uuid}/check-in",
        operation_id="checkInPlacement",
        guards=[COORDINATOR],
        status_code=200,
    )
    async def check_in(
        self, rt: Rt, principal: Caller, placement_id: uuid.UUID, data: schemas.CheckIn | None = None
    ) -> schemas.Placement:
        """The family has arrived."""
        return await service.check_in(rt, principal, placement_id)

    @post(
        "/{placement_id:uuid}/check-out",
        operation_id="checkOutPlacement",
        guards=[COORDINATOR],
        status_code=200,
    )
    async def check_out(
        self, rt: Rt, principal: Caller, placement_id: uuid.UUID, data: schemas.CheckOut | None = None
    ) -> schemas.Placement:
        """The family has left: the stay ends and the beds free up."""
        return await service.check_out(rt, principal, placement_id)

    @post("/{placement_id:uuid}/cancel", operation_id="cancelPlacement", guards=[STAFF], status_code=200)
    async def cancel(
        self, rt: Rt, principal: Caller, placement_id: uuid.UUID, data: schemas.Cancel | None = None
    ) -> schemas.Placement:
        """Cancel a request, hold or confirmed placement (before check-in); beds free up."""
        return await service.cancel(rt, principal, placement_id, data or schemas.Cancel())


@get("/waitlist", operation_id="getWaitlist", guards=[STAFF], tags=["placements"])
async def get_waitlist(
    rt: Rt, principal: Caller, country: CountryQ, limit: Limit = 50, offset: Offset = 0
) -> Page[schemas.WaitlistEntry]:
    """Requests waiting for beds: extreme risk first, then the longest waiting."""
    items, total = await service.waitlist(rt, principal, country=country, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@get("/availability", operation_id="getAvailability", guards=[STAFF], tags=["capacity"])
async def get_availability(
    rt: Rt,
    principal: Caller,
    country: CountryQ,
    region: Annotated[str | None, Parameter(max_length=80, default=None)],
    start: Annotated[
        str | None,
        Parameter(query="from", max_length=40, default=None, description="date or time; default now"),
    ],
    end: Annotated[
        str | None, Parameter(query="to", max_length=40, default=None, description="default: from + 30 days")
    ],
    adults: Annotated[int, Parameter(ge=0, le=20)] = 1,
    children: Annotated[int, Parameter(ge=0, le=20)] = 0,
    accessible: bool = False,
) -> schemas.Availability:
    """Per open shelter: beds free for the whole period and whether the party fits together."""
    begins = _moment(start, "from") or datetime.now(UTC)
    ends = _moment(end, "to") or begins + timedelta(days=30)
    return await service.availability(
        rt,
        principal,
        country=country,
        region=region,
        start=begins,
        end=ends,
        adults=adults,
        children=children,
        accessible=accessible,
    )


@get("/capacity", operation_id="getCapacity", guards=[STAFF], tags=["capacity"])
async def get_capacity(rt: Rt, principal: Caller, country: CountryQ) -> schemas.Capacity:
    """Occupancy now per shelter and country, and free beds for each of the next 14 days."""
    return await service.capacity(rt, principal, country=country)


ROUTES = [ShelterController, PlacementController, get_waitlist, get_availability, get_capacity]
