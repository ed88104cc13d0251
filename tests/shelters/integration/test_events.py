"""The shelters service driven by real events from RISK, watched on SHELTERS."""

from __future__ import annotations

import uuid

from shared.events import AssessmentRecorded, CaseClosed, Party, decode_event, encode_event, new_event
from tests.shelters.helpers import ADDRESS, CONTACT, COORD, STAFF, create_shelter
from tests.support import eventually

COMPROMISE_REASON = "Vecino de la Calle Secreta vio a hombres armados preguntando por Reyna"


async def publish(js, event) -> None:
    await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})


def assessment(case_id, *, level="extreme", measures=("shelter", "relocation_grant"), children=(6, 11), **kw):
    payload = AssessmentRecorded(
        assessment_id=uuid.uuid4(),
        instrument_version="2024.1",
        computed_level=level,
        level=level,
        scores={"gender": 7},
        measures=list(measures),
        country=kw.get("country", "GT"),
        region=kw.get("region", "GT-14"),
        party=Party(adults=1, children_ages=list(children)),
        excluded_regions=kw.get("excluded", ["GT-14"]),
        shared_with=kw.get("shared_with", ["shelters", "funds"]),
    )
    return new_event(payload, producer="risk", case_id=case_id)


async def shelter_events(js) -> list:
    info = await js.stream_info("SHELTERS")
    if info.state.messages == 0:
        return []
    raw = [await js.get_msg("SHELTERS", seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)]
    return [(m.data, decode_event(m.data)) for m in raw]


async def placements_of(client, case_id) -> list[dict]:
    resp = await client.get("/placements", params={"case_id": str(case_id)}, headers=STAFF)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def types_for(events, case_id) -> list[str]:
    return [e.type.rsplit(".", 1)[1] for _, e in events if e.case_id == case_id]


async def test_assessment_with_shelter_measure_holds_beds_for_the_whole_party(client, clean_streams):
    js = clean_streams
    near = await create_shelter(client, country="GT", region="GT-14", beds=[{"room": "A", "count": 5}])
    far = await create_shelter(client, country="GT", region="GT-17", beds=[{"room": "A", "count": 3}])
    case_id = uuid.uuid4()
    event = assessment(case_id)
    await publish(js, event)

    async def held():
        items = await placements_of(client, case_id)
        return items if items and items[0]["status"] == "held" else None

    (placement,) = await eventually(held)
    assert placement["shelter_id"] == far["id"] != near["id"]  # Quiché is excluded
    assert len(placement["bed_ids"]) == 3 and placement["level"] == "extreme"

    async def published():
        evs = await shelter_events(js)
        return evs if types_for(evs, case_id) == ["requested", "held"] else None

    evs = await eventually(published)
    held_event = evs[-1][1]
    assert held_event.data.beds == 3 and held_event.data.shelter_id == uuid.UUID(far["id"])
    assert held_event.causation_id == event.id and held_event.correlation_id == event.correlation_id

    # A new assessment of the same case does not create a second placement; redelivery is a no-op.
    await publish(js, assessment(case_id, level="high"))
    await publish(js, event)
    await publish(js, assessment(uuid.uuid4(), measures=("legal_grant",)))
    probe = assessment(uuid.uuid4(), children=(), excluded=["GT"])  # marks the end of the queue
    await publish(js, probe)
    await eventually(lambda: placements_of(client, probe.case_id))
    assert len(await placements_of(client, case_id)) == 1
    total = (await client.get("/placements", headers=STAFF)).json()["total"]
    assert total == 2


async def test_no_room_waitlists_and_case_closed_cancels(client, clean_streams):
    js = clean_streams
    case_id = uuid.uuid4()
    await publish(js, assessment(case_id, level="high"))

    async def waiting():
        items = await placements_of(client, case_id)
        return items if items and items[0]["waitlisted"] else None

    (placement,) = await eventually(waiting)
    assert placement["status"] == "requested"
    wl = (await client.get("/waitlist", headers=STAFF)).json()
    assert wl["items"][0]["placement_id"] == placement["id"] and wl["items"][0]["party_size"] == 3

    await publish(js, new_event(CaseClosed(reason="risk_resolved"), producer="risk", case_id=case_id))

    async def cancelled():
        items = await placements_of(client, case_id)
        return items[0]["status"] == "cancelled"

    await eventually(cancelled)
    evs = await shelter_events(js)
    assert types_for(evs, case_id) == ["requested", "waitlisted", "cancelled"]
    assert (await client.get("/waitlist", headers=STAFF)).json()["total"] == 0


