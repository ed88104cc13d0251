"""Money under concurrency, against the real database (pool of 20): simultaneous
approvals and tranches never overspend a fund, never pay an application more than
approved, and one idempotency key sent many times at once pays once."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import msgspec
import pytest

from services.funds.applications import service as applications
from services.funds.applications import views
from services.funds.applications.schemas import ApplicationCreate, CloseCreate, LineIn
from services.funds.committee import service as committee
from services.funds.committee.schemas import VoteCreate
from services.funds.disbursements import service as disbursements
from services.funds.disbursements.schemas import DisbursementCreate
from services.funds.funds import service as funds
from services.funds.funds.schemas import DepositCreate, FundCreate, MemberAdd, PolicyPut, ReversalCreate
from shared.errors import Conflict, Invalid
from tests.funds.helpers import ADMIN, known_case, make_application, make_fund, principal, vote
from tests.support import service_client

ADMIN_P = principal("admin-1", "fund_admin")
M1 = principal("m1", "fund_committee")


async def fund_with_money(rt, amount: int, *, quorum: int = 1) -> uuid.UUID:
    fund = await funds.create_fund(rt, ADMIN_P, FundCreate(name="F", currency="GTQ", countries=["GT"]))
    await funds.deposit(rt, ADMIN_P, fund.id, DepositCreate(amount=amount, currency="GTQ"))
    await funds.put_policy(
        rt, ADMIN_P, fund.id, PolicyPut(ceiling=10**9, emergency_limit=10**6, quorum=quorum)
    )
    await funds.add_member(rt, ADMIN_P, fund.id, MemberAdd(sub="m1"))
    return fund.id


async def open_app(rt, fund_id: uuid.UUID, amount: int) -> uuid.UUID:
    app = await applications.create_application(
        rt,
        ADMIN_P,
        ApplicationCreate(
            case_id=uuid.UUID(await known_case(rt.pool, country="GT")),
            country="GT",
            fund_id=fund_id,
            lines=[LineIn(purpose="legal", amount=amount)],
        ),
    )
    return app.id


async def outcomes(coros) -> list:
    return await asyncio.gather(*coros, return_exceptions=True)


async def check_ledger_consistency(rt, fund_id: uuid.UUID) -> None:
    fund = await funds.get_fund(rt, ADMIN_P, fund_id)
    async with rt.pool.acquire() as conn:
        sums = dict(
            await conn.fetch(
                "SELECT kind, sum(amount)::bigint FROM ledger_entries WHERE fund_id = $1 GROUP BY kind",
                fund_id,
            )
        )
        per_app = await conn.fetch(
            """SELECT a.id, a.approved,
                      coalesce(sum(l.amount) FILTER (WHERE l.kind = 'disbursement'), 0) AS paid,
                      (SELECT count(*) FROM disbursements d WHERE d.application_id = a.id) AS tranches,
                      (SELECT coalesce(sum(amount), 0) FROM disbursements d WHERE d.application_id = a.id) AS d_sum
               FROM applications a LEFT JOIN ledger_entries l ON l.application_id = a.id
               WHERE a.fund_id = $1 GROUP BY a.id""",
            fund_id,
        )
    deposits, paid = sums.get("deposit", 0) - sums.get("deposit_reversal", 0), sums.get("disbursement", 0)
    committed = sums.get("commitment", 0) - sums.get("release", 0) - paid
    assert fund.balance == deposits - paid >= 0
    assert fund.committed == committed >= 0
    assert fund.available == fund.balance - fund.committed >= 0
    for row in per_app:
        assert row["paid"] == row["d_sum"] <= (row["approved"] or 0)


async def test_simultaneous_approvals_never_overspend(rt):
    fund_id = await fund_with_money(rt, 10_500)
    apps = [await open_app(rt, fund_id, 1_000) for _ in range(30)]
    results = await outcomes(committee.vote(rt, M1, a, VoteCreate(decision="approve")) for a in apps)
    approved = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(approved) == 10 and all(r.outcome == "approved" for r in approved)
    assert len(refused) == 20 and all(isinstance(r, Conflict) for r in refused), refused[:1]
    assert "available" in refused[0].detail
    fund = await funds.get_fund(rt, ADMIN_P, fund_id)
    assert (fund.balance, fund.committed, fund.available) == (10_500, 10_000, 500)
    # Refused approvals left nothing behind: no vote, still pending.
    async with rt.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM votes") == 10
        assert await conn.fetchval("SELECT count(*) FROM applications WHERE status = 'pending'") == 20
    await check_ledger_consistency(rt, fund_id)


async def test_simultaneous_tranches_never_pay_more_than_approved(rt):
    fund_id = await fund_with_money(rt, 100_000)
    app_id = await open_app(rt, fund_id, 5_000)
    await committee.vote(rt, M1, app_id, VoteCreate(decision="approve"))

    def tranche(key: str, amount: int = 700):
        body = DisbursementCreate(
            amount=amount, currency="GTQ", method="mobile_money", payee_reference="W-5550123"
        )
        return disbursements.disburse(rt, ADMIN_P, app_id, body, idempotency_key=key)

    results = await outcomes(tranche(f"k{i}") for i in range(25))
    paid = [r for r in results if not isinstance(r, Exception)]
    assert len(paid) == 7 and all(created for _, created in paid)
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert sorted(v.tranche for v, _ in paid) == list(range(1, 8))
    app = await views.get_application(rt, ADMIN_P, app_id)
    assert app.paid == 4_900 and app.approved == 5_000
    await check_ledger_consistency(rt, fund_id)


async def test_same_key_many_times_at_once_pays_once(rt):
    fund_id = await fund_with_money(rt, 100_000)
    app_id = await open_app(rt, fund_id, 5_000)
    await committee.vote(rt, M1, app_id, VoteCreate(decision="approve"))
    body = DisbursementCreate(
        amount=3_000, currency="GTQ", method="bank_transfer", payee_reference="GT12-0099"
    )
    results = await outcomes(
        disbursements.disburse(rt, ADMIN_P, app_id, body, idempotency_key="same-key") for _ in range(20)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(created for _, created in results) == 1
    assert len({v.id for v, _ in results}) == 1 and len({v.made_at for v, _ in results}) == 1
    # Same key, another body: refused, nothing paid.
    other = DisbursementCreate(
        amount=1_000, currency="GTQ", method="bank_transfer", payee_reference="GT12-0099"
    )
    with pytest.raises(Invalid, match="Idempotency-Key"):
        await disbursements.disburse(rt, ADMIN_P, app_id, other, idempotency_key="same-key")
    async with rt.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM disbursements") == 1
        assert await conn.fetchval("SELECT count(*) FROM ledger_entries WHERE kind = 'disbursement'") == 1
    await check_ledger_consistency(rt, fund_id)


async def test_approvals_tranches_and_closes_interleaved(rt):
    fund_id = await fund_with_money(rt, 20_000)
    apps = [await open_app(rt, fund_id, 4_000) for _ in range(8)]
    await outcomes(committee.vote(rt, M1, a, VoteCreate(decision="approve")) for a in apps[:4])
    body = DisbursementCreate(
        amount=1_500, currency="GTQ", method="partner_cash", payee_reference="PARTNER-07"
    )

    work = [committee.vote(rt, M1, a, VoteCreate(decision="approve")) for a in apps[4:]]
    for a in apps[:4]:
        work += [disbursements.disburse(rt, ADMIN_P, a, body, idempotency_key=f"{a}-{i}") for i in range(4)]
        work += [disbursements.disburse(rt, ADMIN_P, a, body, idempotency_key=f"{a}-0") for _ in range(3)]
    work += [applications.close(rt, ADMIN_P, apps[0], CloseCreate())]
    results = await outcomes(work)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert not unexpected, unexpected
    await check_ledger_consistency(rt, fund_id)


async def test_the_database_itself_refuses_overspending_and_edits(rt):
    fund_id = await fund_with_money(rt, 1_000)
    app = uuid.uuid4()
    async with rt.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO applications (id, case_id, country, track, status, currency, requested, opened_by, due_at)"
            " VALUES ($1, $2, 'GT', 'ordinary', 'pending', 'GTQ', 5000, 't', now())",
            app,
            uuid.uuid4(),
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO ledger_entries (fund_id, kind, amount, application_id, recorded_by)"
                " VALUES ($1, 'commitment', 5000, $2, 't')",
                fund_id,
                app,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO ledger_entries (fund_id, kind, amount, application_id, recorded_by)"
                " VALUES ($1, 'release', 1, $2, 't')",
                fund_id,
                app,
            )
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("UPDATE ledger_entries SET amount = 1")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("DELETE FROM ledger_entries")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("TRUNCATE ledger_entries CASCADE")


async def test_same_key_through_http_at_once(make_settings):
    settings = await make_settings("funds", db_pool_max=20)
    async with service_client("funds", settings) as client:
        fund = await make_fund(client, deposit=500_000, quorum=1, members=("m1",))
        app = await make_application(client, fund, amount=100_000)
        assert (await vote(client, app["id"], "m1")).json()["outcome"] == "approved"
        pay = {
            "amount": 60_000,
            "currency": "USD",
            "method": "bank_transfer",
            "payee_reference": "ACC-123456",
        }
        headers = {**ADMIN, "Idempotency-Key": str(uuid.uuid4())}
        url = f"/applications/{app['id']}/disbursements"
        responses = await asyncio.gather(*[client.post(url, json=pay, headers=headers) for _ in range(15)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] * 14 + [201], [r.text for r in responses if r.status_code >= 400][:1]
        # Alike but for the reference: in full in the payment's answer, masked in the replays.
        bodies = [r.json() for r in responses]
        assert {r["payee_reference"] for r in bodies} == {"ACC-123456", "****3456"}
        assert len({msgspec.json.encode({**b, "payee_reference": ""}) for b in bodies}) == 1
        # A second tranche that would exceed what was approved is refused.
        r = await client.post(url, json=pay, headers={**ADMIN, "Idempotency-Key": "another"})
        assert r.status_code == 409 and "more than was approved" in r.json()["detail"]
        f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
        assert (f["balance"], f["committed"], f["available"]) == (440_000, 40_000, 400_000)


async def test_reversals_racing_approvals_never_overspend(rt):
    """Issue 14: a deposit reversed while approvals commit the same money: the fund never
    commits more than it keeps, and a deposit is reversed once."""
    fund_id = await fund_with_money(rt, 6_000)
    extra = await funds.deposit(rt, ADMIN_P, fund_id, DepositCreate(amount=5_000, currency="GTQ"))
    apps = [await open_app(rt, fund_id, 1_000) for _ in range(10)]
    reason = ReversalCreate(reason_code="wrong_fund")
    work = [committee.vote(rt, M1, a, VoteCreate(decision="approve")) for a in apps]
    work += [funds.reverse_deposit(rt, ADMIN_P, fund_id, extra.id, reason) for _ in range(3)]
    results = await outcomes(work)
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception)), results
    reversals = [r for r in results[10:] if not isinstance(r, Exception)]
    approvals = [r for r in results[:10] if not isinstance(r, Exception)]
    assert len(reversals) <= 1
    assert len(approvals) == (6 if reversals else 10)
    await check_ledger_consistency(rt, fund_id)


async def test_the_ledger_refuses_a_wrong_reversal_whatever_the_code_does(rt):
    """Inserted directly: a reversal of a non-deposit, of part of a deposit, a second one,
    or one that would leave committed money uncovered is refused by the database."""
    fund_id = await fund_with_money(rt, 3_000)
    app = await open_app(rt, fund_id, 2_000)
    await committee.vote(rt, M1, app, VoteCreate(decision="approve"))
    sql = """INSERT INTO ledger_entries (fund_id, kind, amount, reverses_id, reason_code, recorded_by)
             VALUES ($1, 'deposit_reversal', $2, $3, 'other', 'test')"""
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id, kind, amount FROM ledger_entries WHERE fund_id = $1 ORDER BY id", fund_id
        )
        deposit, commitment = rows[0], rows[1]
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(sql, fund_id, commitment["amount"], commitment["id"])
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(sql, fund_id, 100, deposit["id"])
        with pytest.raises(asyncpg.CheckViolationError):  # 2,000 committed: 3,000 cannot go
            await conn.execute(sql, fund_id, deposit["amount"], deposit["id"])
        more = await conn.fetchrow(
            "INSERT INTO ledger_entries (fund_id, kind, amount, recorded_by) VALUES ($1, 'deposit', 500, 't') "
            "RETURNING id",
            fund_id,
        )
        await conn.execute(sql, fund_id, 500, more["id"])
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(sql, fund_id, 500, more["id"])
    await check_ledger_consistency(rt, fund_id)
