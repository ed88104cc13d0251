"""Retention of personal data (issue 14): a closed case's data is blocked, then erased, by
the run (time driven by passing ``now``, never by waiting); an admin reads blocked data
with a reason, audited; analysts are refused; an erasure request erases at once; the
statistics do not change."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from services.risk.config import RiskConfig
from services.risk.retention.service import apply_retention
from shared import db
from tests.conftest import BLIND_INDEX_KEY
from tests.risk.api.test_incidents import incident
from tests.risk.helpers import NAME, NOTES, ORG, PHONE, assert_problem, assessment_body, case_body
from tests.support import auth, eventually, service_client

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
ADMIN = auth("admin", sub="root")
ROOT = Path(__file__).resolve().parents[3]
SECRETS = (NAME, ORG, PHONE, NOTES)


async def closed_case(client) -> dict:
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    r = await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    assert r.status_code == 201, r.text
    r = await client.post("/incidents", json=incident(case_id=case["id"]), headers=ANALYST)
    assert r.status_code == 201, r.text
    r = await client.post(f"/cases/{case['id']}/close", json={"reason": "risk_resolved"}, headers=ANALYST)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
async def pool(settings):
    """Risk's database, from the test's own loop (the service's pool lives in the client's)."""
    p = await db.create_pool(settings.dsn("risk"), min_size=1, max_size=2)
    yield p
    await p.close()


async def audit(client, case_id: str) -> list[dict]:
    return (await client.get(f"/audit?case_id={case_id}&limit=200", headers=ADMIN)).json()["items"]


async def test_a_closed_case_is_blocked_then_erased_by_the_run(client, pool):
    case = await closed_case(client)
    cid = case["id"]
    stats = (await client.get("/incidents/stats", headers=ANALYST)).json()
    closed_at = await pool.fetchval("SELECT closed_at FROM cases WHERE id = $1::uuid", cid)

    # Not yet: a day short of the blocking period.
    early = await apply_retention(pool, block_days=365, erase_days=730, now=closed_at + timedelta(days=364))
    assert (early.blocked, early.erased) == (0, 0)
    assert (await client.get(f"/cases/{cid}", headers=ANALYST)).status_code == 200

    run = await apply_retention(pool, block_days=365, erase_days=730, now=closed_at + timedelta(days=365))
    assert (run.blocked, run.erased) == (1, 0)
    again = await apply_retention(pool, block_days=365, erase_days=730, now=closed_at + timedelta(days=366))
    assert (again.blocked, again.erased) == (0, 0)  # blocked once

    # The analyst gets a clear refusal (audited with its reason), on both personal reads.
    body = assert_problem(await client.get(f"/cases/{cid}", headers=ANALYST), 409)
    assert body["code"] == "case.personal_data_blocked"
    body = assert_problem(await client.get(f"/cases/{cid}/assessments", headers=ANALYST), 409)
    assert body["code"] == "case.personal_data_blocked"
    listed = (await client.get("/cases?status=closed", headers=ANALYST)).json()["items"][0]
    assert listed["personal_data"] == "blocked" and listed["personal_data_blocked_at"]
    # ...and cannot use the admin's route either (refused and audited).
    r = await client.post(
        f"/cases/{cid}/blocked-personal-data", json={"reason": "legal_claim"}, headers=ANALYST
    )
    assert_problem(r, 403)

    # The admin reads it with a reason; without one it is a 400.
    r = await client.post(f"/cases/{cid}/blocked-personal-data", json={}, headers=ADMIN)
    assert_problem(r, 400)
    r = await client.post(
        f"/cases/{cid}/blocked-personal-data", json={"reason": "authority_request"}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    read = r.json()
    assert read["case"]["personal"]["full_name"] == NAME
    assert [n["notes"] for n in read["assessment_notes"]] == [NOTES]
    entries = await audit(client, cid)
    actions = [(e["actor"], e["action"], e["reason"]) for e in entries]
    assert ("root", "case.personal_data.read_blocked", "authority_request") in actions
    assert ("ana", "case.personal_data.read.denied", "case.personal_data_blocked") in actions
    assert ("ana", "assessments.notes.read.denied", "case.personal_data_blocked") in actions
    assert ("ana", "case.personal_data.read_blocked.denied", None) in actions
    assert ("system:retention", "case.personal_data.blocked", "retention_period") in actions

    # Erased the erasure period after blocking, not a day before.
    blocked_at = closed_at + timedelta(days=365)
    short = await apply_retention(pool, block_days=365, erase_days=730, now=blocked_at + timedelta(days=729))
    assert (short.blocked, short.erased) == (0, 0)
    done = await apply_retention(pool, block_days=365, erase_days=730, now=blocked_at + timedelta(days=730))
    assert (done.blocked, done.erased) == (0, 1)

    row = await pool.fetchrow("SELECT personal, personal_data FROM cases WHERE id = $1::uuid", cid)
    assert row["personal"] is None and row["personal_data"] == "erased"
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM assessments WHERE case_id = $1::uuid AND private IS NOT NULL", cid
        )
        == 0
    )
    # The pseudonymous history stays: the assessment (level, scores), the incident, the steps.
    assert await pool.fetchval("SELECT count(*) FROM assessments WHERE case_id = $1::uuid", cid) == 1
    body = assert_problem(await client.get(f"/cases/{cid}", headers=ANALYST), 409)
    assert body["code"] == "case.personal_data_erased"
    r = await client.post(
        f"/cases/{cid}/blocked-personal-data", json={"reason": "legal_claim"}, headers=ADMIN
    )
    assert assert_problem(r, 409)["code"] == "case.personal_data_erased"
    assert (await client.get("/incidents/stats", headers=ANALYST)).json() == stats

    timeline = (await client.get(f"/cases/{cid}/timeline", headers=ANALYST)).json()
    types = [s["type"] for s in timeline["steps"]]
    assert types[-2:] == ["amparo.risk.case.personal_data_blocked", "amparo.risk.case.personal_data_erased"]
    # The events carry no personal data.
    payloads = await pool.fetch("SELECT payload FROM outbox WHERE case_id = $1::uuid", cid)
    assert all(s.encode() not in p["payload"] for p in payloads for s in SECRETS)
    subjects = await pool.fetch("SELECT subject FROM outbox WHERE case_id = $1::uuid ORDER BY case_seq", cid)
    assert [s["subject"] for s in subjects][-2:] == types[-2:]


async def test_an_open_case_is_never_blocked(client, pool):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    opened = await pool.fetchval("SELECT opened_at FROM cases WHERE id = $1::uuid", case["id"])
    run = await apply_retention(pool, block_days=0, erase_days=0, now=opened + timedelta(days=5000))
    assert (run.blocked, run.erased) == (0, 0)
    assert (await client.get(f"/cases/{case['id']}", headers=ANALYST)).status_code == 200


async def test_the_daily_job_with_zero_days_erases_a_closed_case(client, settings):
    """The job of the service's spec (it runs at start, then daily), with periods of 0 days."""
    case = await closed_case(client)
    # Built by hand, so it names risk's blind index key itself (issue 12).
    config = RiskConfig(retention_block_days=0, retention_erase_days=0, blind_index_key=BLIND_INDEX_KEY)
    async with service_client("risk", settings, config) as zero:

        async def erased():
            detail = await zero.get(f"/cases/{case['id']}", headers=ANALYST)
            return detail.status_code == 409 and detail.json()["code"] == "case.personal_data_erased"

        await eventually(erased)


