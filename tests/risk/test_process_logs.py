"""The risk service as a real process (`amparo serve risk`): what it writes to stderr
while cases, assessments and bad requests go through holds no personal data."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import httpx

from deploy.embedded import free_port
from tests.risk.helpers import NAME, NOTES, ORG, PHONE, assessment_body, case_body
from tests.support import auth, eventually

ROOT = Path(__file__).resolve().parents[2]
ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")


async def test_a_real_process_logs_no_personal_data(make_settings):
    settings = await make_settings("risk")
    port = free_port()
    env = {
        **os.environ,
        "AMPARO_DATABASE_URL": settings.database_url,
        "AMPARO_DATABASE_NAME": settings.database_name,
        "AMPARO_NATS_URL": settings.nats_url,
        "AMPARO_JWT_SECRET": settings.jwt_secret,
        "AMPARO_PII_KEYS": settings.pii_keys,
        "AMPARO_LOG_LEVEL": "debug",
    }
    with tempfile.TemporaryFile() as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "deploy.cli", "serve", "risk", "--port", str(port),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:

                async def up():
                    try:
                        return (await http.get("/ready")).status_code == 200
                    except httpx.TransportError:
                        return False

                await eventually(up, timeout=30, interval=0.2)
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
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), timeout=15)
        stderr.seek(0)
        logs = stderr.read().decode()
    assert "case.opened" in logs and "assessment.recorded" in logs, logs[-2000:]
    for secret in (NAME, ORG, PHONE, NOTES):
        assert secret not in logs
