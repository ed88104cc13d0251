"""SQL of votes, recusals, tallies and the decisions they write (asyncpg, ``$n`` parameters)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.funds.domain.committee import Tally

Conn = asyncpg.Connection


async def tallies_of(
    conn: Conn, app_ids: Sequence[uuid.UUID], quorums: dict[uuid.UUID, int]
) -> dict[uuid.UUID, Tally]:
    """Committee size, recusals and the votes of members who may vote, per application;
    ``quorums`` by application (1 where the fund has no policy yet)."""
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
    return {
        r["id"]: Tally(
            members=r["members"],
            recused=r["recused"],
            approvals=tuple(r["approvals"]),
            rejections=r["rejections"],
            info_requests=r["info_requests"],
            quorum=quorums.get(r["id"]) or 1,
        )
        for r in rows
    }


async def tally_of(conn: Conn, app_id: uuid.UUID, quorum: int) -> Tally:
    return (await tallies_of(conn, [app_id], {app_id: quorum}))[app_id]


async def has_votes(conn: Conn, app_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM votes WHERE application_id = $1 LIMIT 1", app_id))


async def approval_amounts(conn: Conn, app_id: uuid.UUID) -> list[int]:
    """The amounts of the approve votes cast on an application."""
    rows = await conn.fetch(
        "SELECT amount FROM votes WHERE application_id = $1 AND decision = 'approve' AND amount IS NOT NULL",
        app_id,
    )
    return [r["amount"] for r in rows]


async def member_vote(conn: Conn, app_id: uuid.UUID, member: str) -> str | None:
    """The member's approve or reject vote, if she cast one (request_info does not count)."""
    return await conn.fetchval(
        "SELECT decision FROM votes WHERE application_id = $1 AND member = $2 "
        "AND decision IN ('approve', 'reject')",
        app_id,
        member,
    )


async def recusal_of(conn: Conn, app_id: uuid.UUID, member: str) -> asyncpg.Record | None:
    """The member's recusal from the application, if any (declared, or automatic)."""
    return await conn.fetchrow(
        "SELECT reason_code, automatic FROM recusals WHERE application_id = $1 AND member = $2",
        app_id,
        member,
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


async def insert_recusal(
    conn: Conn, app_id: uuid.UUID, member: str, reason_code: str, *, automatic: bool = False
) -> bool:
    return bool(
        await conn.fetchval(
            """INSERT INTO recusals (application_id, member, reason_code, automatic) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING RETURNING true""",
            app_id,
            member,
            reason_code,
            automatic,
        )
    )


# --- what a decision writes -----------------------------------------------------------------


async def mark_info_requested(conn: Conn, app_id: uuid.UUID) -> None:
    await conn.execute("UPDATE applications SET status = 'info_requested' WHERE id = $1", app_id)


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
