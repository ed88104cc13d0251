"""Bodies, answers and small helpers shared by the risk tests (synthetic data only)."""

from __future__ import annotations

from hypothesis import strategies as st

from services.risk.domain.instrument import Indicator
from services.risk.instruments import get

INSTRUMENT = get("gender-v1")
NAME = "Juana Pérez Xol"
ORG = "Colectiva Madre Tierra"
PHONE = "+502 5555 0199"
NOTES = "vive cerca del río con sus hijas"


# One subdivision of each country of the network (ISO 3166-2), for bodies that name a country.
REGION_OF = {"GT": "GT-16", "MX": "MX-CHP", "HN": "HN-CR", "SV": "SV-SS", "NI": "NI-MN", "CR": "CR-SJ"}


def case_body(country: str = "GT", region: str | None = None, **over) -> dict:
    body = {
        "country": country,
        "region": region or REGION_OF.get(country, "GT-16"),
        "line_of_defence": "land_and_territory",
        "personal": {"full_name": NAME, "organization": ORG, "contacts": [PHONE], "notes": NOTES},
        "party": {"adults": 1, "children_ages": [4, 9], "accessibility_needs": []},
    }
    body.update(over)
    return body


def required_answers(value: bool = False) -> dict:
    """Every required indicator answered: bools with ``value``, scales with 0 or 3."""
    return {
        i.code: (value if i.answer == "bool" else (3 if value else 0))
        for i in INSTRUMENT.indicators
        if i.required
    }


def high_answers() -> dict:
    """A mother threatened with her children, aggressor armed, whose address is known: high."""
    answers = required_answers(False)
    answers.update({"T01": 2, "T07": True, "V02": True, "G03": True, "G07": True})
    return answers


def extreme_answers() -> dict:
    answers = high_answers()
    answers.update({"T03": True, "G01": True, "T06": True})
    return answers


def _value(ind: Indicator) -> st.SearchStrategy:
    return st.booleans() if ind.answer == "bool" else st.integers(0, INSTRUMENT.scoring.scale_max)


# Any complete, valid set of answers to gender-v1.
answers_st = st.fixed_dictionaries(
    {i.code: _value(i) for i in INSTRUMENT.indicators if i.required},
    optional={i.code: _value(i) for i in INSTRUMENT.indicators if not i.required},
)


def assessment_body(answers: dict | None = None, **over) -> dict:
    body = {"instrument_version": "gender-v1", "answers": answers or high_answers(), "notes": NOTES}
    body.update(over)
    return body


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["detail"], body
    return body


async def consent(client, case_id: str, *purposes: str, headers: dict) -> None:
    """Record her consent to each purpose (shelters and funds act on an assessment by
    themselves only with it)."""
    for purpose in purposes:
        r = await client.post(f"/cases/{case_id}/consents", json={"purpose": purpose}, headers=headers)
        assert r.status_code == 201, r.text
