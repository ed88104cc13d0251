"""The shelters service as a real process (`amparo serve shelters`): what it writes to
stderr while shelters, placements, a compromise and bad requests go through holds no
address, contact or compromise reason."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import httpx

from deploy.embedded import free_port
from tests.shelters.helpers import ADDRESS, CONTACT, COORD, STAFF, placement_body, shelter_body
from tests.support import eventually

ROOT = Path(__file__).resolve().parents[2]
REASON = "vieron al agresor en Calle Secreta"


async def test_a_real_process_logs_no_addresses(make_settings):
    settings = await make_settings("shelters")
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
            sys.executable, "-m", "deploy.cli", "serve", "shelters", "--port", str(port),
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
                shelter = (
                    await http.post("/shelters", json=shelter_body(country="GT"), headers=COORD)
                ).json()
                await http.get(f"/shelters/{shelter['id']}", headers=COORD)
                placed = await http.post("/placements", json=placement_body(), headers=STAFF)
                assert placed.status_code == 201
                bad = {**shelter_body(), "country": ADDRESS}
                assert (await http.post("/shelters", json=bad, headers=COORD)).status_code == 400
                dup = await http.post("/shelters", json=shelter_body(code=shelter["code"]), headers=COORD)
                assert dup.status_code == 409
                url = f"/shelters/{shelter['id']}/compromise"
                assert (await http.post(url, json={"reason": REASON}, headers=COORD)).status_code == 200
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), timeout=15)
        stderr.seek(0)
        logs = stderr.read().decode()
    assert "shelter.created" in logs and "placement.held" in logs and "shelter.compromised" in logs, logs[
        -2000:
    ]
    for secret in (ADDRESS, CONTACT, REASON, "Calle Secreta"):
        assert secret not in logs
