"""JWT bearer auth (EdDSA): ``sub``, ``roles`` and ``countries``; guards by role and country."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import jwt
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from shared.config import ConfigError, Settings
from shared.errors import NotAllowed
from shared.problems import Unauthorized

ROLES = ("network_staff", "shelter_coordinator", "risk_analyst", "fund_committee", "fund_admin", "admin")
# A role also holds the powers of the roles listed for it (DESIGN.md, "Who may do what").
_IMPLIES = {"shelter_coordinator": {"network_staff"}}
# Ed25519 signatures: only the console and `amparo token` hold the private key; the
# services verify with the public key and cannot mint a token themselves.
ALGORITHM = "EdDSA"
AUDIENCE = "amparo-services"
MAX_TTL_SECONDS = 12 * 3600


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
            # The country is not repeated: whatever was sent in its place may be a name.
            raise NotAllowed("your token does not cover this country", code="auth.country_not_covered")

    def visible_countries(self, requested: str | None) -> list[str] | None:
        """Countries a list may show: None means all (admin without a filter)."""
        if requested:
            self.check_country(requested)
            return [requested]
        return None if self.is_admin else sorted(self.countries)


def new_signing_key() -> tuple[str, str]:
    """A fresh Ed25519 key pair as PEM text: (private, public)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, public_pem(private)


def public_pem(private_pem: str) -> str:
    """The public half of a private key, as PEM text."""
    public = _private_key(private_pem).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@functools.lru_cache(maxsize=8)
def _private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the token signing key must be an Ed25519 private key")
    return key


@functools.lru_cache(maxsize=8)
def _public_key(pem: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise ValueError("the token verification key is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the token verification key must be an Ed25519 public key")
    return key


@functools.lru_cache(maxsize=8)
def read_key_file(path: str) -> str:
    """A PEM key file's text, read once per process (the key does not change under us).
    Cached by the path as given: every request asks, and resolving it cost a syscall each."""
    return Path(path).read_text()


def verification_key(settings: Settings) -> str:
    """The public key the services verify tokens with: inline PEM or a file."""
    if settings.jwt_public_key:
        return settings.jwt_public_key
    if settings.jwt_public_key_file:
        return read_key_file(settings.jwt_public_key_file)
    raise ConfigError("set AMPARO_JWT_PUBLIC_KEY or AMPARO_JWT_PUBLIC_KEY_FILE (the token verification key)")


def issue_token(
    private_key: str,
    *,
    sub: str,
    roles: list[str],
    countries: list[str],
    ttl_seconds: int = 8 * 3600,
    issuer: str = "amparo",
    audience: str = AUDIENCE,
) -> str:
    """A token signed with the issuer's Ed25519 private key (PEM text)."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"a token lives at most {MAX_TTL_SECONDS} seconds")
    now = int(time.time())
    claims = {
        "sub": sub,
        "roles": roles,
        "countries": [c.upper() for c in countries],
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": issuer,
        "aud": audience,
    }
    return jwt.encode(claims, _private_key(private_key), algorithm=ALGORITHM)


# Verified tokens, until they expire: a token's validity depends only on its signature,
# issuer, audience and expiry, and staff send the same token all day (5% of a read request).
_verified: dict[tuple[str, str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 4096


def decode_token(
    public_key: str, token: str, *, issuer: str = "amparo", audience: str = AUDIENCE
) -> Principal:
    key = (public_key, issuer + "\x00" + audience, token)
    hit = _verified.get(key)
    if hit is not None:
        if hit[1] > time.time():
            return hit[0]
        del _verified[key]
    principal, expires = _verify(public_key, token, issuer, audience)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[key] = (principal, expires)
    return principal


def _verify(public_key: str, token: str, issuer: str, audience: str) -> tuple[Principal, float]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _public_key(public_key),
            algorithms=[ALGORITHM],  # a fixed list: "alg: none" and key confusion are refused
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired; ask for a new one") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the token is not valid ({type(exc).__name__})") from None
    # A stolen token must not outlive a working day, whatever expiry its issuer wrote.
    if float(claims["exp"]) - float(claims["iat"]) > MAX_TTL_SECONDS:
        raise Unauthorized(f"the token lives longer than the {MAX_TTL_SECONDS} seconds allowed")
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
            verification_key(runtime.settings), token.strip(), issuer=runtime.settings.jwt_issuer
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
