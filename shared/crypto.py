"""The PII cipher: AES-256-GCM with a key id in every ciphertext, so keys can rotate.

Layout: b"A1" | len(kid) (1 byte) | kid | 12-byte nonce | ciphertext+tag. The
associated data binds a ciphertext to its row (for example the case id), so a value
copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.errors import Unavailable

_MAGIC = b"A1"
_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CipherError(Unavailable):
    """A ciphertext could not be decrypted (tampered, wrong row, or unknown key).

    An ``Unavailable`` (503): nothing the caller can fix, and nothing lost while the
    operator restores the right key file, so the answer names the operator's action."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"stored personal data could not be decrypted ({reason}); an operator must restore "
            "this service's key file from backup (`amparo keys check` says which key is missing)",
            code="keys.missing",
            retry_after=60,
        )
        self.reason = reason


class KeyFileError(ValueError):
    """A key file or key spec is malformed; the message never quotes key material."""


class PiiCipher:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise KeyFileError("active key id is not among the keys")
        for kid, key in keys.items():
            if len(key) != 32:
                raise KeyFileError(f"PII key {kid!r} must be 32 bytes")
            if not kid or len(kid.encode()) > 255:
                raise KeyFileError("PII key ids must be 1-255 bytes")
        # The active key first: key_ids lists keys in the order they are preferred.
        self._aead = {active: AESGCM(keys[active])}
        self._aead.update({kid: AESGCM(key) for kid, key in keys.items() if kid != active})
        self._active = active

    @classmethod
    def from_spec(cls, spec: str) -> PiiCipher:
        """``kid:base64key`` items separated by commas or lines (``#`` starts a comment);
        the first key encrypts, all decrypt. Strict: standard base64 of exactly 32 bytes,
        each key id once, so a damaged file is refused instead of used."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for number, item in enumerate(spec_items(spec), start=1):
            kid, sep, b64 = item.partition(":")
            if not sep or not _KID.match(kid):
                raise KeyFileError(f"key {number} is not written kid:base64key (kid: letters, digits, . _ -)")
            if kid in keys:
                raise KeyFileError(f"key id {kid!r} appears twice")
            try:
                key = base64.b64decode(b64.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyFileError(f"key {kid!r} is not valid base64 (the file is damaged)") from None
            if len(key) != 32:
                raise KeyFileError(f"key {kid!r} is {len(key)} bytes, not 32 (the file is damaged)")
            keys[kid] = key
            order.append(kid)
        if not order:
            raise KeyFileError("no PII key configured")
        return cls(keys, order[0])

    @property
    def active_key_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> list[str]:
        """Every key id this cipher opens, the active one first."""
        return list(self._aead)

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
        return key_id_of(blob)

    def encrypt_obj(self, value: Any, *, aad: bytes = b"") -> bytes:
        return self.encrypt(msgspec.json.encode(value), aad=aad)

    def decrypt_obj(self, blob: bytes, type: Any = Any, *, aad: bytes = b"") -> Any:
        return msgspec.json.decode(self.decrypt(blob, aad=aad), type=type)


def key_id_of(blob: bytes) -> str:
    """The key id a ciphertext was written with (no key needed)."""
    if len(blob) < 3 or blob[:2] != _MAGIC:
        raise CipherError("not an Amparo ciphertext")
    return blob[3 : 3 + blob[2]].decode(errors="replace")


def spec_items(spec: str) -> list[str]:
    """The ``kid:base64key`` items of a spec: comments dropped, then split on commas and lines."""
    items = []
    for line in spec.splitlines():
        line = line.split("#", 1)[0]
        items += [part.strip() for part in line.split(",") if part.strip()]
    return items


def spec_key_ids(spec: str) -> list[str]:
    """The key ids of a spec, in order, without decoding the keys."""
    return [item.partition(":")[0] for item in spec_items(spec)]


def new_key_spec(kid: str = "k1") -> str:
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def new_key_id(service: str) -> str:
    """A fresh key id: the service's name and random hex, so ids never repeat across rotations."""
    return f"{service}-{secrets.token_hex(4)}"


def load_cipher(keys: str, key_file: str) -> PiiCipher:
    """The cipher from ``AMPARO_PII_KEYS`` or the key file; ``KeyFileError`` names the file."""
    if keys:
        return PiiCipher.from_spec(keys)
    if key_file:
        try:
            text = Path(key_file).read_text()
        except OSError as exc:
            raise KeyFileError(f"cannot read the key file {key_file} ({exc.strerror})") from None
        try:
            return PiiCipher.from_spec(text)
        except KeyFileError as exc:
            raise KeyFileError(f"{key_file}: {exc}") from None
    raise KeyFileError("set AMPARO_PII_KEYS or AMPARO_PII_KEY_FILE")
