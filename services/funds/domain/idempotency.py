"""One tranche per Idempotency-Key: a retry with the same key and the same body gets the
first answer; the same key with another body is refused."""

from __future__ import annotations

import hashlib

import msgspec

from shared.errors import Invalid


def fingerprint(body: msgspec.Struct) -> str:
    """The same request body always gives the same fingerprint (msgspec encodes fields in
    declaration order)."""
    return hashlib.sha256(msgspec.json.encode(body)).hexdigest()


def check_same_request(stored: str, incoming: str) -> None:
    if stored != incoming:
        raise Invalid(
            "this Idempotency-Key was already used for a different disbursement on this application; "
            "use a new key for a new tranche",
            code="disbursement.key_reused",
        )
