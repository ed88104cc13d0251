"""Request and response bodies of the instrument and assessments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from services.risk import instruments
from services.risk.cases.schemas import LongText, PartyIn, PartyView
from shared import places
from shared.events import ConsentPurpose, Level, MeasureKind, Place

# The versions are the instrument files shipped (a new version is a new file and a
# restart), so the document lists them and an unknown one is refused with the list.
InstrumentVersion = Literal[tuple(sorted(instruments.all_instruments()))]


class AssessmentCreate(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The analyst's answers to one instrument version, and what she decides beyond them."""

    EXAMPLE: ClassVar[dict] = {
        "instrument_version": "gender-v1",
        # Every required indicator, as the form sends them: threatened with her children,
        # the aggressor armed, her address known.
        "answers": {
            "T01": 2,
            "T02": False,
            "T03": False,
            "T07": True,
            "V02": True,
            "V03": False,
            "G01": False,
            "G02": False,
            "G03": True,
            "G07": True,
        },
        "excluded_regions": ["GT-18"],
        "exclude_case_region": True,
        "party": {"adults": 1, "children_ages": [4, 9], "accessibility_needs": []},
        "notes": "the aggressor knows where she lives (synthetic example)",
    }

    instrument_version: InstrumentVersion
    answers: Annotated[
        dict[str, bool | int],
        msgspec.Meta(max_length=500, description="indicator code -> true/false or 0-3 (see the instrument)"),
    ]
    # Regions (ISO 3166-2) or whole countries where she must not be placed, of any
    # country: a border is no protection. The case's region (where she was attacked) is
    # added unless exclude_case_region is false.
    excluded_regions: Annotated[list[Place], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    exclude_case_region: bool = True
    # Who travels with her now; the case's party when omitted.
    party: PartyIn | None = None
    notes: LongText = ""
    level_override: Level | None = None
    override_reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None

    def __post_init__(self) -> None:
        for place in self.excluded_regions:
            places.check_place("excluded_regions", place)


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
    # The purposes her consents covered when it was recorded: shelters hold beds and funds
    # open an application by themselves only for these; ``withheld`` says what they will
    # not do and why (e.g. "no hold requested: no consent to share with shelters").
    shared_with: list[ConsentPurpose] = msgspec.field(default_factory=list)
    withheld: list[str] = msgspec.field(default_factory=list)
    excluded_regions: list[str]
    # Their names, in the caller's language (Accept-Language: es, the default, or en).
    excluded_region_names: list[str] = msgspec.field(default_factory=list)
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


class ScoreRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Answers to score without recording anything (the assessment form's live preview)."""

    EXAMPLE: ClassVar[dict] = {
        "answers": {"T01": 2, "T02": False, "T03": False, "T07": True, "V02": True, "V03": False,
                    "G01": False, "G02": False, "G03": True, "G07": True},
        "level_override": None,
    }  # fmt: skip

    answers: Annotated[
        dict[str, bool | int],
        msgspec.Meta(max_length=500, description="indicator code -> true/false or 0-3 (see the instrument)"),
    ]
    level_override: Level | None = None


class ScorePreview(msgspec.Struct, kw_only=True, frozen=True):
    instrument_version: str
    scores: dict[str, int]
    computed_level: Level
    level: Level
    overridden: bool
    measures: list[MeasureKind]
    # Indicators whose floor raised the level.
    floors: list[str]
