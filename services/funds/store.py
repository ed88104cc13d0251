"""SQL of the funds service (asyncpg, ``$n`` parameters). No rules here: see domain.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection

# --- funds -----------------------------------------------------------------------------


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


async def policies_of(conn: Conn, fund_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM fund_policies WHERE fund_id = ANY($1::uuid[])", list(fund_ids))
    return {r["fund_id"]: r for r in rows}


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


async def funds_serving(conn: Conn, country: str) -> list[asyncpg.Record]:
    """Funds serving ``country`` that have a grant policy."""
    return list(
        await conn.fetch(
            """SELECT f.*, p.suggested, p.decision_hours, p.emergency_decision_hours
               FROM funds f JOIN fund_policies p ON p.fund_id = f.id
               WHERE $1 = ANY (f.countries)
               ORDER BY f.created_at, f.id""",
            country,
        )
    )


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


async def ledger_sums(conn: Conn, fund_id: uuid.UUID) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT kind, sum(amount)::bigint AS s FROM ledger_entries WHERE fund_id = $1 GROUP BY kind", fund_id
    )
    out = {"deposit": 0, "commitment": 0, "release": 0, "disbursement": 0}
    out.update({r["kind"]: r["s"] for r in rows})
    return out


async def ledger_page(
    conn: Conn, fund_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        "SELECT * FROM ledger_entries WHERE fund_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
        fund_id,
        limit,
        offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM ledger_entries WHERE fund_id = $1", fund_id)
    return list(rows), total


# --- applications ----------------------------------------------------------------------


async def insert_application(conn: Conn, row: dict[str, Any], lines: list[tuple[str, int]]) -> bool:
    """Insert with its lines; False when this case already has one for this assessment."""
    inserted = await conn.fetchval(
        """INSERT INTO applications (id, case_id, assessment_id, fund_id, country, track, status, currency,
                                     requested, opened_by, opened_at, due_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11)
           ON CONFLICT (case_id, assessment_id) WHERE assessment_id IS NOT NULL DO NOTHING
           RETURNING true""",
        row["id"],
        row["case_id"],
        row["assessment_id"],
        row["fund_id"],
        row["country"],
        row["track"],
        row["currency"],
        row["requested"],
        row["opened_by"],
        row["opened_at"],
        row["due_at"],
    )
    if not inserted:
        return False
    await conn.executemany(
        "INSERT INTO application_lines (application_id, purpose, amount) VALUES ($1, $2, $3)",
        [(row["id"], purpose, amount) for purpose, amount in lines],
    )
    return True


async def get_application(conn: Conn, app_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    sql = "SELECT * FROM applications WHERE id = $1"
    if lock:
        # Votes, payments and closing of one application are serialised on its row.
        sql += " FOR UPDATE"
    return await conn.fetchrow(sql, app_id)


async def list_applications(
    conn: Conn,
    *,
    countries: list[str] | None,
    case_id: uuid.UUID | None,
    status: str | None,
    overdue: bool | None,
    flagged: bool | None,
    fund_id: uuid.UUID | None,
    now: datetime,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = """WHERE ($1::text[] IS NULL OR country = ANY ($1::text[]))
                 AND ($2::uuid IS NULL OR case_id = $2)
                 AND ($3::text IS NULL OR status = $3)
                 AND ($4::boolean IS NULL OR
                      (status IN ('pending', 'info_requested') AND due_at < $5) = $4)
                 AND ($6::boolean IS NULL OR
                      (status = 'approved' AND ratified IS FALSE
                       AND (flag_reason IS NOT NULL OR ratification_due_at < $5)) = $6)
                 AND ($7::uuid IS NULL OR fund_id = $7)"""
    args = (countries, case_id, status, overdue, now, flagged, fund_id)
    rows = await conn.fetch(
        f"SELECT * FROM applications {where} ORDER BY opened_at, id LIMIT $8 OFFSET $9", *args, limit, offset
    )
    total = await conn.fetchval(f"SELECT count(*) FROM applications {where}", *args)
    return list(rows), total


async def lines_of(conn: Conn, app_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT * FROM application_lines WHERE application_id = ANY($1::uuid[]) ORDER BY purpose",
        list(app_ids),
    )
    out: dict[uuid.UUID, list[asyncpg.Record]] = {a: [] for a in app_ids}
    for r in rows:
        out[r["application_id"]].append(r)
    return out


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


async def tallies_of(conn: Conn, app_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """Committee size, recusals and the votes of members who may vote, per application."""
    rows = await conn.fetch(
        """WITH eligible_votes AS (
               SELECT v.* FROM votes v JOIN applications a ON a.id = v.application_id
               WHERE v.application_id = ANY($1::uuid[])
                 AND EXISTS (SELECT 1 FROM fund_members m WHERE m.fund_id = a.fund_id AND m.sub = v.member)
                 AND NOT EXISTS (SELECT 1 FROM recusals r
                                 WHERE r.application_id = v.application_id AND r.member = v.member))
           SELECT a.id,
                  (SELECT count(*) FROM fund_members m WHERE m.fund_id = a.fund_id) AS members,
                  (SELECT count(*) FROM recusals r JOIN fund_members m
                          ON m.fund_id = a.fund_id AND m.sub = r.member
                   WHERE r.application_id = a.id) AS recused,
                  coalesce((SELECT array_agg(e.amount ORDER BY e.cast_at) FROM eligible_votes e
                            WHERE e.application_id = a.id AND e.decision = 'approve'), '{}') AS approvals,
                  (SELECT count(*) FROM eligible_votes e
                   WHERE e.application_id = a.id AND e.decision = 'reject') AS rejections,
                  (SELECT count(*) FROM eligible_votes e
                   WHERE e.application_id = a.id AND e.decision = 'request_info') AS info_requests
           FROM applications a WHERE a.id = ANY($1::uuid[])""",
        list(app_ids),
    )
    return {r["id"]: r for r in rows}


async def quorum_of(conn: Conn, fund_id: uuid.UUID | None) -> int | None:
    if fund_id is None:
        return None
    return await conn.fetchval("SELECT quorum FROM fund_policies WHERE fund_id = $1", fund_id)


async def member_vote(conn: Conn, app_id: uuid.UUID, member: str) -> str | None:
    return await conn.fetchval(
        "SELECT decision FROM votes WHERE application_id = $1 AND member = $2 "
        "AND decision IN ('approve', 'reject')",
        app_id,
        member,
    )


async def is_recused(conn: Conn, app_id: uuid.UUID, member: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM recusals WHERE application_id = $1 AND member = $2", app_id, member
        )
    )


async def insert_vote(
    conn: Conn,
    vote_id: uuid.UUID,
    app_id: uuid.UUID,
    member: str,
    decision: str,
    amount: int | None,
    comment_enc: bytes | None,
    emergency: bool,
) -> None:
    await conn.execute(
        """INSERT INTO votes (id, application_id, member, decision, amount, comment_enc, emergency)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        vote_id,
        app_id,
        member,
        decision,
        amount,
        comment_enc,
        emergency,
    )


