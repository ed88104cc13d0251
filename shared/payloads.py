"""Every event payload: the contract between the services (``shared.events`` wraps them
in the envelope and re-exports them, so callers import events from one place).

Payloads carry case ids, countries, regions, party sizes and needs: never names,
contacts, addresses or free-text notes. Every string field is a code with a pattern or a
``Literal`` (countries and regions are ISO codes from ``shared.places``), so free text
cannot travel even by mistake. Rules for evolving them (ENGINEERING.md):
no ``forbid_unknown_fields`` (old consumers must read new producers), new fields get
defaults, a breaking change is a new ``VERSION`` registered beside the old one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from shared.places import Country, Place, Region
from shared.validation import END

# A code from one of our vocabularies (close reasons, purposes, needs): never free text.
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,59}" + END)]
InstrumentVersion = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{0,59}" + END)]
ShelterCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}" + END)]
# Why a shelter was chosen: "; "-separated rule codes, some with a value (region=GT-17).
RuleCodes = Annotated[
    str, msgspec.Meta(pattern=r"^([a-z_]+(=[A-Za-z0-9(),=/_-]+)?(; [a-z_]+(=[A-Za-z0-9(),=/_-]+)?)*)?" + END)
]

Level = Literal["low", "medium", "high", "extreme"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high", "extreme")
MeasureKind = Literal[
    "shelter",
    "relocation_grant",
    "home_security_grant",
    "medical_psychological_grant",
    "legal_grant",
    "digital_security",
    "self_care",
]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}" + END)]


class Payload(msgspec.Struct, kw_only=True, frozen=True):
    """Base of every payload; subclasses set TYPE and VERSION."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def __post_init__(self) -> None:
        # A region always lies in the country next to it (the case's, or the shelter's).
        region = getattr(self, "region", None)
        if region is not None and region[:2] != getattr(self, "country", region[:2]):
            raise ValueError("region is a subdivision of another country than the event's")


class Party(msgspec.Struct, kw_only=True, frozen=True):
    """Who travels together: the defender and her family."""

    adults: Annotated[int, msgspec.Meta(ge=1, le=20)] = 1
    children_ages: list[Annotated[int, msgspec.Meta(ge=0, le=17)]] = msgspec.field(default_factory=list)
    accessibility_needs: list[Code] = msgspec.field(default_factory=list)

    @property
    def size(self) -> int:
        return self.adults + len(self.children_ages)


class Money(msgspec.Struct, frozen=True):
    """Integer minor units (cents, centavos) with an ISO 4217 currency."""

    amount: int
    currency: Currency


# --- risk -----------------------------------------------------------------------------


