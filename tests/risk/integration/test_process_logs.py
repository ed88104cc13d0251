"""The risk service as a real process (`amparo serve risk`): what it writes to stderr
while cases, assessments and bad requests go through holds no personal data."""

from __future__ import annotations

from tests.risk.helpers import NAME, NOTES, ORG, PHONE, assessment_body, case_body
from tests.support import auth, served_process

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")


async def test_a_real_process_logs_no_personal_data(make_settings):
    settings = await make_settings("risk")
    async with served_process("risk", settings) as served:
        http = served.http
        case = (await http.post("/cases", json=case_body(), headers=ANALYST)).json()
        await http.get(f"/cases/{case['id']}", headers=ANALYST)
        url = f"/cases/{case['id']}/assessments"
        assert (await http.post(url, json=assessment_body(), headers=ANALYST)).status_code == 201
        await http.get(url, headers=ANALYST)
        bad = case_body()
        bad["party"]["adults"] = 0
        assert (await http.post("/cases", json=bad, headers=ANALYST)).status_code == 400
        bad = {**assessment_body(), "answers": {"T01": NAME}}
        assert (await http.post(url, json=bad, headers=ANALYST)).status_code == 400
        await http.post("/incidents", json={"country": "GT", "region": NOTES}, headers=ANALYST)
    logs = served.logs
    assert "case.opened" in logs and "assessment.recorded" in logs, logs[-2000:]
    for secret in (NAME, ORG, PHONE, NOTES):
        assert secret not in logs
    # The access line names who made the request (the token's subject).
    access = [line for line in logs.splitlines() if "http.request" in line and "/cases/" in line]
    assert access and all("ana" in line and "actor" in line for line in access), access
