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


def cmd_token(args: argparse.Namespace) -> int:
    from shared.auth import issue_token

    try:
        token = issue_token(
            signing_key(),
            sub=args.sub,
            roles=args.role,
            countries=args.country or [],
            ttl_seconds=args.ttl,
            issuer=os.environ.get("AMPARO_JWT_ISSUER", "amparo"),
        )
    except ValueError as exc:
        raise SystemExit(f"amparo token: {exc}") from None
    print(token)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import importlib

    import uvicorn

    try:
        settings = load_settings(port=args.port)
    except ConfigError as exc:
        raise SystemExit(f"amparo serve {args.service}: {exc}") from None
    port = settings.port or DEFAULT_PORTS[args.service]
    module = importlib.import_module(f"services.{args.service}.app")
    app = module.create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return 0


async def migrate_all(server_url: str, services=SERVICES) -> dict[str, list[str]]:
    import importlib

    from shared import db

    applied: dict[str, list[str]] = {}
    for service in services:
        name = f"amparo_{service}"
        await db.ensure_database(server_url, name)
        migrations = Path(importlib.import_module(f"services.{service}").__file__).parent / "migrations"
        applied[service] = await db.migrate(with_database(server_url, name), migrations)
    return applied


def cmd_migrate(args: argparse.Namespace) -> int:
    url = os.environ.get("AMPARO_DATABASE_URL")
    if not url:
        raise SystemExit("amparo migrate: set AMPARO_DATABASE_URL (a PostgreSQL server URL)")
    applied = asyncio.run(migrate_all(url))
    for service, names in applied.items():
        print(f"{service}: {', '.join(names) if names else 'up to date'}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from deploy.runner import run_stack

    return run_stack(home(), services=args.service or [*SERVICES, "console"])


def cmd_deadletters(args: argparse.Namespace) -> int:
    from deploy.runner import list_dead_letters

    url = os.environ.get("AMPARO_NATS_URL", "nats://127.0.0.1:4222")
    rows = asyncio.run(list_dead_letters(url, limit=args.limit))
    if not rows:
        print("no dead letters")
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from deploy.demo import main as demo_main

    return demo_main(cases=args.cases, seed=args.seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amparo", description="Amparo protection back office")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="start PostgreSQL, NATS and the three services (make run)")
    p.add_argument("--service", action="append", choices=[*SERVICES, "console"], help="only these services")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="serve one service (used by `run` and deployments)")
    p.add_argument("service", choices=[*SERVICES, "console"])
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="create the databases and apply migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("token", help="print a development token")
    p.add_argument("--role", action="append", required=True, help="repeatable")
    p.add_argument("--country", action="append", help="ISO code, repeatable")
    p.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (default 8 h)")
    p.add_argument("--sub", default="dev-user")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("deadletters", help="list messages that failed max_deliver times")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_deadletters)

    p = sub.add_parser("demo", help="load synthetic data into a running system and push cases through")
    p.add_argument("--cases", type=int, default=30)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    from deploy.users import add_parser, cmd_users

    add_parser(sub)
    sub.choices["users"].set_defaults(func=lambda a: cmd_users(a, home()))

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
