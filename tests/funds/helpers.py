"""Shared steps of the funds tests: a fund with money, a policy and a committee; callers
for the use cases without HTTP."""

from __future__ import annotations

import types
import uuid

from services.funds.config import FundsConfig
from shared.auth import Principal
from shared.crypto import PiiCipher
from tests.conftest import PII_KEYS
from tests.support import auth
from tests.support import known_case as support_known_case

ADMIN = auth("fund_admin", sub="admin-1")


def principal(sub: str, *roles: str, countries=("GT", "HN", "MX")) -> Principal:
    return Principal(sub=sub, roles=frozenset(roles), countries=frozenset(countries))


def runtime(pool, **config) -> types.SimpleNamespace:
    """What a use case reads of the runtime: the pool, the config and the PII cipher."""
    return types.SimpleNamespace(
        pool=pool, config=FundsConfig(**config), cipher=PiiCipher.from_spec(PII_KEYS)
    )


def member(sub: str) -> dict[str, str]:
    return auth("fund_committee", sub=sub)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


async def make_fund(
    client,
    *,
    deposit: int = 1_000_000,
    currency: str = "USD",
    countries: tuple[str, ...] = ("GT", "HN"),
    quorum: int = 2,
    members: tuple[str, ...] = ("m1", "m2", "m3"),
    ceiling: int = 800_000,
    emergency_limit: int = 200_000,
    suggested: list | None = None,
    **policy,
) -> dict:
    r = await client.post(
        "/funds",
        json={"name": "Fondo de respuesta rapida", "currency": currency, "countries": list(countries)},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    fund = r.json()
    if deposit:
        r = await client.post(
            f"/funds/{fund['id']}/deposits", json={"amount": deposit, "currency": currency}, headers=ADMIN
        )
        assert r.status_code == 201, r.text
    body = {
        "ceiling": ceiling,
        "emergency_limit": emergency_limit,
        "quorum": quorum,
        "suggested": suggested
        if suggested is not None
        else [
            {"purpose": "relocation", "amount": 150_000},
            {"purpose": "relocation", "country": "GT", "amount": 120_000},
            {"purpose": "home_security", "amount": 60_000},
            {"purpose": "medical_psychological", "amount": 40_000},
            {"purpose": "legal", "amount": 30_000},
        ],
        **policy,
    }
    r = await client.put(f"/funds/{fund['id']}/policy", json=body, headers=ADMIN)
    assert r.status_code == 200, r.text
    for sub in members:
        r = await client.post(f"/funds/{fund['id']}/members", json={"sub": sub}, headers=ADMIN)
        assert r.status_code == 201, r.text
    r = await client.get(f"/funds/{fund['id']}", headers=ADMIN)
    return r.json()


async def known_case(target, case_id=None, country: str = "GT", status: str = "open") -> str:
    """A case funds knows of (as risk's CaseOpened would tell it); its id."""
    case_id = str(case_id or uuid.uuid4())
    await support_known_case(target, "funds", case_id, country, status)
    return case_id


async def make_application(
    client, fund: dict, *, amount: int = 100_000, track: str = "ordinary", country: str = "GT", headers=ADMIN
) -> dict:
    r = await client.post(
        "/applications",
        json={
            "case_id": await known_case(client, country=country),
            "country": country,
            "fund_id": fund["id"],
            "track": track,
            "lines": [{"purpose": "relocation", "amount": amount}],
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def vote(client, app_id: str, sub: str, decision: str = "approve", **extra):
    return await client.post(
        f"/applications/{app_id}/votes", json={"decision": decision, **extra}, headers=member(sub)
    )
