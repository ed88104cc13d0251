"""What operators and slow connections meet: `amparo users`, the first admin, assets
that are fingerprinted, cached and compressed."""

from __future__ import annotations

import asyncio
import re

from deploy.users import ensure_first_admin
from services.console.web import static_url
from tests.conftest import fresh_database


async def test_users_add_list_disable_and_reset_2fa(pg_url, monkeypatch, capsys):
    from deploy.cli import main

    name = await fresh_database(pg_url, "console")
    monkeypatch.setenv("AMPARO_DATABASE_URL", pg_url)
    monkeypatch.setenv("AMPARO_DATABASE_NAME", name)
    # The first admin is made once, on an empty console, and never again.
    assert await ensure_first_admin(pg_url, name)
    assert await ensure_first_admin(pg_url, name) is None

    def run(*argv: str):
        # The command runs its own event loop (asyncio.run): call it from a worker thread.
        return asyncio.get_running_loop().run_in_executor(None, main, list(argv))

    assert await run("users", "add", "lu@example.org", "--role", "risk_analyst", "--country", "gt") == 0
    out = capsys.readouterr().out
    assert re.search(r"one-time password \(shown once\): \S{12,}", out)
    assert await run("users", "list") == 0
    listing = capsys.readouterr().out
    assert "lu@example.org\trisk_analyst\tGT\tes\tno-2fa" in listing and "admin@amparo.local" in listing
    assert await run("users", "access", "lu@example.org", "--role", "risk_analyst", "--country", "gt",
                     "--country", "SV") == 0  # fmt: skip
    assert await run("users", "reset-2fa", "lu@example.org") == 0
    assert await run("users", "disable", "lu@example.org") == 0
    capsys.readouterr()
    assert await run("users", "list") == 0
    assert "lu@example.org\trisk_analyst\tGT,SV\tes\tdisabled" in capsys.readouterr().out
    # Every change is in the console's audit log, under the operator's name.
    import asyncpg

    from shared.config import with_database

    conn = await asyncpg.connect(with_database(pg_url, name))
    try:
        rows = await conn.fetch("SELECT actor, action, target FROM admin_audit ORDER BY id")
    finally:
        await conn.close()
    assert [r["action"] for r in rows] == [
        "account.created", "account.access_set", "account.second_factor_reset", "account.disabled",
    ]  # fmt: skip
    assert all(r["actor"].startswith("operator:") and r["target"] == "lu@example.org" for r in rows)


async def test_assets_are_fingerprinted_cached_and_compressed(make_settings):
    from tests.console.conftest import console_client

    async with console_client(make_settings) as client:
        url = static_url("htmx-2.0.8.min.js")
        assert re.fullmatch(r"/static/htmx-2\.0\.8\.min\.js\?v=[0-9a-f]{10}", url)
        response = await client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["cache-control"]
        assert response.headers.get("content-encoding") == "gzip"
        page = await client.get("/sign-in")
        assert "no-store" in page.headers["cache-control"]
        assert static_url("console.css") in page.text and "cdn" not in page.text.lower()
