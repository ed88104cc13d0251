"""One PostgreSQL role per service, owner of its own database and nothing else.

The runner (or `amparo migrate` with an admin URL) creates the role ``amparo_<svc>``
(LOGIN, no superuser, no CREATEDB/CREATEROLE), makes it the owner of ``amparo_<svc>``,
its public schema and every object in it, and takes CONNECT away from PUBLIC, so risk's
role cannot even open ``amparo_shelters``. Migrations then run as the service's role, so
what they create belongs to it.

Except the evidence: once migrated, each append-only table (risk's and shelters' audit
logs, the console's admin audit, funds' ledger: a trigger function named
``*_append_only`` guards each) is sealed (``seal``): it, its guard and the public
schema belong to ``amparo_evidence``, a role nobody logs in as, and the service's role may
only read and append to it (and still creates and owns its other tables). An owner could
disable or replace the guard and then rewrite the log, and a schema's owner may drop any
table in it; a stolen service password must not be able to hide who read what. The
database itself still belongs to the service's role, which could drop it whole: that is
loud, and backups answer it. The next migration hands the
tables back to the service's role for its run (``provision``) and seals them again."""

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


EVIDENCE_ROLE = "amparo_evidence"

# The tables an ``*_append_only`` trigger function guards, and those functions: to the
# evidence role; the service's role keeps reading and appending (nextval on the id too).
_SEAL = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT t.tgrelid::regclass AS tab, p.oid::regprocedure AS fn
             FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proname LIKE '%\\_append\\_only' AND NOT t.tgisinternal
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO {evidence}', r.tab);
        EXECUTE format('ALTER ROUTINE %s OWNER TO {evidence}', r.fn);
        EXECUTE format('GRANT SELECT, INSERT ON %s TO {role}', r.tab);
    END LOOP;
    -- The owner of a schema may drop any table in it: public goes to the evidence role
    -- too, the service's role keeps creating (and owning) the rest.
    IF EXISTS (SELECT 1 FROM pg_class WHERE pg_get_userbyid(relowner) = '{evidence}'
               AND relnamespace = 'public'::regnamespace) THEN
        ALTER SCHEMA public OWNER TO {evidence};
        GRANT USAGE, CREATE ON SCHEMA public TO {role};
    END IF;
    FOR r IN SELECT s.oid::regclass AS seq FROM pg_class s
             JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
             JOIN pg_class t ON t.oid = d.refobjid
             WHERE s.relkind = 'S' AND pg_get_userbyid(t.relowner) = '{evidence}'
    LOOP
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {role}', r.seq);
    END LOOP;
END $$;
"""


async def seal(admin_url: str, service: str, *, database: str | None = None) -> list[str]:
    """After the service's migrations: its append-only tables and their guards to the
    evidence role, read and append only for the service's role. Returns the tables."""
    role = role_of(service)
    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", EVIDENCE_ROLE):
            await conn.execute(f'CREATE ROLE "{EVIDENCE_ROLE}" NOLOGIN')
    except asyncpg.DuplicateObjectError:  # another service's seal made it meanwhile
        pass
    finally:
        await conn.close()
    conn = await asyncpg.connect(with_database(admin_url, database or f"amparo_{service}"))
    try:
        await conn.execute(_SEAL.replace("{evidence}", EVIDENCE_ROLE).replace("{role}", role))
        rows = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_get_userbyid(c.relowner) = $1 "
            "ORDER BY 1",
            EVIDENCE_ROLE,
        )
    finally:
        await conn.close()
    return [r["relname"] for r in rows]


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