async def insert_recusal(conn: Conn, app_id: uuid.UUID, member: str, reason_code: str) -> bool:
    return bool(
        await conn.fetchval(
            """INSERT INTO recusals (application_id, member, reason_code) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""",
            app_id,
            member,
            reason_code,
        )
    )


async def set_status(conn: Conn, app_id: uuid.UUID, status: str) -> None:
    await conn.execute("UPDATE applications SET status = $2 WHERE id = $1", app_id, status)


async def mark_approved(
    conn: Conn,
    app_id: uuid.UUID,
    amount: int,
    ratified: bool,
    decided_at: datetime,
    ratification_due_at: datetime | None,
) -> None:
    await conn.execute(
        """UPDATE applications SET status = 'approved', approved = $2, ratified = $3, decided_at = $4,
                  ratification_due_at = $5, ratified_at = CASE WHEN $3::boolean THEN $4::timestamptz END
           WHERE id = $1""",
        app_id,
        amount,
        ratified,
        decided_at,
        ratification_due_at,
    )


async def set_line_approvals(conn: Conn, app_id: uuid.UUID, approvals: list[tuple[str, int]]) -> None:
    await conn.executemany(
        "UPDATE application_lines SET approved = $3 WHERE application_id = $1 AND purpose = $2",
        [(app_id, purpose, amount) for purpose, amount in approvals],
    )


async def mark_rejected(conn: Conn, app_id: uuid.UUID, decided_at: datetime) -> None:
    await conn.execute(
        "UPDATE applications SET status = 'rejected', decided_at = $2 WHERE id = $1", app_id, decided_at
    )


async def mark_ratified(conn: Conn, app_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE applications SET ratified = true, ratified_at = $2, flag_reason = NULL WHERE id = $1",
        app_id,
        at,
    )


