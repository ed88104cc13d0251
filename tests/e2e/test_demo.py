"""`amparo demo` against the system `make run` starts (issue #13): it says where it found
the services, prints full ids and addresses that open, and refuses a system that holds
data it did not make unless forced. A stack of its own: the other e2e tests' data would
(rightly) make it refuse."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from deploy.demo import main
from tests.e2e.harness import Stack

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def own_stack():
    home = Path(tempfile.mkdtemp(prefix="amparo-demo-"))
    stack = Stack(home)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)


def shelters_total(stack: Stack) -> int:
    with stack.client("shelters", "admin") as admin:
        return admin.get("/shelters").json()["total"]


def test_demo_loads_data_prints_working_addresses_and_refuses_other_data(own_stack, monkeypatch, capsys):
    stack = own_stack
    monkeypatch.setenv("AMPARO_HOME", str(stack.home))
    for name in ("RISK", "SHELTERS", "FUNDS", "CONSOLE"):
        monkeypatch.delenv(f"AMPARO_{name}_URL", raising=False)
    assert main(cases=4, seed=11) == 0
    out = capsys.readouterr().out
    assert f"services from run.json ({stack.home / 'run.json'})" in out
    assert "beds in 20 shelters" in out and "attacks in the last year" in out
    # Full case ids that the API knows.
    cases = re.findall(rf"^case ({UUID}) ", out, flags=re.MULTILINE)
    assert len(cases) == 4
    with stack.client("risk", "risk_analyst") as analyst:
        for case_id in cases:
            assert analyst.get(f"/cases/{case_id}/timeline").status_code == 200
    # The console's pages it names exist (a person not signed in is sent to sign in).
    console = stack.url("console")
    pages = set(re.findall(rf"({re.escape(console)}/[\w/-]+)", out))
    assert {f"{console}/board", f"{console}/capacity", f"{console}/waitlist"} <= pages
    for page in pages:
        answer = httpx.get(page, follow_redirects=False, timeout=10)
        assert answer.status_code in (200, 303), page
        if answer.status_code == 303:
            assert answer.headers["location"].endswith("/sign-in") or "sign-in" in answer.headers["location"]
    assert "network-staff@demo.amparo.local" in out and "fund-admin@demo.amparo.local" in out

    # Someone's real shelter: the demo refuses and makes nothing.
    with stack.client("shelters", "shelter_coordinator") as coordinator:
        made = coordinator.post(
            "/shelters",
            json={"code": f"REAL-{uuid.uuid4().hex[:6]}", "kind": "safe_house", "country": "GT", "region": "GT-01",
                  "address": "Synthetic", "contact": "+502 0000 0000", "accepts": ["women"],
                  "beds": [{"room": "A", "count": 2}]},
        )  # fmt: skip
        assert made.status_code == 201, made.text
    before = shelters_total(stack)
    assert main(cases=1, seed=12) == 2
    out = capsys.readouterr().out
    assert "refused" in out and "1 shelters" in out and "--force" in out
    assert shelters_total(stack) == before
    # Forced, it goes on.
    assert main(cases=1, seed=13, force=True) == 0
    assert shelters_total(stack) == before + 20


def test_metrics_under_make_runs_nats_permissions(own_stack):
    """Each process of `make run` (NATS users held to their permissions) exports its
    gauges: consumer info, dead letters and the dependency probes all answer."""
    from prometheus_client.parser import text_string_to_metric_families

    for service in ("risk", "shelters", "funds", "console"):
        text = httpx.get(own_stack.url(service) + "/metrics", timeout=10).text
        samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
        up = {s.labels["dependency"]: s.value for s in samples if s.name == "amparo_dependency_up"}
        names = {s.name for s in samples}
        # The console too reads the streams (its notifications), under its own NATS user.
        assert up == {"database": 1.0, "nats": 1.0}, service
        assert {"amparo_dead_letters", "amparo_consumer_lag_seconds"} <= names, service
