"""Calls to risk, shelters and funds as the signed-in person.

Each call carries a short token the console signs for that person (their roles and
countries), so the services apply the same guards, and risk audits every read of personal
data (shelters every shelter address shown) under the person's name. A refusal comes back
as ``ServiceProblem``: pages show a message in the person's language chosen by its
``code``, never the raw detail.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from services.console.accounts.schemas import Account
from services.console.config import ConsoleConfig
from shared.auth import issue_token, read_key_file


class ServiceProblem(Exception):
    def __init__(self, status: int, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.extra = extra or {}


_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    global _client
    if _client is None:
        _client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
    return _client


async def close() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


def signing_key(config: ConsoleConfig) -> str:
    if config.jwt_private_key:
        return config.jwt_private_key
    if config.jwt_private_key_file:
        return read_key_file(config.jwt_private_key_file)
    raise RuntimeError("set AMPARO_JWT_PRIVATE_KEY_FILE: the console signs tokens for the people signed in")


def token_for(config: ConsoleConfig, account: Account) -> str:
    return issue_token(
        signing_key(config),
        sub=account.email,
        roles=account.roles,
        countries=account.countries,
        ttl_seconds=config.service_token_seconds,
    )


async def call(
    config: ConsoleConfig,
    account: Account,
    service: str,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Any:
    """Call a service as ``account``; ``idempotency_key`` (the form's own) makes a create or
    a payment happen once however often the form is sent."""
    base = {"risk": config.risk_url, "shelters": config.shelters_url, "funds": config.funds_url}[service]
    if params:
        params = {k: v for k, v in params.items() if v not in (None, "")}
    try:
        response = await client().request(
            method,
            base + path,
            json=json,
            params=params,
            headers={
                "Authorization": f"Bearer {token_for(config, account)}",
                **({"Idempotency-Key": idempotency_key} if idempotency_key else {}),
            },
        )
    except httpx.HTTPError:
        raise ServiceProblem(503, "console.unreachable") from None
    if response.status_code >= 400:
        body: dict[str, Any] = {}
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            body = response.json()
        code = str(body.get("code") or f"http.{response.status_code}")
        raise ServiceProblem(
            response.status_code, code, {k: v for k, v in body.items() if k not in ("detail",)}
        )
    if response.status_code == 204 or not response.content:
        return None
    return msgspec.json.decode(response.content)  # 3x faster than json for capacity's 200 KB