async def mark_flagged(conn: Conn, app_id: uuid.UUID, reason: str) -> None:
    await conn.execute("UPDATE applications SET flag_reason = $2 WHERE id = $1", app_id, reason)


async def mark_closed(conn: Conn, app_id: uuid.UUID, at: datetime, reason: str) -> None:
    await conn.execute(
        "UPDATE applications SET status = 'closed', closed_at = $2, close_reason = $3 WHERE id = $1",
        app_id,
        at,
        reason,
    )


async def assign_fund(
    conn: Conn, app_id: uuid.UUID, fund_id: uuid.UUID, currency: str, lines: list[tuple[str, int]] | None
) -> None:
    if lines is not None:
        await conn.executemany(
            "UPDATE application_lines SET amount = $3 WHERE application_id = $1 AND purpose = $2",
            [(app_id, p, a) for p, a in lines],
        )
    await conn.execute(
        """UPDATE applications SET fund_id = $2, currency = $3,
                  requested = (SELECT coalesce(sum(amount), 0) FROM application_lines WHERE application_id = $1)
           WHERE id = $1""",
        app_id,
        fund_id,
        currency,
    )


# --- disbursements ---------------------------------------------------------------------


async def disbursement_by_key(conn: Conn, app_id: uuid.UUID, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT fingerprint, response FROM disbursements WHERE application_id = $1 AND idempotency_key = $2",
        app_id,
        key,
    )


async def tranche_count(conn: Conn, app_id: uuid.UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM disbursements WHERE application_id = $1", app_id)


async def insert_disbursement(conn: Conn, row: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO disbursements (id, application_id, idempotency_key, fingerprint, tranche, amount,
                                      method, payee_reference, response, made_by, made_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        row["id"],
        row["application_id"],
        row["idempotency_key"],
        row["fingerprint"],
        row["tranche"],
        row["amount"],
        row["method"],
        row["payee_reference"],
        row["response"],
        row["made_by"],
        row["made_at"],
    )


async def set_first_paid(conn: Conn, app_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE applications SET first_paid_at = coalesce(first_paid_at, $2) WHERE id = $1", app_id, at
    )


# --- deadlines and reports -------------------------------------------------------------


async def claim_overdue(conn: Conn, now: datetime, batch: int = 200) -> list[asyncpg.Record]:
    """Mark undecided applications past their due time as notified, once each."""
    return list(
        await conn.fetch(
            """UPDATE applications SET overdue_emitted_at = $1
               WHERE id IN (SELECT id FROM applications
                            WHERE status IN ('pending', 'info_requested') AND due_at < $1
                              AND overdue_emitted_at IS NULL
                            ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
               RETURNING id, case_id, track, due_at""",
            now,
            batch,
        )
    )


async def granted_lines(
    conn: Conn, countries: list[str] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT a.country, l.purpose, a.currency,
                      to_char(a.decided_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
                      sum(l.approved)::bigint AS granted
               FROM applications a JOIN application_lines l ON l.application_id = a.id
               WHERE a.approved IS NOT NULL AND a.decided_at >= $2 AND a.decided_at < $3
                 AND ($1::text[] IS NULL OR a.country = ANY ($1::text[]))
               GROUP BY 1, 2, 3, 4""",
            countries,
            start,
            end,
        )
    )


async def payments(conn: Conn, countries: list[str] | None, start: datetime, end: datetime) -> list[Any]:
    return list(
        await conn.fetch(
            """SELECT d.application_id, d.amount, a.country, a.currency,
                      to_char(d.made_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month
               FROM disbursements d JOIN applications a ON a.id = d.application_id
               WHERE d.made_at >= $2 AND d.made_at < $3
                 AND ($1::text[] IS NULL OR a.country = ANY ($1::text[]))""",
            countries,
            start,
            end,
        )
    )


async def durations(conn: Conn, countries: list[str] | None, start: datetime, end: datetime) -> list[Any]:
    return list(
        await conn.fetch(
            """SELECT extract(epoch FROM decided_at - opened_at) / 3600.0 AS to_decision,
                      extract(epoch FROM first_paid_at - opened_at) / 3600.0 AS to_payment
               FROM applications
               WHERE opened_at >= $2 AND opened_at < $3
                 AND ($1::text[] IS NULL OR country = ANY ($1::text[]))""",
            countries,
            start,
            end,
        )
    )
