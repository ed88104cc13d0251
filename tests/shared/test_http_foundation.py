"""Auth, problem details, health and readiness on a real service process stack."""

from __future__ import annotations

import base64
import json
import time
from datetime import date, timedelta
from pathlib import Path

import jwt
import pytest
from litestar import get

from shared.auth import new_signing_key, requires
from shared.bootstrap import ServiceSpec, build_app
from shared.http import Caller, Rt
from tests.support import JWT_PRIVATE_KEY, JWT_PUBLIC_KEY, auth, token


@get("/cases-probe", operation_id="probeCases", guards=[requires("risk_analyst")], sync_to_thread=False)
def probe(principal: Caller) -> dict[str, str]:
    """A protected route for the auth tests."""
    return {"sub": principal.sub}


@pytest.fixture
async def client(make_settings):
    from litestar.testing import AsyncTestClient

    settings = await make_settings("risk")
    spec = ServiceSpec(
        name="risk", description="", routes=[probe], migrations=Path("services/risk/migrations")
    )
    async with AsyncTestClient(app=build_app(spec, settings)) as client:
        yield client


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


async def test_health_ready_and_schema_need_no_token(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_missing_token_is_401(client):
    body = assert_problem(await client.get("/cases-probe"), 401)
    assert "bearer" in body["detail"].lower()


async def test_expired_token_is_401(client):
    expired = jwt.encode(
        {
            "sub": "a",
            "roles": ["risk_analyst"],
            "countries": ["GT"],
            "iss": "amparo",
            "aud": "amparo-services",
            "iat": int(time.time()) - 120,
            "exp": int(time.time()) - 60,
        },
        JWT_PRIVATE_KEY,
        algorithm="EdDSA",
    )
    body = assert_problem(
        await client.get("/cases-probe", headers={"Authorization": f"Bearer {expired}"}), 401
    )
    assert "expired" in body["detail"]


async def test_badly_signed_token_is_401(client):
    forged = jwt.encode(
        {"sub": "a", "roles": ["admin"], "countries": [], "iss": "amparo", "exp": int(time.time()) + 60},
        new_signing_key()[0],
        algorithm="EdDSA",
    )
    assert_problem(await client.get("/cases-probe", headers={"Authorization": f"Bearer {forged}"}), 401)


async def test_alg_none_token_is_401(client):
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"sub": "a", "roles": ["admin"], "countries": [], "iss": "amparo", "exp": int(time.time()) + 60}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert_problem(await client.get("/cases-probe", headers={"Authorization": f"Bearer {unsigned}"}), 401)


async def test_wrong_role_is_403_right_role_and_admin_pass(client):
    body = assert_problem(await client.get("/cases-probe", headers=auth("fund_committee")), 403)
    assert "risk_analyst" in body["detail"]
    ok = await client.get("/cases-probe", headers=auth("risk_analyst", sub="ana"))
    assert ok.status_code == 200 and ok.json() == {"sub": "ana"}
    assert (await client.get("/cases-probe", headers=auth("admin"))).status_code == 200


async def test_unknown_route_is_a_problem(client):
    assert_problem(await client.get("/nowhere", headers=auth("admin")), 404)


def test_token_command_prints_a_valid_token(monkeypatch, capsys, tmp_path):
    from deploy.cli import main
    from shared.auth import decode_token

    key_file = tmp_path / "jwt.key"
    key_file.write_text(JWT_PRIVATE_KEY)
    monkeypatch.setenv("AMPARO_JWT_PRIVATE_KEY_FILE", str(key_file))
    assert main(["token", "--role", "shelter_coordinator", "--country", "gt", "--ttl", "60"]) == 0
    principal = decode_token(JWT_PUBLIC_KEY, capsys.readouterr().out.strip())
    assert principal.roles == {"shelter_coordinator"} and principal.countries == {"GT"}
    assert principal.has_role("network_staff") and not principal.has_role("fund_admin")
    with pytest.raises(SystemExit, match="unknown role"):
        main(["token", "--role", "superuser"])
    assert token("admin")


def test_a_verified_token_stops_working_when_it_expires():
    from shared.auth import decode_token, issue_token
    from shared.problems import Unauthorized

    short = issue_token(JWT_PRIVATE_KEY, sub="a", roles=["admin"], countries=[], ttl_seconds=1)
    assert decode_token(JWT_PUBLIC_KEY, short).sub == "a"  # verified and remembered
    deadline = time.time() + 5
    while time.time() < deadline + 1:
        try:
            decode_token(JWT_PUBLIC_KEY, short)
        except Unauthorized as exc:
            assert "expired" in exc.detail
            break
        time.sleep(0.1)
    else:
        raise AssertionError("an expired token was still accepted")
    with pytest.raises(Unauthorized):
        decode_token(
            new_signing_key()[1],
            issue_token(JWT_PRIVATE_KEY, sub="a", roles=[], countries=[]),
        )


@get("/probe-text", operation_id="probeText", guards=[requires("admin")])
async def probe_text(rt: Rt, q: str) -> dict[str, str]:
    """Sends the query text to PostgreSQL, as a filter would."""
    return {"echo": await rt.pool.fetchval("SELECT $1::text", q)}


@get("/probe-date", operation_id="probeDate", guards=[requires("admin")], sync_to_thread=False)
def probe_date(day: date) -> dict[str, str]:
    """Date arithmetic on input, as a report's window does."""
    return {"next": str(day + timedelta(days=1))}


async def test_input_past_validation_is_a_400_not_a_500(make_settings):
    from litestar.testing import AsyncTestClient

    settings = await make_settings("risk")
    spec = ServiceSpec(
        name="risk",
        description="",
        routes=[probe_text, probe_date],
        migrations=Path("services/risk/migrations"),
    )
    async with AsyncTestClient(app=build_app(spec, settings)) as client:
        body = assert_problem(
            await client.get("/probe-text", params={"q": "a\x00b"}, headers=auth("admin")), 400
        )
        assert "NUL" in body["detail"]
        body = assert_problem(
            await client.get("/probe-date", params={"day": "9999-12-31"}, headers=auth("admin")), 400
        )
        assert "out of range" in body["detail"]
        assert (await client.get("/probe-text", params={"q": "ok"}, headers=auth("admin"))).json() == {
            "echo": "ok"
        }
