"""Countries from the ISO list (issue 10): a fund serves and an application is for real
countries, and the answers name them in the caller's language."""

from __future__ import annotations

import uuid

from tests.funds.helpers import ADMIN, assert_problem, make_application, make_fund


async def test_unknown_countries_are_refused_naming_the_field(client):
    for body, status in (
        ({"name": "F", "currency": "USD", "countries": ["GT", "XX"]}, 422),  # fits the pattern
        ({"name": "F", "currency": "USD", "countries": ["Guatemala"]}, 400),
    ):
        problem = assert_problem(await client.post("/funds", json=body, headers=ADMIN), status)
        assert "countries" in problem["detail"] and "Guatemala" not in str(problem)
    fund = await make_fund(client)
    app = {
        "case_id": str(uuid.uuid4()),
        "country": "QQ",
        "fund_id": fund["id"],
        "lines": [{"purpose": "legal", "amount": 1}],
    }
    problem = assert_problem(await client.post("/applications", json=app, headers=ADMIN), 422)
    assert "country" in problem["detail"] and "QQ" not in problem["detail"]


async def test_countries_are_named_in_spanish_unless_english_is_asked(client):
    fund = await make_fund(client, countries=("MX", "GT"))
    assert dict(zip(fund["countries"], fund["country_names"], strict=True)) == {
        "MX": "México",
        "GT": "Guatemala",
    }
    english = {**ADMIN, "Accept-Language": "en"}
    read = (await client.get(f"/funds/{fund['id']}", headers=english)).json()
    assert set(read["country_names"]) == {"Mexico", "Guatemala"}
    app = await make_application(client, fund, country="MX")
    assert app["country_name"] == "México"
    listed = (await client.get("/applications", headers=english)).json()["items"]
    assert [a["country_name"] for a in listed] == ["Mexico"]
