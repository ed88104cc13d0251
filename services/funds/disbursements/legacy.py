"""Disbursements written before payee references were encrypted: a periodic job encrypts
their reference, masks it in the stored answer and re-fingerprints the request without
it, then empties the clear column (a batch per run; an empty run is one indexed query)."""

from __future__ import annotations

import msgspec

from services.funds.disbursements import store
from services.funds.disbursements.schemas import DisbursementCreate
from services.funds.disbursements.service import cipher_of, request_fingerprint
from services.funds.domain.payee import masked
from shared.logging import get_logger
from shared.runtime import Runtime

log = get_logger(__name__)
BATCH = 200


async def encrypt_payee_references(rt: Runtime) -> None:
    """Periodic job: no payee reference stays in clear in the database."""
    cipher = cipher_of(rt)
    async with rt.pool.acquire() as conn, conn.transaction():
        rows = await store.in_clear(conn, BATCH)
        for r in rows:
            reference = r["payee_reference"]
            response = dict(r["response"])
            body = DisbursementCreate(
                amount=response["amount"],
                currency=response["currency"],
                method=response["method"],
                payee_reference=reference,
            )
            response["payee_reference"] = masked(reference)
            enc = cipher.encrypt_obj(reference, aad=r["id"].bytes)
            await store.encrypt_payee(
                conn, r["id"], enc, msgspec.to_builtins(response), request_fingerprint(body)
            )
    if rows:
        log.info("disbursements.payee_references_encrypted", count=len(rows))
