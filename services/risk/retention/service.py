"""Use cases of retention (issue 14): the run that blocks and erases closed cases' personal
data after the configured periods (the daily job and ``amparo retention run``), an erasure
request that erases at once, and an admin's audited read of blocked data.

Erasing deletes risk's ciphertexts of the case and announces ``CasePersonalDataErased`` in
the same transaction; shelters and funds erase their own parts when they hear it. The
pseudonymous history (the case row, levels, scores, measures, steps, the registry of
attacks) is kept, so statistics do not change.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import msgspec

from services.risk.cases import store as cases_store
from services.risk.cases.schemas import CaseDetail, CaseSummary, PersonalData
from services.risk.cases.service import (
    PERSONAL_DATA_ERASED,
    audited_read,
    case_in_scope,
    cipher_of,
    own_event,
    summary_of,
)
from services.risk.domain import retention
from services.risk.retention import store
from services.risk.retention.schemas import AssessmentNotes, BlockedPersonalData, RetentionRun
from services.risk.timeline import store as timeline
from shared.auth import Principal
from shared.errors import Conflict
from shared.events import CasePersonalDataBlocked, CasePersonalDataErased
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.runtime import Runtime

log = get_logger(__name__)
BLOCKED_READ = "case.personal_data.read_blocked"
BLOCKED = "case.personal_data.blocked"
ERASED = "case.personal_data.erased"
# The actor of what the retention periods do (in the audit log).
SYSTEM_ACTOR = "system:retention"
BATCH = 200


class _Private(msgspec.Struct, frozen=True):
    """An assessment's ciphertext (services.risk.assessments.service writes it)."""

    notes: str = ""
    override_reason: str | None = None


# --- the run -------------------------------------------------------------------------------------


async def apply_retention(
    pool: asyncpg.Pool,
    *,
    block_days: int,
    erase_days: int,
    now: datetime | None = None,
    batch: int = BATCH,
) -> RetentionRun:
    """Block, then erase, the personal data of cases closed long enough. ``now`` defaults to
    the database's clock (tests pass a later one instead of waiting). One transaction per
    batch; a case locked elsewhere is left for the next run."""
    async with pool.acquire() as conn:
        at = now if now is not None else await store.db_now(conn)
    blocked = erased = 0
    while True:
        changed = 0
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.candidates(
                conn, now=at, block_days=block_days, erase_days=erase_days, limit=batch
            )
            for r in rows:
                action = retention.decide(
                    state=r["personal_data"],
                    closed_at=r["closed_at"],
                    blocked_at=r["personal_data_blocked_at"],
                    now=at,
                    block_days=block_days,
                    erase_days=erase_days,
                )
                if action == "block":
                    await _block(conn, r, at)
                    blocked += 1
                elif action == "erase":
                    await _erase(conn, r, at, retention.RETENTION_PERIOD, actor=SYSTEM_ACTOR)
                    erased += 1
                changed += action != "keep"
        if not changed:  # nothing left (or only what the rule keeps): never loop on it
            break
    log.info("retention.run", blocked=blocked, erased=erased, block_days=block_days, erase_days=erase_days)
    return RetentionRun(at=at, blocked=blocked, erased=erased)


async def retention_job(rt: Runtime) -> None:
    """The daily job of the risk service."""
    await apply_retention(
        rt.pool, block_days=rt.config.retention_block_days, erase_days=rt.config.retention_erase_days
    )


async def _block(conn: asyncpg.Connection, case: asyncpg.Record, at: datetime) -> None:
    await store.block(conn, case["id"], at)
    await cases_store.audit(
        conn, actor=SYSTEM_ACTOR, action=BLOCKED, case_id=case["id"], reason=retention.RETENTION_PERIOD
    )
    event = own_event(CasePersonalDataBlocked(country=case["country"]), case_id=case["id"], at=at)
    await enqueue(conn, event)
    await timeline.add_event_step(
        conn, case["id"], event, "personal data blocked: only an admin may read it, with a reason"
    )


async def _erase(
    conn: asyncpg.Connection, case: asyncpg.Record, at: datetime, reason: str, *, actor: str
) -> None:
    counts = await store.erase(conn, case["id"], at, reason)
    await cases_store.audit(conn, actor=actor, action=ERASED, case_id=case["id"], reason=reason)
    event = own_event(
        CasePersonalDataErased(reason=reason, country=case["country"]), case_id=case["id"], at=at
    )
    await enqueue(conn, event)
    await timeline.add_event_step(conn, case["id"], event, f"personal data erased ({reason})")
    log.info("retention.case_erased", case_id=str(case["id"]), reason=reason, **counts)


# --- an erasure request ---------------------------------------------------------------------------


async def request_erasure(rt: Runtime, principal: Principal, case_id: uuid.UUID, reason: str) -> CaseSummary:
    """Erase the case's personal data now (the case must be closed first)."""
    async with rt.pool.acquire() as conn, conn.transaction():
        case = await case_in_scope(conn, principal, case_id, for_update=True)
        if case["status"] != "closed":
            raise Conflict(
                "the case is open: close it first (POST /cases/{case_id}/close with a reason), "
                "then request the erasure",
                code="case.open",
            )
        if case["personal_data"] == "erased":
            raise Conflict("the personal data of this case was already erased", code=PERSONAL_DATA_ERASED)
        await _erase(conn, case, await store.db_now(conn), reason, actor=principal.sub)
        row = await store.case_row(conn, case_id)
    return summary_of(row)


# --- an admin reads blocked data -----------------------------------------------------------------


async def read_blocked(
    rt: Runtime, principal: Principal, case_id: uuid.UUID, reason: str
) -> BlockedPersonalData:
    """Her personal data and the assessments' notes, for an admin with a reason: the audit
    row (actor, reason) commits with the read; a refused read is audited as refused."""

    async def read() -> tuple[asyncpg.Record, list[asyncpg.Record]]:
        async with rt.pool.acquire() as conn, conn.transaction():
            row = await case_in_scope(conn, principal, case_id, personal=True)
            if row["personal_data"] == "active":
                raise Conflict(
                    "the personal data of this case is not blocked: read it with GET /cases/{case_id}",
                    code="case.personal_data_not_blocked",
                )
            if row["personal_data"] == "erased":
                raise Conflict(
                    "the personal data of this case was erased; its pseudonymous history is kept",
                    code=PERSONAL_DATA_ERASED,
                )
            notes = await store.assessment_notes(conn, case_id)
            await cases_store.audit(
                conn, actor=principal.sub, action=BLOCKED_READ, case_id=case_id, reason=reason
            )
        return row, notes

    row, notes = await audited_read(rt, principal, case_id, BLOCKED_READ, read)
    cipher = cipher_of(rt)
    personal = cipher.decrypt_obj(row["personal"], PersonalData, aad=case_id.bytes)
    items = []
    for n in notes:
        private = cipher.decrypt_obj(n["private"], _Private, aad=n["id"].bytes)
        items.append(
            AssessmentNotes(
                assessment_id=n["id"],
                recorded_at=n["recorded_at"],
                notes=private.notes,
                override_reason=private.override_reason,
            )
        )
    log.warning("retention.blocked_data_read", case_id=str(case_id), reason=reason)
    case = CaseDetail(**msgspec.structs.asdict(summary_of(row)), personal=personal)
    return BlockedPersonalData(case=case, assessment_notes=items)
