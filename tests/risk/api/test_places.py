"""Places from a list (issue 10): a street address typed where a region goes is refused,
naming the field, and is never stored or published; names are shown in her language."""

from __future__ import annotations

import asyncpg
import pytest

from tests.risk.helpers import assert_problem, assessment_body, case_body
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT", "MX"), sub="ana")
ADDRESS = "Calle del Río 14, casa azul, Cobán"


async def _everything_stored(settings) -> str:
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        return await conn.fetchval(
            "SELECT concat((SELECT string_agg(c::text, ' ') FROM cases c),"
            " (SELECT string_agg(a::text, ' ') FROM assessments a),"
            " (SELECT string_agg(i::text, ' ') FROM incidents i),"
            " (SELECT string_agg(convert_from(o.payload, 'UTF8'), ' ') FROM outbox o))"
        )
    finally:
        await conn.close()


# Not a code: the document's pattern refuses it (400). A code that names no subdivision of
# the case's country fits the pattern: it breaks a rule the schema cannot say (422).
@pytest.mark.parametrize(
    ("region", "status"),
    [(ADDRESS, 400), ("Alta Verapaz", 400), ("GT-99", 422), ("MX-CHP", 422)],
    ids=["address", "name", "unknown-code", "other-country"],
)
async def test_a_region_that_is_not_a_subdivision_of_the_case_country_is_refused(
    client, settings, region, status
):
    problem = assert_problem(
        await client.post("/cases", json=case_body(region=region), headers=ANALYST), status
    )
    assert "region" in problem["detail"] and region not in str(problem)
    assert ADDRESS not in await _everything_stored(settings)


async def test_an_address_among_excluded_regions_is_refused_and_never_published(client, settings):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    url = f"/cases/{case['id']}/assessments"
    for bad, status in (([ADDRESS], 400), (["GT-99"], 422), (["Izabal"], 400)):
        problem = assert_problem(
            await client.post(url, json=assessment_body(excluded_regions=bad), headers=ANALYST), status
        )
        assert "excluded_regions" in problem["detail"] and bad[0] not in str(problem)
    stored = await _everything_stored(settings)
    assert ADDRESS not in stored and "Izabal" not in stored
    # Regions and whole countries of any country are fine: a border is no protection.
    ok = await client.post(url, json=assessment_body(excluded_regions=["MX-CHP", "HN"]), headers=ANALYST)
    assert ok.status_code == 201, ok.text
    assert ok.json()["excluded_regions"] == ["GT-16", "MX-CHP", "HN"]
    assert ok.json()["excluded_region_names"] == ["Alta Verapaz", "Chiapas", "Honduras"]


async def test_an_incident_region_is_a_code_of_its_country(client, settings):
    body = {
        "occurred_on": "2026-03-14",
        "country": "GT",
        "region": ADDRESS,
        "scope": "individual",
        "aggression_types": ["threats"],
        "perpetrator_types": ["unknown"],
        "gender_components": False,
    }
    problem = assert_problem(await client.post("/incidents", json=body, headers=ANALYST), 400)
    assert "region" in problem["detail"] and ADDRESS not in str(problem)
    ok = await client.post("/incidents", json={**body, "region": "GT-18"}, headers=ANALYST)
    assert ok.status_code == 201 and ok.json()["region_name"] == "Izabal"


async def test_places_are_named_in_spanish_unless_she_asks_for_english(client):
    opened = await client.post("/cases", json=case_body(country="MX", region="MX-CMX"), headers=ANALYST)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert (case["country"], case["country_name"], case["region_name"]) == (
        "MX",
        "México",
        "Ciudad de México",
    )
    english = {**ANALYST, "Accept-Language": "en-GB,en;q=0.9"}
    listed = (await client.get("/cases", headers=english)).json()["items"][0]
    assert listed["country_name"] == "Mexico" and listed["region"] == "MX-CMX"
    read = (await client.get(f"/cases/{case['id']}", headers={**ANALYST, "Accept-Language": "es"})).json()
    assert read["country_name"] == "México"
