"""The admin pages of the console against real risk and shelters processes (funds is
away on purpose): accounts changed and audited, the merged audit log with a read of
personal data made through risk's API and a shelter's address shown through shelters',
the state of the system, and dead letters."""

from __future__ import annotations

import re

import httpx
import nats
import pytest

from services.console import audit, i18n
from shared import db, deadletters
from shared.events import CaseOpened, Party, encode_event, new_event
from tests.console.conftest import console_client, make_account, post_form, sign_in
from tests.risk.helpers import case_body
from tests.shelters.helpers import ADDRESS, CONTACT, shelter_body
from tests.support import auth, served_process

AWAY = "http://127.0.0.1:9"  # nothing answers there: funds is down


@pytest.fixture
async def risk_url(make_settings):
    settings = await make_settings("risk")
    async with served_process("risk", settings, log_level="warning") as served:
        yield str(served.http.base_url).rstrip("/")


@pytest.fixture
async def admin_console(make_settings, shelters_url, risk_url):
    async with console_client(
        make_settings, shelters_url=shelters_url, risk_url=risk_url, funds_url=AWAY
    ) as c:
        c.risk_url = risk_url
        await make_account(c, "root@example.org", ["admin"], countries=("GT",))
        await sign_in(c, "root@example.org")
        yield c