async def test_an_erasure_request_erases_at_once(client, pool):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    cid = case["id"]
    r = await client.post(f"/cases/{cid}/assessments", json=assessment_body(), headers=ANALYST)
    assert r.status_code == 201
    stats = (await client.get("/incidents/stats", headers=ANALYST)).json()

    r = await client.post(f"/cases/{cid}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN)
    assert assert_problem(r, 409)["code"] == "case.open"
    await client.post(f"/cases/{cid}/close", json={"reason": "defender_request"}, headers=ANALYST)
    r = await client.post(f"/cases/{cid}/erasure", json={"reason": "data_subject_request"}, headers=ANALYST)
    assert_problem(r, 403)
    r = await client.post(
        f"/cases/{cid}/erasure", json={"reason": "free text is not a reason"}, headers=ADMIN
    )
    assert_problem(r, 400)
    r = await client.post(f"/cases/{cid}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["personal_data"] == "erased" and r.json()["personal_data_erased_at"]
    assert all(s not in r.text for s in SECRETS)
    r = await client.post(f"/cases/{cid}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN)
    assert assert_problem(r, 409)["code"] == "case.personal_data_erased"

    assert (
        assert_problem(await client.get(f"/cases/{cid}", headers=ANALYST), 409)["code"]
        == "case.personal_data_erased"
    )
    assert await pool.fetchval("SELECT personal FROM cases WHERE id = $1::uuid", cid) is None
    assert await pool.fetchval("SELECT private FROM assessments WHERE case_id = $1::uuid", cid) is None
    entries = await audit(client, cid)
    assert ("root", "case.personal_data.erased", "data_subject_request") in [
        (e["actor"], e["action"], e["reason"]) for e in entries
    ]
    assert (await client.get("/incidents/stats", headers=ANALYST)).json() == stats


async def test_amparo_retention_run_prints_counts_only(client, settings):
    case = await closed_case(client)
    env = {
        **os.environ,
        "AMPARO_DATABASE_URL": settings.database_url,
        "AMPARO_DATABASE_NAME": settings.database_name,
        "AMPARO_RETENTION_BLOCK_DAYS": "0",
        "AMPARO_RETENTION_ERASE_DAYS": "0",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deploy.cli", "retention", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "blocked 0, erased 1" in done.stdout
    assert all(s not in done.stdout + done.stderr for s in SECRETS)
    detail = await client.get(f"/cases/{case['id']}", headers=ANALYST)
    assert assert_problem(detail, 409)["code"] == "case.personal_data_erased"


async def test_concurrent_runs_block_and_erase_each_case_once(client, settings, pool):
    """Replicas (and the CLI) may run at the same time: each case is blocked once and erased
    once, with one event each."""
    cases = [await closed_case(client) for _ in range(4)]
    other = await db.create_pool(settings.dsn("risk"), min_size=1, max_size=2)
    try:
        latest = await pool.fetchval("SELECT max(closed_at) FROM cases")
        for days, erase_days in ((1, 1), (3, 1)):
            at = latest + timedelta(days=days)
            runs = await asyncio.gather(
                apply_retention(pool, block_days=1, erase_days=erase_days, now=at, batch=1),
                apply_retention(other, block_days=1, erase_days=erase_days, now=at, batch=1),
            )
            assert sum(r.blocked for r in runs) + sum(r.erased for r in runs) == len(cases)
    finally:
        await other.close()
    ids = [c["id"] for c in cases]
    events = await pool.fetch(
        "SELECT subject, count(*) AS n FROM outbox WHERE case_id = ANY($1::uuid[]) AND subject LIKE '%personal_data%' "
        "GROUP BY subject",
        ids,
    )
    assert {e["subject"]: e["n"] for e in events} == {
        "amparo.risk.case.personal_data_blocked": 4,
        "amparo.risk.case.personal_data_erased": 4,
    }
