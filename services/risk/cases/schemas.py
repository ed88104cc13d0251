"""Request and response bodies of cases, and the text types every risk body uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from services.risk.domain import retention, vocabulary
from services.risk.domain.reassessment import Reason
from shared import places
from shared.errors import Invalid
from shared.events import ConsentPurpose, Country, Level, Party, Region
from shared.validation import END

# PostgreSQL text cannot hold NUL: refused here as a 400 rather than failing in the database.
NO_NUL = r"^[^\x00]*" + END
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
LongText = Annotated[str, msgspec.Meta(max_length=10_000)]
LineOfDefence = Literal[vocabulary.LINES_OF_DEFENCE]
CloseReason = Literal[vocabulary.CLOSE_REASONS]
CaseStatus = Literal[vocabulary.CASE_STATUSES]
PersonalDataState = Literal[retention.STATES]
NeedCode = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,39}" + END, description="a need code, e.g. wheelchair")
]


class PartyIn(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Who travels with her: adults (her included) and the ages of the children."""

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
    # Phone numbers, e-mail, messenger handles; one string is taken as a list of one (so
    # it has a contact's bounds: it is stored, and read back, as one).
    contacts: (
        Annotated[list[Text], msgspec.Meta(max_length=10)]
        | Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)]
    ) = msgspec.field(default_factory=list)
    notes: LongText = ""


class CaseCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Intake: where she is, what she defends, who travels with her, and who she is."""

    EXAMPLE: ClassVar[dict] = {
        "country": "GT",
        "region": "GT-16",
        "line_of_defence": "land_and_territory",
        "personal": {
            "full_name": "Defensora Ejemplo Uno",
            "organization": "Colectiva Ejemplo",
            "contacts": ["+502 5555 0100"],
            "notes": "threatened after a community assembly (synthetic example)",
        },
        "party": {"adults": 1, "children_ages": [4, 9], "accessibility_needs": []},
        "consents": ["shelters", "funds"],
    }

    country: Country
    # Where she is: a subdivision of ``country``, never an address (it travels in events).
    region: Region
    personal: PersonalData
    line_of_defence: LineOfDefence
    party: PartyIn = msgspec.field(default_factory=PartyIn)
    # What she agrees to share, asked at intake on the same form: recorded with the case,
    # from today until she revokes it (POST /cases/{id}/consents for an end date or later).
    consents: list[ConsentPurpose] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        places.check_country("country", self.country)
        places.check_region("region", self.region, country=self.country)
        if len(set(self.consents)) != len(self.consents):
            raise Invalid("consents names a purpose twice", code="consent.purpose_repeated")


class CaseSummary(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    country: str
    # None: recorded before regions were codes, and what was typed was not one.
    region: str | None
    # Names for people, in the caller's language (Accept-Language: es, the default, or en).
    country_name: str | None = None
    region_name: str | None = None
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
    # Retention (issue 14): active, blocked (admin-only reads, with a reason) or erased.
    personal_data: PersonalDataState = "active"
    personal_data_blocked_at: datetime | None = None
    personal_data_erased_at: datetime | None = None


class CaseDetail(CaseSummary, kw_only=True, frozen=True):
    personal: PersonalData
    # The purposes her consents cover now (GET /cases/{id}/consents has the history).
    shared_with: list[ConsentPurpose] = msgspec.field(default_factory=list)


class CaseClose(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Why the case is closed, as a code."""

    EXAMPLE: ClassVar[dict] = {"reason": "risk_resolved"}

    reason: CloseReason


class DueCase(msgspec.Struct, kw_only=True, frozen=True):
    case_id: uuid.UUID
    country: str
    region: str | None
    country_name: str | None = None
    region_name: str | None = None
    level: Level | None
    last_assessed_at: datetime | None
    reasons: list[Reason]
    due_since: datetime


class AuditEntry(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    at: datetime
    actor: str
    action: str
    case_id: uuid.UUID | None
    object_id: uuid.UUID | None
    # Why: the reason code of a read of blocked data, of an erasure, or of a refusal.
    reason: str | None = None
    # How many cases a name search found (case.search rows; the query is never kept).
    result_count: int | None = None
