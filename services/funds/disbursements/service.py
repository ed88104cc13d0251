"""Paying a tranche of an approved grant, once per Idempotency-Key.

The payee reference is stored encrypted (bound to the disbursement id) and shown in full
only in the answer to the fund administrator who pays; the stored answer that a retry
gets back shows it masked to its last four characters.

The key is looked up under the application's lock (a twin request that held the lock has
committed and is visible by then); ``UNIQUE (application_id, idempotency_key)`` catches a
twin that still slips through. A refused tranche stores nothing, so the same key may be
retried once the cause is fixed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import msgspec

from services.funds.applications.views import application_or_404
from services.funds.disbursements import store
from services.funds.disbursements.schemas import DisbursementCreate, DisbursementView, TrancheView
from services.funds.domain.idempotency import check_same_request, fingerprint
from services.funds.domain.money import check_tranche
from services.funds.domain.payee import masked
from services.funds.events import emit
from services.funds.funds import store as funds_store
from shared.auth import Principal
from shared.crypto import PiiCipher
from shared.errors import Conflict, Invalid
from shared.events import DisbursementMade, Money
from shared.logging import get_logger
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)


async def disburse(
    rt: Runtime, principal: Principal, app_id: uuid.UUID, body: DisbursementCreate, *, idempotency_key: str
) -> tuple[DisbursementView, bool]:
    """Pay one tranche. Returns (answer, created); a retry with the same key and body gets
    the stored answer and ``created=False``; nothing is paid twice."""
    fp = request_fingerprint(body)
    try:
        return await _disburse(rt, principal, app_id, idempotency_key, fp, body)
    except asyncpg.UniqueViolationError:
        # A twin request with the same key committed between our check and our insert.
        async with rt.pool.acquire() as conn:
            stored = await store.disbursement_by_key(conn, app_id, idempotency_key)
        if stored is None:
            raise
        return _replay(rt, stored, fp, body), False


async def tranches(
    rt: Runtime, principal: Principal, app_id: uuid.UUID, limit: int, offset: int
) -> Page[TrancheView]:
    """The tranches paid on an application, first to last; references masked (as a
    retry's stored answer shows them), never in full."""
    async with rt.pool.acquire() as conn:
        await application_or_404(conn, principal, app_id)
        rows, total = await store.tranches_of(conn, app_id, limit, offset)
    items = [
        TrancheView(
            id=r["id"],
            application_id=r["application_id"],
            tranche=r["tranche"],
            amount=r["amount"],
            currency=r["currency"],
            method=r["method"],
            payee_reference=masked(r["shown_reference"] or ""),
            made_at=r["made_at"],
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


def request_fingerprint(body: DisbursementCreate) -> str:
    """The fingerprint of everything but the payee reference: a hash of a bank account or
    a phone number is easily reversed by trying them all, so the reference is compared
    by decrypting the stored one instead (``_replay``)."""
    return fingerprint(msgspec.structs.replace(body, payee_reference=""))


def _replay(rt: Runtime, stored: asyncpg.Record, fp: str, body: DisbursementCreate) -> DisbursementView:
    """The stored answer to a retry with the same key: the reference in it stays masked
    (it is shown in full only at the moment of payment)."""
    check_same_request(stored["fingerprint"], fp)
    if stored["payee_erased_at"] is not None:
        raise Conflict(
            "this tranche was paid, and the personal data of its case has since been erased; "
            "nothing is paid again",
            code="disbursement.payee_erased",
        )
    reference = payee_reference(rt, stored)
    check_same_request(reference, body.payee_reference)
    return msgspec.convert(stored["response"], DisbursementView, strict=False)


def payee_reference(rt: Runtime, row: asyncpg.Record) -> str:
    if row["payee_reference_enc"] is None:  # a row from before encryption, not yet moved
        return row["payee_reference"]
    return cipher_of(rt).decrypt_obj(row["payee_reference_enc"], str, aad=row["id"].bytes)


def cipher_of(rt: Runtime) -> PiiCipher:
    # Never None: funds has needs_pii_key and refuses to start without its key.
    assert rt.cipher is not None
    return rt.cipher


async def _disburse(
    rt: Runtime, principal: Principal, app_id: uuid.UUID, key: str, fp: str, body: DisbursementCreate
) -> tuple[DisbursementView, bool]:
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await application_or_404(conn, principal, app_id, lock=True)
        stored = await store.disbursement_by_key(conn, app_id, key)
        if stored is not None:
            return _replay(rt, stored, fp, body), False
        if app["status"] != "approved":
            raise Conflict(
                f"the application is {app['status']}; only approved applications are paid",
                code="disbursement.not_approved",
            )
        if body.currency != app["currency"]:
            raise Invalid(
                f"this grant is in {app['currency']}; pay the tranche in {app['currency']}",
                code="disbursement.currency_mismatch",
                extra={"field": "currency", "currency": app["currency"]},
            )
        paid, _released = await funds_store.money_of_one(conn, app_id)
        remaining = check_tranche(app["approved"], paid, body.amount)
        fund = await funds_store.get_fund(conn, app["fund_id"], lock=True)
        now = datetime.now(UTC)
        disbursement_id = uuid.uuid4()
        tranche = await store.tranche_count(conn, app_id) + 1
        view = DisbursementView(
            id=disbursement_id,
            application_id=app_id,
            fund_id=fund["id"],
            tranche=tranche,
            amount=body.amount,
            currency=app["currency"],
            method=body.method,
            payee_reference=body.payee_reference,
            paid_total=paid + body.amount,
            approved=app["approved"],
            remaining=remaining,
            made_at=now,
        )
        await store.insert_disbursement(
            conn,
            {
                "id": disbursement_id,
                "application_id": app_id,
                "idempotency_key": key,
                "fingerprint": fp,
                "tranche": tranche,
                "amount": body.amount,
                "method": body.method,
                "payee_reference_enc": cipher_of(rt).encrypt_obj(
                    body.payee_reference, aad=disbursement_id.bytes
                ),
                # The stored answer (replayed to a retry) holds the reference masked.
                "response": msgspec.to_builtins(
                    msgspec.structs.replace(view, payee_reference=masked(body.payee_reference))
                ),
                "made_by": principal.sub,
                "made_at": now,
            },
        )
        try:
            await funds_store.append_ledger(
                conn,
                fund["id"],
                "disbursement",
                body.amount,
                principal.sub,
                application_id=app_id,
                disbursement_id=disbursement_id,
            )
        except asyncpg.CheckViolationError:
            raise Conflict(
                "the fund or the grant cannot cover this tranche; nothing was paid",
                code="disbursement.not_covered",
            ) from None
        await store.set_first_paid(conn, app_id, now)
        made = DisbursementMade(
            application_id=app_id,
            disbursement_id=disbursement_id,
            amount=Money(body.amount, app["currency"]),
            tranche=tranche,
            paid_total=Money(paid + body.amount, app["currency"]),
            method=body.method,
        )
        await emit(conn, made, app["case_id"])
    log.info("disbursement.made", application_id=str(app_id), tranche=tranche, amount=body.amount)
    return view, True
