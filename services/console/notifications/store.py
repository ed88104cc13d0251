"""SQL of the notices (services/console/migrations/0005_notifications.sql)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.console.notifications.rules import WIDEST


async def raise_notice(
    conn: asyncpg.Connection,
    *,
    kind: str,
    subject_id: uuid.UUID,
    case_id: uuid.UUID | None,
    country: str,
    due_at: datetime,
) -> None:
    """Raise it, or move it (a hold renewed, a deadline changed) and raise it again."""
    await conn.execute(
        """INSERT INTO notices (id, kind, subject_id, case_id, country, due_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (kind, subject_id) DO UPDATE
             SET due_at = EXCLUDED.due_at, country = EXCLUDED.country, cleared_at = NULL""",
        uuid.uuid4(),
        kind,
        subject_id,
        case_id,
        country,
        due_at,
    )


async def clear(conn: asyncpg.Connection, kinds: list[str], subject_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE notices SET cleared_at = now() WHERE kind = ANY($1) AND subject_id = $2 AND cleared_at IS NULL",
        kinds,
        subject_id,
    )


async def clear_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE notices SET cleared_at = now() WHERE case_id = $1 AND cleared_at IS NULL", case_id
    )


async def shown(
    conn: asyncpg.Connection,
    *,
    kinds: list[str],
    countries: list[str] | None,
    account_id: uuid.UUID,
    now: datetime,
) -> list[asyncpg.Record]:
    """Open notices of these kinds (and countries; None: all) already inside their warning
    window, not dismissed by this person, soonest first. The window is applied by the
    caller's rule (rules.is_shown); this only narrows the rows."""
    return await conn.fetch(
        """SELECT n.* FROM notices n
           WHERE n.cleared_at IS NULL AND n.kind = ANY($1)
             AND ($2::text[] IS NULL OR n.country = ANY($2))
             AND n.due_at <= $4::timestamptz + $5::interval
             AND NOT EXISTS (SELECT 1 FROM notice_dismissals d WHERE d.notice_id = n.id AND d.account_id = $3)
           ORDER BY n.due_at, n.id""",
        kinds,
        countries,
        account_id,
        now,
        WIDEST,
    )


async def dismiss(conn: asyncpg.Connection, account_id: uuid.UUID, notice_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO notice_dismissals (account_id, notice_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        account_id,
        notice_id,
    )


async def mail_recipients(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Active accounts (their address, roles, countries, language)."""
    return await conn.fetch(
        "SELECT id, email, roles, countries, language FROM accounts WHERE NOT disabled ORDER BY email"
    )


async def open_notices(conn: asyncpg.Connection, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM notices WHERE cleared_at IS NULL AND due_at <= $1::timestamptz + $2::interval",
        now,
        WIDEST,
    )


async def mark_mailed(conn: asyncpg.Connection, account_id: uuid.UUID, notice_id: uuid.UUID) -> bool:
    """True the first time: a notice is mailed to a person once."""
    return bool(
        await conn.fetchval(
            """INSERT INTO notice_mails (account_id, notice_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            account_id,
            notice_id,
        )
    )
