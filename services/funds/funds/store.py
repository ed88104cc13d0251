"""SQL of funds, policies, committees and the ledger (asyncpg, ``$n`` parameters)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.funds.domain.money import Totals

Conn = asyncpg.Connection


def totals(fund: asyncpg.Record) -> Totals:
    """A fund row's running ledger totals (written only by the ledger trigger)."""
    return Totals(fund["deposited"], fund["committed_total"], fund["released_total"], fund["disbursed_total"])


async def insert_fund(conn: Conn, fund_id: uuid.UUID, name: str, currency: str, countries: list[str]) -> None:
    await conn.execute(
        "INSERT INTO funds (id, name, currency, countries) VALUES ($1, $2, $3, $4)",
        fund_id,
        name,
        currency,
        countries,
    )


async def get_fund(conn: Conn, fund_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    sql = "SELECT * FROM funds WHERE id = $1"
    if lock:
        # Every change of a fund's money goes through this lock: one writer at a time.
        sql += " FOR UPDATE"
    return await conn.fetchrow(sql, fund_id)


async def list_funds(
    conn: Conn, countries: list[str] | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    where = "WHERE ($1::text[] IS NULL OR countries && $1::text[])"
    rows = await conn.fetch(
        f"SELECT * FROM funds {where} ORDER BY created_at, id LIMIT $2 OFFSET $3", countries, limit, offset
    )
    total = await conn.fetchval(f"SELECT count(*) FROM funds {where}", countries)
    return list(rows), total


async def funds_serving(conn: Conn, country: str) -> list[asyncpg.Record]:
    """Funds serving ``country``, with their grant policy if they have one (``has_policy``)."""
    return list(
        await conn.fetch(
            """SELECT f.*, p.fund_id IS NOT NULL AS has_policy, coalesce(p.suggested, '[]') AS suggested,
                      p.decision_hours, p.emergency_decision_hours
               FROM funds f LEFT JOIN fund_policies p ON p.fund_id = f.id
               WHERE $1 = ANY (f.countries)
               ORDER BY f.created_at, f.id""",
            country,
        )
    )


# --- committee membership -----------------------------------------------------------------


async def members_of(conn: Conn, fund_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    rows = await conn.fetch(
        "SELECT fund_id, sub FROM fund_members WHERE fund_id = ANY($1::uuid[]) ORDER BY added_at, sub",
        list(fund_ids),
    )
    out: dict[uuid.UUID, list[str]] = {f: [] for f in fund_ids}
    for r in rows:
        out[r["fund_id"]].append(r["sub"])
    return out


async def add_member(conn: Conn, fund_id: uuid.UUID, sub: str, by: str) -> None:
    await conn.execute(
        "INSERT INTO fund_members (fund_id, sub, added_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        fund_id,
        sub,
        by,
    )


async def is_member(conn: Conn, fund_id: uuid.UUID, sub: str) -> bool:
    return bool(
        await conn.fetchval("SELECT true FROM fund_members WHERE fund_id = $1 AND sub = $2", fund_id, sub)
    )


# --- policies -----------------------------------------------------------------------------


async def policies_of(conn: Conn, fund_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM fund_policies WHERE fund_id = ANY($1::uuid[])", list(fund_ids))
    return {r["fund_id"]: r for r in rows}


async def policy_of(conn: Conn, fund_id: uuid.UUID) -> asyncpg.Record | None:
    return (await policies_of(conn, [fund_id])).get(fund_id)


async def put_policy(conn: Conn, fund_id: uuid.UUID, policy: dict[str, Any], by: str) -> None:
    await conn.execute(
        """INSERT INTO fund_policies (fund_id, ceiling, emergency_limit, quorum, suggested, decision_hours,
                                      emergency_decision_hours, ratification_hours, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (fund_id) DO UPDATE SET
               ceiling = EXCLUDED.ceiling, emergency_limit = EXCLUDED.emergency_limit,
               quorum = EXCLUDED.quorum, suggested = EXCLUDED.suggested,
               decision_hours = EXCLUDED.decision_hours,
               emergency_decision_hours = EXCLUDED.emergency_decision_hours,
               ratification_hours = EXCLUDED.ratification_hours,
               updated_at = now(), updated_by = EXCLUDED.updated_by""",
        fund_id,
        policy["ceiling"],
        policy["emergency_limit"],
        policy["quorum"],
        policy["suggested"],
        policy["decision_hours"],
        policy["emergency_decision_hours"],
        policy["ratification_hours"],
        by,
    )


# --- the ledger ---------------------------------------------------------------------------


async def append_ledger(
    conn: Conn,
    fund_id: uuid.UUID,
    kind: str,
    amount: int,
    by: str,
    *,
    application_id: uuid.UUID | None = None,
    disbursement_id: uuid.UUID | None = None,
) -> asyncpg.Record:
    """Append one entry; the trigger updates the fund's totals and refuses any entry that
    would overspend (CheckViolationError)."""
    return await conn.fetchrow(
        """INSERT INTO ledger_entries (fund_id, kind, amount, application_id, disbursement_id, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        fund_id,
        kind,
        amount,
        application_id,
        disbursement_id,
        by,
    )


async def append_reversal(conn: Conn, deposit: asyncpg.Record, reason_code: str, by: str) -> asyncpg.Record:
    """The entry that takes a deposit back (the trigger checks it names a whole deposit of
    the same fund; the unique ``reverses_id`` that it is the only one)."""
    return await conn.fetchrow(
        """INSERT INTO ledger_entries (fund_id, kind, amount, reverses_id, reason_code, recorded_by)
           VALUES ($1, 'deposit_reversal', $2, $3, $4, $5) RETURNING *""",
        deposit["fund_id"],
        deposit["amount"],
        deposit["id"],
        reason_code,
        by,
    )


async def ledger_entry(conn: Conn, fund_id: uuid.UUID, entry_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM ledger_entries WHERE fund_id = $1 AND id = $2", fund_id, entry_id
    )


async def reversal_of(conn: Conn, entry_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM ledger_entries WHERE reverses_id = $1", entry_id)


async def insert_note(conn: Conn, note_id: uuid.UUID, entry_id: int, note_enc: bytes) -> None:
    await conn.execute(
        "INSERT INTO ledger_notes (id, entry_id, note_enc) VALUES ($1, $2, $3)", note_id, entry_id, note_enc
    )


async def ledger_page(
    conn: Conn, fund_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    # Each entry with the reversal that took it back (a deposit) and whether it has a note.
    rows = await conn.fetch(
        """SELECT e.*, r.id AS reversed_by_id, n.id IS NOT NULL AS has_note
           FROM ledger_entries e
           LEFT JOIN ledger_entries r ON r.reverses_id = e.id
           LEFT JOIN ledger_notes n ON n.entry_id = e.id
           WHERE e.fund_id = $1 ORDER BY e.id LIMIT $2 OFFSET $3""",
        fund_id,
        limit,
        offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM ledger_entries WHERE fund_id = $1", fund_id)
    return list(rows), total


async def money_of(conn: Conn, app_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """(paid, released) per application, from the ledger."""
    rows = await conn.fetch(
        """SELECT application_id,
                  coalesce(sum(amount) FILTER (WHERE kind = 'disbursement'), 0)::bigint AS paid,
                  coalesce(sum(amount) FILTER (WHERE kind = 'release'), 0)::bigint AS released
           FROM ledger_entries WHERE application_id = ANY($1::uuid[]) GROUP BY application_id""",
        list(app_ids),
    )
    return {r["application_id"]: (r["paid"], r["released"]) for r in rows}


async def money_of_one(conn: Conn, app_id: uuid.UUID) -> tuple[int, int]:
    """(paid, released) of one application."""
    return (await money_of(conn, [app_id])).get(app_id, (0, 0))
