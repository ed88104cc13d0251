"""Retention against the stack `make run` starts (issue 14): an admin's erasure request in
risk reaches shelters and funds through NATS with the services' own credentials, and
`amparo retention run` finds risk's database like the other operator commands."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg

from shared.config import with_database
from tests.e2e.harness import Stack, poll

ERASED = "amparo.risk.case.personal_data_erased"
CASE = {
    "country": "GT",
    "region": "GT-16",
    "line_of_defence": "environment",
    "personal": {"full_name": "Defensora Sintética Retención", "contacts": ["+502 0000 0001"]},
    "party": {"adults": 1},
}


def query(stack: Stack, database: str, sql: str, *args):
    async def run():
        conn = await asyncpg.connect(with_database(stack.state()["database_url"], database))
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_an_erasure_request_reaches_every_service(stack: Stack):
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:
        r = analyst.post("/cases", json=CASE)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        assert analyst.post(f"/cases/{cid}/close", json={"reason": "defender_request"}).status_code == 200
        refused = analyst.post(f"/cases/{cid}/erasure", json={"reason": "data_subject_request"})
        assert refused.status_code == 403, refused.text
    with stack.client("risk", "admin") as admin:
        r = admin.post(f"/cases/{cid}/erasure", json={"reason": "data_subject_request"})
        assert r.status_code == 200 and r.json()["personal_data"] == "erased", r.text
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:
        r = analyst.get(f"/cases/{cid}")
        assert r.status_code == 409 and r.json()["code"] == "case.personal_data_erased", r.text
        assert "Sintética" not in r.text

    event_id = query(
        stack, "amparo_risk", "SELECT id FROM outbox WHERE case_id = $1::uuid AND subject = $2", cid, ERASED
    )
    assert event_id is not None
    for service in ("shelters", "funds"):
        poll(
            lambda s=service: (
                query(
                    stack,
                    f"amparo_{s}",
                    "SELECT count(*) FROM processed_events WHERE event_id = $1",
                    event_id,
                )
                == 1
            ),
            timeout=60,
        )


def test_amparo_retention_run_connects_like_the_operator_commands(stack: Stack):
    # Periods far away: the run touches nothing in the shared stack, and says so in counts.
    env = {**stack.env, "AMPARO_RETENTION_BLOCK_DAYS": "36500", "AMPARO_RETENTION_ERASE_DAYS": "36500"}
    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "retention", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "retention: blocked 0, erased 0" in done.stdout
