"""Fixtures for the console: its own fresh database, shelters as a real process (the
console talks to services only over HTTP), and a signed-in browser-like client."""

from __future__ import annotations

import contextlib
import re

import pyotp
import pytest
from litestar.testing import AsyncTestClient

from services.console.accounts import service
from services.console.config import ConsoleConfig
from shared import db
from tests.support import JWT_PRIVATE_KEY, served_process

PASSWORD = "a-long-test-password-1"


def console_config(**overrides) -> ConsoleConfig:
    values = {"jwt_private_key": JWT_PRIVATE_KEY, "board_refresh_seconds": 2, **overrides}
    return ConsoleConfig(**values)


@pytest.fixture
async def shelters_url(make_settings):
    settings = await make_settings("shelters")
    async with served_process("shelters", settings, log_level="warning") as served:
        yield str(served.http.base_url).rstrip("/")


@contextlib.asynccontextmanager
async def console_client(make_settings, **config):
    from services.console.app import create_app

    settings = await make_settings("console")
    app = create_app(settings, console_config(**config))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.dsn = settings.dsn("console")  # the app's own pool lives on another event loop
        yield client


@pytest.fixture
async def console(make_settings, shelters_url):
    async with console_client(make_settings, shelters_url=shelters_url) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def post_form(client, path: str, data: dict, *, page: str | None = None):
    html = (await client.get(page or path)).text
    return await client.post(path, data={"csrf": csrf_of(html), **data}, follow_redirects=False)


async def sign_in(client, email: str, password: str = PASSWORD, *, secret: str | None = None):
    """Password, then TOTP (enrolling on the first time); returns the TOTP secret."""
    response = await post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    html = (await client.get("/sign-in/next", follow_redirects=True)).text
    if 'id="totp-secret"' in html:
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    if secret is not None and 'name="code"' in html:
        response = await client.post(
            "/sign-in/code",
            data={"csrf": csrf_of(html), "code": pyotp.TOTP(secret).now()},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
    return secret


async def make_account(
    client,
    email: str,
    roles: list[str],
    countries=("GT", "MX"),
    language: str = "es",
    password: str | None = PASSWORD,
):
    """An account whose password is already chosen (tests of pages, not of first sign-in);
    ``password=None`` makes a fresh account with a one-time password, returned."""
    pool = await db.create_pool(client.dsn, min_size=1, max_size=2)
    try:
        account, _ = await service.create_account(
            pool, email=email, name=email.split("@")[0], roles=roles, countries=list(countries),
            language=language, password=password,
        )  # fmt: skip
        if password is not None:
            await pool.execute(
                "UPDATE accounts SET must_change_password = false WHERE id = $1::uuid", account.id
            )
        return account, _
    finally:
        await pool.close()
