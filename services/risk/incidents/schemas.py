"""Request and response bodies of the registry of attacks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from services.risk.domain import vocabulary
from shared import places
from shared.events import Country, Region

AggressionType = Literal[vocabulary.AGGRESSION_TYPES]
PerpetratorType = Literal[vocabulary.PERPETRATOR_TYPES]
GenderComponent = Literal[vocabulary.GENDER_COMPONENTS]
Scope = Literal[vocabulary.INCIDENT_SCOPES]


class IncidentCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One attack: when, where, what and by whom, as codes (no names, no free text)."""

    EXAMPLE: ClassVar[dict] = {
        "occurred_on": "2026-03-14",
        "country": "GT",
        "region": "GT-18",
        "scope": "individual",
        "aggression_types": ["threats", "surveillance"],
        "perpetrator_types": ["companies"],
        "gender_components": True,
        "gender_component_types": ["threats_of_sexual_violence"],
        "close_people_attacked": True,
    }

    occurred_on: date
    country: Country
    region: Region
    scope: Scope
    aggression_types: Annotated[list[AggressionType], msgspec.Meta(min_length=1, max_length=12)]
    perpetrator_types: Annotated[list[PerpetratorType], msgspec.Meta(min_length=1, max_length=7)]
    gender_components: bool
    gender_component_types: Annotated[list[GenderComponent], msgspec.Meta(max_length=10)] = msgspec.field(
        default_factory=list
    )
    close_people_attacked: bool = False
    case_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        places.check_country("country", self.country)
        places.check_region("region", self.region, country=self.country)


class IncidentView(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    occurred_on: date
    country: str
    region: str | None
    country_name: str | None = None
    region_name: str | None = None
    scope: str
    aggression_types: list[str]
    perpetrator_types: list[str]
    gender_components: bool
    gender_component_types: list[str]
    close_people_attacked: bool
    case_id: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime
    # Whether recording it made its case due for re-assessment (false in lists).
    case_marked_due: bool


class IncidentStats(msgspec.Struct, kw_only=True, frozen=True):
    from_: date | None = msgspec.field(name="from")
    to: date | None
    countries: list[str] | None
    total: int
    with_gender_components: int
    # Integer shares: percent rounded half up, and basis points (1/100 of a percent).
    gender_share_percent: int
    gender_share_basis_points: int
    with_close_people_attacked: int
    by_country: dict[str, int]
    by_aggression_type: dict[str, int]
    by_perpetrator_type: dict[str, int]
    by_gender_component: dict[str, int]
    by_month: dict[str, int]
    by_scope: dict[str, int]
