"""One emergency case through all three services, as the three kinds of users live it:
only HTTP, only tokens from `amparo token`, against the stack `make run` starts."""

from __future__ import annotations

import uuid

import httpx
import pytest

from bench.flow import extreme_answers
from tests.e2e.harness import Stack, consent, poll

ATTACKED_REGION = "GT-16"
COMMITTEE = ("e2e-committee-1", "e2e-committee-2", "e2e-committee-3")


def ok(response: httpx.Response, status: int | tuple[int, ...] = (200, 201)) -> dict:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response.json()


def register_shelter(coordinator: httpx.Client, region: str, *, adults: int = 2, children: int = 2) -> dict:
    return ok(
        coordinator.post(
            "/shelters",
            json={
                "code": f"E2E-{uuid.uuid4().hex[:8]}",
                "kind": "safe_house",
                "country": "GT",
                "region": region,
                "address": "Synthetic address, never shown to staff",
                "contact": "+502 0000 0000",
                "accepts": ["women", "children", "families"],
                "beds": [
                    {"room": "A", "count": adults},
                    {"room": "B", "count": children, "child_sized": True},
                ],
            },
        ),
        201,
    )


@pytest.fixture(scope="module")
def fund(stack: Stack) -> dict:
    with stack.client("funds", "fund_admin") as admin:
        fund = ok(
            admin.post(
                "/funds", json={"name": "Fondo de respuesta rápida", "currency": "USD", "countries": ["GT"]}
            )
        )
        ok(admin.post(f"/funds/{fund['id']}/deposits", json={"amount": 5_000_000, "currency": "USD"}))
        ok(
            admin.put(
                f"/funds/{fund['id']}/policy",
                json={
                    "ceiling": 800_000,
                    "emergency_limit": 500_000,
                    "quorum": 2,
                    "suggested": [
                        {"purpose": "relocation", "amount": 150_000},
                        {"purpose": "medical_psychological", "amount": 80_000},
                        {"purpose": "home_security", "amount": 120_000},
                        {"purpose": "legal", "amount": 100_000},
                    ],
                },
            )
        )
        for member in COMMITTEE:
            ok(admin.post(f"/funds/{fund['id']}/members", json={"sub": member}))
        return fund


def open_extreme_case(stack: Stack) -> tuple[str, dict]:
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:
        case = ok(
            analyst.post(
                "/cases",
                json={
                    "country": "GT",
                    "region": ATTACKED_REGION,
                    "line_of_defence": "land_and_territory",
                    "personal": {"full_name": "Defensora Sintética", "contacts": ["+502 5555 0000"]},
                    "party": {"adults": 1, "children_ages": [6, 11]},
                },
            ),
            201,
        )
        consent(analyst, case["id"], "shelters", "funds")
        instrument = ok(analyst.get("/instruments/gender-v1"))
        assessment = ok(
            analyst.post(
                f"/cases/{case['id']}/assessments",
                json={"instrument_version": "gender-v1", "answers": extreme_answers(instrument)},
            ),
            201,
        )
    return case["id"], assessment


def held_placement(staff: httpx.Client, case_id: str, *, not_id: str | None = None) -> dict:
    def probe():
        items = ok(staff.get("/placements", params={"case_id": case_id}))["items"]
        return next((p for p in items if p["status"] == "held" and p["id"] != not_id), None)

    return poll(probe, timeout=30)


