"""The `amparo` command: run the whole system, serve one service, migrate, issue tokens."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from shared.config import DEFAULT_PORTS, SERVICES, ConfigError, load_settings, with_database


def home() -> Path:
    return Path(os.environ.get("AMPARO_HOME") or Path.cwd() / ".amparo").resolve()


def signing_key() -> str:
    """The token signing key (Ed25519 private key, PEM): AMPARO_JWT_PRIVATE_KEY_FILE or
    jwt.key in AMPARO_HOME. Only the console and this command read it."""
    path = Path(os.environ.get("AMPARO_JWT_PRIVATE_KEY_FILE") or home() / "jwt.key")
    if not path.exists():
        raise SystemExit(f"amparo: the token signing key {path} does not exist (run `make run` once)")
    return path.read_text()


def _token_claims(roles: list[str], countries: list[str]) -> tuple[list[str], list[str]]:
    """Roles and countries a token may carry; a name that is not one is refused here, not
    silently accepted (``--country Guatemala`` once gave a token that saw nothing)."""
    from shared import places
    from shared.auth import ROLES

    unknown_roles = [r for r in roles if r not in ROLES]
    if unknown_roles:
        raise SystemExit(
            f"amparo token: unknown role {', '.join(unknown_roles)}; roles are {', '.join(ROLES)}"
        )
    codes = [c.strip().upper() for c in countries]
    unknown = [given for given, code in zip(countries, codes, strict=True) if not places.is_country(code)]
    if unknown:
        raise SystemExit(
            f"amparo token: unknown country {', '.join(unknown)};"
            " give ISO 3166-1 alpha-2 codes such as GT, MX, HN, SV, NI, CR"
        )
    return roles, codes


def cmd_token(args: argparse.Namespace) -> int:
    from shared.auth import issue_token

    roles, countries = _token_claims(args.role, args.country or [])
    try:
        token = issue_token(
            signing_key(),
            sub=args.sub,
            roles=roles,
            countries=countries,
            ttl_seconds=args.ttl,
            issuer=os.environ.get("AMPARO_JWT_ISSUER", "amparo"),
        )
    except ValueError as exc:
        raise SystemExit(f"amparo token: {exc}") from None
    print(token)
    return 0


# Optional extras a service never uses, imported by its libraries only because they are
# installed for something else: nats-py loads aiohttp (the benchmark's HTTP client) for a
# websocket transport we never configure; structlog loads rich and pygments (litestar's
# CLI) for a pretty console we never render; httpx (the console's client to the services)
# loads click and pygments for its own command line. Each service would carry about 13 MB
# of them, five times over (click and pygments 1.5 MB in the console). A None in
# sys.modules makes their `try: import` fall back as if absent.
NOT_IN_A_SERVICE = ("aiohttp", "rich", "click", "pygments")


def cmd_serve(args: argparse.Namespace) -> int:
    import importlib

    from shared.transport import run

    try:
        settings = load_settings(port=args.port)
    except ConfigError as exc:
        raise SystemExit(f"amparo serve {args.service}: {exc}") from None
    port = settings.port or DEFAULT_PORTS[args.service]
    module = importlib.import_module(f"services.{args.service}.app")
    app = module.create_app(settings)
    return run(app, settings.host, port)


async def migrate_one(server_url: str, service: str) -> list[str]:
    """Apply ``service``'s migrations on its database, as whoever ``server_url`` names."""
    import importlib

    from shared import db

    migrations = Path(importlib.import_module(f"services.{service}").__file__).parent / "migrations"
    return await db.migrate(with_database(server_url, f"amparo_{service}"), migrations)


async def migrate_all(admin_url: str, services=SERVICES, passwords: dict[str, str] | None = None):
    """Create each service's role and database (with the admin URL), then migrate it as the
    service's role, so the role owns its tables, and seal its append-only ones (deploy.roles).
    Without passwords, migrate as the admin."""
    from deploy import roles
    from shared import db

    applied: dict[str, list[str]] = {}
    for service in services:
        if passwords and service in passwords:
            url = await roles.provision(admin_url, service, passwords[service])
        else:
            await db.ensure_database(admin_url, f"amparo_{service}")
            url = admin_url
        applied[service] = await migrate_one(url, service)
        if url != admin_url:  # its append-only tables: read and append only for its role
            await roles.seal(admin_url, service)
    return applied


