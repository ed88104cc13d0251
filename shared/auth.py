"""JWT bearer auth: ``sub``, ``roles`` and ``countries``; guards by role and country."""

from __future__ import annotations

import time
from typing import Any

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from shared.errors import NotAllowed
from shared.problems import Unauthorized

ROLES = ("network_staff", "shelter_coordinator", "risk_analyst", "fund_committee", "fund_admin", "admin")
# A role also holds the powers of the roles listed for it (DESIGN.md, "Who may do what").
_IMPLIES = {"shelter_coordinator": {"network_staff"}}
ALGORITHM = "HS256"


class Principal(msgspec.Struct, frozen=True):
    sub: str
    roles: frozenset[str]
    countries: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, *roles: str) -> bool:
        if self.is_admin:
            return True
        held = set(self.roles)
        for role in self.roles:
            held |= _IMPLIES.get(role, set())
        return any(r in held for r in roles)

    def can_see(self, country: str) -> bool:
        return self.is_admin or country in self.countries

    def check_country(self, country: str) -> None:
        if not self.can_see(country):
            raise NotAllowed(f"your token does not cover country {country}")

    def visible_countries(self, requested: str | None) -> list[str] | None:
        """Countries a list may show: None means all (admin without a filter)."""
        if requested:
            self.check_country(requested)
            return [requested]
        return None if self.is_admin else sorted(self.countries)


def issue_token(
    secret: str,
    *,
    sub: str,
    roles: list[str],
    countries: list[str],
    ttl_seconds: int = 8 * 3600,
    issuer: str = "amparo",
) -> str:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    now = int(time.time())
    claims = {
        "sub": sub,
        "roles": roles,
        "countries": [c.upper() for c in countries],
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": issuer,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Verified tokens, until they expire: a token's validity depends only on its signature,
# issuer and expiry, and staff send the same token all day (5% of a read request).
_verified: dict[tuple[str, str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 4096


def decode_token(secret: str, token: str, *, issuer: str = "amparo") -> Principal:
    key = (secret, issuer, token)
    hit = _verified.get(key)
    if hit is not None:
        if hit[1] > time.time():
            return hit[0]
        del _verified[key]
    principal, expires = _verify(secret, token, issuer)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[key] = (principal, expires)
    return principal


def _verify(secret: str, token: str, issuer: str) -> tuple[Principal, float]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # a fixed list: "alg: none" and key confusion are refused
            issuer=issuer,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired; ask for a new one") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the token is not valid ({type(exc).__name__})") from None
    roles = claims.get("roles") or []
    countries = claims.get("countries") or []
    if not isinstance(roles, list) or not isinstance(countries, list):
        raise Unauthorized("the token's roles and countries must be lists")
    principal = Principal(
        sub=str(claims["sub"]),
        roles=frozenset(str(r) for r in roles if r in ROLES),
        countries=frozenset(str(c).upper() for c in countries),
    )
    return principal, float(claims["exp"])


class JWTAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "missing bearer token: send 'Authorization: Bearer <token>' (amparo token --role ...)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        runtime = connection.app.state.runtime
        principal = decode_token(
            runtime.settings.jwt_secret, token.strip(), issuer=runtime.settings.jwt_issuer
        )
        return AuthenticationResult(user=principal, auth=token)


def requires(*roles: str):
    """Guard: the caller holds one of ``roles`` (admin holds all)."""

    # async: Litestar runs a sync guard in a worker thread on every request.
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if not principal.has_role(*roles):
            raise NotAllowed(f"this needs one of the roles: {', '.join(roles)}")

    guard.__name__ = f"requires_{'_or_'.join(roles)}"
    return guard
