"""The analyst's desk in Chromium against the whole system: an admin adds an analyst; the
analyst opens a case, finds it by name with and without accents, reads her personal data
on request, records an assessment through the form drawn from the instrument (the
preview follows her answers by htmx), and watches the case's timeline fill by itself
with the hold from shelters and the application from funds; then she records an attack
and reads the statistics. axe-core on every page; screenshots at 360 px."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from tests.console.browser.test_shelter_desk import NEW_PASSWORD, add_person, check, first_sign_in, sign_out
from tests.e2e.test_emergency_case import fund, register_shelter  # noqa: F401 (fund is a fixture)

NAME = "José Pérez Xol"


def analyst_first_sign_in(page, base: str, email: str, password: str) -> None:
    """One-time password, a new one, TOTP enrolment; an analyst starts at her cases."""
    page.goto(base + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit] >> text=Continuar")
    page.wait_for_url(re.compile(r"/password$"))
    page.fill("#password", NEW_PASSWORD)
    page.fill("#repeat", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/sign-in/enrol"))
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/cases$"))


def search(page, base: str, typed: str) -> None:
    page.goto(base + "/cases")
    page.fill("#name", typed)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/search$"))
    page.locator("#results").wait_for()
    assert typed not in page.url


def test_the_analysts_desk_in_a_browser(stack, phone, fund):  # noqa: F811
    base = stack.url("console")
    admin_email, admin_password = re.search(r"first sign-in: (\S+) / (\S+)", stack.log.read_text()).groups()
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        register_shelter(coordinator, "GT-17")  # away from where she was attacked
    page = phone

    first_sign_in(page, base, admin_email, admin_password)
    analyst_password = add_person(page, base, "analista@example.org", "risk_analyst")
    sign_out(page)
    analyst_first_sign_in(page, base, "analista@example.org", analyst_password)
    check(page, "cases-empty")

    # Intake with her personal data.
    page.goto(base + "/cases/new")
    page.fill("#full_name", NAME)
    page.fill("#organization", "Colectiva Sintética")
    page.fill("#contacts", "+502 5555 0100")
    page.select_option("#region", "GT-16")
    page.select_option("#line_of_defence", "land_and_territory")
    page.fill("#children_ages", "4, 9")
    # What she agrees to share: beds held for her, a grant application, her incidents
    # counted in the statistics.
    for purpose in ("shelters", "funds", "statistics"):
        page.check(f"#consent-{purpose}")
    check(page, "case-intake")
    page.click("form[action='/cases'] button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}\?done=case_opened"))
    case_id = re.search(r"/cases/([0-9a-f-]{36})", page.url).group(1)
    assert NAME not in page.content()

    # Found by name, with and without accents and capitals.
    for typed in ("jose perez", "JOSÉ PÉREZ"):
        search(page, base, typed)
        expect(page.locator(f"a[href='/cases/{case_id}']")).to_have_count(1)
    check(page, "case-search")
    page.click(f"a[href='/cases/{case_id}']")
    page.wait_for_url(re.compile(rf"/cases/{case_id}$"))

    # Her personal data only on request (risk audits the read).
    page.click("text=Mostrar sus datos personales y las notas")
    expect(page.locator("#full-name")).to_have_text(NAME)

    # The assessment form from the instrument; the preview follows the answers (htmx).
    page.click("text=Nueva evaluación")
    page.wait_for_url(re.compile(r"/assess$"))
    expect(page.locator("#preview-level")).to_have_text("bajo")
    page.check("#a_T03")  # an attempt on her life: extreme
    expect(page.locator("#preview-level")).to_have_text("extremo")
    page.select_option("#a_T01", "2")
    page.fill("#notes", "nota sintética de la evaluación")
    check(page, "assessment-form")
    page.click("button[value=record]")
    page.wait_for_url(re.compile(rf"/cases/{case_id}\?done=assessed"))

    # The timeline fills by itself: the hold from shelters, the application from funds.
    timeline = page.locator("#timeline")
    expect(timeline.locator("[data-step='amparo.risk.assessment.recorded']")).to_have_count(1)
    expect(timeline.locator("[data-step='amparo.shelters.placement.held']")).to_have_count(1, timeout=60_000)
    expect(timeline.locator("[data-step='amparo.funds.application.opened']")).to_have_count(1, timeout=60_000)
    assert "Camas reservadas" in timeline.inner_text()
    check(page, "case")

    # The registry of attacks and its statistics.
    page.goto(base + f"/incidents?case={case_id}")
    page.fill("#occurred_on", "2026-02-03")
    page.select_option("#region", "GT-16")
    page.check("#ag-threats")
    page.check("#ag-surveillance")
    page.check("#pe-companies")
    page.check("#gender-yes")
    page.check("#gc-threats_against_children_or_family")
    check(page, "incidents")
    page.click("form[action='/incidents'] button[type=submit]")
    page.wait_for_url(re.compile(rf"/cases/{case_id}\?done=incident"))
    expect(page.locator("#timeline [data-step='amparo.risk.incident.recorded']")).to_have_count(1)
    page.goto(base + "/incidents/stats")
    assert page.locator("svg").count() >= 5
    check(page, "incident-stats")
    page.goto(base + "/cases")
    check(page, "cases")