def _role_passwords() -> dict[str, str]:
    """``AMPARO_<SVC>_DATABASE_PASSWORD`` for each service (and the console) that has one."""
    found = {s: os.environ.get(f"AMPARO_{s.upper()}_DATABASE_PASSWORD", "") for s in (*SERVICES, "console")}
    return {s: p for s, p in found.items() if p}


def cmd_migrate(args: argparse.Namespace) -> int:
    url = os.environ.get("AMPARO_DATABASE_ADMIN_URL") or os.environ.get("AMPARO_DATABASE_URL")
    if not url:
        raise SystemExit(
            "amparo migrate: set AMPARO_DATABASE_ADMIN_URL (a PostgreSQL server URL of a role that "
            "may create roles and databases)"
        )
    # The console too: on machines or in Kubernetes nothing else creates its role and database.
    applied = asyncio.run(migrate_all(url, services=(*SERVICES, "console"), passwords=_role_passwords()))
    for service, names in applied.items():
        print(f"{service}: {', '.join(names) if names else 'up to date'}")
    nats_url = os.environ.get("AMPARO_NATS_URL")
    if nats_url:
        from deploy.runner import _ensure_streams

        asyncio.run(_ensure_streams(nats_url))
        print("streams: up to date")
    return 0


def _state() -> dict:
    import json

    path = home() / "run.json"
    return json.loads(path.read_text()) if path.exists() else {}


def admin_url() -> str:
    """The operator's database URL: AMPARO_DATABASE_ADMIN_URL, or the running `make run`'s."""
    url = os.environ.get("AMPARO_DATABASE_ADMIN_URL") or _state().get("database_url")
    if not url:
        raise SystemExit("amparo: set AMPARO_DATABASE_ADMIN_URL, or start the system with `make run`")
    return url


def operator_nats_url() -> str:
    """AMPARO_NATS_URL (with the operator's user in it), or the running `make run`'s, or the
    embedded server's port."""
    return operator_nats()[0]


def cmd_keys(args: argparse.Namespace) -> int:
    from deploy import keys

    services = [args.service] if args.service else list(SERVICES)
    if args.action == "add":
        if not args.service:
            raise SystemExit("amparo keys add: name the service (--service risk|shelters|funds)")
        path = keys.key_path(home(), args.service)
        if not path.exists():
            raise SystemExit(f"amparo keys add: {path} does not exist (run `make run` once)")
        kid = keys.add_key(path, args.service)
        print(f"{args.service}: new key {kid} first in {path}; restart the service to use it, then")
        print(f"  back the file up and run `amparo keys reencrypt --service {args.service}`")
        return 0
    if args.action == "retire":
        if not (args.service and args.key_id):
            raise SystemExit("amparo keys retire: name the service and the key (--service S --key-id K)")
        path = asyncio.run(keys.retire(admin_url(), home(), args.service, args.key_id))
        print(
            f"{args.service}: {args.key_id} removed from {path}; restart the service; keep your old backups"
        )
        return 0
    if args.action == "check":
        for line in asyncio.run(keys.check(admin_url(), home(), services)):
            print(line)
        return 0
    left = 0
    for service in services:
        left += asyncio.run(keys.reencrypt_service(admin_url(), home(), service, batch=args.batch))
    if left:
        print(f"{left} row(s) were busy and are left; run it again to finish")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.cluster:
        from deploy.localcluster import run_cluster

        return run_cluster(home())
    from deploy.runner import run_stack

    return run_stack(home(), services=args.service or [*SERVICES, "console"])


