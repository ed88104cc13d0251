"""Tokens are Ed25519-signed (issue 10, finding 5): the services hold only the public key,
check the audience and a maximum lifetime, and accept no other algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest

from shared.auth import AUDIENCE, MAX_TTL_SECONDS, decode_token, issue_token, new_signing_key
from shared.config import ConfigError, load_settings
from shared.problems import Unauthorized
from tests.support import JWT_PRIVATE_KEY, JWT_PUBLIC_KEY


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {
        "sub": "a",
        "roles": ["admin"],
        "countries": [],
        "iss": "amparo",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_token_signed_with_the_private_key_verifies_with_the_public_key():
    principal = decode_token(
        JWT_PUBLIC_KEY, issue_token(JWT_PRIVATE_KEY, sub="ana", roles=["admin"], countries=["gt"])
    )
    assert principal.sub == "ana" and principal.countries == {"GT"}


def test_the_public_key_cannot_be_used_as_an_hmac_secret():
    """Key confusion: an HS256 token 'signed' with the public key text is refused."""

    # pyjwt itself refuses to HMAC with a PEM key; build the token by hand as an attacker would.
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(_claims()).encode())
    signature = hmac.new(JWT_PUBLIC_KEY.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{body}.{b64(signature)}"
    with pytest.raises(Unauthorized):
        decode_token(JWT_PUBLIC_KEY, forged)


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"aud": None},
        {"iat": None},
        {"iat": int(time.time()), "exp": int(time.time()) + MAX_TTL_SECONDS + 3600},
    ],
    ids=["wrong-audience", "no-audience", "no-issued-at", "lives-too-long"],
)
def test_tokens_without_our_audience_or_with_a_long_life_are_refused(overrides):
    token = jwt.encode(_claims(**overrides), JWT_PRIVATE_KEY, algorithm="EdDSA")
    with pytest.raises(Unauthorized):
        decode_token(JWT_PUBLIC_KEY, token)


def test_the_issuer_refuses_a_lifetime_over_the_maximum():
    with pytest.raises(ValueError, match="at most"):
        issue_token(JWT_PRIVATE_KEY, sub="a", roles=[], countries=[], ttl_seconds=MAX_TTL_SECONDS + 1)


def test_a_service_without_a_verification_key_refuses_to_start():
    from shared.auth import verification_key

    with pytest.raises(ConfigError, match="AMPARO_JWT_PUBLIC_KEY"):
        verification_key(load_settings({}))


def test_the_runner_gives_services_only_the_public_key(tmp_path: Path):
    from deploy.runner import _signing_key_files

    private, public = _signing_key_files(tmp_path)
    assert private.stat().st_mode & 0o777 == 0o600
    assert "PRIVATE" not in public.read_text()
    token = issue_token(private.read_text(), sub="a", roles=[], countries=[])
    assert decode_token(public.read_text(), token).sub == "a"
    # A second run keeps the same key: tokens already handed out stay valid.
    assert _signing_key_files(tmp_path)[0].read_text() == private.read_text()
    other_private, _ = new_signing_key()
    with pytest.raises(Unauthorized):
        decode_token(public.read_text(), issue_token(other_private, sub="a", roles=[], countries=[]))
