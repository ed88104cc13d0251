"""Cross-border agreements through the API: GT staff search beds in MX when the network
agreed it (AMPARO_CROSS_BORDER), and not without; personal data (placements) stays scoped
by the case's country: she still cannot read a placement of an MX case in an MX shelter."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from services.shelters.config import SheltersConfig
from tests.shelters.helpers import assert_problem, create_shelter, known_case, placement_body
from tests.support import auth, service_client

GT_STAFF = auth("network_staff", countries=("GT",), sub="gt-staff")
MX_STAFF = auth("network_staff", countries=("MX",), sub="mx-staff")


@contextlib.asynccontextmanager
async def shelters(make_settings, cross_border: str):
    settings = await make_settings("shelters")
    async with service_client("shelters", settings, SheltersConfig(cross_border=cross_border)) as client:
        yield client


@pytest.mark.parametrize("agreements", ["GT:MX", ""])
async def test_gt_staff_search_mx_beds_only_under_an_agreement(make_settings, agreements):
    async with shelters(make_settings, agreements) as client:
        await create_shelter(client, country="MX")
        await create_shelter(client, country="GT")
        # An MX case placed in the MX shelter: MX's personal data.
        case_id = uuid.uuid4()
        await known_case(client, case_id, "MX")
        body = placement_body(case_id=case_id, country="MX")
        placed = await client.post("/placements", json=body, headers=MX_STAFF)
        assert placed.status_code == 201, placed.text
        placement = placed.json()
        assert placement["shelter_country"] == "MX"

        mx = await client.get("/availability?country=MX", headers=GT_STAFF)
        mx_capacity = await client.get("/capacity?country=MX", headers=GT_STAFF)
        every = (await client.get("/availability", headers=GT_STAFF)).json()
        if agreements:
            assert mx.status_code == 200, mx.text
            assert {s["country"] for s in mx.json()["shelters"]} == {"MX"}
            assert mx_capacity.status_code == 200, mx_capacity.text
            assert {c["country"] for c in every["countries"]} == {"GT", "MX"}
        else:
            assert assert_problem(mx, 403)["code"] == "auth.country_not_covered"
            assert_problem(mx_capacity, 403)
            assert {c["country"] for c in every["countries"]} == {"GT"}
        # One way: MX staff gain nothing in GT.
        assert_problem(await client.get("/availability?country=GT", headers=MX_STAFF), 403)
        # Personal data stays scoped by the case's country, agreement or not.
        assert_problem(await client.get(f"/placements/{placement['id']}", headers=GT_STAFF), 404)
        listed = (await client.get("/placements", headers=GT_STAFF)).json()
        assert listed["items"] == []
        assert_problem(await client.get("/placements?country=MX", headers=GT_STAFF), 403)
