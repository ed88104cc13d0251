"""Every route: documented in OpenAPI with an operation id, and bad input is a 4xx problem."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.risk.helpers import assert_problem, assessment_body, case_body, high_answers
from tests.support import auth, service_client

ADMIN = auth("admin")
OPERATIONS = {
    ("post", "/cases"): "openCase",
    ("get", "/cases"): "listCases",
    ("get", "/cases/{case_id}"): "getCase",
    ("post", "/cases/{case_id}/close"): "closeCase",
    ("get", "/instruments"): "listInstruments",
    ("get", "/instruments/{version}"): "getInstrument",
    ("post", "/cases/{case_id}/assessments"): "recordAssessment",
    ("get", "/cases/{case_id}/assessments"): "listAssessments",
    ("get", "/cases/{case_id}/timeline"): "getTimeline",
    ("get", "/reassessments/due"): "listDueReassessments",
    ("post", "/incidents"): "recordIncident",
    ("get", "/incidents"): "listIncidents",
    ("get", "/incidents/stats"): "incidentStats",
    ("get", "/audit"): "listAudit",
    ("post", "/cases/{case_id}/erasure"): "eraseCasePersonalData",
    ("post", "/cases/{case_id}/blocked-personal-data"): "readBlockedPersonalData",
    # the analyst's desk (issue 12)
    ("get", "/cases/search"): "searchCases",
    ("get", "/cases/{case_id}/summary"): "getCaseSummary",
    ("post", "/instruments/{version}/score"): "previewScore",
    ("get", "/cases/{case_id}/consents"): "listConsents",
    ("post", "/cases/{case_id}/consents"): "giveConsent",
    ("post", "/cases/{case_id}/consents/{purpose}/revocation"): "revokeConsent",
    # Every service's operators' routes (shared.admin).
    ("get", "/status"): "getStatus",
    ("get", "/deadletters"): "listDeadLetters",
    ("get", "/deadletters/{seq}"): "getDeadLetter",
    ("post", "/deadletters/{seq}/replay"): "replayDeadLetter",
    ("post", "/deadletters/{seq}/discard"): "discardDeadLetter",
}


async def test_openapi_documents_every_route(client):
    schema = (await client.get("/schema/openapi.json")).json()
    found = {
        (method, path): op["operationId"]
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if path not in ("/health", "/ready")
    }
    assert found == OPERATIONS
    for path, item in schema["paths"].items():
        for op in item.values():
            assert op.get("description") or op.get("summary"), path


async def test_bad_input_on_every_endpoint_is_a_4xx_problem(client):
    case = (await client.post("/cases", json=case_body(), headers=ADMIN)).json()
    cid = case["id"]
    nobody = uuid.uuid4()
    calls = [
        ("post", "/cases", {"country": "GT"}, 400),
        ("get", "/cases?limit=1000", None, 400),
        ("get", f"/cases/{nobody}", None, 404),
        ("post", f"/cases/{cid}/close", {"reason": "bored"}, 400),
        ("post", f"/cases/{cid}/close", [], 400),
        ("get", "/instruments/gender-v7", None, 404),
        ("post", f"/cases/{cid}/assessments", {"instrument_version": "gender-v1"}, 400),
        ("post", f"/cases/{cid}/assessments", {"instrument_version": "gender-v1", "answers": {}}, 422),
        ("get", f"/cases/{cid}/assessments?offset=-3", None, 400),
        ("get", f"/cases/{nobody}/timeline", None, 404),
        ("get", "/reassessments/due?country=gt", None, 400),
        ("post", "/incidents", {"occurred_on": "2026-01-01"}, 400),
        ("get", "/incidents/stats?from=01/01/2026", None, 400),
        ("get", "/incidents?case_id=12", None, 400),
        ("get", "/audit?limit=0", None, 400),
        ("get", "/audit?actor=a%00b", None, 400),
        ("get", "/deadletters/0", None, 400),
        ("get", "/deadletters/1", None, 404),
        ("post", "/deadletters/1/discard", {"reason": "a\nb"}, 400),
        ("post", "/deadletters/1/discard", {}, 400),
        ("post", "/cases", {**case_body(), "region": "GT-1\x007"}, 400),
        ("post", f"/cases/{cid}/erasure", {"reason": "because"}, 400),
        ("post", f"/cases/{nobody}/erasure", {"reason": "safety"}, 404),
        ("post", f"/cases/{cid}/blocked-personal-data", {}, 400),
        ("post", f"/cases/{nobody}/blocked-personal-data", {"reason": "legal_claim"}, 404),
        ("post", f"/cases/{cid}/consents", {"purpose": "gossip"}, 400),
        ("post", f"/cases/{cid}/consents", {"purpose": "funds", "until": "someday"}, 400),
        ("post", f"/cases/{cid}/consents", {"purpose": "funds", "until": "2001-01-01"}, 422),
        ("get", f"/cases/{nobody}/consents", None, 404),
        ("post", f"/cases/{cid}/consents/gossip/revocation", None, 404),
        ("post", f"/cases/{cid}/consents/funds/revocation", None, 404),
    ]
    for method, url, body, status in calls:
        kwargs = {"json": body} if body is not None else {}
        response = await client.request(method.upper(), url, headers=ADMIN, **kwargs)
        assert_problem(response, status)
    # No token at all on every route.
    for (method, path), _ in OPERATIONS.items():
        response = await client.request(
            method.upper(), path.format(case_id=cid, version="gender-v1", purpose="funds", seq=1)
        )
        assert_problem(response, 401)


async def test_the_service_will_not_start_without_pii_keys(make_settings):
    import msgspec

    from shared.config import ConfigError

    settings = msgspec.structs.replace(await make_settings("risk"), pii_keys="")
    with pytest.raises(BaseException) as info:  # the test client wraps it in an ExceptionGroup
        async with service_client("risk", settings):
            pass
    assert info.group_contains(ConfigError, match="AMPARO_PII_KEYS") or info.errisinstance(ConfigError)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def mutated(body: dict, data) -> dict:
    """A valid body with some fields replaced, dropped or added at random."""
    body = dict(body)
    for key in data.draw(st.lists(st.sampled_from([*body, "extra"]), min_size=1, max_size=3, unique=True)):
        action = data.draw(st.sampled_from(["replace", "drop"]))
        if action == "drop":
            body.pop(key, None)
        else:
            body[key] = data.draw(JSON)
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_no_body_makes_a_5xx(client, data):
    """Whatever arrives, the answer is a success or a 4xx problem, never a 500."""
    case = (await client.post("/cases", json=case_body(), headers=ADMIN)).json()
    target = data.draw(st.sampled_from(["case", "assessment", "incident", "close"]))
    if target == "case":
        url, body = "/cases", mutated(case_body(), data)
    elif target == "assessment":
        answers = mutated(high_answers(), data)
        body = mutated({**assessment_body(answers), "party": {"adults": 2}}, data)
        url = f"/cases/{case['id']}/assessments"
    elif target == "incident":
        url = "/incidents"
        body = mutated(
            {
                "occurred_on": "2026-01-02",
                "country": "GT",
                "region": "GT-17",
                "scope": "individual",
                "aggression_types": ["threats"],
                "perpetrator_types": ["unknown"],
                "gender_components": False,
                "case_id": case["id"],
            },
            data,
        )
    else:
        url, body = f"/cases/{case['id']}/close", mutated({"reason": "other"}, data)
    response = await client.post(url, json=body, headers=ADMIN)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
    assert response.status_code < 500, response.text
