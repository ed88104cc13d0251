"""Use cases of the shelter registry: shelters, beds, out-of-service periods, closing and
reopening. New or returning beds go to the waitlist at once."""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from services.shelters.audit import service as audit
from services.shelters.registry import schemas, store
from services.shelters.waitlist.service import promote_tx
from shared import idempotency
from shared.auth import Principal
from shared.crypto import PiiCipher
from shared.db import retry_transaction
from shared.errors import Conflict, Invalid, NotFound
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger

log = get_logger(__name__)


def aad(shelter_id: uuid.UUID, purpose: bytes = b"") -> bytes:
    """What a shelter's ciphertext is bound to: its id (and the purpose of the secret)."""
    return shelter_id.bytes + purpose


def cipher(rt) -> PiiCipher:
    if rt.cipher is None:
        raise RuntimeError("the shelters service needs AMPARO_PII_KEYS to store addresses")
    return rt.cipher


def shelter_not_found() -> NotFound:
    # Also for a shelter outside the caller's countries: the same answer, no existence oracle.
    return NotFound("there is no such shelter", code="shelter.not_found")


def reveals(principal: Principal) -> bool:
    """Whether the caller is shown shelters' addresses and contacts: coordinators and admins."""
    return principal.has_role("shelter_coordinator")


def shelter_out(row: asyncpg.Record) -> schemas.Shelter:
    """A shelter without its address and contact."""
    return schemas.Shelter(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        country=row["country"],
        region=row["region"],
        accepts=list(row["accepts"]),
        accessible=row["accessible"],
        services=list(row["services"]),
        status=row["status"],
        beds=row["beds"],
        created_at=row["created_at"],
        compromised_at=row["compromised_at"],
    )


async def shown(
    rt, conn: asyncpg.Connection, principal: Principal, rows: list[asyncpg.Record]
) -> list[schemas.Shelter]:
    """Shelters as ``principal`` may see them: with their addresses and contacts for
    coordinators and admins, each shelter revealed written to the audit log on ``conn``.
    Call it inside the transaction that answers: the rows commit with the answer or not
    at all. The only place an address is decrypted for someone to see (a registration's
    answer replayed under its Idempotency-Key is audited in ``create_shelter``)."""
    out = [shelter_out(row) for row in rows]
    if not reveals(principal):
        return out
    await audit.record_reveals(conn, principal, [row["id"] for row in rows])
    for shelter, row in zip(out, rows, strict=True):
        secret = cipher(rt).decrypt_obj(row["confidential"], dict, aad=aad(row["id"]))
        shelter.address = secret.get("address")
        shelter.contact = secret.get("contact") or None
    return out


async def locked_shelter(conn, principal: Principal, shelter_id: uuid.UUID) -> asyncpg.Record:
    """The shelter row, locked: holds, bed changes and status changes of one shelter queue."""
    row = await store.lock_shelter(conn, shelter_id)
    if row is None or not principal.can_see(row["country"]):
        raise shelter_not_found()
    return row


async def _add_beds_tx(conn, shelter_id: uuid.UUID, batch: schemas.BedBatch) -> list[uuid.UUID]:
    room_id = await store.ensure_room(conn, shelter_id, batch.room)
    return await store.insert_beds(
        conn,
        shelter_id,
        room_id,
        batch.room,
        batch.count,
        child_sized=batch.child_sized,
        accessible=batch.accessible,
    )


async def create_shelter(
    rt, principal: Principal, body: schemas.ShelterCreate, retry: IdempotentRequest | None = None
) -> schemas.Shelter:
    """Register a shelter, its address and contact encrypted, optionally with beds."""
    principal.check_country(body.country)
    shelter_id = uuid.uuid4()
    confidential = cipher(rt).encrypt_obj(
        {"address": body.address, "contact": body.contact}, aad=aad(shelter_id)
    )

    async def work(conn) -> schemas.Shelter:
        if (first := await idempotency.replayed(conn, retry, schemas.Shelter, rt.cipher)) is not None:
            if first.address is not None:  # the first answer, address and all, shown again
                await audit.record_reveals(conn, principal, [first.id])
            return first
        try:
            await store.insert_shelter(conn, shelter_id, body, confidential)
        except asyncpg.UniqueViolationError:
            raise Conflict(
                "a shelter with this code already exists; choose another code name",
                code="shelter.code_taken",
            ) from None
        for batch in body.beds:
            await _add_beds_tx(conn, shelter_id, batch)
        if body.beds and body.status == "open":
            await promote_tx(conn, rt.config, causation=None)
        # The answer shows the address to the coordinator who registered it (stored
        # encrypted), and that is audited like any other reveal.
        [shelter] = await shown(rt, conn, principal, [await store.get_shelter(conn, shelter_id)])
        await idempotency.remember(conn, retry, shelter, rt.cipher)
        return shelter

    shelter = await retry_transaction(rt.pool, work)
    log.info("shelter.created", shelter_id=str(shelter.id), beds=shelter.beds)
    return shelter


async def get_shelter(rt, principal: Principal, shelter_id: uuid.UUID) -> schemas.Shelter:
    """One shelter; for coordinators and admins with its address and contact, audited."""
    async with rt.pool.acquire() as conn, conn.transaction():
        row = await store.get_shelter(conn, shelter_id)
        if row is None or not principal.can_see(row["country"]):
            raise shelter_not_found()
        [shelter] = await shown(rt, conn, principal, [row])
    return shelter


async def list_shelters(
    rt, principal: Principal, *, country, status, region, limit, offset
) -> tuple[list[schemas.Shelter], int]:
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_shelters(
            conn, countries=countries, status=status, region=region, limit=limit, offset=offset
        )
    return [shelter_out(r) for r in rows], total


