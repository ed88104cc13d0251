"""`amparo users add|list|disable|reset-2fa`, and the first admin of a fresh `make run`.

They work on the console's database directly (AMPARO_DATABASE_URL, or the one `make run`
recorded in run.json), so an operator can always get back in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from shared import db
from shared.config import with_database

FIRST_ADMIN = "admin@amparo.local"


def _console_dsn(home: Path) -> str:
    url = os.environ.get("AMPARO_DATABASE_URL")
    if not url and (home / "run.json").exists():
        url = json.loads((home / "run.json").read_text())["database_url"]
    if not url:
        raise SystemExit("amparo users: set AMPARO_DATABASE_URL or start the system with `make run`")
    return with_database(url, os.environ.get("AMPARO_DATABASE_NAME") or "amparo_console")


async def _with_pool(dsn: str, work):
    pool = await db.create_pool(dsn, min_size=1, max_size=2)
    try:
        return await work(pool)
    finally:
        await pool.close()


async def ensure_first_admin(server_url: str, database: str = "amparo_console") -> str | None:
    """On a console without accounts: one admin, and its one-time password (else None)."""
    from services.console.accounts import service, store

    async def work(pool):
        async with pool.acquire() as conn:
            if await store.count_accounts(conn):
                return None
        _account, password = await service.create_account(
            pool, email=FIRST_ADMIN, name="Admin", roles=["admin"], countries=list(service.COUNTRIES)
        )
        return password

    return await _with_pool(with_database(server_url, database), work)


async def demo_accounts(server_url: str) -> list[tuple[str, str | None]]:
    """One console account per role (``<role>@demo.amparo.local``), each with a one-time
    password; an account that exists already is left alone (password None)."""
    from services.console.accounts import service
    from shared.auth import ROLES
    from shared.errors import Conflict

    async def work(pool):
        made = []
        for role in ROLES:
            email = f"{role.replace('_', '-')}@demo.amparo.local"
            try:
                _account, password = await service.create_account(
                    pool, email=email, name=role, roles=[role], countries=list(service.COUNTRIES)
                )
            except Conflict:
                password = None
            made.append((email, password))
        return made

    return await _with_pool(with_database(server_url, "amparo_console"), work)


def cmd_users(args: argparse.Namespace, home: Path) -> int:
    from services.console import audit
    from services.console.accounts import service, store
    from shared.errors import DomainError

    actor = "operator:" + (os.environ.get("USER") or "cli")

    async def work(pool):
        if args.action == "list":
            async with pool.acquire() as conn:
                for a in await store.list_accounts(conn):
                    state = "disabled" if a.disabled else ("2fa" if a.totp_enrolled else "no-2fa")
                    print(f"{a.email}\t{','.join(a.roles)}\t{','.join(a.countries)}\t{a.language}\t{state}")
            return 0
        if args.action == "add":
            account, password = await service.create_account(
                pool, email=args.email, name=args.name or args.email, roles=args.role or [],
                countries=args.country or [], language=args.language,
            )  # fmt: skip
            detail = f"roles={','.join(account.roles)} countries={','.join(account.countries)}"
            await audit.record(
                pool, actor=actor, action="account.created", target=account.email, detail=detail
            )
            print(f"created {args.email}; one-time password (shown once): {password}")
            return 0
        if args.action == "access":
            account = await service.set_access(pool, args.email, args.role or [], args.country or [])
            detail = f"roles={','.join(args.role or [])} countries={','.join(args.country or []).upper()}"
            await audit.record(
                pool, actor=actor, action="account.access_set", target=account.email, detail=detail
            )
            print(f"{args.email}: roles and countries set")
            return 0
        if args.action == "disable":
            await service.set_disabled(pool, args.email, True)
            await audit.record(pool, actor=actor, action="account.disabled", target=args.email)
            print(f"disabled {args.email}; their sessions are over")
            return 0
        await service.reset_second_factor(pool, args.email)
        await audit.record(pool, actor=actor, action="account.second_factor_reset", target=args.email)
        print(f"second factor of {args.email} reset; they enrol again at next sign-in")
        return 0

    try:
        return asyncio.run(_with_pool(_console_dsn(home), work))
    except DomainError as exc:
        raise SystemExit(f"amparo users: {exc.detail}") from None


def add_parser(sub) -> None:
    p = sub.add_parser(
        "users",
        help="console accounts: add, access, list, disable, reset-2fa (each written to the audit log)",
    )
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an account; prints a one-time password")
    add.add_argument("email")
    add.add_argument("--name", default="")
    add.add_argument("--role", action="append", help="repeatable")
    add.add_argument("--country", action="append", help="ISO code, repeatable")
    add.add_argument("--language", choices=["es", "en"], default="es")
    access = actions.add_parser("access", help="set an account's roles and countries (replaces them)")
    access.add_argument("email")
    access.add_argument("--role", action="append", help="repeatable")
    access.add_argument("--country", action="append", help="ISO code, repeatable")
    actions.add_parser("list", help="every account")
    for name, text in (
        ("disable", "disable an account and end its sessions"),
        ("reset-2fa", "forget the TOTP"),
    ):
        p2 = actions.add_parser(name, help=text)
        p2.add_argument("email")
