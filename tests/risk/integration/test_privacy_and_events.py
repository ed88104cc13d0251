"""Personal data through the real database and broker: ciphertext at rest, bound to its
row, and absent from every event; risk's own events name their cause."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.crypto import CipherError, PiiCipher
from shared.events import AssessmentRecorded, CaseClosed, CaseOpened, decode_event
from tests.conftest import PII_KEYS
from tests.risk.helpers import NAME, NOTES, ORG, PHONE, assessment_body, case_body, extreme_answers
from tests.support import auth, eventually

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
SECRETS = (NAME, ORG, PHONE, NOTES)


async def open_case(client) -> dict:
    r = await client.post("/cases", json=case_body(), headers=ANALYST)
    assert r.status_code == 201, r.text
    return r.json()


async def test_personal_data_is_ciphertext_in_the_database(client, settings):
    case = await open_case(client)
    await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        personal = await conn.fetchval("SELECT personal FROM cases WHERE id = $1", uuid.UUID(case["id"]))
        private = await conn.fetchval("SELECT private FROM assessments")
        dump = await conn.fetchval(
            "SELECT (SELECT string_agg(c::text, ' ') FROM cases c) || (SELECT string_agg(a::text, ' ') "
            "FROM assessments a) || (SELECT string_agg(t::text, ' ') FROM timeline t)"
        )
        with pytest.raises(asyncpg.CheckViolationError, match="immutable"):
            await conn.execute("UPDATE assessments SET level = 'low'")
    finally:
        await conn.close()
    for blob in (personal, private):
        assert blob[:2] == b"A1"
        for secret in SECRETS:
            assert secret.encode() not in blob
            assert secret not in dump
    cipher = PiiCipher.from_spec(PII_KEYS)
    assert cipher.decrypt_obj(personal, aad=uuid.UUID(case["id"]).bytes)["full_name"] == NAME
    with pytest.raises(CipherError):  # bound to its row: copied elsewhere it does not open
        cipher.decrypt_obj(personal, aad=uuid.uuid4().bytes)


async def test_published_events_carry_no_personal_data_and_name_their_cause(client, clean_streams):
    js = clean_streams
    case = await open_case(client)
    url = f"/cases/{case['id']}/assessments"
    first = (await client.post(url, json=assessment_body(), headers=ANALYST)).json()
    second = (await client.post(url, json=assessment_body(extreme_answers()), headers=ANALYST)).json()
    await client.post(f"/cases/{case['id']}/close", json={"reason": "risk_resolved"}, headers=ANALYST)

    async def four():
        return (await js.stream_info("RISK")).state.messages == 4

    await eventually(four)
    raws = [(await js.get_msg("RISK", seq)).data for seq in (1, 2, 3, 4)]
    for raw in raws:
        for secret in SECRETS:
            assert secret.encode() not in raw
    events = [decode_event(raw) for raw in raws]
    assert [e.type for e in events] == [
        CaseOpened.TYPE,
        AssessmentRecorded.TYPE,
        AssessmentRecorded.TYPE,
        CaseClosed.TYPE,
    ]
    assert all(str(e.case_id) == case["id"] and e.producer == "risk" for e in events)
    recorded = events[1].data
    assert recorded.level == "high" and recorded.party.size == 3 and recorded.country == "GT"
    assert recorded.excluded_regions == ["GT-16"] and "shelter" in recorded.measures
    assert events[0].data.party.children_ages == [4, 9]
    # The re-assessment is caused by the assessment it supersedes; the others by nobody here.
    assert str(events[2].data.supersedes) == first["id"] and str(events[2].data.assessment_id) == second["id"]
    assert events[2].causation_id == events[1].id
    assert [e.causation_id for e in (events[0], events[1], events[3])] == [None, None, None]
    # Each event carries the database time of its change: the case's and the assessments' own.
    assert events[1].occurred_at.isoformat().startswith(first["recorded_at"][:19])