def operator_nats() -> tuple[str, dict]:
    """Where and as whom the `amparo` commands reach NATS, like the services: AMPARO_NATS_URL
    with AMPARO_NATS_USER/_PASSWORD (or _CREDS_FILE) and AMPARO_NATS_TLS_CA_FILE when set;
    else the running `make run`'s (run.json: the operator's user); else the embedded
    server's port (AMPARO_NATS_PORT, 4222)."""
    from shared import broker

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise SystemExit(f"amparo: {exc}") from None
    if os.environ.get("AMPARO_NATS_URL"):
        url = settings.nats_url
    else:
        port = os.environ.get("AMPARO_NATS_PORT", "4222")
        url = _state().get("nats_url") or f"nats://127.0.0.1:{port}"
    return url, broker.credentials(settings)


def cmd_retention(args: argparse.Namespace) -> int:
    """Block, then erase, closed cases' personal data past the retention periods, as the risk
    service's daily job does: on risk's database (AMPARO_DATABASE_URL and
    AMPARO_DATABASE_NAME like the service, or the running `make run`'s), with its
    AMPARO_RETENTION_BLOCK_DAYS / AMPARO_RETENTION_ERASE_DAYS. The events go to risk's
    outbox; the running service's relay publishes them. Prints counts, never personal data."""
    from services.risk.config import RiskConfig
    from services.risk.retention.service import apply_retention
    from shared import db
    from shared.config import load_config

    try:
        settings = load_settings()
        config = load_config(RiskConfig)
    except ConfigError as exc:
        raise SystemExit(f"amparo retention: {exc}") from None
    server = settings.database_url or admin_url()
    dsn = with_database(server, settings.database_name or "amparo_risk")

    async def run():
        pool = await db.create_pool(dsn, min_size=1, max_size=2)
        try:
            return await apply_retention(
                pool, block_days=config.retention_block_days, erase_days=config.retention_erase_days
            )
        finally:
            await pool.close()

    done = asyncio.run(run())
    print(
        f"retention: blocked {done.blocked}, erased {done.erased} "
        f"(block after {config.retention_block_days} days closed, erase {config.retention_erase_days} "
        "days after blocking)"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from deploy.demo import main as demo_main

    return demo_main(cases=args.cases, seed=args.seed, force=args.force)


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv)[:1] == ["serve"]:
        # Before anything is imported: building the parser below already imports nats.
        for name in NOT_IN_A_SERVICE:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    parser = argparse.ArgumentParser(prog="amparo", description="Amparo protection back office")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="start PostgreSQL, NATS and the three services (make run)")
    p.add_argument("--service", action="append", choices=[*SERVICES, "console"], help="only these services")
    p.add_argument(
        "--cluster",
        action="store_true",
        help="three NATS nodes (R3 streams) and two replicas of each service",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="serve one service (used by `run` and deployments)")
    p.add_argument("service", choices=[*SERVICES, "console"])
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="create the databases and apply migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("token", help="print a development token")
    p.add_argument("--role", action="append", required=True, help="repeatable")
    p.add_argument("--country", action="append", help="ISO 3166-1 alpha-2 code (GT, MX, ...), repeatable")
    p.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (default 8 h)")
    p.add_argument("--sub", default="dev-user")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("keys", help="each service's encryption keys: add (rotate), check, reencrypt, retire")
    p.add_argument("action", choices=["add", "check", "reencrypt", "retire"])
    p.add_argument("--key-id", help="the key to retire (once no row uses it)")
    p.add_argument("--service", choices=SERVICES)
    p.add_argument("--batch", type=int, default=200, help="rows per transaction (reencrypt)")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("retention", help="block, then erase, closed cases' personal data (issue 14)")
    p.add_argument("action", choices=["run"])
    p.set_defaults(func=cmd_retention)

    p = sub.add_parser("demo", help="load synthetic data into a running system and push cases through")
    p.add_argument("--cases", type=int, default=30)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--force", action="store_true", help="go on even if the system holds data the demo did not make"
    )
    p.set_defaults(func=cmd_demo)

    from deploy.users import add_parser, cmd_users

    add_parser(sub)
    sub.choices["users"].set_defaults(func=lambda a: cmd_users(a, home()))

    from deploy.deadletters import add_parser as add_deadletters
    from deploy.replay import add_parser as add_replay

    add_deadletters(sub)
    add_replay(sub)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
