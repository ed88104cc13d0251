"""The blind index key: HMAC-SHA256 of each name token under a key only risk holds.

The key is a secret of its own (``AMPARO_BLIND_INDEX_KEY`` or ``AMPARO_BLIND_INDEX_KEY_FILE``,
``kid:base64key`` lines, newest first, like the PII key files); without it the index is a
list of unsalted hashes of names, which a dictionary of names would open. Only the first
key is used: a new first key makes the backfill job index every case again under it."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from services.risk.domain.names import tokens
from services.risk.search import store
from shared.crypto import spec_items

_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class IndexKeyError(ValueError):
    """The blind index key is missing or malformed; the message never quotes key material."""


class BlindIndex:
    def __init__(self, key_id: str, key: bytes) -> None:
        if len(key) != 32:
            raise IndexKeyError("the blind index key must be 32 bytes")
        self.key_id = key_id
        self._key = key

    def token_hmacs(self, name: str) -> list[bytes]:
        """One HMAC per distinct normalised token of ``name``."""
        return [hmac.new(self._key, t.encode(), hashlib.sha256).digest() for t in tokens(name)]

    @classmethod
    def from_spec(cls, spec: str) -> BlindIndex:
        items = spec_items(spec)
        if not items:
            raise IndexKeyError("no blind index key configured")
        kid, sep, b64 = items[0].partition(":")
        if not sep or not _KID.match(kid):
            raise IndexKeyError("the blind index key is not written kid:base64key")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise IndexKeyError("the blind index key is not valid base64 (the file is damaged)") from None
        return cls(kid, key)


@functools.cache
def load(spec: str, key_file: str) -> BlindIndex:
    """The index from the inline spec or the file (read once per process)."""
    if spec:
        return BlindIndex.from_spec(spec)
    if key_file:
        try:
            text = Path(key_file).read_text()
        except OSError as exc:
            raise IndexKeyError(f"cannot read the blind index key file {key_file} ({exc.strerror})") from None
        try:
            return BlindIndex.from_spec(text)
        except IndexKeyError as exc:
            raise IndexKeyError(f"{key_file}: {exc}") from None
    raise IndexKeyError("the risk service needs AMPARO_BLIND_INDEX_KEY or AMPARO_BLIND_INDEX_KEY_FILE")


def blind_index(rt: Any) -> BlindIndex:
    """The running service's index (its config names the key)."""
    return load(rt.config.blind_index_key, rt.config.blind_index_key_file)


async def index_case(rt: Any, conn: asyncpg.Connection, case_id: uuid.UUID, full_name: str) -> None:
    """The case's name tokens, in the caller's transaction (intake)."""
    index = blind_index(rt)
    await store.replace_tokens(conn, case_id, index.token_hmacs(full_name), index.key_id)
