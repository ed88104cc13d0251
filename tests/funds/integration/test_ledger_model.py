"""The ledger against a small model (hypothesis stateful): deposits, approvals,
tranches (with retries of the same key), closes and deposit reversals in any order keep
balance = deposits - disbursements, available = balance - open commitments,
and nothing is ever negative; refusals happen exactly when the model says so."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from services.funds.applications import service as applications
from services.funds.applications.schemas import ApplicationCreate, CloseCreate, LineIn
from services.funds.committee import service as committee
from services.funds.committee.schemas import VoteCreate
from services.funds.disbursements import service as disbursements
from services.funds.disbursements.schemas import DisbursementCreate
from services.funds.domain.payee import masked
from services.funds.funds import service as funds
from services.funds.funds.schemas import DepositCreate, FundCreate, MemberAdd, PolicyPut, ReversalCreate
from shared import db
from shared.config import with_database
from shared.errors import Conflict
from tests.conftest import fresh_database
from tests.funds.helpers import known_case, principal, runtime

ADMIN = principal("admin", "fund_admin")
M1 = principal("m1", "fund_committee")


class LedgerMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    rt = None

    def __init__(self) -> None:
        super().__init__()
        self.deposits = 0
        # Deposit entry id -> amount, and those already reversed (issue 14).
        self.deposit_entries: dict[int, int] = {}
        self.reversed: set[int] = set()
        self.apps: dict[uuid.UUID, dict] = {}
        self.last_tranche: tuple | None = None
        self.fund_id = self.run(self._new_fund())

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _new_fund(self) -> uuid.UUID:
        # A new fund per example: the ledger is append-only, there is nothing to truncate.
        fund = await funds.create_fund(self.rt, ADMIN, FundCreate(name="M", currency="HNL", countries=["HN"]))
        await funds.put_policy(self.rt, ADMIN, fund.id, PolicyPut(ceiling=10**9, emergency_limit=1, quorum=1))
        await funds.add_member(self.rt, ADMIN, fund.id, MemberAdd(sub="m1"))
        return fund.id

    # --- the model -------------------------------------------------------------------

    @property
    def paid(self) -> int:
        return sum(a["paid"] for a in self.apps.values())

    @property
    def open_commitments(self) -> int:
        return sum(a["approved"] - a["paid"] for a in self.apps.values() if not a["closed"])

    @property
    def available(self) -> int:
        return self.deposits - self.paid - self.open_commitments

    def payable(self) -> list[uuid.UUID]:
        return [k for k, a in self.apps.items() if not a["closed"]]

    # --- rules -----------------------------------------------------------------------

    @rule(amount=st.integers(1, 50_000))
    def deposit(self, amount: int) -> None:
        made = self.run(
            funds.deposit(self.rt, ADMIN, self.fund_id, DepositCreate(amount=amount, currency="HNL"))
        )
        self.deposits += amount
        self.deposit_entries[made.id] = amount

    @precondition(lambda self: self.deposit_entries)
    @rule(data=st.data())
    def reverse(self, data) -> None:
        """A reversal is refused when already made or when the money is committed or paid
        (available would go below 0), exactly as the model says."""
        entry = data.draw(st.sampled_from(sorted(self.deposit_entries)))
        amount = self.deposit_entries[entry]
        allowed = entry not in self.reversed and amount <= self.available
        try:
            view = self.run(
                funds.reverse_deposit(
                    self.rt, ADMIN, self.fund_id, entry, ReversalCreate(reason_code="other")
                )
            )
        except Conflict as refused:
            assert not allowed
            assert refused.code == (
                "fund.deposit_already_reversed"
                if entry in self.reversed
                else "fund.reversal_exceeds_available"
            )
            return
        assert allowed and view.amount == amount
        self.reversed.add(entry)
        self.deposits -= amount

    @rule(amount=st.integers(1, 60_000))
    def approve(self, amount: int) -> None:
        case_id = uuid.uuid4()
        self.run(known_case(self.rt.pool, case_id, "HN"))
        app = self.run(
            applications.create_application(
                self.rt,
                ADMIN,
                ApplicationCreate(
                    case_id=case_id,
                    country="HN",
                    fund_id=self.fund_id,
                    lines=[LineIn(purpose="legal", amount=amount)],
                ),
            )
        )
        covered = amount <= self.available
        try:
            self.run(committee.vote(self.rt, M1, app.id, VoteCreate(decision="approve")))
        except Conflict:
            assert not covered
            return
        assert covered
        self.apps[app.id] = {"approved": amount, "paid": 0, "closed": False}

    @precondition(lambda self: self.payable())
    @rule(data=st.data(), amount=st.integers(1, 40_000))
    def disburse(self, data, amount: int) -> None:
        app_id = data.draw(st.sampled_from(self.payable()))
        app = self.apps[app_id]
        key = str(uuid.uuid4())
        body = DisbursementCreate(
            amount=amount, currency="HNL", method="bank_transfer", payee_reference="HN-0001"
        )
        try:
            view, created = self.run(
                disbursements.disburse(self.rt, ADMIN, app_id, body, idempotency_key=key)
            )
        except Conflict:
            assert amount > app["approved"] - app["paid"]
            return
        assert created and amount <= app["approved"] - app["paid"]
        app["paid"] += amount
        assert view.paid_total == app["paid"]
        self.last_tranche = (app_id, key, body, view)

    @precondition(lambda self: self.last_tranche is not None)
    @rule()
    def retry_last_tranche(self) -> None:
        app_id, key, body, first = self.last_tranche
        view, created = self.run(disbursements.disburse(self.rt, ADMIN, app_id, body, idempotency_key=key))
        # The same answer, the reference masked (it is shown in full only when paid).
        assert not created and view == msgspec.structs.replace(
            first, payee_reference=masked(body.payee_reference)
        )

    @precondition(lambda self: self.payable())
    @rule(data=st.data())
    def close(self, data) -> None:
        app_id = data.draw(st.sampled_from(self.payable()))
        view = self.run(applications.close(self.rt, ADMIN, app_id, CloseCreate()))
        app = self.apps[app_id]
        assert view.released == app["approved"] - app["paid"]
        app["closed"] = True

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        fund = self.run(funds.get_fund(self.rt, ADMIN, self.fund_id))
        assert fund.balance == self.deposits - self.paid >= 0
        assert fund.committed == self.open_commitments >= 0
        assert fund.available == fund.balance - fund.committed == self.available >= 0


def test_ledger_against_model(pg_url):
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(fresh_database(pg_url, "funds"))
    pool = loop.run_until_complete(db.create_pool(with_database(pg_url, name), min_size=1, max_size=4))
    LedgerMachine.loop = loop
    LedgerMachine.rt = runtime(pool)
    try:
        run_state_machine_as_test(
            LedgerMachine,
            settings=settings(
                max_examples=40,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(pool.close())
        loop.close()
