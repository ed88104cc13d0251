"""Every request body's EXAMPLE (shown in the OpenAPI document) is a valid request."""

from __future__ import annotations

import msgspec
import pytest

from services.risk.assessments.schemas import AssessmentCreate
from services.risk.cases.schemas import CaseClose, CaseCreate
from services.risk.domain import scoring
from services.risk.incidents.schemas import IncidentCreate
from services.risk.instruments import get

BODIES = [CaseCreate, CaseClose, AssessmentCreate, IncidentCreate]


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.__name__)
def test_every_example_decodes_strictly(body):
    msgspec.convert(body.EXAMPLE, body, strict=True)


def test_the_assessment_example_fits_its_instrument():
    example = msgspec.convert(AssessmentCreate.EXAMPLE, AssessmentCreate, strict=True)
    instrument = get(example.instrument_version)
    assert instrument is not None
    assert not scoring.check_answers(instrument, example.answers)
