"""Which use case each event the console reads leads to (payload type -> handler): the
notices of ``services/console/notifications``. Every other type only advances the order."""

from __future__ import annotations

from services.console.notifications import service as notices
from shared.consumer import Handlers
from shared.events import (
    ApplicationApproved,
    ApplicationClosed,
    ApplicationFollowUpOpened,
    ApplicationOpened,
    ApplicationRejected,
    AssessmentRecorded,
    CaseClosed,
    PlacementCancelled,
    PlacementCheckedIn,
    PlacementConfirmed,
    PlacementEnded,
    PlacementExpired,
    PlacementHeld,
    ReassessmentDue,
)

RISK: Handlers = {
    ReassessmentDue: notices.reassessment_due,
    AssessmentRecorded: notices.assessment_recorded,
    CaseClosed: notices.case_closed,
}
SHELTERS: Handlers = {
    PlacementHeld: notices.hold_placed,
    PlacementConfirmed: notices.hold_ended,
    PlacementCheckedIn: notices.hold_ended,
    PlacementCancelled: notices.hold_ended,
    PlacementExpired: notices.hold_ended,
    PlacementEnded: notices.hold_ended,
}
FUNDS: Handlers = {
    ApplicationOpened: notices.application_opened,
    ApplicationFollowUpOpened: notices.application_opened,
    ApplicationApproved: notices.application_approved,
    ApplicationRejected: notices.application_ended,
    ApplicationClosed: notices.application_ended,
}
