"""Request and response bodies of the risk service (msgspec Structs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from services.risk import domain
from shared.events import Country, Level, MeasureKind, Party

# PostgreSQL text cannot hold NUL: refused here as a 400 rather than failing in the database.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
LongText = Annotated[str, msgspec.Meta(max_length=10_000)]
Region = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=NO_NUL)]
LineOfDefence = Literal[domain.LINES_OF_DEFENCE]
CloseReason = Literal[domain.CLOSE_REASONS]
CaseStatus = Literal["open", "closed"]
NeedCode = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,39}$", description="a need code, e.g. wheelchair")
]
AggressionType = Literal[domain.AGGRESSION_TYPES]
PerpetratorType = Literal[domain.PERPETRATOR_TYPES]
GenderComponent = Literal[domain.GENDER_COMPONENTS]


class PartyIn(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    adults: Annotated[int, msgspec.Meta(ge=1, le=20)] = 1
    children_ages: Annotated[list[Annotated[int, msgspec.Meta(ge=0, le=17)]], msgspec.Meta(max_length=20)] = (
        msgspec.field(default_factory=list)
    )
    # Codes (wheelchair, hearing, ...), never free text: they travel in events to shelters.
    accessibility_needs: Annotated[list[NeedCode], msgspec.Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )

    def to_party(self) -> Party:
        return Party(
            adults=self.adults,
            children_ages=list(self.children_ages),
            accessibility_needs=list(self.accessibility_needs),
        )


class PartyView(msgspec.Struct, kw_only=True, frozen=True):
    """The party as shown in responses (shared.events.Party's list defaults break OpenAPI)."""

    adults: int
    children_ages: list[int]
    accessibility_needs: list[str]
    size: int

    @classmethod
    def of(cls, party: Party) -> PartyView:
        return cls(
            adults=party.adults,
            children_ages=list(party.children_ages),
            accessibility_needs=list(party.accessibility_needs),
            size=party.size,
        )


class PersonalData(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Encrypted at rest; shown only to risk analysts, and every read is audited."""

    full_name: Text
    organization: Annotated[str, msgspec.Meta(max_length=200)] = ""
    # Phone numbers, e-mail, messenger handles; one string is taken as a list of one.
    contacts: (
        Annotated[list[Text], msgspec.Meta(max_length=10)] | Annotated[str, msgspec.Meta(max_length=500)]
    ) = msgspec.field(default_factory=list)
    notes: LongText = ""


class CaseCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    country: Country
    region: Region
    personal: PersonalData
    line_of_defence: LineOfDefence
    party: PartyIn = msgspec.field(default_factory=PartyIn)


class CaseSummary(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    country: str
    region: str
    line_of_defence: str
    party: PartyView
    status: CaseStatus
    level: Level | None
    last_assessment_id: uuid.UUID | None
    last_assessed_at: datetime | None
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    close_reason: str | None


class CaseDetail(CaseSummary, kw_only=True, frozen=True):
    personal: PersonalData


class CaseClose(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    reason: CloseReason


# --- instruments and assessments -------------------------------------------------------------


class AssessmentCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    instrument_version: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    answers: Annotated[dict[str, bool | int], msgspec.Meta(max_length=500)]
    # Regions where she must not be placed. The case's region (where she was attacked) is
    # added unless exclude_case_region is false.
    excluded_regions: Annotated[list[Region], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    exclude_case_region: bool = True
    # Who travels with her now; the case's party when omitted.
    party: PartyIn | None = None
    notes: LongText = ""
    level_override: Level | None = None
    override_reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class AssessmentView(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    case_id: uuid.UUID
    instrument_version: str
    answers: dict[str, bool | int]
    scores: dict[str, int]
    computed_level: Level
    level: Level
    overridden: bool
    measures: list[MeasureKind]
    party: PartyView
    excluded_regions: list[str]
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime
    # Present only in the history (GET), which is an audited read.
    notes: str | None = None
    override_reason: str | None = None


class InstrumentSummary(msgspec.Struct, kw_only=True, frozen=True):
    version: str
    title_es: str
    title_en: str
    published_on: date
    indicators: int


# --- timeline, re-assessments, audit ---------------------------------------------------------


class TimelineStep(msgspec.Struct, kw_only=True, frozen=True):
    type: str
    occurred_at: datetime
    elapsed_seconds: float
    since_previous_seconds: float
    service: str
    summary: str


class Timeline(msgspec.Struct, kw_only=True, frozen=True):
    case_id: uuid.UUID
    status: CaseStatus
    level: Level | None
    current_step: str | None
    reassessment_due: bool
    steps: list[TimelineStep]


class DueCase(msgspec.Struct, kw_only=True, frozen=True):
    case_id: uuid.UUID
    country: str
    region: str
    level: Level | None
    last_assessed_at: datetime | None
    reasons: list[str]
    due_since: datetime


class AuditEntry(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    at: datetime
    actor: str
    action: str
    case_id: uuid.UUID | None
    object_id: uuid.UUID | None


# --- the registry of attacks ------------------------------------------------------------------


class IncidentCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    occurred_on: date
    country: Country
    region: Region
    scope: Literal["individual", "collective"]
    aggression_types: Annotated[list[AggressionType], msgspec.Meta(min_length=1, max_length=12)]
    perpetrator_types: Annotated[list[PerpetratorType], msgspec.Meta(min_length=1, max_length=7)]
    gender_components: bool
    gender_component_types: Annotated[list[GenderComponent], msgspec.Meta(max_length=10)] = msgspec.field(
        default_factory=list
    )
    close_people_attacked: bool = False
    case_id: uuid.UUID | None = None


class IncidentView(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    occurred_on: date
    country: str
    region: str
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