async def test_compromise_cascade_relocates_everyone_through_events(client, clean_streams):
    js = clean_streams
    first = await create_shelter(client, code="Casa-Luna", country="GT", region="GT-17")
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    await publish(js, assessment(case_a, children=(7,)))
    await publish(js, assessment(case_b, children=()))

    async def both_held():
        items = [*(await placements_of(client, case_a)), *(await placements_of(client, case_b))]
        return items if len(items) == 2 and all(p["status"] == "held" for p in items) else None

    pa, pb = await eventually(both_held)
    assert pa["shelter_id"] == pb["shelter_id"] == first["id"]
    assert (await client.post(f"/placements/{pa['id']}/confirm", headers=COORD)).status_code == 200
    assert (await client.post(f"/placements/{pa['id']}/check-in", headers=COORD)).status_code == 200
    # Only room for case A elsewhere; B waits until more beds appear.
    second = await create_shelter(
        client, code="Casa-Sol", country="MX", region="MX-OAX", beds=[{"room": "B", "count": 2}]
    )

    resp = await client.post(
        f"/shelters/{first['id']}/compromise", json={"reason": COMPROMISE_REASON}, headers=COORD
    )
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert result["affected_placements"] == 2
    assert result["relocations_held"] == 1 and result["relocations_waitlisted"] == 1

    a_now = {p["id"]: p for p in await placements_of(client, case_a)}
    assert a_now[pa["id"]]["status"] == "checked_in" and a_now[pa["id"]]["needs_relocation"]
    (reloc_a,) = [p for p in a_now.values() if p["relocation_of"] == pa["id"]]
    assert reloc_a["status"] == "held" and reloc_a["shelter_id"] == second["id"]
    assert "cross_border" in reloc_a["reason"]
    b_now = {p["id"]: p for p in await placements_of(client, case_b)}
    assert b_now[pb["id"]]["status"] == "cancelled"
    (reloc_b,) = [p for p in b_now.values() if p["relocation_of"] == pb["id"]]
    assert reloc_b["status"] == "requested" and reloc_b["waitlisted"]

    # New beds: the waiting relocation gets its hold by itself.
    await client.post(f"/shelters/{second['id']}/beds", json={"room": "C", "count": 1}, headers=COORD)
    reloc_b_after = (await client.get(f"/placements/{reloc_b['id']}", headers=STAFF)).json()
    assert reloc_b_after["status"] == "held"

    # Arriving at the new place ends the old stay as relocated.
    assert (await client.post(f"/placements/{reloc_a['id']}/confirm", headers=COORD)).status_code == 200
    assert (await client.post(f"/placements/{reloc_a['id']}/check-in", headers=COORD)).status_code == 200
    old = (await client.get(f"/placements/{pa['id']}", headers=STAFF)).json()
    assert old["status"] == "ended" and old["end_reason"] == "relocated"

    async def cascade_published():
        evs = await shelter_events(js)
        kinds = [e.type for _, e in evs]
        return evs if "amparo.shelters.placement.ended" in kinds else None

    evs = await eventually(cascade_published)
    (compromised,) = [e for _, e in evs if e.type == "amparo.shelters.shelter.compromised"]
    assert compromised.case_id is None
    assert set(compromised.data.affected_case_ids) == {case_a, case_b}
    relocation_holds = [e for _, e in evs if e.type.endswith(".held") and e.data.relocation_of]
    assert {e.data.relocation_of for e in relocation_holds} == {uuid.UUID(pa["id"]), uuid.UUID(pb["id"])}
    # No address, contact or compromise reason in any event.
    for raw, _ in evs:
        text = raw.decode()
        assert ADDRESS not in text and CONTACT not in text and "Calle Secreta" not in text
        assert "hombres armados" not in text

    # The compromised shelter takes nobody; reopening makes it available again.
    avail = (await client.get("/availability", headers=STAFF)).json()
    assert first["id"] not in {s["shelter_id"] for s in avail["shelters"]}
    reopened = await client.post(f"/shelters/{first['id']}/reopen", headers=COORD)
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    avail = (await client.get("/availability", headers=STAFF)).json()
    assert first["id"] in {s["shelter_id"] for s in avail["shelters"]}