def test_one_emergency_case_end_to_end(stack: Stack, fund: dict):
    # 1. A coordinator registers shelters: one where she was attacked, one away from it.
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        register_shelter(coordinator, ATTACKED_REGION)
        away = register_shelter(coordinator, "GT-01")

    # 2. An analyst opens the case and records an extreme assessment.
    case_id, assessment = open_extreme_case(stack)
    assert assessment["level"] == "extreme"
    assert "shelter" in assessment["measures"]
    assert ATTACKED_REGION in assessment["excluded_regions"]

    # 3. Nobody else touches it: a hold for three beds away from the attack, and an
    #    emergency-track application, appear by themselves.
    with stack.client("shelters", "network_staff", countries=("GT",)) as staff:
        placement = held_placement(staff, case_id)
        assert placement["party_size"] == 3
        assert placement["shelter_id"] != "" and placement["shelter_id"] is not None
        detail = ok(staff.get(f"/placements/{placement['id']}"))
        assert detail.get("shelter_region", away["region"]) != ATTACKED_REGION
        assert "address" not in str(detail).lower() or "Synthetic address" not in str(detail)
    with stack.client("funds", "fund_committee", sub=COMMITTEE[0]) as member:
        application = poll(
            lambda: ok(member.get("/applications", params={"case_id": case_id}))["items"], timeout=30
        )[0]
    assert application["track"] == "emergency"
    assert application["status"] == "pending"
    assert application["requested"] > 0

    # 4. Staff confirm and check the family in; the committee approves; the
    #    administrator pays in two tranches (the second retried with the same key).
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        assert (
            ok(coordinator.post(f"/placements/{placement['id']}/confirm", json={"stay_days": 21}))["status"]
            == "confirmed"
        )
        assert ok(coordinator.post(f"/placements/{placement['id']}/check-in"))["status"] == "checked_in"
    amount = min(application["requested"], 400_000)
    with stack.client("funds", "fund_admin") as admin:
        # The service chose the fund (several serve GT when other tests ran first): its
        # committee decides.
        drawn_from = ok(admin.get(f"/funds/{application['fund_id']}"))
    for sub in drawn_from["members"][:2]:
        with stack.client("funds", "fund_committee", sub=sub) as member:
            vote = ok(
                member.post(
                    f"/applications/{application['id']}/votes", json={"decision": "approve", "amount": amount}
                )
            )
    assert vote["application"]["status"] == "approved"
    assert vote["application"]["approved"] == amount
    with stack.client("funds", "fund_admin") as admin:
        first = amount // 2
        tranche = {
            "amount": first,
            "currency": "USD",
            "method": "bank_transfer",
            "payee_reference": "GT-ACC-0001",
        }
        ok(
            admin.post(
                f"/applications/{application['id']}/disbursements",
                json=tranche,
                headers={"Idempotency-Key": "t1"},
            ),
            201,
        )
        rest = {**tranche, "amount": amount - first, "method": "mobile_money", "payee_reference": "WALLET-77"}
        second = ok(
            admin.post(
                f"/applications/{application['id']}/disbursements",
                json=rest,
                headers={"Idempotency-Key": "t2"},
            ),
            201,
        )
        again = admin.post(
            f"/applications/{application['id']}/disbursements", json=rest, headers={"Idempotency-Key": "t2"}
        )
        assert ok(again)["id"] == second["id"]
        paid = ok(admin.get(f"/applications/{application['id']}"))
        assert paid["paid"] == amount
        balance = ok(admin.get(f"/funds/{drawn_from['id']}"))
        assert balance["disbursed"] == drawn_from["disbursed"] + amount
        assert balance["available"] >= 0

    # 5. The timeline on risk shows every step, in order, with its time.
    expected = [
        "amparo.risk.case.opened",
        "amparo.risk.assessment.recorded",
        "amparo.shelters.placement.held",
        "amparo.funds.application.opened",
        "amparo.shelters.placement.confirmed",
        "amparo.shelters.placement.checked_in",
        "amparo.funds.application.approved",
        "amparo.funds.disbursement.made",
    ]
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:

        def complete():
            timeline = ok(analyst.get(f"/cases/{case_id}/timeline"))
            types = [s["type"] for s in timeline["steps"]]
            return timeline if all(t in types for t in expected) and types.count(expected[-1]) == 2 else None

        timeline = poll(complete, timeout=30)
    steps = timeline["steps"]
    assert [s["occurred_at"] for s in steps] == sorted(s["occurred_at"] for s in steps)
    assert [s["elapsed_seconds"] for s in steps] == sorted(s["elapsed_seconds"] for s in steps)
    assert steps[0]["type"] == "amparo.risk.case.opened" and steps[0]["elapsed_seconds"] == 0
    position = {t: next(i for i, s in enumerate(steps) if s["type"] == t) for t in expected}
    assert position["amparo.risk.assessment.recorded"] < position["amparo.shelters.placement.held"]
    assert position["amparo.shelters.placement.held"] < position["amparo.shelters.placement.confirmed"]
    assert position["amparo.shelters.placement.confirmed"] < position["amparo.shelters.placement.checked_in"]
    assert position["amparo.funds.application.opened"] < position["amparo.funds.application.approved"]
    assert position["amparo.funds.application.approved"] < position["amparo.funds.disbursement.made"]
    # Each step happened once, even though every event travelled through JetStream.
    assert len([s for s in steps if s["type"] == "amparo.shelters.placement.held"]) == 1


