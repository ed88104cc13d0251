"""SQL of consents (history rows: a revocation stamps its row)."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from shared.events import CONSENT_PURPOSES

CONSENT_COLUMNS = """id, case_id, purpose, given_at, until, recorded_by, recorded_at, revoked_at, revoked_by,
    (now() AT TIME ZONE 'UTC')::date AS today"""


async def insert_consent(
    conn: asyncpg.Connection,
    *,
    consent_id: uuid.UUID,
    case_id: uuid.UUID,
    purpose: str,
    until: date | None,
    recorded_by: str,
    event_id: uuid.UUID,
) -> asyncpg.Record:
    # given_at is the UTC day of the database clock, like every other time of a case.
    return await conn.fetchrow(
        f"""INSERT INTO consents (id, case_id, purpose, given_at, until, recorded_by, event_id)
            VALUES ($1, $2, $3, (now() AT TIME ZONE 'UTC')::date, $4, $5, $6) RETURNING {CONSENT_COLUMNS}""",
        consent_id,
        case_id,
        purpose,
        until,
        recorded_by,
        event_id,
    )


async def insert_intake_consents(
    conn: asyncpg.Connection,
    *,
    case_id: uuid.UUID,
    purposes: list[str],
    recorded_by: str,
    consent_ids: list[uuid.UUID],
    event_ids: list[uuid.UUID],
) -> list[asyncpg.Record]:
    """Her consents given on the intake form (no end day), in one statement."""
    return await conn.fetch(
        f"""INSERT INTO consents (id, case_id, purpose, given_at, until, recorded_by, event_id)
            SELECT c.id, $1, c.purpose, (now() AT TIME ZONE 'UTC')::date, NULL, $2, c.event_id
            FROM unnest($3::uuid[], $4::text[], $5::uuid[]) AS c(id, purpose, event_id)
            RETURNING {CONSENT_COLUMNS}, event_id""",
        case_id,
        recorded_by,
        consent_ids,
        purposes,
        event_ids,
    )


async def of_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {CONSENT_COLUMNS} FROM consents WHERE case_id = $1 ORDER BY recorded_at DESC, id", case_id
    )


async def current_of(conn: asyncpg.Connection, case_id: uuid.UUID, purpose: str) -> asyncpg.Record | None:
    """The standing consent of a purpose (not revoked, not ended), if any."""
    return await conn.fetchrow(
        f"""SELECT {CONSENT_COLUMNS} FROM consents WHERE case_id = $1 AND purpose = $2 AND revoked_at IS NULL
            AND (until IS NULL OR until >= (now() AT TIME ZONE 'UTC')::date)
            ORDER BY recorded_at DESC LIMIT 1""",
        case_id,
        purpose,
    )


async def revoke(
    conn: asyncpg.Connection, consent_id: uuid.UUID, *, by: str, event_id: uuid.UUID
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE consents SET revoked_at = clock_timestamp(), revoked_by = $2, revocation_event_id = $3
            WHERE id = $1 RETURNING {CONSENT_COLUMNS}""",
        consent_id,
        by,
        event_id,
    )


async def shared_with_now(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[str]:
    """The purposes her consents cover now (the SQL twin of domain.consent.shared_with)."""
    rows = await conn.fetch(
        """SELECT DISTINCT purpose FROM consents WHERE case_id = $1 AND revoked_at IS NULL
           AND given_at <= (now() AT TIME ZONE 'UTC')::date
           AND (until IS NULL OR until >= (now() AT TIME ZONE 'UTC')::date)""",
        case_id,
    )
    found = {r["purpose"] for r in rows}
    return [p for p in CONSENT_PURPOSES if p in found]


async def now(conn: asyncpg.Connection):
    return await conn.fetchval("SELECT clock_timestamp()")


# Incidents of a case count in the statistics only while its statistics consent stands.
STATISTICS_CONSENT = """(incidents.case_id IS NULL OR EXISTS (
    SELECT 1 FROM consents c WHERE c.case_id = incidents.case_id AND c.purpose = 'statistics'
      AND c.revoked_at IS NULL AND c.given_at <= (now() AT TIME ZONE 'UTC')::date
      AND (c.until IS NULL OR c.until >= (now() AT TIME ZONE 'UTC')::date)))"""
