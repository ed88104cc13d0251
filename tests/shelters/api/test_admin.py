"""The operators' routes every service has (shared.admin), on shelters with its real pool,
NATS and consumers: the state of the system, and its own consumers' dead letters
(list, replay through its consumer, discard with a reason kept as the record)."""

from __future__ import annotations

import uuid

import nats
import pytest

from shared import db, deadletters
from shared.events import CaseOpened, Party, encode_event, new_event
from tests.support import auth, eventually

ADMIN = auth("admin", sub="root@example.org")
STAFF = auth("shelter_coordinator")


@pytest.fixture
async def js(nats_url):
    """A connection of the test's own (the app's lives on the test client's loop)."""
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


async def _cases(client, case_id) -> int:
    conn = await db.connect(client.app.state.runtime.settings.dsn("shelters"))
    try:
        return await conn.fetchval("SELECT count(*) FROM cases WHERE id = $1", case_id)
    finally:
        await conn.close()


async def test_status_tells_the_state_of_the_service(client):
    assert (await client.get("/status", headers=STAFF)).status_code == 403
    response = await client.get("/status", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["service"] == "shelters" and body["ready"] is True
    assert (body["database"], body["broker"]) == ("ok", "ok")
    assert body["outbox"]["pending"] == 0 and body["outbox"]["oldest_age_seconds"] is None
    assert [c["name"] for c in body["consumers"]] == ["shelters-risk"]
    assert body["consumers"][0]["lag"] == 0 and body["consumers"][0]["state"] == "ok"
    assert body["dead_letters"] == 0


async def test_a_dead_letter_is_replayed_through_its_consumer_and_one_discarded(client, js):
    # A case opened that shelters' consumer gave up on (as it would after max_deliver).
    case_id = uuid.uuid4()
    event = new_event(
        CaseOpened(country="GT", region="GT-01", line_of_defence="land", party=Party()),
        producer="risk",
        case_id=case_id,
    )
    await js.publish(
        deadletters.letter_subject("RISK", "shelters-risk"),
        encode_event(event),
        headers={
            "Amparo-Original-Subject": CaseOpened.TYPE,
            "Amparo-Error": "ValueError",
            "Nats-Msg-Id": "l1",
        },
    )
    # And one that never decodes: a replay fails again and the letter stays.
    await js.publish(CaseOpened.TYPE, b"{not json", headers={"Nats-Msg-Id": "garbage"})
    await eventually(lambda: _count_is(js, 2), timeout=20)

    assert (await client.get("/deadletters", headers=STAFF)).status_code == 403
    page = (await client.get("/deadletters", headers=ADMIN)).json()
    assert page["total"] == 2
    good, bad = page["items"]
    assert good["event_id"] == str(event.id) and good["consumer"] == "shelters-risk"
    assert (await client.get(f"/deadletters/{good['seq']}", headers=ADMIN)).json()["event"]["id"] == str(
        event.id
    )
    status = (await client.get("/status", headers=ADMIN)).json()
    assert status["dead_letters"] == 2

    replayed = await client.post(f"/deadletters/{good['seq']}/replay", headers=ADMIN)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["applied"] is True
    assert await _cases(client, case_id) == 1
    assert (await client.post(f"/deadletters/{good['seq']}/replay", headers=ADMIN)).status_code == 404

    again = await client.post(f"/deadletters/{bad['seq']}/replay", headers=ADMIN)
    assert again.status_code == 409 and again.json()["code"] == "deadletter.still_failing"
    no_reason = await client.post(f"/deadletters/{bad['seq']}/discard", headers=ADMIN, json={"reason": ""})
    assert no_reason.status_code == 400
    done = await client.post(
        f"/deadletters/{bad['seq']}/discard", headers=ADMIN, json={"reason": "garbage from a test"}
    )
    assert done.status_code == 200, done.text
    assert (await client.get("/deadletters", headers=ADMIN)).json()["total"] == 0
    record = (await client.get("/deadletters?discarded=true", headers=ADMIN)).json()["items"][0]
    assert (record["discarded_by"], record["discard_reason"]) == ("root@example.org", "garbage from a test")


async def _count_is(js, n: int) -> bool:
    return await deadletters.count(js, ["shelters-risk"]) == n
