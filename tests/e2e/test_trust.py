"""Trust boundaries of the system as `make run` starts it (issue 10, findings 3, 5, 9):
private files, one key per service, one PostgreSQL role per service, a NATS server that
checks who speaks."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys

import asyncpg
import nats
import nats.errors
import nats.js.errors
import pytest

from deploy.roles import with_credentials
from shared.config import with_database

# What a refused request looks like to a client: no reply (timeout), or the server's error.
DENIED = (nats.errors.Error, nats.js.errors.Error, TimeoutError, OSError)
SERVICES = ("risk", "shelters", "funds")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_secrets_logs_and_nats_conf_are_not_readable_by_others(stack):
    home = stack.home
    # 0700; as root 0710 so the embedded PostgreSQL's own user may pass through.
    assert _mode(home) in (0o700, 0o710)
    private = [home / "jwt.key", home / "run.json", home / "nats.log", home / "nats" / "nats.conf"]
    private += [*(home / "keys").iterdir(), *(home / "secrets").iterdir(), *(home / "logs").iterdir()]
    assert len(private) > 10
    for path in private:
        assert _mode(path) & 0o077 == 0, f"{path} is {oct(_mode(path))}"
    for directory in ("keys", "secrets", "logs", "nats"):
        assert _mode(home / directory) == 0o700


def _environ(pid: int) -> dict[str, str]:
    raw = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_each_service_receives_only_its_own_key_role_and_nats_user(stack):
    seen_keys = []
    for service in SERVICES:
        env = _environ(stack.state()["services"][service]["pid"])
        assert env["AMPARO_PII_KEY_FILE"] == str(stack.home / "keys" / f"{service}.keys")
        assert "AMPARO_PII_KEYS" not in env and "AMPARO_DATABASE_ADMIN_URL" not in env
        assert env["AMPARO_NATS_USER"] == service
        assert f"amparo_{service}:" in env["AMPARO_DATABASE_URL"]
        text = (stack.home / "keys" / f"{service}.keys").read_text()
        seen_keys.append({line for line in text.splitlines() if line and not line.startswith("#")})
    assert not (seen_keys[0] & seen_keys[1]) and not (seen_keys[1] & seen_keys[2])


def test_only_risk_receives_the_blind_index_key_and_it_is_not_a_pii_key(stack):
    for service in SERVICES:
        env = _environ(stack.state()["services"][service]["pid"])
        if service == "risk":
            assert env["AMPARO_BLIND_INDEX_KEY_FILE"] == str(stack.home / "keys" / "risk.index.keys")
        else:
            assert not any(k.startswith("AMPARO_BLIND_INDEX") for k in env), service
        assert "AMPARO_BLIND_INDEX_KEY" not in env
    index = (stack.home / "keys" / "risk.index.keys").read_text()
    pii = (stack.home / "keys" / "risk.keys").read_text()
    lines = {line for line in index.splitlines() if line and not line.startswith("#")}
    assert len(lines) == 1 and not lines & set(pii.splitlines())


def _role_url(stack, service: str, database: str) -> str:
    password = (stack.home / "secrets" / f"postgres-{service}.password").read_text().strip()
    return with_database(
        with_credentials(stack.state()["database_url"], f"amparo_{service}", password), database
    )


def test_risk_connects_as_its_own_role_which_cannot_open_shelters_and_is_not_superuser(stack):
    async def probe() -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(_role_url(stack, "risk", "amparo_shelters"))
        conn = await asyncpg.connect(_role_url(stack, "risk", "amparo_risk"))
        try:
            assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
            assert await conn.fetchval("SELECT count(*) FROM cases") >= 0  # its own tables: yes
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("SET ROLE postgres")
        finally:
            await conn.close()
        # Nobody reaches the superuser without its password, not even through the socket.
        no_password = with_credentials(stack.state()["database_url"], "postgres", "")
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await asyncpg.connect(no_password)
        admin = await asyncpg.connect(stack.state()["database_url"])
        try:
            # Client connections only: an autovacuum worker sits in a database with no user
            # (CI once met one in amparo_shelters).
            users = await admin.fetch(
                "SELECT DISTINCT datname, usename FROM pg_stat_activity "
                "WHERE datname LIKE 'amparo_%' AND backend_type = 'client backend'"
            )
        finally:
            await admin.close()
        assert users and all(r["usename"] == r["datname"] for r in users), users

    asyncio.run(probe())


# Each service's append-only table and the trigger function that guards it.
EVIDENCE = {
    "risk": ("audit_log", "audit_log_append_only()"),
    "shelters": ("audit_log", "audit_log_append_only()"),
    "console": ("admin_audit", "admin_audit_append_only()"),
    "funds": ("ledger_entries", "ledger_append_only()"),
}


@pytest.mark.parametrize("service", list(EVIDENCE))
def test_a_service_role_can_append_to_its_audit_log_or_ledger_but_never_unguard_or_drop_it(stack, service):
    """With a service's own password one can read and append to its evidence, and nothing
    else: not disable or replace the append-only guard, not drop the table, not rewrite a
    row. (Its owner could do all of that, and it was the service's role.)"""
    table, guard = EVIDENCE[service]

    async def probe() -> None:
        conn = await asyncpg.connect(_role_url(stack, service, f"amparo_{service}"))
        try:
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") >= 0
            for attempt in (
                f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                f"DROP TABLE {table} CASCADE",
                f"CREATE OR REPLACE FUNCTION {guard} RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
                f"ALTER FUNCTION {guard} OWNER TO amparo_{service}",
                f"UPDATE {table} SET id = id",
                f"DELETE FROM {table}",
                f"ALTER TABLE {table} OWNER TO amparo_{service}",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(attempt)
        finally:
            await conn.close()

    asyncio.run(probe())


def test_the_database_survives_a_checkpoint_under_make_run(stack):
    """The data directory stays reachable for the server's own process once AMPARO_HOME is
    private: a checkpoint (PostgreSQL runs one every few minutes) used to find
    pg_control unreadable, PANIC, and take the whole database down."""

    async def probe() -> None:
        admin = await asyncpg.connect(stack.state()["database_url"])
        try:
            await admin.execute("CHECKPOINT")
        finally:
            await admin.close()
        again = await asyncpg.connect(stack.state()["database_url"])
        try:
            assert await again.fetchval("SELECT count(*) FROM pg_database WHERE datname = 'amparo_risk'") == 1
        finally:
            await again.close()

    asyncio.run(probe())


def test_the_bus_refuses_anonymous_and_wrong_service_publishes(stack):
    url = f"nats://127.0.0.1:{stack.nats_port}"
    password = (stack.home / "secrets" / "nats-shelters.password").read_text().strip()

    async def probe() -> None:
        with pytest.raises(DENIED):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
        errors: list[str] = []

        async def on_error(exc):
            errors.append(str(exc).lower())

        nc = await nats.connect(
            url, user="shelters", password=password, inbox_prefix="_INBOX.shelters", error_cb=on_error
        )
        operator = await nats.connect(stack.state()["nats_url"])
        try:
            before = (await operator.jetstream().stream_info("RISK")).state.last_seq
            with pytest.raises(DENIED):
                await nc.jetstream().publish("amparo.risk.assessment.recorded", b"{}", timeout=1)
            await nc.flush()
            await asyncio.sleep(0.2)
            assert (await operator.jetstream().stream_info("RISK")).state.last_seq == before
        finally:
            await nc.close()
            await operator.close()
        assert any("permissions violation" in e for e in errors), errors

    asyncio.run(probe())


def test_operator_commands_use_the_operator_credential(stack):
    out = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "deadletters"], env=stack.env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "no dead letters" in out.stdout or "consumer=" in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "keys", "check"], env=stack.env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert all(f"{s}: {stack.home}/keys/{s}.keys has" in out.stdout for s in SERVICES), out.stdout
    assert "MISSING" not in out.stdout
