"""One PostgreSQL role per service, owner of its own database and nothing else.

The runner (or `amparo migrate` with an admin URL) creates the role ``amparo_<svc>``
(LOGIN, no superuser, no CREATEDB/CREATEROLE), makes it the owner of ``amparo_<svc>``,
its public schema and every object in it, and takes CONNECT away from PUBLIC, so risk's
role cannot even open ``amparo_shelters``. Migrations then run as the service's role, so
what they create belongs to it."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from shared import db
from shared.config import with_database


def role_of(service: str) -> str:
    return f"amparo_{service}"


def with_credentials(url: str, user: str, password: str) -> str:
    """``url`` with another user and password (keeps host, socket and query)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# Everything in public that the admin made before roles existed (older homes) moves to the
# service's role; objects that belong to an extension (btree_gist) stay with it.
_HAND_OVER = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND pg_get_userbyid(c.relowner) <> '{role}'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO {role}', r.name);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'S'
               AND pg_get_userbyid(c.relowner) <> '{role}'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
    LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO {role}', r.name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{role}'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO {role}', r.name);
    END LOOP;
END $$;
"""


async def provision(admin_url: str, service: str, password: str, *, database: str | None = None) -> str:
    """Create or update the service's role and hand it its database; returns the server
    URL the service connects with (its own role)."""
    role = role_of(service)
    database = database or f"amparo_{service}"
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        verb = "ALTER" if exists else "CREATE"
        literal = await conn.fetchval("SELECT quote_literal($1)", password)
        await conn.execute(
            f'{verb} ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
            f"NOBYPASSRLS PASSWORD {literal}"
        )
    finally:
        await conn.close()
    await db.ensure_database(admin_url, database)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'ALTER DATABASE "{database}" OWNER TO "{role}"')
        await conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
    finally:
        await conn.close()
    conn = await asyncpg.connect(with_database(admin_url, database))
    try:
        await conn.execute(f'ALTER SCHEMA public OWNER TO "{role}"')
        await conn.execute(_HAND_OVER.replace("{role}", role))
    finally:
        await conn.close()
    return with_credentials(admin_url, role, password)