async def test_an_admin_changes_an_account_and_every_change_is_audited(admin_console):
    c = admin_console
    i18n.MISSING.clear()
    created = await post_form(
        c, "/people", {"email": "ana@example.org", "name": "Ana", "roles": "network_staff", "countries": "GT"}
    )
    assert created.status_code == 200 and 'id="one-time-password"' in created.text
    people = (await c.get("/people")).text
    account_path = re.search(r'href="(/people/[0-9a-f-]{36})">ana@example.org', people).group(1)

    page = await c.get(account_path)
    assert page.status_code == 200
    changed = await c.post(
        account_path + "/access",
        data={
            "csrf": _csrf(page.text),
            "roles": ["risk_analyst", "network_staff"],
            "countries": ["GT", "SV"],
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303 and changed.headers["location"].endswith("?done=access")
    page = await c.get(account_path + "?done=access")
    assert "Se guardaron los roles y los países." in page.text
    assert re.search(r'id="country-SV"[^>]*checked', page.text)
    for path, done in (("/disabled", "disabled"), ("/second-factor", "second_factor")):
        response = await post_form(c, account_path + path, {"disabled": "yes"}, page=account_path)
        assert response.status_code == 303 and response.headers["location"].endswith(f"done={done}")
    assert "desactivada" in (await c.get(account_path)).text

    audit = (await c.get("/admin/audit?actor=root@example.org")).text
    for action in (
        "account.created",
        "account.access_set",
        "account.disabled",
        "account.second_factor_reset",
    ):
        assert action in audit, action
    assert i18n.MISSING == set()


async def test_the_audit_log_shows_a_read_of_personal_data_made_through_risk(admin_console):
    c = admin_console
    analyst = auth("risk_analyst", sub="analista@example.org", countries=("GT",))
    async with httpx.AsyncClient(base_url=c.risk_url) as risk:
        case = (await risk.post("/cases", json=case_body(), headers=analyst)).json()
        assert (await risk.get(f"/cases/{case['id']}", headers=analyst)).status_code == 200
    page = await c.get(f"/admin/audit?actor=analista@example.org&case={case['id']}")
    assert page.status_code == 200
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", page.text, re.S)
    assert len(rows) == 1 and "case.personal_data.read" in rows[0] and case["id"] in rows[0]
    assert "risk" in rows[0]
    assert "Nada" not in page.text
    assert (await c.get("/admin/audit?case=nope")).status_code == 400
    assert (await c.get("/admin/audit?from=yesterday")).status_code == 400


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr><th scope=\"row\">.*?</tr>", html, re.S)


async def test_the_audit_log_shows_a_shelter_address_shown_to_a_coordinator(admin_console, shelters_url):
    c = admin_console
    registrar = auth("shelter_coordinator", sub="registro@example.org", countries=("GT",))
    coordinator = auth("shelter_coordinator", sub="coordinadora@example.org", countries=("GT",))
    staff = auth("network_staff", sub="personal@example.org", countries=("GT",))
    analyst = auth("risk_analyst", sub="analista@example.org", countries=("GT",))
    person = {"email": "nueva@example.org", "name": "Nueva", "roles": "network_staff", "countries": "GT"}
    assert (await post_form(c, "/people", person)).status_code == 200  # the console's own row
    async with httpx.AsyncClient(base_url=shelters_url) as shelters:
        shelter = (
            await shelters.post("/shelters", json=shelter_body(country="GT"), headers=registrar)
        ).json()
        shown = await shelters.get(f"/shelters/{shelter['id']}", headers=coordinator)
        assert shown.json()["address"] == ADDRESS
        not_shown = await shelters.get(f"/shelters/{shelter['id']}", headers=staff)
        assert not_shown.status_code == 200 and "address" not in not_shown.json()
    async with httpx.AsyncClient(base_url=c.risk_url) as risk:
        case = (await risk.post("/cases", json=case_body(), headers=analyst)).json()
        assert (await risk.get(f"/cases/{case['id']}", headers=analyst)).status_code == 200

    i18n.MISSING.clear()
    page = await c.get("/admin/audit?actor=coordinadora@example.org")
    assert page.status_code == 200
    [row] = _rows(page.text)
    assert "shelter.address.read" in row and shelter["id"] in row and "albergue" in row
    assert "shelters" in row and "coordinadora@example.org" in row
    assert _rows((await c.get("/admin/audit?actor=personal@example.org")).text) == []  # nothing shown
    # Unfiltered, the three logs are merged newest first: risk's read, the shelter's
    # address shown, the registration's answer (it showed the address too), and the
    # console's own rows; never the address or the contact.
    merged = (await c.get("/admin/audit")).text
    sources = [re.search(r"(risk|shelters|console)</td></tr>$", r).group(1) for r in _rows(merged)]
    assert sources == ["risk", "shelters", "shelters", "console"]
    assert ADDRESS not in merged and CONTACT not in merged
    # A case filter asks risk only: shelters' rows name shelters, not cases.
    [only] = _rows((await c.get(f"/admin/audit?case={case['id']}")).text)
    assert "case.personal_data.read" in only and "shelter.address.read" not in only

    await post_form(c, "/language", {"language": "en", "next": "/admin/audit"}, page="/admin/audit")
    english = await c.get("/admin/audit?actor=coordinadora@example.org")
    [row] = _rows(english.text)
    assert "shelter <code>" in row and "albergue" not in row and shelter["id"] in row
    assert "address was shown (shelters)" in english.text
    assert i18n.MISSING == set()


async def test_the_audit_log_says_when_shelters_does_not_answer(make_settings, risk_url):
    async with console_client(make_settings, shelters_url=AWAY, risk_url=risk_url, funds_url=AWAY) as c:
        await make_account(c, "root@example.org", ["admin"], countries=("GT",))
        await sign_in(c, "root@example.org")
        page = await c.get("/admin/audit")
    assert page.status_code == 200
    assert "El servicio de albergues no respondió" in page.text
    assert "El servicio de riesgo no respondió" not in page.text


async def test_the_state_of_the_system_and_a_dead_letter_replayed_and_one_discarded(admin_console, nats_url):
    c = admin_console
    page = await c.get("/admin/system")
    assert page.status_code == 200
    assert page.text.count('class="badge ok"') == 2  # risk and shelters ready
    assert page.text.count('class="badge down"') == 1 and "El servicio no respondió." in page.text
    assert "<svg" in page.text

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        event = new_event(
            CaseOpened(country="GT", region="GT-01", line_of_defence="land", party=Party()),
            producer="risk",
            case_id=None,
        )
        for body in (encode_event(event), b"{not json"):
            await js.publish(
                deadletters.letter_subject("RISK", "shelters-risk"),
                body,
                headers={"Amparo-Original-Subject": CaseOpened.TYPE, "Amparo-Error": "ValueError"},
            )
        letters = (await c.get("/admin/dead-letters")).text
        seqs = re.findall(r"/admin/dead-letters/shelters/(\d+)/replay", letters)
        assert len(seqs) == 2 and "El servicio no respondió." in letters  # funds is away
        assert "2" in (await c.get("/admin/system")).text
        replayed = await post_form(
            c, f"/admin/dead-letters/shelters/{seqs[0]}/replay", {}, page="/admin/dead-letters"
        )
        assert replayed.headers["location"] == "/admin/dead-letters?done=replayed"
        failing = await post_form(
            c, f"/admin/dead-letters/shelters/{seqs[1]}/replay", {}, page="/admin/dead-letters"
        )
        assert failing.status_code == 409 and "sigue fallando" in failing.text
        no_reason = await post_form(
            c, f"/admin/dead-letters/shelters/{seqs[1]}/discard", {"reason": " "}, page="/admin/dead-letters"
        )
        assert no_reason.status_code == 400
        discarded = await post_form(
            c, f"/admin/dead-letters/shelters/{seqs[1]}/discard", {"reason": "basura de prueba"},
            page="/admin/dead-letters",
        )  # fmt: skip
        assert discarded.headers["location"] == "/admin/dead-letters?done=discarded"
        assert await deadletters.count(js) == 0
    finally:
        await nc.close()
    audit = (await c.get("/admin/audit?action=deadletter.discarded")).text
    assert "basura de prueba" in audit and f"shelters:{seqs[1]}" in audit


async def test_other_roles_never_see_the_admin_pages(admin_console):
    c = admin_console
    await make_account(c, "coord@example.org", ["shelter_coordinator"], countries=("GT",))
    await post_form(c, "/sign-out", {}, page="/capacity")
    await sign_in(c, "coord@example.org")
    for path in ("/admin/system", "/admin/dead-letters", "/admin/audit"):
        assert (await c.get(path)).status_code == 403, path


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_the_audit_log_pages_to_older_entries(admin_console):
    c = admin_console
    conn = await db.connect(c.dsn)
    try:
        for i in range(60):
            await audit.record(
                conn, actor="bulk@example.org", action="account.enabled", target=f"p{i}@example.org"
            )
    finally:
        await conn.close()
    first = (await c.get("/admin/audit?actor=bulk@example.org")).text
    older = (
        re.search(r'href="(/admin/audit\?[^"]+)">Entradas anteriores', first).group(1).replace("&amp;", "&")
    )
    second = (await c.get(older)).text
    targets = re.findall(r"(p\d+)@example.org", first) + re.findall(r"(p\d+)@example.org", second)
    assert sorted(targets) == sorted(f"p{i}" for i in range(60))
    assert "Entradas anteriores" not in second