def test_compromised_shelter_relocates_the_family_and_makes_the_case_due(stack: Stack, fund: dict):
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        register_shelter(coordinator, "GT-09")
        register_shelter(coordinator, "GT-05")
    case_id, _ = open_extreme_case(stack)
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        placement = held_placement(coordinator, case_id)
        ok(coordinator.post(f"/placements/{placement['id']}/confirm"))
        ok(coordinator.post(f"/placements/{placement['id']}/check-in"))
        result = ok(
            coordinator.post(
                f"/shelters/{placement['shelter_id']}/compromise",
                json={"reason": "Vigilancia frente a la casa"},
            ),
            200,
        )
        assert result["affected_placements"] >= 1
        relocation = held_placement(coordinator, case_id, not_id=placement["id"])
        assert relocation["shelter_id"] != placement["shelter_id"]
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:
        due = poll(
            lambda: [c for c in ok(analyst.get("/reassessments/due"))["items"] if c["case_id"] == case_id],
            timeout=30,
        )
        assert any("compromised" in reason for reason in due[0]["reasons"])
        # The compromise comes before the relocation it caused (it used to come after).
        held, compromised = "amparo.shelters.placement.held", "amparo.shelters.shelter.compromised"

        def both_steps():
            types = [s["type"] for s in ok(analyst.get(f"/cases/{case_id}/timeline"))["steps"]]
            return types if types.count(held) == 2 and compromised in types else None

        types = poll(both_steps, timeout=30)
        relocation_held = len(types) - 1 - types[::-1].index(held)
        assert types.index(held) < types.index(compromised) < relocation_held, types


@pytest.mark.parametrize("victim", ["shelters", "funds", "risk"])
def test_a_service_killed_mid_case_still_completes_without_repeating_a_step(
    stack: Stack, fund: dict, victim: str
):
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        register_shelter(coordinator, "GT-01")
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:
        case = ok(
            analyst.post(
                "/cases",
                json={
                    "country": "GT",
                    "region": ATTACKED_REGION,
                    "line_of_defence": "indigenous_rights",
                    "personal": {"full_name": "Defensora Sintética"},
                    "party": {"adults": 1, "children_ages": [3, 8]},
                },
            ),
            201,
        )
        consent(analyst, case["id"], "shelters", "funds")
        instrument = ok(analyst.get("/instruments/gender-v1"))
        # SIGKILL right after the assessment commits: its events sit in the outbox (risk
        # killed) or in JetStream unconsumed (shelters/funds killed).
        ok(
            analyst.post(
                f"/cases/{case['id']}/assessments",
                json={"instrument_version": "gender-v1", "answers": extreme_answers(instrument)},
            ),
            201,
        )
    old = stack.kill_service(victim)
    stack.wait_ready(victim, not_pid=old)
    with stack.client("shelters", "network_staff", countries=("GT",)) as staff:
        held_placement(staff, case["id"])
    with stack.client("funds", "fund_committee", sub=COMMITTEE[0]) as member:
        poll(lambda: ok(member.get("/applications", params={"case_id": case["id"]}))["items"], timeout=30)
    with stack.client("risk", "risk_analyst", countries=("GT",)) as analyst:

        def settled():
            steps = ok(analyst.get(f"/cases/{case['id']}/timeline"))["steps"]
            types = [s["type"] for s in steps]
            done = "amparo.shelters.placement.held" in types and "amparo.funds.application.opened" in types
            # A step is its type and what it says (her two consents share a type).
            return [(s["type"], s["summary"]) for s in steps] if done else None

        steps = poll(settled, timeout=30)
    for step in set(steps):
        assert steps.count(step) == 1, f"{step} happened {steps.count(step)} times"
    with stack.client("shelters", "network_staff", countries=("GT",)) as staff:
        assert len(ok(staff.get("/placements", params={"case_id": case["id"]}))["items"]) == 1
    with stack.client("funds", "fund_committee", sub=COMMITTEE[0]) as member:
        assert len(ok(member.get("/applications", params={"case_id": case["id"]}))["items"]) == 1
