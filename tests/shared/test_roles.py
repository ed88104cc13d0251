"""Least privilege in PostgreSQL (finding 5): each service's role owns its database and
what is in it, even a database migrated by the superuser before roles existed, and cannot
open another service's database."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

import services.risk
from deploy.roles import provision, seal, with_credentials
from shared import db
from shared.config import with_database

MIGRATIONS = Path(services.risk.__file__).parent / "migrations"


async def test_a_database_migrated_by_the_superuser_is_handed_to_its_role(pg_url):
    suffix = uuid.uuid4().hex[:6]
    risk_db, shelters_db = f"amparo_risk_{suffix}", f"amparo_shelters_{suffix}"
    # As main did it: databases and tables made by the superuser.
    for name in (risk_db, shelters_db):
        await db.ensure_database(pg_url, name)
    await db.migrate(with_database(pg_url, risk_db), MIGRATIONS)

    await provision(pg_url, f"shelters{suffix}", "other", database=shelters_db)
    role = f"risk{suffix}"
    url = await provision(pg_url, role, "pw-" + suffix, database=risk_db)
    again = await provision(pg_url, role, "pw-" + suffix, database=risk_db)  # idempotent
    assert url == again == with_credentials(pg_url, f"amparo_{role}", "pw-" + suffix)

    conn = await asyncpg.connect(with_database(url, risk_db))
    try:
        assert (
            await conn.fetchval(
                "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
            )
            is False
        )
        owners = await conn.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
        )
        assert [r["owner"] for r in owners] == [f"amparo_{role}"]
        await conn.execute("INSERT INTO audit_log (actor, action) VALUES ('t', 'read')")  # its sequence too
        await db.migrate(with_database(url, risk_db), MIGRATIONS)
    finally:
        await conn.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(with_database(url, shelters_db))


async def test_a_sealed_audit_log_takes_appends_from_its_role_and_survives_the_next_migration(pg_url):
    """`seal` after each migration: the role appends to its audit log and cannot unguard,
    rewrite or drop it; the next provisioning hands it back for the migration and the
    seal takes it again (as every `make run` start and `amparo migrate` do)."""
    suffix = uuid.uuid4().hex[:6]
    role, database = f"risk{suffix}", f"amparo_risk_{suffix}"
    for _ in range(2):
        url = await provision(pg_url, role, "pw-" + suffix, database=database)
        await db.migrate(with_database(url, database), MIGRATIONS)
        assert await seal(pg_url, role, database=database) == ["audit_log"]
    conn = await asyncpg.connect(with_database(url, database))
    try:
        await conn.execute("INSERT INTO audit_log (actor, action) VALUES ('t', 'read')")
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 1
        await conn.execute("CREATE TABLE scratch (id int)")  # its other tables stay its own
        await conn.execute("DROP TABLE scratch")
        for attempt in (
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DROP TABLE audit_log",
            "DELETE FROM audit_log",
            "ALTER SCHEMA public OWNER TO current_user",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(attempt)
    finally:
        await conn.close()
