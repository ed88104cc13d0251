"""Idempotency-Key for every POST that creates something.

A client that did not get an answer (a slow line, an outage, a double click) sends the
same request again with the same key. The use case claims the key as the first statement
of its own transaction and stores its answer before committing, so the claim, the effect
and the answer commit or roll back together:

- a first request claims the key, does its work and stores the answer;
- a twin arriving while the first is in flight waits on the key's unique index, then sees
  the committed answer (or, if the first rolled back, claims the key itself);
- a retry with the same key and the same request gets the first answer (the route answers
  200 with ``Idempotent-Replayed: true`` instead of 201);
- the same key with another request is a 422: a key names one request, not a slot;
- a refused request (any domain error) stores nothing, so the key may be retried once
  the cause is fixed.

Keys are per operation and per person, kept ``KEEP_HOURS`` hours (``PURGE_JOB``). The
stored answer and fingerprint are encrypted with the service's key when it has one (a
bare hash of a body that holds a name is reversed by trying names).

Routes declare ``key: IdempotencyKeyHeader = None``, build the request with ``request()``
and answer with ``created()``; use cases call ``replayed()`` first and ``remember()`` last
inside their transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import asyncpg
import msgspec
from litestar import Response
from litestar.params import HeaderParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from shared.auth import Principal
from shared.ciphertexts import Ciphertext
from shared.crypto import PiiCipher
from shared.errors import Invalid
from shared.runtime import Job, Runtime
from shared.validation import END

T = TypeVar("T")

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEEP_HOURS = 72

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        required=False,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^[\x21-\x7e]+" + END,
        description=(
            "optional: a new key (e.g. a UUID) per thing to create, the same key when retrying it; "
            f"a retry gets the first answer (200, Idempotent-Replayed: true), kept {KEEP_HOURS} h"
        ),
    ),
]


@dataclass
class IdempotentRequest:
    """One request under a key; ``replayed`` tells the route which answer it gives."""

    operation: str
    actor: str
    key: str
    fingerprint: str
    replayed: bool = field(default=False)
    row_id: uuid.UUID | None = field(default=None)


def request(operation: str, principal: Principal, key: str | None, *parts: Any) -> IdempotentRequest | None:
    """The request under ``key`` (None without one): ``parts`` are what makes two requests
    the same one, i.e. the path parameters and the body."""
    if key is None:
        return None
    digest = hashlib.sha256()
    for part in parts:
        digest.update(msgspec.json.encode(part))
        digest.update(b"\x00")
    return IdempotentRequest(operation, principal.sub, key, digest.hexdigest())


# Registered in each service's ciphertexts.py, so key checks and re-encryption see them.
ANSWER = Ciphertext("idempotency_keys", "answer", purpose=b"idempotency.answer")
FINGERPRINT = Ciphertext("idempotency_keys", "fingerprint", purpose=b"idempotency.fingerprint")


def _seal(cipher: PiiCipher | None, column: Ciphertext, row_id: uuid.UUID, raw: bytes) -> bytes:
    return raw if cipher is None else cipher.encrypt(raw, aad=column.aad(row_id))


def _open(cipher: PiiCipher | None, column: Ciphertext, row_id: uuid.UUID, stored: bytes) -> bytes:
    return bytes(stored) if cipher is None else cipher.decrypt(bytes(stored), aad=column.aad(row_id))


async def replayed(
    conn: asyncpg.Connection, req: IdempotentRequest | None, answer_type: type[T], cipher: PiiCipher | None
) -> T | None:
    """Claim the key, or give back the answer stored under it (call first in the transaction)."""
    if req is None:
        return None
    row_id = uuid.uuid4()
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (id, operation, actor, key, fingerprint, answer)
           VALUES ($1, $2, $3, $4, $5, '') ON CONFLICT (operation, actor, key) DO NOTHING RETURNING true""",
        row_id,
        req.operation,
        req.actor,
        req.key,
        _seal(cipher, FINGERPRINT, row_id, req.fingerprint.encode()),
    )
    if claimed:
        req.row_id = row_id
        return None
    row = await conn.fetchrow(
        "SELECT id, fingerprint, answer FROM idempotency_keys WHERE operation = $1 AND actor = $2 AND key = $3",
        req.operation,
        req.actor,
        req.key,
    )
    if _open(cipher, FINGERPRINT, row["id"], row["fingerprint"]) != req.fingerprint.encode():
        raise Invalid(
            "this Idempotency-Key was already used for a different request; use a new key for a new one",
            code="idempotency.key_reused",
        )
    req.replayed = True
    return msgspec.json.decode(_open(cipher, ANSWER, row["id"], row["answer"]), type=answer_type)


async def remember(
    conn: asyncpg.Connection, req: IdempotentRequest | None, answer: Any, cipher: PiiCipher | None
) -> None:
    """Store the answer under the claimed key (call last in the same transaction)."""
    if req is None:
        return
    assert req.row_id is not None, "remember() without replayed() first in the same transaction"
    raw = _seal(cipher, ANSWER, req.row_id, msgspec.json.encode(answer))
    await conn.execute("UPDATE idempotency_keys SET answer = $2 WHERE id = $1", req.row_id, raw)


def created(answer: T, req: IdempotentRequest | None) -> Response[T]:
    """201 for a new thing; 200 and ``Idempotent-Replayed: true`` for a retry's first answer."""
    if req is not None and req.replayed:
        return Response(answer, status_code=HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
    return Response(answer, status_code=HTTP_201_CREATED)


async def purge(rt: Runtime) -> None:
    """Forget keys older than ``KEEP_HOURS``: a retry comes within minutes, not days."""
    async with rt.pool.acquire() as conn:
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)", KEEP_HOURS
        )


PURGE_JOB = Job(3600, purge)

CIPHERTEXTS = (FINGERPRINT, ANSWER)