class CaseOpened(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.risk.case.opened"
    country: Country
    # None: a case recorded before regions were codes whose region was not one.
    region: Region | None
    line_of_defence: Code
    party: Party


class AssessmentRecorded(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.risk.assessment.recorded"
    assessment_id: uuid.UUID
    instrument_version: InstrumentVersion
    computed_level: Level
    level: Level
    scores: dict[Code, int]
    measures: list[MeasureKind]
    country: Country
    region: Region | None
    party: Party
    excluded_regions: list[Place] = msgspec.field(default_factory=list)
    supersedes: uuid.UUID | None = None
    # The purposes she consented to at the assessment's time (consent block below): the
    # proof shelters and funds check before acting. Absent (an older event): none.
    shared_with: list[ConsentPurpose] = msgspec.field(default_factory=list)


class ReassessmentDue(Payload, frozen=True):
    """A case became due for a new assessment (domain/reassessment.py decides), announced
    once per case and moment it became due: the console tells her analysts."""

    TYPE: ClassVar[str] = "amparo.risk.case.reassessment_due"
    country: Country
    reasons: list[Code]
    due_since: datetime


class CaseClosed(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.risk.case.closed"
    reason: Code
    # The case's country, so a consumer that never saw the case opened still knows it.
    country: Country | None = None


# --- shelters -------------------------------------------------------------------------


class PlacementRequested(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.requested"
    placement_id: uuid.UUID
    country: Country
    party: Party
    level: Level = "medium"
    excluded_regions: list[Place] = msgspec.field(default_factory=list)


class PlacementHeld(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.held"
    placement_id: uuid.UUID
    shelter_id: uuid.UUID
    shelter_code: ShelterCode
    country: Country
    region: Region | None
    beds: int
    hold_expires_at: datetime
    reason: RuleCodes = ""
    relocation_of: uuid.UUID | None = None


class PlacementWaitlisted(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.waitlisted"
    placement_id: uuid.UUID
    level: Level
    country: Country


class PlacementConfirmed(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.confirmed"
    placement_id: uuid.UUID
    shelter_id: uuid.UUID


class PlacementCheckedIn(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.checked_in"
    placement_id: uuid.UUID
    shelter_id: uuid.UUID


class PlacementEnded(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.ended"
    placement_id: uuid.UUID
    shelter_id: uuid.UUID
    reason: Literal["checked_out", "relocated"] = "checked_out"


class PlacementCancelled(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.cancelled"
    placement_id: uuid.UUID
    reason: Annotated[str, msgspec.Meta(pattern=r"^([a-z][a-z0-9_]{0,59})?" + END)] = ""


class PlacementExpired(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.placement.expired"
    placement_id: uuid.UUID
    shelter_id: uuid.UUID | None = None


class PlacementReconciled(Payload, frozen=True):
    """A new assessment met a placement already active for the case: the waiting request
    took the new level, party and exclusions (``updated``), or the beds already held are
    kept and the placement is flagged for staff to review (``flagged``)."""

    TYPE: ClassVar[str] = "amparo.shelters.placement.reconciled"
    placement_id: uuid.UUID
    assessment_id: uuid.UUID
    outcome: Literal["updated", "flagged"]
    status: str  # the placement's status: requested, held, confirmed, checked_in
    source: str  # who asked for it: api (staff), assessment, relocation
    level: Level


class ShelterCompromised(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.shelters.shelter.compromised"
    shelter_id: uuid.UUID
    country: Country
    region: Region | None
    affected_case_ids: list[uuid.UUID] = msgspec.field(default_factory=list)


# --- funds ----------------------------------------------------------------------------


class GrantLine(msgspec.Struct, frozen=True):
    purpose: Code
    amount: Money


class ApplicationOpened(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.application.opened"
    application_id: uuid.UUID
    fund_id: uuid.UUID | None
    track: Literal["emergency", "ordinary"]
    country: Country
    lines: list[GrantLine]
    requested: Money
    # When the committee's decision is due (24 h emergency / 72 h ordinary, or the policy's).
    due_at: datetime | None = None


class ApplicationApproved(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.application.approved"
    application_id: uuid.UUID
    approved: Money
    track: Literal["emergency", "ordinary"] = "ordinary"
    ratified: bool = True
    # The committee vote that approved or ratified it (None: a recusal completed the tally).
    vote_id: uuid.UUID | None = None


class ApplicationRejected(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.application.rejected"
    application_id: uuid.UUID
    # The committee vote that rejected it (None: a recusal completed the tally).
    vote_id: uuid.UUID | None = None


class ApplicationInfoRequested(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.application.info_requested"
    application_id: uuid.UUID


class ApplicationOverdue(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.application.overdue"
    application_id: uuid.UUID
    track: Literal["emergency", "ordinary"]
    due_at: datetime


class DisbursementMade(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.disbursement.made"
    application_id: uuid.UUID
    disbursement_id: uuid.UUID
    amount: Money
    tranche: int
    paid_total: Money
    method: Code


class ApplicationClosed(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.funds.application.closed"
    application_id: uuid.UUID
    paid: Money
    released: Money


# --- funds: one application per need (issue 14) ----------------------------------------


class ApplicationUpdated(Payload, frozen=True):
    """An undecided application revised in place: by a new assessment of its case (its
    ``causation_id`` is the AssessmentRecorded event), a grant policy that priced it, or a
    fund administrator's pricing."""

    TYPE: ClassVar[str] = "amparo.funds.application.updated"
    application_id: uuid.UUID
    revision: int
    cause: Literal["assessment", "policy", "pricing"]
    fund_id: uuid.UUID | None
    track: Literal["emergency", "ordinary"]
    lines: list[GrantLine]
    requested: Money
    assessment_id: uuid.UUID | None = None


class ApplicationFollowUpOpened(Payload, frozen=True):
    """A new assessment recommends purposes the case's decided application did not cover:
    an application for those only, linked to the one it follows."""

    TYPE: ClassVar[str] = "amparo.funds.application.follow_up_opened"
    application_id: uuid.UUID
    follows_id: uuid.UUID
    assessment_id: uuid.UUID
    fund_id: uuid.UUID | None
    track: Literal["emergency", "ordinary"]
    country: Country
    lines: list[GrantLine]
    requested: Money
    due_at: datetime | None = None


# --- retention of personal data (issue 14: blocking, then erasure) -----------------------
# Risk decides; shelters and funds erase their own ciphertexts for the case. No personal
# data: the case id (on the envelope) and codes.


class CasePersonalDataBlocked(Payload, frozen=True):
    """The closed case's personal data is blocked: only an admin may read it, with a reason."""

    TYPE: ClassVar[str] = "amparo.risk.case.personal_data_blocked"
    country: Country | None = None


class CasePersonalDataErased(Payload, frozen=True):
    """The case's personal data is erased in risk; every service erases its own part."""

    TYPE: ClassVar[str] = "amparo.risk.case.personal_data_erased"
    # "retention_period", or the code of an erasure request.
    reason: Code
    country: Country | None = None


RETENTION_PAYLOADS: tuple[type[Payload], ...] = (CasePersonalDataBlocked, CasePersonalDataErased)
# --- end of retention ----------------------------------------------------------------------


# --- consent (issue #14): what she agreed to share, per purpose ----------------------
# shelters: shared with shelters (automatic holds); funds: grant applications;
# statistics: counted in the registry's statistics; contact: contacted by the network.
ConsentPurpose = Literal["shelters", "funds", "statistics", "contact"]
CONSENT_PURPOSES: tuple[ConsentPurpose, ...] = ("shelters", "funds", "statistics", "contact")


class ConsentGiven(Payload, frozen=True):
    TYPE: ClassVar[str] = "amparo.risk.consent.given"
    purpose: ConsentPurpose
    given_at: date
    until: date | None = None


class ConsentRevoked(Payload, frozen=True):
    """What has not happened yet for this purpose stops (shelters release holds and
    waiting requests, funds withdraw undecided applications); done things stay."""

    TYPE: ClassVar[str] = "amparo.risk.consent.revoked"
    purpose: ConsentPurpose
    until: date | None = None


class ApplicationWithdrawn(Payload, frozen=True):
    """An undecided application closed because what opened it may no longer be acted on."""

    TYPE: ClassVar[str] = "amparo.funds.application.withdrawn"
    application_id: uuid.UUID
    reason: Literal["consent_revoked"] = "consent_revoked"


CONSENT_PAYLOAD_TYPES: tuple[type[Payload], ...] = (ConsentGiven, ConsentRevoked, ApplicationWithdrawn)


PAYLOAD_TYPES: tuple[type[Payload], ...] = (
    CaseOpened,
    AssessmentRecorded,
    CaseClosed,
    ReassessmentDue,
    PlacementRequested,
    PlacementHeld,
    PlacementWaitlisted,
    PlacementConfirmed,
    PlacementCheckedIn,
    PlacementEnded,
    PlacementCancelled,
    PlacementExpired,
    PlacementReconciled,
    ShelterCompromised,
    ApplicationOpened,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationInfoRequested,
    ApplicationOverdue,
    DisbursementMade,
    ApplicationClosed,
    ApplicationUpdated,
    ApplicationFollowUpOpened,
    *RETENTION_PAYLOADS,
    *CONSENT_PAYLOAD_TYPES,
)
REGISTRY: dict[tuple[str, int], type[Payload]] = {(p.TYPE, p.VERSION): p for p in PAYLOAD_TYPES}
