"""Sign-in: password, first-time password change, TOTP enrolment, lockout, CSRF, cookies."""

from __future__ import annotations

import pyotp

from tests.console.conftest import PASSWORD, console_client, csrf_of, make_account, post_form, sign_in


async def test_staff_signs_in_with_a_password_and_gets_a_strict_cookie(make_settings):
    async with console_client(make_settings) as client:
        await make_account(client, "staff@example.org", ["network_staff"])
        response = await post_form(client, "/sign-in", {"email": "staff@example.org", "password": PASSWORD})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        nxt = await client.get("/sign-in/next", follow_redirects=False)
        assert nxt.headers["location"] == "/"


async def test_a_coordinator_must_enrol_a_second_factor_and_codes_work_once(make_settings):
    async with console_client(make_settings) as client:
        await make_account(client, "coord@example.org", ["shelter_coordinator"])
        secret = await sign_in(client, "coord@example.org")
        assert secret, "a coordinator is asked to enrol TOTP"
        assert (await client.get("/sign-in/next", follow_redirects=False)).headers["location"] == "/"
        # Signed out and in again: the same code (same time step) is refused.
        await post_form(client, "/sign-out", {}, page="/sign-in")
        await post_form(client, "/sign-in", {"email": "coord@example.org", "password": PASSWORD})
        page = (await client.get("/sign-in/code")).text
        reused = await client.post(
            "/sign-in/code",
            data={"csrf": csrf_of(page), "code": pyotp.TOTP(secret).now()},
            follow_redirects=False,
        )
        assert reused.status_code == 401
        assert "código" in reused.text


async def test_wrong_passwords_lock_the_account_with_back_off(make_settings):
    async with console_client(make_settings, lockout_after=3, lockout_base_seconds=60) as client:
        await make_account(client, "ana@example.org", ["network_staff"])
        for _ in range(3):
            refused = await post_form(
                client, "/sign-in", {"email": "ana@example.org", "password": "wrong-password-x"}
            )
            assert refused.status_code == 401
        # Locked now: even the right password is refused, with the lockout message.
        locked = await post_form(client, "/sign-in", {"email": "ana@example.org", "password": PASSWORD})
        assert locked.status_code == 401 and "Demasiados intentos" in locked.text
        unknown = await post_form(client, "/sign-in", {"email": "nobody@example.org", "password": PASSWORD})
        assert unknown.status_code == 401 and "Correo o contraseña incorrectos" in unknown.text


async def test_a_form_without_its_csrf_token_is_refused(make_settings):
    async with console_client(make_settings) as client:
        await make_account(client, "staff@example.org", ["network_staff"])
        await client.get("/sign-in")
        response = await client.post("/sign-in", data={"email": "staff@example.org", "password": PASSWORD})
        assert response.status_code == 403
        assert "formulario" in response.text


async def test_a_fresh_account_changes_its_one_time_password_first(make_settings):
    async with console_client(make_settings) as client:
        _, one_time = await make_account(client, "new@example.org", ["network_staff"], password=None)
        await post_form(client, "/sign-in", {"email": "new@example.org", "password": one_time})
        assert (await client.get("/sign-in/next", follow_redirects=False)).headers["location"] == "/password"
        assert (await client.get("/capacity", follow_redirects=False)).headers["location"] == "/sign-in/next"
        same = await post_form(client, "/password", {"password": one_time, "repeat": one_time})
        assert same.status_code == 400
        new = "a-brand-new-password"
        changed = await post_form(client, "/password", {"password": new, "repeat": new})
        assert changed.headers["location"] == "/sign-in/next"
        assert (await client.get("/sign-in/next", follow_redirects=False)).headers["location"] == "/"


async def test_pages_need_a_session(make_settings):
    async with console_client(make_settings) as client:
        for path in ("/", "/capacity", "/board", "/waitlist", "/shelters", "/people"):
            response = await client.get(path, follow_redirects=False)
            assert response.status_code in (302, 303) and response.headers["location"] == "/sign-in", path
