"""Request and response bodies of the shelters API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shared.events import Country, Level

Kind = Literal["shelter", "safe_house", "self_care_centre", "hostel", "halfway_house"]
Accepts = Literal["women", "children", "families", "lgbti"]
ShelterStatus = Literal["open", "closed", "compromised"]
PlacementStatus = Literal["requested", "held", "confirmed", "checked_in", "ended", "cancelled", "expired"]
Code = Annotated[
    str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")
]
# PostgreSQL text cannot hold NUL; names hold no control characters at all. (The
# lengths are in the patterns too, so generated test data respects them.)
Region = Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]{1,80}$")]
ServiceName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,39}$")]
RoomName = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]{1,40}$")]
StayDays = Annotated[int, msgspec.Meta(ge=1, le=365)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]
CancelReason = Literal["withdrawn", "no_longer_needed", "duplicate", "case_closed", "not_suitable", "other"]
OutOfServiceReason = Literal["repair", "cleaning", "safety", "other"]


class Request(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class BedBatch(Request):
    """``count`` beds in ``room`` (the room is created if new)."""

    room: RoomName
    count: Annotated[int, msgspec.Meta(ge=1, le=200)]
    child_sized: bool = False
    accessible: bool = False


class ShelterCreate(Request):
    code: Code
    kind: Kind
    country: Country
    region: Region
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^[^\x00]{1,500}$")]
    contact: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]{0,500}$")] = ""
    accepts: Annotated[list[Accepts], msgspec.Meta(max_length=4)] = []
    accessible: bool = False
    services: Annotated[list[ServiceName], msgspec.Meta(max_length=20)] = []
    status: Literal["open", "closed"] = "open"
    beds: Annotated[list[BedBatch], msgspec.Meta(max_length=50)] = []


class Shelter(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: uuid.UUID
    code: str
    kind: str
    country: str
    region: str
    accepts: list[str]
    accessible: bool
    services: list[str]
    status: str
    beds: int
    created_at: datetime
    compromised_at: datetime | None = None
    # Only for shelter_coordinator and admin, and only on GET /shelters/{id} and create.
    address: str | None = None
    contact: str | None = None


class BedsAdded(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    room: str
    bed_ids: list[uuid.UUID]
    beds_total: int


class Bed(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    room: str
    label: str
    child_sized: bool
    accessible: bool


class OutOfServiceCreate(Request):
    start: Aware
    end: Aware
    reason: OutOfServiceReason = "repair"


class OutOfService(msgspec.Struct, kw_only=True):
    id: int
    bed_id: uuid.UUID
    start: datetime
    end: datetime
    reason: str


class PartyIn(Request):
    adults: Annotated[int, msgspec.Meta(ge=1, le=20)] = 1
    children_ages: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=17)]], msgspec.Meta(max_length=20)
    ] = []
    accessibility_needs: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,39}$")]], msgspec.Meta(max_length=10)
    ] = []


class PlacementCreate(Request):
    case_id: uuid.UUID
    country: Country
    region: Region
    level: Level
    party: PartyIn = msgspec.field(default_factory=PartyIn)
    excluded_regions: Annotated[list[Region], msgspec.Meta(max_length=30)] = []
    stay_days: StayDays = 30


class Party(msgspec.Struct, kw_only=True):
    adults: int
    children_ages: list[int]
    accessibility_needs: list[str]


class Placement(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    status: str
    level: str
    country: str
    region: str
    party: Party
    party_size: int
    excluded_regions: list[str]
    stay_days: int
    waitlisted: bool
    shelter_id: uuid.UUID | None
    shelter_code: str | None
    shelter_country: str | None
    shelter_region: str | None
    bed_ids: list[uuid.UUID]
    hold_expires_at: datetime | None
    starts_at: datetime | None
    expected_end: datetime | None
    reason: str
    relocation_of: uuid.UUID | None
    needs_relocation: bool
    requested_at: datetime
    held_at: datetime | None
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None


class Confirm(Request):
    """Either a stay length or an expected end; neither keeps the requested stay."""

    stay_days: StayDays | None = None
    expected_end: Aware | None = None


class CheckIn(Request):
    pass


class CheckOut(Request):
    pass


class Cancel(Request):
    reason: CancelReason = "withdrawn"


class WaitlistEntry(msgspec.Struct, kw_only=True):
    position: int
    placement_id: uuid.UUID
    case_id: uuid.UUID
    level: str
    country: str
    party_size: int
    accessible: bool
    requested_at: datetime
    relocation_of: uuid.UUID | None


class ShelterAvailability(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    code: str
    kind: str
    country: str
    region: str
    accessible: bool
    beds: int
    free: int
    free_regular: int
    free_child: int
    free_accessible: int
    fits_party: bool


class CountryAvailability(msgspec.Struct, kw_only=True):
    country: str
    shelters: int
    beds: int
    free: int
    shelters_fitting_party: int


class Availability(msgspec.Struct, kw_only=True):
    start: datetime
    end: datetime
    party_size: int
    shelters: list[ShelterAvailability]
    countries: list[CountryAvailability]


class DayForecast(msgspec.Struct, kw_only=True):
    day: int
    at: datetime
    free: int


class ShelterCapacity(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    code: str
    country: str
    region: str
    status: str
    beds: int
    occupied: int
    held: int
    out_of_service: int
    free: int
    forecast: list[DayForecast]


class CountryCapacity(msgspec.Struct, kw_only=True):
    country: str
    beds: int
    occupied: int
    held: int
    out_of_service: int
    free: int
    forecast: list[DayForecast]


class Capacity(msgspec.Struct, kw_only=True):
    at: datetime
    shelters: list[ShelterCapacity]
    countries: list[CountryCapacity]


class Compromise(Request):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00]{1,2000}$")]


class CompromiseResult(msgspec.Struct, kw_only=True):
    shelter_id: uuid.UUID
    status: str
    affected_placements: int
    relocations_held: int
    relocations_waitlisted: int
    relocation_placement_ids: list[uuid.UUID]


class Reopened(msgspec.Struct, kw_only=True):
    """Answer of close and reopen."""

    shelter_id: uuid.UUID
    status: str
    holds_from_waitlist: int
