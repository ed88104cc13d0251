"""The admin's desk in Chromium against the whole system as `make run` starts it: an admin
creates an account with roles and countries, disables one and resets a second factor; an
analyst reads a case's personal data through risk's API and a coordinator is shown a
shelter's address through shelters' API, and the admin sees both in the audit log; the
state of the system; a dead letter replayed from the keyboard.
axe-core on every page, screenshots at 360 px in docs/screenshots/."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import nats
from playwright.sync_api import expect

from shared import deadletters
from shared.events import CaseOpened, Party, encode_event, new_event
from tests.console.browser.test_shelter_desk import check, first_sign_in
from tests.shelters.helpers import ADDRESS, shelter_body

ANALYST = "analista@example.org"
COORDINATOR = "coordinadora@example.org"


def _publish_dead_letter(nats_url: str, case_id: uuid.UUID) -> None:
    """A case opened that shelters' consumer gave up on, as shared.consumer writes it."""

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        try:
            event = new_event(
                CaseOpened(country="GT", region="GT-01", line_of_defence="land", party=Party()),
                producer="risk",
                case_id=case_id,
            )
            await nc.jetstream().publish(
                deadletters.letter_subject("RISK", "shelters-risk"),
                encode_event(event),
                headers={
                    "Amparo-Original-Subject": CaseOpened.TYPE,
                    "Amparo-Consumer": "shelters-risk",
                    "Amparo-Deliveries": "5",
                    "Amparo-Error": "UndefinedTableError",
                },
            )
        finally:
            await nc.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's loop
        pool.submit(asyncio.run, publish()).result()


def _account_page(page, base: str, email: str) -> None:
    page.goto(base + "/people")
    page.click(f"a:has-text('{email}')")
    page.wait_for_url(re.compile(r"/people/[0-9a-f-]{36}$"))


def test_the_admin_desk_in_a_browser(stack, phone):
    base = stack.url("console")
    admin_email, admin_password = re.search(r"first sign-in: (\S+) / (\S+)", stack.log.read_text()).groups()
    page = phone
    first_sign_in(page, base, admin_email, admin_password)

    # An account with two roles and two countries, and one that will be disabled.
    page.goto(base + "/people")
    page.fill("#email", ANALYST)
    page.fill("#name", "Analista")
    page.check("#role-risk_analyst")
    page.check("#role-network_staff")
    page.check("#country-GT")
    page.check("#country-SV")
    page.click("form[action='/people'] button[type=submit]")
    expect(page.locator("#one-time-password")).to_be_visible()
    page.fill("#email", "temporal@example.org")
    page.fill("#name", "Temporal")
    page.check("#role-network_staff")
    page.check("#country-GT")
    page.click("form[action='/people'] button[type=submit]")
    expect(page.locator("#one-time-password")).to_be_visible()
    check(page, "admin-people")

    _account_page(page, base, "temporal@example.org")
    page.click("button:has-text('Desactivar la cuenta')")
    page.wait_for_url(re.compile(r"done=disabled"))
    expect(page.locator(".done")).to_contain_text("desactivada")
    _account_page(page, base, ANALYST)
    expect(page.locator("#country-SV")).to_be_checked()
    expect(page.locator("#role-risk_analyst")).to_be_checked()
    page.click("button:has-text('Restablecer el segundo factor')")
    page.wait_for_url(re.compile(r"done=second_factor"))
    check(page, "admin-account")

    # The analyst reads a defender's personal data through risk's API with her token.
    with stack.client("risk", "risk_analyst", countries=("GT",), sub=ANALYST) as risk:
        case = risk.post(
            "/cases",
            json={
                "country": "GT",
                "region": "GT-16",
                "line_of_defence": "land_and_territory",
                "personal": {"full_name": "Defensora Sintética", "contacts": ["+502 5555 0101"]},
                "party": {"adults": 1},
            },
        ).json()
        assert risk.get(f"/cases/{case['id']}").status_code == 200

    page.goto(base + "/admin/audit")
    page.fill("#actor", ANALYST)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"actor="))
    row = page.locator("#audit tbody tr", has_text=case["id"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("case.personal_data.read")
    check(page, "admin-audit")

    # A coordinator is shown a shelter's address (registering it, then reading it) through
    # shelters' API with her token: two rows of shelters', the shelter's id, no address.
    with stack.client("shelters", "shelter_coordinator", countries=("GT",), sub=COORDINATOR) as shelters:
        shelter = shelters.post("/shelters", json=shelter_body(country="GT")).json()
        assert shelters.get(f"/shelters/{shelter['id']}").json()["address"] == ADDRESS
    page.fill("#actor", COORDINATOR)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"actor=coordinadora"))
    rows = page.locator("#audit tbody tr", has_text=shelter["id"])
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("shelter.address.read")
    expect(rows.first).to_contain_text("albergue")
    expect(page.locator("main")).not_to_contain_text(ADDRESS)

    page.goto(base + "/admin/system")
    expect(page.locator(".badge.ok")).to_have_count(3)
    check(page, "admin-system")

    # A dead letter, replayed from the keyboard: shelters' consumer applies it.
    case_id = uuid.uuid4()
    _publish_dead_letter(stack.state()["nats_url"], case_id)
    page.goto(base + "/admin/dead-letters")
    expect(page.locator(".letter")).to_have_count(1)
    expect(page.locator(".letter")).to_contain_text(str(case_id))
    check(page, "admin-dead-letters")
    page.locator(".letter button:has-text('Reprocesar')").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=replayed"))
    expect(page.locator(".letter")).to_have_count(0)
    expect(page.locator(".done")).to_contain_text("El evento se aplicó")
    page.goto(base + "/admin/system")
    expect(page.locator(".badge.ok")).to_have_count(3)
