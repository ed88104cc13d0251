"""The money desks in Chromium, on the whole system: an admin creates a fund administrator
and a committee of three; the administrator creates a fund, deposits, sets the grant
policy and seats the committee; an analyst's extreme assessment opens an emergency
application; one member recuses herself, the next approves it alone (after the page that
says her vote alone releases money) and the third ratifies it; the administrator pays it in
two tranches, each with a double-clicked pay button and the same form sent again, and the
funds ledger holds exactly one disbursement per tranche. axe-core on every page;
screenshots at 360 px in docs/screenshots/."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from tests.console.browser.test_shelter_desk import NEW_PASSWORD, add_person, check, first_sign_in
from tests.e2e.harness import poll
from tests.e2e.test_emergency_case import open_extreme_case

MEMBERS = ("comite-1@example.org", "comite-2@example.org", "comite-3@example.org")
FUND_ADMIN = "tesoreria@example.org"


def phone_page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="es-419")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in_to(page, base: str, email: str, password: str, landing: str) -> None:
    """First sign-in of a money role: a new password, TOTP when the role needs it, then
    the role's own desk (the home page sends her there)."""
    page.goto(base + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/password$"))
    page.fill("#password", NEW_PASSWORD)
    page.fill("#repeat", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/sign-in/enrol" in page.url:
        secret = page.inner_text("#totp-secret").strip()
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("main button[type=submit]")
    page.wait_for_url(re.compile(landing))


def pay_twice(page, grant_url: str, amount: str | None) -> None:
    """Fill the tranche, double-click pay, then send the very same form again (as a
    browser resending it would): one key, so one payment."""
    page.goto(grant_url)
    if amount is not None:
        page.fill("#pay-amount", amount)
    page.fill("#payee_reference", "GT82-0001-2345")
    form = page.locator("form[action$='/disbursements']")
    fields = {
        name: form.locator(f"[name={name}]").input_value()
        for name in ("csrf", "key", "amount", "method", "payee_reference")
    }
    action = form.get_attribute("action")
    form.locator("button[type=submit]").dblclick()
    page.wait_for_url(re.compile(r"done=paid"))
    again = page.context.request.post(
        grant_url.split("/fund-office")[0] + action, form=fields, max_redirects=0
    )
    assert again.status == 303, again.text()


def test_committee_and_fund_office_in_a_browser(stack, browser):
    base = stack.url("console")
    admin_email, admin_password = re.search(r"first sign-in: (\S+) / (\S+)", stack.log.read_text()).groups()

    admin = phone_page(browser)
    first_sign_in(admin, base, admin_email, admin_password)
    fund_admin_password = add_person(admin, base, FUND_ADMIN, "fund_admin")
    member_passwords = [add_person(admin, base, email, "fund_committee") for email in MEMBERS]

    # The fund administrator: a fund, money, a policy, a committee of three.
    office = phone_page(browser)
    sign_in_to(office, base, FUND_ADMIN, fund_admin_password, r"/fund-office$")
    office.fill("#name", "Fondo de respuesta rápida")
    office.select_option("#currency", "USD")
    office.check("#fund-country-GT")
    office.click("form[action='/fund-office/funds'] button[type=submit]")
    office.wait_for_url(re.compile(r"/fund-office/funds/[0-9a-f-]+\?done=fund_created"))
    fund_id = re.search(r"/funds/([0-9a-f-]+)", office.url).group(1)
    office.fill("#deposit-amount", "50000")
    office.click("form[action$='/deposits'] button[type=submit]")
    office.wait_for_url(re.compile(r"done=deposited"))
    assert "USD50,000.00" in office.inner_text("#available")
    office.fill("#ceiling", "8000")
    office.fill("#emergency_limit", "8000")
    office.fill("#quorum", "2")
    purposes = office.locator("select[name=purpose]")
    amounts = office.locator("input[name=suggested_amount]")
    for i, (purpose, amount) in enumerate(
        (("relocation", "1500"), ("medical_psychological", "800"), ("home_security", "1200"))
    ):
        purposes.nth(i).select_option(purpose)
        amounts.nth(i).fill(amount)
    office.click("form[action$='/policy'] button[type=submit]")
    office.wait_for_url(re.compile(r"done=policy"))
    for email in MEMBERS:
        office.fill("#member-email", email)
        office.click("form[action$='/members'] button[type=submit]")
        expect(office.locator("#members li", has_text=email)).to_have_count(1)
    check(office, "fund-detail")

    # An analyst records an extreme assessment: funds opens an emergency application.
    case_id, _ = open_extreme_case(stack)
    with stack.client("funds", "fund_admin", countries=("GT",)) as api:
        application = poll(
            lambda: (api.get("/applications", params={"case_id": case_id}).json()["items"] or [None])[0],
            timeout=30,
        )
    app_id = application["id"]
    assert application["track"] == "emergency" and application["fund_id"] == fund_id

    # Member 1: the inbox, then a recusal for a conflict of interest.
    first = phone_page(browser)
    sign_in_to(first, base, MEMBERS[0], member_passwords[0], r"/committee$")
    row = first.locator(f"#inbox-decide li[data-application='{app_id}']")
    assert row.count() == 1 and "emergencia" in row.inner_text()
    check(first, "committee-inbox")
    row.locator("a").click()
    first.wait_for_url(re.compile(rf"/committee/{app_id}$"))
    assert "Defensora" not in first.content() and "+502" not in first.content()  # nothing personal
    check(first, "committee-application")
    first.select_option("#reason_code", "conflict_of_interest")
    first.click("form[action$='/recuse'] button[type=submit]")
    first.wait_for_url(re.compile(r"done=recused"))

    # Member 2: her approval alone releases money: a page of its own says so, then she confirms.
    second = phone_page(browser)
    sign_in_to(second, base, MEMBERS[1], member_passwords[1], r"/committee$")
    second.goto(f"{base}/committee/{app_id}")
    assert "Vía de emergencia" in second.inner_text("main")
    second.check("#decision-approve")
    second.fill("#comment", "Salida urgente esta semana.")
    second.click("form[action$='/vote'] button[type=submit]")
    expect_text = "Su voto por sí solo libera dinero"
    second.wait_for_selector(f"h1:has-text('{expect_text}')")
    assert "por sí sola" in second.inner_text("#consequence") or "solo con su voto" in second.inner_text(
        "#consequence"
    )
    check(second, "committee-confirm")
    second.click("main form button[type=submit]")
    second.wait_for_url(re.compile(r"done=vote_approved"))

    # Member 3 ratifies it (the quorum of two among the two eligible members).
    third = phone_page(browser)
    sign_in_to(third, base, MEMBERS[2], member_passwords[2], r"/committee$")
    assert third.locator(f"#inbox-ratify li[data-application='{app_id}']").count() == 1, third.inner_text(
        "main"
    )
    third.goto(f"{base}/committee/{app_id}")
    third.click("form[action$='/vote'] button[type=submit]")
    third.wait_for_url(re.compile(r"done=vote_ratified"))

    with stack.client("funds", "fund_admin", countries=("GT",)) as api:
        decided = api.get(f"/applications/{app_id}").json()
    assert decided["status"] == "approved" and decided["ratified"] is True
    assert decided["tally"]["recused"] == 1 and decided["tally"]["approvals"] == 2
    approved = decided["approved"]

    # The fund administrator pays it in two tranches, each clicked twice and sent again.
    office.goto(base + "/fund-office")
    check(office, "fund-office")
    office.click(f"tr[data-application='{app_id}'] a")
    office.wait_for_url(re.compile(rf"/fund-office/applications/{app_id}$"))
    check(office, "fund-grant")
    grant_url = office.url
    pay_twice(office, grant_url, "1000")
    pay_twice(office, grant_url, None)  # the rest, as the form suggests
    office.goto(grant_url)
    assert "USD0.00" in office.inner_text("#remaining")
    assert office.locator("tr[data-tranche]").count() == 2 and "****2345" in office.inner_text("main")

    with stack.client("funds", "fund_admin", countries=("GT",)) as api:
        ledger = api.get(f"/funds/{fund_id}/ledger", params={"limit": 200}).json()["items"]
        paid = api.get(f"/applications/{app_id}").json()
    tranches = [e for e in ledger if e["kind"] == "disbursement" and e["application_id"] == app_id]
    assert [e["amount"] for e in tranches] == [100_000, approved - 100_000]
    assert paid["paid"] == approved

    office.goto(base + "/reports/grants")
    check(office, "grants-report")
    csv = office.context.request.get(base + "/reports/grants.csv")
    assert csv.status == 200 and csv.text().startswith("month,country,purpose,currency,granted,paid")
    for page in (admin, office, first, second, third):
        page.context.close()
