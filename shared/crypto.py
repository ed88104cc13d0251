"""The PII cipher: AES-256-GCM with a key id in every ciphertext, so keys can rotate.

Layout: b"A1" | len(kid) (1 byte) | kid | 12-byte nonce | ciphertext+tag. The
associated data binds a ciphertext to its row (for example the case id), so a value
copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_MAGIC = b"A1"


class CipherError(Exception):
    """A ciphertext could not be decrypted (tampered, wrong row, or unknown key)."""


class PiiCipher:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError("active key id is not among the keys")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"PII key {kid!r} must be 32 bytes")
            if not kid or len(kid.encode()) > 255:
                raise ValueError("PII key ids must be 1-255 bytes")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self._active = active

    @classmethod
    def from_spec(cls, spec: str) -> PiiCipher:
        """``kid:base64key[,kid:base64key...]``; the first key encrypts, all decrypt."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            kid, sep, b64 = item.partition(":")
            if not sep:
                raise ValueError("PII keys are written kid:base64key")
            keys[kid] = base64.b64decode(b64)
            order.append(kid)
        if not order:
            raise ValueError("no PII key configured")
        return cls(keys, order[0])

    @property
    def active_key_id(self) -> str:
        return self._active

    def encrypt(self, plaintext: bytes, *, aad: bytes = b"") -> bytes:
        kid = self._active.encode()
        nonce = os.urandom(12)
        return (
            _MAGIC + bytes([len(kid)]) + kid + nonce + self._aead[self._active].encrypt(nonce, plaintext, aad)
        )

    def decrypt(self, blob: bytes, *, aad: bytes = b"") -> bytes:
        if len(blob) < 3 or blob[:2] != _MAGIC:
            raise CipherError("not an Amparo ciphertext")
        klen = blob[2]
        kid = blob[3 : 3 + klen].decode(errors="replace")
        aead = self._aead.get(kid)
        if aead is None:
            raise CipherError(f"unknown key id {kid!r}")
        nonce = blob[3 + klen : 15 + klen]
        try:
            return aead.decrypt(nonce, blob[15 + klen :], aad)
        except InvalidTag:
            raise CipherError("ciphertext failed authentication") from None

    def key_id_of(self, blob: bytes) -> str:
        return blob[3 : 3 + blob[2]].decode()

    def encrypt_obj(self, value: Any, *, aad: bytes = b"") -> bytes:
        return self.encrypt(msgspec.json.encode(value), aad=aad)

    def decrypt_obj(self, blob: bytes, type: Any = Any, *, aad: bytes = b"") -> Any:
        return msgspec.json.decode(self.decrypt(blob, aad=aad), type=type)


def new_key_spec(kid: str = "k1") -> str:
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def load_cipher(keys: str, key_file: str) -> PiiCipher:
    if keys:
        return PiiCipher.from_spec(keys)
    if key_file:
        return PiiCipher.from_spec(Path(key_file).read_text().strip())
    raise ValueError("set AMPARO_PII_KEYS or AMPARO_PII_KEY_FILE")
