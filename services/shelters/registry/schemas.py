"""Request and response bodies of the shelter registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from services.shelters.fields import Aware, Request
from shared import places
from shared.events import Country, Region
from shared.validation import END

Kind = Literal["shelter", "safe_house", "self_care_centre", "hostel", "halfway_house"]
Accepts = Literal["women", "children", "families", "lgbti"]
ShelterStatus = Literal["open", "closed", "compromised"]
Code = Annotated[
    str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}" + END)
]
ServiceName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,39}" + END)]
RoomName = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]{1,40}" + END)]
OutOfServiceReason = Literal["repair", "cleaning", "safety", "other"]


class BedBatch(Request):
    """``count`` beds in ``room`` (the room is created if new)."""

    EXAMPLE: ClassVar[dict] = {"room": "Cuarto 2", "count": 3, "child_sized": True, "accessible": False}

    room: RoomName
    count: Annotated[int, msgspec.Meta(ge=1, le=200)]
    child_sized: bool = False
    accessible: bool = False


class ShelterCreate(Request):
    EXAMPLE: ClassVar[dict] = {
        "code": "Casa-Ceiba",
        "kind": "safe_house",
        "country": "GT",
        "region": "GT-17",
        "address": "Dirección de ejemplo 1, Zona de prueba",
        "contact": "+502 0000 0000",
        "accepts": ["women", "families"],
        "accessible": True,
        "services": ["psychological_care", "legal_advice"],
        "status": "open",
        "beds": [{"room": "Cuarto 1", "count": 4}, {"room": "Cuarto 2", "count": 2, "child_sized": True}],
    }

    code: Code
    kind: Kind
    country: Country
    region: Region
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^[^\x00]{1,500}" + END)]
    contact: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]{0,500}" + END)] = ""
    accepts: Annotated[list[Accepts], msgspec.Meta(max_length=4)] = []
    accessible: bool = False
    services: Annotated[list[ServiceName], msgspec.Meta(max_length=20)] = []
    status: Literal["open", "closed"] = "open"
    beds: Annotated[list[BedBatch], msgspec.Meta(max_length=50)] = []

    def __post_init__(self) -> None:
        places.check_country("country", self.country)
        places.check_region("region", self.region, country=self.country)


class Shelter(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: uuid.UUID
    code: str
    kind: str
    country: str
    # None: recorded before regions were codes, and what was typed was not one.
    region: str | None
    accepts: list[str]
    accessible: bool
    services: list[str]
    status: str
    beds: int
    created_at: datetime
    compromised_at: datetime | None = None
    # Names for people, in the caller's language (Accept-Language: es, the default, or en).
    country_name: str | None = None
    region_name: str | None = None
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
    EXAMPLE: ClassVar[dict] = {
        "start": "2026-12-01T08:00:00Z",
        "end": "2026-12-03T08:00:00Z",
        "reason": "repair",
    }

    start: Aware
    end: Aware
    reason: OutOfServiceReason = "repair"


class OutOfService(msgspec.Struct, kw_only=True):
    id: int
    bed_id: uuid.UUID
    start: datetime
    end: datetime
    reason: str


class Reopened(msgspec.Struct, kw_only=True):
    """Answer of close and reopen."""

    shelter_id: uuid.UUID
    status: str
    holds_from_waitlist: int