async def add_beds(
    rt,
    principal: Principal,
    shelter_id: uuid.UUID,
    batch: schemas.BedBatch,
    retry: IdempotentRequest | None = None,
) -> schemas.BedsAdded:
    """New beds in a room; in an open shelter, waiting requests may get holds at once."""

    async def work(conn) -> schemas.BedsAdded:
        if (first := await idempotency.replayed(conn, retry, schemas.BedsAdded, rt.cipher)) is not None:
            return first
        shelter = await locked_shelter(conn, principal, shelter_id)
        ids = await _add_beds_tx(conn, shelter_id, batch)
        total = await store.count_beds(conn, shelter_id)
        if shelter["status"] == "open":
            await promote_tx(conn, rt.config, causation=None)
        added = schemas.BedsAdded(shelter_id=shelter_id, room=batch.room, bed_ids=ids, beds_total=total)
        await idempotency.remember(conn, retry, added, rt.cipher)
        return added

    added = await retry_transaction(rt.pool, work)
    log.info("shelter.beds_added", shelter_id=str(shelter_id), count=len(added.bed_ids))
    return added


async def list_beds(rt, principal: Principal, shelter_id: uuid.UUID) -> list[schemas.Bed]:
    async with rt.pool.acquire() as conn:
        shelter = await store.get_shelter(conn, shelter_id)
        if shelter is None or not principal.can_see(shelter["country"]):
            raise shelter_not_found()
        rows = await store.list_beds(conn, shelter_id)
    return [msgspec.convert(dict(r), schemas.Bed) for r in rows]


def _bed_not_found() -> NotFound:
    return NotFound("this shelter has no such bed", code="bed.not_found")


async def add_out_of_service(
    rt, principal: Principal, shelter_id: uuid.UUID, bed_id: uuid.UUID, body: schemas.OutOfServiceCreate
) -> schemas.OutOfService:
    """A bed out of service for a period; refused while it is held or occupied then."""
    if body.end <= body.start:
        raise Invalid("'end' must be after 'start'", code="out_of_service.end_before_start")

    async def work(conn) -> int:
        await locked_shelter(conn, principal, shelter_id)
        if await store.get_bed(conn, shelter_id, bed_id) is None:
            raise _bed_not_found()
        try:
            async with conn.transaction():
                return await store.insert_out_of_service(
                    conn, shelter_id, bed_id, body.start, body.end, body.reason
                )
        except asyncpg.ExclusionViolationError:
            raise Conflict(
                "the bed is held, occupied or already out of service during that period; "
                "move or end that placement first, or choose other dates",
                code="bed.busy",
            ) from None

    period_id = await retry_transaction(rt.pool, work)
    return schemas.OutOfService(
        id=period_id, bed_id=bed_id, start=body.start, end=body.end, reason=body.reason
    )


async def list_out_of_service(
    rt, principal: Principal, shelter_id: uuid.UUID, bed_id: uuid.UUID
) -> list[schemas.OutOfService]:
    async with rt.pool.acquire() as conn:
        shelter = await store.get_shelter(conn, shelter_id)
        if (
            shelter is None
            or not principal.can_see(shelter["country"])
            or await store.get_bed(conn, shelter_id, bed_id) is None
        ):
            raise _bed_not_found()
        rows = await store.list_out_of_service(conn, shelter_id, bed_id)
    return [msgspec.convert(dict(r), schemas.OutOfService) for r in rows]


async def end_out_of_service(
    rt, principal: Principal, shelter_id: uuid.UUID, bed_id: uuid.UUID, period_id: int
) -> None:
    """The bed is back in service; waiting requests may get holds."""

    async def work(conn) -> None:
        shelter = await locked_shelter(conn, principal, shelter_id)
        if not await store.end_out_of_service(conn, shelter_id, bed_id, period_id):
            raise NotFound(
                "this bed has no such active out-of-service period", code="out_of_service.not_found"
            )
        if shelter["status"] == "open":
            await promote_tx(conn, rt.config, causation=None)

    await retry_transaction(rt.pool, work)


async def close(rt, principal: Principal, shelter_id: uuid.UUID) -> schemas.Reopened:
    """Stop new holds (repairs, no staff); people already placed there stay."""

    async def work(conn) -> None:
        shelter = await locked_shelter(conn, principal, shelter_id)
        if shelter["status"] != "open":
            raise Conflict(
                f"the shelter is {shelter['status']}; only an open shelter can be closed",
                code="shelter.not_open",
                extra={"shelter_status": shelter["status"]},
            )
        await store.set_shelter_status(conn, shelter_id, "closed")

    await retry_transaction(rt.pool, work)
    log.info("shelter.closed", shelter_id=str(shelter_id))
    return schemas.Reopened(shelter_id=shelter_id, status="closed", holds_from_waitlist=0)


async def reopen(rt, principal: Principal, shelter_id: uuid.UUID) -> schemas.Reopened:
    """A closed or compromised shelter takes people again, the waitlist first."""

    async def work(conn) -> int:
        shelter = await locked_shelter(conn, principal, shelter_id)
        if shelter["status"] == "open":
            raise Conflict("the shelter is already open", code="shelter.already_open")
        await store.set_shelter_status(conn, shelter_id, "open")
        return await promote_tx(conn, rt.config, causation=None)

    held = await retry_transaction(rt.pool, work)
    log.info("shelter.reopened", shelter_id=str(shelter_id), holds=held)
    return schemas.Reopened(shelter_id=shelter_id, status="open", holds_from_waitlist=held)
