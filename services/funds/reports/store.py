"""SQL of the grants report (asyncpg, ``$n`` parameters)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection


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


async def payments(
    conn: Conn, countries: list[str] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
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


async def durations(
    conn: Conn, countries: list[str] | None, start: datetime, end: datetime
) -> list[asyncpg.Record]:
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
