"""The money pages through the console against a real funds process, without a browser
(so without JavaScript): the committee inbox and an application in both languages, the
confirmation page before a vote that alone releases money, a recusal, the fund office,
and a payment form sent twice that pays once (its idempotency key)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.console.conftest import console_client, csrf_of, make_account, sign_in
from tests.funds.helpers import ADMIN, make_application, make_fund
from tests.support import served_process

MEMBERS = ("ana@example.org", "bea@example.org", "cata@example.org")


@pytest.fixture
async def funds(make_settings):
    settings = await make_settings("funds")
    async with served_process("funds", settings, log_level="warning") as served:
        async with httpx.AsyncClient(base_url=str(served.http.base_url).rstrip("/")) as client:
            client.app = type("App", (), {"state": type("S", (), {})()})()  # known_case reads settings
            client.app.state.runtime = type("R", (), {"settings": settings})()
            yield client


async def _application(funds, track: str = "emergency"):
    fund = await make_fund(funds, members=MEMBERS, emergency_limit=200_000, deposit=1_000_000)
    return fund, await make_application(funds, fund, amount=150_000, track=track)


async def test_a_member_is_asked_before_her_vote_alone_releases_money(make_settings, funds):
    _fund, app = await _application(funds)
    async with console_client(make_settings, funds_url=str(funds.base_url).rstrip("/")) as console:
        await make_account(console, MEMBERS[0], ["fund_committee"], countries=("GT",))
        await sign_in(console, MEMBERS[0])
        home = await console.get("/", follow_redirects=False)
        assert home.headers["location"] == "/committee"
        inbox = (await console.get("/committee")).text
        assert f'data-application="{app["id"]}"' in inbox and "Por decidir" in inbox
        assert "quedan" in inbox  # the time left to the 24 h deadline
        page = (await console.get(f"/committee/{app['id']}")).text
        assert "Vía de emergencia" in page, page[page.find("<main") :]
        assert "USD1,500.00" in page
        assert "Integrantes" in page and "Necesarias" in page
        # The first post only explains; nothing is voted yet.
        asked = await console.post(
            f"/committee/{app['id']}/vote",
            data={"csrf": csrf_of(page), "decision": "approve", "amount": "1500", "comment": "urgente"},
            follow_redirects=False,
        )
        assert asked.status_code == 200 and "Su voto por sí solo libera dinero" in asked.text
        assert 'name="sure" value="yes"' in asked.text
        unvoted = (await funds.get(f"/applications/{app['id']}", headers=ADMIN)).json()
        assert unvoted["status"] == "pending" and unvoted["tally"]["approvals"] == 0
        sure = await console.post(
            f"/committee/{app['id']}/vote",
            data={"csrf": csrf_of(asked.text), "decision": "approve", "amount": "1500", "comment": "urgente",
                  "sure": "yes"},
            follow_redirects=False,
        )  # fmt: skip
        assert sure.status_code == 303 and sure.headers["location"].endswith("done=vote_approved")
        voted = (await funds.get(f"/applications/{app['id']}", headers=ADMIN)).json()
        assert voted["status"] == "approved" and voted["approved"] == 150_000 and voted["ratified"] is False
        # In English, the same page says what she voted.
        await console.post("/language", data={"csrf": csrf_of(page), "language": "en", "next": "/"})
        english = (await console.get(f"/committee/{app['id']}")).text
        assert "You voted: approve." in english and "Waiting" not in english


async def test_an_ordinary_vote_and_a_recusal_need_no_second_step(make_settings, funds):
    _fund, app = await _application(funds, track="ordinary")
    async with console_client(make_settings, funds_url=str(funds.base_url).rstrip("/")) as console:
        await make_account(console, MEMBERS[1], ["fund_committee"], countries=("GT",))
        await sign_in(console, MEMBERS[1])
        page = (await console.get(f"/committee/{app['id']}")).text
        recused = await console.post(
            f"/committee/{app['id']}/recuse",
            data={"csrf": csrf_of(page), "reason_code": "conflict_of_interest"},
            follow_redirects=False,
        )
        assert recused.status_code == 303
        after = (await console.get(recused.headers["location"])).text
        assert "conflicto de interés" in after and 'action="/committee/' + app["id"] + '/vote"' not in after
        bad = await console.post(
            f"/committee/{app['id']}/vote", data={"csrf": csrf_of(after), "decision": "reject"}
        )
        assert bad.status_code == 403 and "se excusó" in bad.text


async def test_a_payment_form_sent_twice_pays_once(make_settings, funds):
    fund, app = await _application(funds)
    for sub in MEMBERS[:2]:
        r = await funds.post(
            f"/applications/{app['id']}/votes",
            json={"decision": "approve"},
            headers=_member(sub),
        )
        assert r.status_code == 201, r.text
    async with console_client(make_settings, funds_url=str(funds.base_url).rstrip("/")) as console:
        await make_account(console, "caja@example.org", ["fund_admin"], countries=("GT",))
        await sign_in(console, "caja@example.org")
        office = (await console.get("/fund-office")).text
        assert "Apoyos aprobados por pagar" in office and f'data-application="{app["id"]}"' in office
        detail = (await console.get(f"/fund-office/funds/{fund['id']}")).text
        assert 'name="key"' in detail and "Política de apoyos" in detail
        page = (await console.get(f"/fund-office/applications/{app['id']}")).text
        key = re.search(r'name="key" value="([0-9a-f-]{36})"', page).group(1)
        form = {"csrf": csrf_of(page), "key": key, "amount": "500", "method": "bank_transfer",
                "payee_reference": "gt82-0001-2345"}  # fmt: skip
        for _ in range(2):
            sent = await console.post(f"/fund-office/applications/{app['id']}/disbursements", data=form,
                                      follow_redirects=False)  # fmt: skip
            assert sent.status_code == 303 and sent.headers["location"].endswith("done=paid")
        ledger = (await funds.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()["items"]
        assert [e["amount"] for e in ledger if e["kind"] == "disbursement"] == [50_000]
        again = (await console.get(f"/fund-office/applications/{app['id']}")).text
        assert again.count("data-tranche=") == 1 and "****2345" in again and "GT82" not in again
        assert (
            re.search(r'name="key" value="([0-9a-f-]{36})"', again).group(1) != key
        )  # a new form, a new key
        report = (await console.get("/reports/grants")).text
        assert "<svg" in report and "Otorgado y pagado por mes" in report
        csv = await console.get("/reports/grants.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert "GT,relocation,USD,1500.00,500.00" in csv.text


def _member(sub: str) -> dict[str, str]:
    from tests.funds.helpers import member

    return member(sub)


async def test_a_deposit_is_reversed_after_a_page_that_says_what_follows(make_settings, funds):
    fund = await make_fund(funds, members=MEMBERS, deposit=0)
    async with console_client(make_settings, funds_url=str(funds.base_url).rstrip("/")) as console:
        await make_account(console, "caja2@example.org", ["fund_admin"], countries=("GT",))
        await sign_in(console, "caja2@example.org")
        detail = (await console.get(f"/fund-office/funds/{fund['id']}")).text
        key = re.search(r'name="key" value="([0-9a-f-]{36})"', detail).group(1)
        form = {"csrf": csrf_of(detail), "key": key, "amount": "5000"}
        for _ in range(2):  # a resent deposit form deposits once
            sent = await console.post(
                f"/fund-office/funds/{fund['id']}/deposits", data=form, follow_redirects=False
            )
            assert sent.status_code == 303, sent.text
        ledger = (await funds.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()["items"]
        (deposit,) = [e for e in ledger if e["kind"] == "deposit"]
        page = (await console.get(f"/fund-office/funds/{fund['id']}")).text
        link = f"/fund-office/funds/{fund['id']}/deposits/{deposit['id']}/reversal"
        assert link in page
        ask = (await console.get(link)).text
        assert "Todo el depósito (USD5,000.00)" in ask and 'name="sure" value="yes"' in ask
        key = re.search(r'name="key" value="([0-9a-f-]{36})"', ask).group(1)
        form = {
            "csrf": csrf_of(ask),
            "key": key,
            "sure": "yes",
            "reason_code": "wrong_amount",
            "note": "era 500",
        }
        first = await console.post(link, data=form, follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].endswith("done=reversed#ledger")
        ledger = (await funds.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()["items"]
        assert [e["kind"] for e in ledger] == ["deposit", "deposit_reversal"]
        after = (await console.get(f"/fund-office/funds/{fund['id']}")).text
        assert link not in after and "revertido" in after and "era 500" not in after
