"""The audit log for the admin: filtered by actor, action, case and a time range, paginated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from tests.risk.helpers import assert_problem, case_body
from tests.support import auth

ADMIN = auth("admin")
ANA = auth("risk_analyst", sub="ana")
BEA = auth("risk_analyst", sub="bea")
STAFF = auth("network_staff", sub="nico")


def _q(t: datetime) -> str:
    return quote(t.isoformat(), safe="")


async def test_the_audit_log_filters_by_actor_action_case_and_time(client):
    before = datetime.now(UTC)
    one = (await client.post("/cases", json=case_body(), headers=ANA)).json()["id"]
    two = (await client.post("/cases", json=case_body(), headers=ANA)).json()["id"]
    for headers, case in ((ANA, one), (BEA, one), (ANA, two)):
        assert (await client.get(f"/cases/{case}", headers=headers)).status_code == 200
    assert (await client.get(f"/cases/{two}", headers=STAFF)).status_code == 403  # a refusal, audited
    after = datetime.now(UTC) + timedelta(seconds=1)

    def total(query: str):
        return client.get(f"/audit?{query}", headers=ADMIN)

    assert (await total("")).json()["total"] == 4
    assert (await total("actor=ana")).json()["total"] == 2
    assert (await total("action=case.personal_data.read")).json()["total"] == 3
    denied = (await total("action=case.personal_data.read.denied")).json()["items"]
    assert [(e["actor"], e["case_id"]) for e in denied] == [("nico", two)]
    assert (await total(f"case_id={one}&actor=bea")).json()["total"] == 1
    assert (await total(f"since={_q(before)}&until={_q(after)}")).json()["total"] == 4
    assert (await total(f"since={_q(after)}")).json()["total"] == 0
    assert (await total(f"until={_q(before)}")).json()["total"] == 0
    page = (await total("limit=3&offset=3")).json()
    assert (page["total"], len(page["items"])) == (4, 1)

    assert_problem(await total(f"since={_q(after)}&until={_q(before)}"), 422)
    assert_problem(await total("since=2026-01-01T00:00:00"), 400)  # no offset: which day?
    assert_problem(await total("until=0.5"), 400)  # a number is no time
    assert_problem(await total("since=0001-01-01T00:00:00Z"), 422)
    assert_problem(await total("action=DROP%20TABLE"), 400)
    assert_problem(await client.get("/audit", headers=ANA), 403)
