"""The case projection (shared.case_projection), in funds' words: the open case an application by hand
names, refused alike when unknown or outside the caller's countries."""

from __future__ import annotations

import uuid

import asyncpg

from shared import case_projection
from shared.auth import Principal
from shared.case_projection import on_assessed, on_closed, on_opened

__all__ = ["on_assessed", "on_closed", "on_opened", "open_case_in_scope"]


async def open_case_in_scope(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, country: str
) -> asyncpg.Record:
    return await case_projection.open_case_in_scope(
        conn, principal, case_id, country, closed_detail="the case is closed; no application is opened for it"
    )
