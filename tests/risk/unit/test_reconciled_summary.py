"""The timeline tells what became of an assessment that met an active placement (issue 10,
finding 1): before, nothing was said and the timeline still read "beds held"."""

from __future__ import annotations

import uuid

from services.risk.domain.timeline import summary_for
from shared.events import PlacementReconciled, new_event


def reconciled(outcome: str, status: str = "held", source: str = "api"):
    payload = PlacementReconciled(
        placement_id=uuid.uuid4(),
        assessment_id=uuid.uuid4(),
        outcome=outcome,
        status=status,
        source=source,
        level="extreme",
    )
    return new_event(payload, producer="shelters", case_id=uuid.uuid4())


def test_a_flagged_placement_says_it_was_kept_and_flagged():
    text = summary_for(reconciled("flagged"))
    assert text == (
        "the new assessment (level extreme) found a held placement requested by staff: "
        "kept as it is and flagged for staff to review"
    )


def test_an_updated_request_says_it_took_the_new_assessment():
    assert "took the new assessment (level extreme" in summary_for(reconciled("updated", "requested"))
