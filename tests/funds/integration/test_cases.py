"""Funds learns cases from risk's events (issue 10, finding 1): an application by hand
is opened only once risk announced the case, and not after it closed."""

from __future__ import annotations

import uuid

from shared.events import CaseClosed, CaseOpened, Party, encode_event, new_event
from tests.funds.helpers import ADMIN, make_fund
from tests.support import eventually


async def publish(js, event) -> None:
    await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})


async def test_an_application_by_hand_waits_for_the_case_and_stops_at_its_closing(client, clean_streams):
    js = clean_streams
    fund = await make_fund(client)
    case_id = uuid.uuid4()
    body = {
        "case_id": str(case_id),
        "country": "GT",
        "fund_id": fund["id"],
        "lines": [{"purpose": "legal", "amount": 30_000}],
    }
    assert (await client.post("/applications", json=body, headers=ADMIN)).status_code == 422
    opened = CaseOpened(country="GT", region="GT-17", line_of_defence="land_and_territory", party=Party())
    await publish(js, new_event(opened, producer="risk", case_id=case_id))

    async def accepted():
        return (await client.post("/applications", json=body, headers=ADMIN)).status_code == 201

    await eventually(accepted)
    closed = CaseClosed(reason="risk_resolved", country="GT")
    await publish(js, new_event(closed, producer="risk", case_id=case_id))

    async def refused():
        r = await client.post("/applications", json=body, headers=ADMIN)
        return r.status_code == 409 and r.json()["code"] == "case.closed"

    await eventually(refused)
