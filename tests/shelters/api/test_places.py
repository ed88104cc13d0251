"""Places from a list (issue 10): a shelter's region and a placement's regions are ISO
codes; an address typed there is refused, naming the field, and never stored or published."""

from __future__ import annotations

import asyncpg
import pytest

from tests.shelters.helpers import (
    COORD,
    STAFF,
    assert_problem,
    create_shelter,
    place,
    placement_body,
    shelter_body,
)

ADDRESS = "3a Calle 5-20 Zona 1, frente a la iglesia"


async def _everything_stored(settings) -> str:
    conn = await asyncpg.connect(settings.dsn("shelters"))
    try:
        return await conn.fetchval(
            "SELECT concat((SELECT string_agg(s::text, ' ') FROM shelters s),"
            " (SELECT string_agg(p::text, ' ') FROM placements p),"
            " (SELECT string_agg(convert_from(o.payload, 'UTF8'), ' ') FROM outbox o))"
        )
    finally:
        await conn.close()


# Not a code: the pattern refuses it (400); a code of no subdivision of the country: 422.
@pytest.mark.parametrize(
    ("region", "status"),
    [(ADDRESS, 400), ("Petén", 400), ("GT-99", 422), ("MX-CHP", 422)],
    ids=["address", "name", "unknown-code", "other-country"],
)
async def test_a_shelter_region_is_a_subdivision_of_its_country(client, make_settings, region, status):
    problem = assert_problem(
        await client.post("/shelters", json=shelter_body(country="GT", region=region), headers=COORD), status
    )
    assert "region" in problem["detail"] and region not in str(problem)
    assert ADDRESS not in await _everything_stored(await make_settings("shelters"))


async def test_a_placement_with_an_address_for_a_region_is_refused_and_never_published(client, make_settings):
    await create_shelter(client, country="GT", region="GT-17")
    cases = [
        ("region", placement_body(region=ADDRESS), 400),
        ("region", placement_body(country="GT", region="MX-CHP"), 422),
        ("excluded_regions", placement_body(excluded_regions=[ADDRESS]), 400),
        ("excluded_regions", placement_body(excluded_regions=["Quiché"]), 400),
    ]
    for field, body, status in cases:
        problem = assert_problem(await client.post("/placements", json=body, headers=STAFF), status)
        assert field in problem["detail"] and ADDRESS not in str(problem)
    stored = await _everything_stored(await make_settings("shelters"))
    assert ADDRESS not in stored and "Quiché" not in stored
    assert "amparo.shelters.placement" not in stored  # nothing was requested, nothing published


async def test_excluded_codes_keep_her_out_and_names_come_in_her_language(client):
    peten = await create_shelter(client, country="GT", region="GT-17")
    assert (peten["region"], peten["region_name"], peten["country_name"]) == ("GT-17", "Petén", "Guatemala")
    await create_shelter(client, country="MX", region="MX-CHP")
    placed = await place(
        client,
        headers={**STAFF, "Accept-Language": "en"},
        country="GT",
        region="GT-14",
        excluded_regions=["GT-17"],
    )
    assert placed.status_code == 201, placed.text
    p = placed.json()
    assert p["status"] == "held" and p["shelter_country"] == "MX" and p["shelter_region"] == "MX-CHP"
    assert (p["country_name"], p["region_name"], p["shelter_country_name"]) == (
        "Guatemala",
        "Quiché",
        "Mexico",
    )
    assert p["excluded_region_names"] == ["Petén"] and "region=MX-CHP" in p["reason"]
    listed = (await client.get("/shelters?region=GT-17", headers=STAFF)).json()["items"]
    assert [s["region_name"] for s in listed] == ["Petén"]
    refused = await client.get("/shelters", params={"region": ADDRESS}, headers=STAFF)
    assert_problem(refused, 400)
    avail = (await client.get("/availability?country=MX", headers=STAFF)).json()
    assert (
        avail["shelters"][0]["region_name"] == "Chiapas" and avail["countries"][0]["country_name"] == "México"
    )
