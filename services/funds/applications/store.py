"""SQL of applications and their lines (asyncpg, ``$n`` parameters)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.pagination import known_total

Conn = asyncpg.Connection


async def insert_application(conn: Conn, row: dict[str, Any], lines: list[tuple[str, int]]) -> bool:
    """Insert with its lines; False when this case already has one for this assessment."""
    inserted = await conn.fetchval(
        """INSERT INTO applications (id, case_id, assessment_id, fund_id, country, track, status, currency,
                                     requested, opened_by, opened_at, due_at, follows_id,
                                     match_reason, match_available, match_needed, match_currency)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
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
        row.get("follows_id"),
        *match_columns(row.get("match")),
    )
    if not inserted:
        return False
    await conn.executemany(
        "INSERT INTO application_lines (application_id, purpose, amount) VALUES ($1, $2, $3)",
        [(row["id"], purpose, amount) for purpose, amount in lines],
    )
    return True


def match_columns(match: Any | None) -> tuple:
    """(reason, available, needed, currency) of a ``domain.opening.Match`` (all None: matched)."""
    if match is None or match.reason is None:
        return (None, None, None, None)
    return (match.reason, match.available, match.needed, match.currency)


async def get_application(conn: Conn, app_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    sql = "SELECT * FROM applications WHERE id = $1"
    if lock:
        # Votes, payments and closing of one application are serialised on its row.
        sql += " FOR UPDATE"
    return await conn.fetchrow(sql, app_id)


async def undecided_of_case(conn: Conn, case_id: uuid.UUID) -> list[asyncpg.Record]:
    """The case's undecided applications, locked (in id order, like any other locker)."""
    return list(
        await conn.fetch(
            "SELECT * FROM applications WHERE case_id = $1 AND status IN ('pending', 'info_requested') "
            "ORDER BY id FOR UPDATE",
            case_id,
        )
    )


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
    mine: bool | None = None,
    member: str | None = None,
    ratified: bool | None = None,
) -> tuple[list[asyncpg.Record], int]:
    # `overdue` and `flagged` are domain.deadlines.is_overdue and flag_reason in SQL: a page
    # is filtered before it is cut.
    where = """WHERE ($1::text[] IS NULL OR country = ANY ($1::text[]))
                 AND ($2::uuid IS NULL OR case_id = $2)
                 AND ($3::text IS NULL OR status = $3)
                 AND ($4::boolean IS NULL OR
                      (status IN ('pending', 'info_requested') AND due_at < $5) = $4)
                 AND ($6::boolean IS NULL OR
                      (status = 'approved' AND ratified IS FALSE
                       AND (flag_reason IS NOT NULL OR ratification_due_at < $5)) = $6)
                 AND ($7::uuid IS NULL OR fund_id = $7)
                 AND ($8::boolean IS NULL OR
                      (fund_id IS NOT NULL AND EXISTS (SELECT 1 FROM fund_members m
                                                       WHERE m.fund_id = applications.fund_id
                                                         AND m.sub = $9::text)) = $8)
                 AND ($10::boolean IS NULL OR ratified = $10)"""
    args = (countries, case_id, status, overdue, now, flagged, fund_id, mine, member, ratified)
    rows = await conn.fetch(
        f"SELECT * FROM applications {where} ORDER BY opened_at, id LIMIT $11 OFFSET $12",
        *args,
        limit,
        offset,
    )
    total = known_total(len(rows), limit=limit, offset=offset)
    if total is None:
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
                  requested = (SELECT coalesce(sum(amount), 0) FROM application_lines WHERE application_id = $1),
                  match_reason = NULL, match_available = NULL, match_needed = NULL, match_currency = NULL
           WHERE id = $1""",
        app_id,
        fund_id,
        currency,
    )


async def mark_closed(conn: Conn, app_id: uuid.UUID, at: datetime, reason: str) -> None:
    await conn.execute(
        "UPDATE applications SET status = 'closed', closed_at = $2, close_reason = $3 WHERE id = $1",
        app_id,
        at,
        reason,
    )


# --- one application per need (issue 14) --------------------------------------------------


async def applications_of_case(conn: Conn, case_id: uuid.UUID) -> list[asyncpg.Record]:
    """The case's applications, oldest first, locked (in id order, like any other locker)."""
    rows = await conn.fetch("SELECT * FROM applications WHERE case_id = $1 ORDER BY id FOR UPDATE", case_id)
    return sorted(rows, key=lambda r: (r["opened_at"], r["id"]))


async def assessment_applied(conn: Conn, case_id: uuid.UUID, assessment_id: uuid.UUID) -> bool:
    """Whether this assessment already opened, followed up or revised one of the case's applications."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM applications WHERE case_id = $1 AND assessment_id = $2)
                   OR EXISTS (SELECT 1 FROM application_revisions r JOIN applications a ON a.id = r.application_id
                              WHERE a.case_id = $1 AND r.assessment_id = $2)""",
            case_id,
            assessment_id,
        )
    )


async def waiting_for_a_fund(conn: Conn, countries: Sequence[str]) -> list[asyncpg.Record]:
    """Undecided applications of these countries with no fund or nothing priced, locked."""
    return list(
        await conn.fetch(
            """SELECT * FROM applications
               WHERE country = ANY ($1::text[]) AND status IN ('pending', 'info_requested')
                 AND (fund_id IS NULL OR requested = 0)
               ORDER BY id FOR UPDATE""",
            list(countries),
        )
    )


async def revise(
    conn: Conn,
    app_id: uuid.UUID,
    *,
    fund_id: uuid.UUID | None,
    currency: str,
    track: str,
    due_at: datetime,
    lines: list[tuple[str, int]],
    match: Any | None,
    revision: int | None,
) -> None:
    """Replace an undecided application's lines and money; ``revision`` None: the match
    columns only changed (no revision)."""
    await conn.execute("DELETE FROM application_lines WHERE application_id = $1", app_id)
    await conn.executemany(
        "INSERT INTO application_lines (application_id, purpose, amount) VALUES ($1, $2, $3)",
        [(app_id, p, a) for p, a in lines],
    )
    await conn.execute(
        """UPDATE applications SET fund_id = $2, currency = $3, track = $4, due_at = $5,
                  requested = $6, match_reason = $7, match_available = $8, match_needed = $9,
                  match_currency = $10, revision = coalesce($11, revision)
           WHERE id = $1""",
        app_id,
        fund_id,
        currency,
        track,
        due_at,
        sum(a for _, a in lines),
        *match_columns(match),
        revision,
    )


async def insert_revision(conn: Conn, row: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO application_revisions (application_id, revision, cause, revised_by, assessment_id,
                                              event_id, reason_code, previous, current)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        row["application_id"],
        row["revision"],
        row["cause"],
        row["revised_by"],
        row.get("assessment_id"),
        row.get("event_id"),
        row.get("reason_code"),
        row["previous"],
        row["current"],
    )


async def revisions_of(conn: Conn, app_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT * FROM application_revisions WHERE application_id = ANY($1::uuid[]) ORDER BY revision",
        list(app_ids),
    )
    out: dict[uuid.UUID, list[asyncpg.Record]] = {a: [] for a in app_ids}
    for r in rows:
        out[r["application_id"]].append(r)
    return out
