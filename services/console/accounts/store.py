"""SQL for accounts and sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.console.accounts.schemas import Account

_COLUMNS = (
    "id, email, name, roles, countries, language, password_hash, must_change_password, totp_secret, "
    "totp_enrolled, totp_last_step, disabled, failed_attempts, locked_until, created_at, last_sign_in_at"
)


def _account(row: asyncpg.Record | None) -> Account | None:
    if row is None:
        return None
    data = dict(row)
    data["id"] = str(data["id"])
    return Account(**data)


async def insert_account(
    conn, *, email: str, name: str, roles: list[str], countries: list[str], language: str, password_hash: str
) -> Account:
    row = await conn.fetchrow(
        f"""INSERT INTO accounts (id, email, name, roles, countries, language, password_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
        uuid.uuid4(), email, name, roles, countries, language, password_hash,
    )  # fmt: skip
    return _account(row)  # type: ignore[return-value]


async def by_email(conn, email: str, *, lock: bool = False) -> Account | None:
    suffix = " FOR UPDATE" if lock else ""
    return _account(
        await conn.fetchrow(f"SELECT {_COLUMNS} FROM accounts WHERE lower(email) = lower($1){suffix}", email)
    )


async def by_id(conn, account_id: str, *, lock: bool = False) -> Account | None:
    suffix = " FOR UPDATE" if lock else ""
    return _account(
        await conn.fetchrow(f"SELECT {_COLUMNS} FROM accounts WHERE id = $1{suffix}", uuid.UUID(account_id))
    )


async def list_accounts(conn) -> list[Account]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM accounts ORDER BY lower(email)")
    return [a for a in map(_account, rows) if a is not None]


async def update(conn, account_id: str, **fields: object) -> None:
    names = list(fields)
    sets = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    await conn.execute(f"UPDATE accounts SET {sets} WHERE id = $1", uuid.UUID(account_id), *fields.values())


async def count_accounts(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM accounts")


# Sessions -------------------------------------------------------------------------------


async def insert_session(conn, *, id_hash: bytes, account_id: str, stage: str, csrf_token: str) -> None:
    await conn.execute(
        "INSERT INTO sessions (id_hash, account_id, stage, csrf_token) VALUES ($1, $2, $3, $4)",
        id_hash, uuid.UUID(account_id), stage, csrf_token,
    )  # fmt: skip


async def touch_session(conn, id_hash: bytes, *, idle_cutoff: datetime, created_cutoff: datetime):
    """The session, its ``last_seen_at`` moved to now; None when it is over (idle or too old)."""
    return await conn.fetchrow(
        """UPDATE sessions SET last_seen_at = now()
           WHERE id_hash = $1 AND last_seen_at > $2 AND created_at > $3
           RETURNING account_id::text, stage, csrf_token""",
        id_hash, idle_cutoff, created_cutoff,
    )  # fmt: skip


async def delete_session(conn, id_hash: bytes) -> None:
    await conn.execute("DELETE FROM sessions WHERE id_hash = $1", id_hash)


async def delete_sessions_of(conn, account_id: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE account_id = $1", uuid.UUID(account_id))


async def delete_stale_sessions(conn, *, idle_cutoff: datetime, created_cutoff: datetime) -> int:
    status = await conn.execute(
        "DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2", idle_cutoff, created_cutoff
    )
    return int(status.split()[-1])
