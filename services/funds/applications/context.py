"""What the committee reads to decide an application opened from an assessment: the
level, the measures and the party's size (never names, places or ages). SQL and the one
use: recorded in the consumer's transaction, read with the application."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from services.funds.applications.schemas import Assessed
from shared.events import AssessmentRecorded


async def record(conn: asyncpg.Connection, app_id: uuid.UUID | None, data: AssessmentRecorded) -> None:
    """Beside the application the assessment opened or updated (nothing when none): a
    newer assessment of the case replaces what the committee reads."""
    if app_id is None:
        return
    await conn.execute(
        """INSERT INTO application_context (application_id, level, measures, party_size)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (application_id) DO UPDATE
              SET level = EXCLUDED.level, measures = EXCLUDED.measures, party_size = EXCLUDED.party_size""",
        app_id,
        data.level,
        list(data.measures),
        data.party.size,
    )


async def of(conn: asyncpg.Connection, app_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Assessed]:
    rows = await conn.fetch(
        "SELECT * FROM application_context WHERE application_id = ANY($1::uuid[])", list(app_ids)
    )
    return {
        r["application_id"]: Assessed(
            level=r["level"], measures=list(r["measures"]), party_size=r["party_size"]
        )
        for r in rows
    }
