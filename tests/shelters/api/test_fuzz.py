"""Any body the schema allows is handled (never a 500); anything else is a 400 problem."""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.shelters.placements.schemas import PlacementCreate
from services.shelters.registry.schemas import ShelterCreate
from tests.shelters.helpers import ADMIN, known_case
from tests.strategies import from_type

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(shelter=from_type(ShelterCreate), placement=from_type(PlacementCreate))
async def test_valid_bodies_never_fail(client, shelter, placement):
    body = msgspec.to_builtins(shelter)
    for batch in body["beds"]:
        batch["count"] = min(batch["count"], 5)  # keep the database small
    made = await client.post("/shelters", json=body, headers=ADMIN)
    assert made.status_code in (201, 409), made.text
    await known_case(client, placement.case_id, placement.country)
    placed = await client.post("/placements", json=msgspec.to_builtins(placement), headers=ADMIN)
    assert placed.status_code in (201, 409), placed.text
    if placed.status_code == 201:
        assert placed.json()["status"] in ("held", "requested")


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["case_id", "country", "level", "party", "x"]), junk, max_size=5))
async def test_junk_bodies_are_400(client, body):
    for path in ("/placements", "/shelters"):
        resp = await client.post(path, json=body, headers=ADMIN)
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
