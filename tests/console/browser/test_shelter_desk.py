"""The shelter desk in Chromium: an admin signs in with password and TOTP and creates a
coordinator and a staff account; the coordinator registers a shelter, searches
availability, watches an analyst's assessment become a hold on the board without
reloading, confirms and checks in, switches language; staff never see an address.
axe-core runs on every page (no serious or critical violation); screenshots at 360 px go
to docs/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.test_emergency_case import open_extreme_case

SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
ADDRESS = "Calle Sintética 742, Zona 3"
NEW_PASSWORD = "una-clave-larga-de-prueba"
AXE = Axe()


def check(page, name: str) -> None:
    """axe-core on the page, then a full-page screenshot."""
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert bad == [], f"{name}: " + "; ".join(f"{v['id']}: {v['help']}" for v in bad)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def first_sign_in(page, base: str, email: str, password: str, *, shots: bool = False) -> str | None:
    """Password, a new password, and (for roles that need it) TOTP enrolment by the QR page."""
    page.goto(base + "/sign-in")
    if shots:
        check(page, "sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit] >> text=Continuar")
    page.wait_for_url(re.compile(r"/password$"))
    page.fill("#password", NEW_PASSWORD)
    page.fill("#repeat", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    secret = None
    if "/sign-in/enrol" in page.url:
        if shots:
            check(page, "enrol-second-factor")
        secret = page.inner_text("#totp-secret").strip()
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/capacity"))
    return secret


def add_person(page, base: str, email: str, role: str) -> str:
    page.goto(base + "/people")
    page.fill("#email", email)
    page.fill("#name", email.split("@")[0])
    page.check(f"#role-{role}")
    page.check("#country-GT")
    page.click("form[action='/people'] button[type=submit]")
    return page.inner_text("#one-time-password").strip()


def sign_out(page) -> None:
    page.click("text=Cerrar sesión")
    page.wait_for_url(re.compile(r"/sign-in"))


def test_the_shelter_desk_in_a_browser(stack, phone):
    base = stack.url("console")
    log = stack.log.read_text()
    admin_email, admin_password = re.search(r"first sign-in: (\S+) / (\S+)", log).groups()
    page = phone

    # The admin: one-time password, new password, TOTP; then two accounts.
    first_sign_in(page, base, admin_email, admin_password, shots=True)
    coordinator_password = add_person(page, base, "coordinadora@example.org", "shelter_coordinator")
    check(page, "people")
    staff_password = add_person(page, base, "staff@example.org", "network_staff")
    sign_out(page)

    # The coordinator registers a shelter (the address only she sees).
    first_sign_in(page, base, "coordinadora@example.org", coordinator_password)
    page.goto(base + "/shelters")
    check(page, "shelters")
    page.fill("#code", "Casa-Ceiba")
    page.select_option("#kind", "safe_house")
    page.select_option("#region", label="Petén")  # a subdivision from the list, never typed
    page.fill("#address", ADDRESS)
    page.fill("#room", "A")
    page.fill("#regular_beds", "3")
    page.fill("#child_beds", "2")
    page.check("#accepts-families")
    page.click("form[action='/shelters'] button[type=submit]")
    try:
        page.wait_for_url(re.compile(r"/shelters/[0-9a-f-]+\?done=shelter"), wait_until="commit")
    except Exception:
        print("URL", page.url, page.inner_text("main")[:1500])
        raise
    assert ADDRESS in page.content()
    check(page, "shelter")

    page.goto(base + "/availability")
    page.fill("#adults", "1")
    page.fill("#children", "2")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"search=1"))
    assert "Casa-Ceiba" in page.content()
    check(page, "availability")

    # An analyst (through risk's API) records an extreme assessment: the hold appears on the
    # board by itself (htmx polling), no reload.
    page.goto(base + "/board")
    case_id, _assessment = open_extreme_case(stack)
    card = page.locator(f"#col-held ~ article[data-case='{case_id}']")
    card.wait_for(timeout=30_000)
    assert "La reserva vence en" in card.inner_text()
    check(page, "board")
    card.locator("button:has-text('Confirmar')").click()
    page.wait_for_url(re.compile(r"done=confirmed"))
    page.locator(
        f"#col-confirmed ~ article[data-case='{case_id}'] button:has-text('Registrar ingreso')"
    ).click()
    page.wait_for_url(re.compile(r"done=checked_in"))
    assert page.locator(f"#col-checked_in ~ article[data-case='{case_id}']").count() == 1

    page.goto(base + "/capacity")
    check(page, "capacity")
    page.goto(base + "/waitlist")
    check(page, "waitlist")

    # English, one click away, remembered on the next page.
    page.goto(base + "/capacity")
    page.click("button:has-text('English')")
    expect(page.locator("h1")).to_have_text("Capacity")
    page.goto(base + "/board")
    assert page.locator("h1").inner_text() == "Placements"
    check(page, "board-en")
    page.click("button:has-text('Español')")
    expect(page.locator("h1")).to_have_text("Colocaciones")
    sign_out(page)

    # Staff: no second factor for her role, and no address on any page.
    first_sign_in(page, base, "staff@example.org", staff_password)
    for path in ("/capacity", "/shelters", "/board", "/waitlist", "/availability?search=1&adults=1"):
        page.goto(base + path)
        assert ADDRESS not in page.content(), path
    page.goto(base + "/shelters")
    page.click("text=Casa-Ceiba")
    page.wait_for_url(re.compile(r"/shelters/[0-9a-f-]+$"))
    assert ADDRESS not in page.content()
    assert page.locator("#code").count() == 0  # no registration form for staff
