"""Request and response bodies of placements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from services.shelters.fields import Aware, Request, StayDays
from shared import places
from shared.events import Country, Level, Party, Place, Region
from shared.validation import END

PlacementStatus = Literal["requested", "held", "confirmed", "checked_in", "ended", "cancelled", "expired"]
CancelReason = Literal["withdrawn", "no_longer_needed", "duplicate", "case_closed", "not_suitable", "other"]


class PartyIn(Party, forbid_unknown_fields=True):
    """The shared ``Party``, as a request reads it: strict, bounded, needs as codes."""

    EXAMPLE: ClassVar[dict] = {"adults": 1, "children_ages": [4, 9], "accessibility_needs": ["wheelchair"]}

    adults: Annotated[int, msgspec.Meta(ge=1, le=20)] = 1
    children_ages: Annotated[list[Annotated[int, msgspec.Meta(ge=0, le=17)]], msgspec.Meta(max_length=20)] = (
        msgspec.field(default_factory=list)
    )
    accessibility_needs: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,39}" + END)]], msgspec.Meta(max_length=10)
    ] = msgspec.field(default_factory=list)


class PlacementCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "case_id": "6f1c2a7e-3b9d-4c55-9a0e-2d8f41b7c930",
        "country": "GT",
        "region": "GT-14",
        "level": "extreme",
        "party": {"adults": 1, "children_ages": [4, 9]},
        "excluded_regions": ["GT-14", "MX-CHP"],
        "stay_days": 30,
    }

    case_id: uuid.UUID
    country: Country
    region: Region
    level: Level
    party: PartyIn = msgspec.field(default_factory=PartyIn)
    # Subdivisions (any country's) or whole countries where she must not be placed.
    excluded_regions: Annotated[list[Place], msgspec.Meta(max_length=30)] = []
    stay_days: StayDays = 30

    def __post_init__(self) -> None:
        places.check_country("country", self.country)
        places.check_region("region", self.region, country=self.country)
        for place in self.excluded_regions:
            places.check_place("excluded_regions", place)


class Placement(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    status: str
    level: str
    country: str
    region: str | None
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
    # Why staff should look at it (``reassessed``: a newer assessment met it holding beds).
    review_reason: str | None
    requested_at: datetime
    held_at: datetime | None
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    # Names for people, in the caller's language (Accept-Language: es, the default, or en).
    country_name: str | None = None
    region_name: str | None = None
    excluded_region_names: list[str] = msgspec.field(default_factory=list)
    shelter_country_name: str | None = None
    shelter_region_name: str | None = None


class Confirm(Request):
    """Either a stay length or an expected end; neither keeps the requested stay."""

    EXAMPLE: ClassVar[dict] = {"stay_days": 21}

    stay_days: StayDays | None = None
    expected_end: Aware | None = None


class CheckIn(Request):
    """Nothing to say yet: the family has arrived."""

    EXAMPLE: ClassVar[dict] = {}


class CheckOut(Request):
    """Nothing to say yet: the family has left."""

    EXAMPLE: ClassVar[dict] = {}


class Cancel(Request):
    EXAMPLE: ClassVar[dict] = {"reason": "no_longer_needed"}

    reason: CancelReason = "withdrawn"
