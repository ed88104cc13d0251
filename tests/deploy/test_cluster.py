"""The cluster on one machine (issue #13, `amparo run --cluster`): three NATS nodes with
authenticated routes and R3 streams, two replicas of each service as processes. Cases go
through while one NATS node and one replica of each service are killed (SIGKILL): every
effect happens exactly once, each case's events are applied in the order they were
written, and every consumer's backlog and lag return to 0."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx
import nats.errors
import pytest

from bench.flow import extreme_answers
from deploy.localcluster import LocalCluster, node_conf
from shared import broker
from shared.auth import issue_token
from shared.config import with_database
from tests.e2e.harness import poll

CASES = 10
KILL_AFTER = 4
PRODUCERS = ("risk", "shelters", "funds")  # the databases whose outboxes are checked
DURABLES = {  # consumer -> (its database, the producer's database)
    "shelters-risk": ("shelters", "risk"),
    "funds-risk": ("funds", "risk"),
    "risk-shelters": ("risk", "shelters"),
    "risk-funds": ("risk", "funds"),
}


def test_server_list_splits_a_cluster_url():
    assert broker.server_list("nats://a:1, nats://b:2,") == ["nats://a:1", "nats://b:2"]
    assert broker.server_list("nats://a:1") == ["nats://a:1"]


def test_each_node_requires_route_authentication(tmp_path):
    from deploy.localcluster import Node
    from deploy.natsconf import USERS

    nodes = [Node(f"nats-{i}", 4220 + i, 6220 + i, tmp_path / str(i)) for i in range(1, 4)]
    text = node_conf(nodes[0], nodes, "route-secret", dict.fromkeys(USERS, "x"))
    cluster = text.split("cluster {", 1)[1].split("\n}\n", 1)[0]
    assert 'user: route\n    password: "route-secret"' in cluster
    assert cluster.count("nats-route://route:route-secret@127.0.0.1:") == 3


@pytest.fixture(scope="module")
def cluster():
    home = Path(tempfile.mkdtemp(prefix="amparo-cluster-"))
    running = LocalCluster(home)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(home, ignore_errors=True)


class Caller:
    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster
        self.key = (cluster.home / "jwt.key").read_text()
        self.turn = 0

    def headers(self, role: str, sub: str | None = None) -> dict[str, str]:
        token = issue_token(self.key, sub=sub or f"cluster-{role}", roles=[role], countries=["GT"])
        return {"Authorization": f"Bearer {token}"}

    def url(self, service: str) -> str:
        """Any live replica, in turn (a load balancer's job)."""
        replicas = self.cluster.replicas_of(service)
        self.turn += 1
        return replicas[self.turn % len(replicas)].url

    def call(
        self, method: str, service: str, path: str, role: str, *, status=(200, 201), sub=None, **kw
    ) -> dict:
        response = httpx.request(
            method, self.url(service) + path, headers=self.headers(role, sub), timeout=30, **kw
        )
        assert response.status_code in status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


def prepare(caller: Caller) -> None:
    caller.call(
        "POST", "shelters", "/shelters", "shelter_coordinator",
        json={"code": "CLUSTER-1", "kind": "safe_house", "country": "GT", "region": "GT-01",
              "address": "Synthetic", "contact": "+502 0000 0000", "accepts": ["women", "children", "families"],
              "beds": [{"room": "A", "count": 30}, {"room": "B", "count": 40, "child_sized": True}]},
    )  # fmt: skip
    fund = caller.call(
        "POST",
        "funds",
        "/funds",
        "fund_admin",
        json={"name": "Fondo", "currency": "USD", "countries": ["GT"]},
    )
    caller.call("POST", "funds", f"/funds/{fund['id']}/deposits", "fund_admin",
                json={"amount": 50_000_000, "currency": "USD"})  # fmt: skip
    caller.call(
        "PUT", "funds", f"/funds/{fund['id']}/policy", "fund_admin",
        json={"ceiling": 800_000, "emergency_limit": 500_000, "quorum": 2,
              "suggested": [{"purpose": p, "amount": 50_000}
                            for p in ("relocation", "medical_psychological", "home_security", "legal")]},
    )  # fmt: skip


def open_case(caller: Caller, instrument: dict) -> str:
    case = caller.call(
        "POST", "risk", "/cases", "risk_analyst",
        json={"country": "GT", "region": "GT-16", "line_of_defence": "land_and_territory",
              "personal": {"full_name": "Defensora Sintética"}, "party": {"adults": 1, "children_ages": [6]}},
    )  # fmt: skip
    for purpose in ("shelters", "funds"):  # no automatic hold or application without it
        caller.call(
            "POST", "risk", f"/cases/{case['id']}/consents", "risk_analyst", json={"purpose": purpose}
        )
    caller.call(
        "POST", "risk", f"/cases/{case['id']}/assessments", "risk_analyst",
        json={"instrument_version": "gender-v1", "answers": extreme_answers(instrument)},
    )  # fmt: skip
    return case["id"]


async def query(cluster: LocalCluster, service: str, sql: str, *args) -> list:
    conn = await asyncpg.connect(with_database(cluster.database_url, f"amparo_{service}"))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def consumers_drained(cluster: LocalCluster) -> dict[str, tuple[int, int]]:
    """Each consumer's (pending, waiting for ack); R3 checked on the way."""
    nc = await broker.connect(cluster.operator_nats_url, name="test-cluster")
    try:
        js = nc.jetstream(timeout=5)
        for stream in ("RISK", "SHELTERS", "FUNDS"):
            assert (await js.stream_info(stream)).config.num_replicas == 3
        found = {}
        for durable in DURABLES:
            stream = durable.split("-", 1)[1].upper()
            info = await js.consumer_info(stream, durable)
            found[durable] = (info.num_pending, info.num_ack_pending)
        return found
    finally:
        await nc.close()


def test_cases_go_through_a_node_and_replicas_dying_exactly_once_in_order(cluster):
    caller = Caller(cluster)
    prepare(caller)
    instrument = caller.call("GET", "risk", "/instruments/gender-v1", "risk_analyst")
    cases = []
    for i in range(CASES):
        if i == KILL_AFTER:
            cluster.kill_node(0)
            for service in ("risk", "shelters", "funds"):
                cluster.kill_replica(service, 1)
        cases.append(open_case(caller, instrument))

    def effects() -> bool:
        held = asyncio.run(
            query(cluster, "shelters", "SELECT case_id::text, count(*) AS n FROM placements GROUP BY 1")
        )
        opened = asyncio.run(
            query(cluster, "funds", "SELECT case_id::text, count(*) AS n FROM applications GROUP BY 1")
        )
        return {r["case_id"] for r in held} >= set(cases) and {r["case_id"] for r in opened} >= set(cases)

    poll(effects, timeout=180, interval=0.5)

    # Converged: every event written was published and every consumer applied what its
    # stream holds, and nothing was written meanwhile. The effects above can be complete
    # while a producer's last events still wait for its relay (a replica killed between its
    # commit and its publish leaves them to the other replica's poll; a relay whose NATS
    # node died waits for its reconnect), and a consumer with nothing yet in its stream
    # looks drained. So: the outboxes all sent, the consumers drained, the outboxes
    # unchanged; twice in a row (a consumer's new leader may report a moment early). The
    # events checked below are that snapshot's.
    def outboxes() -> dict[str, dict]:
        sql = "SELECT id, case_id, case_seq, published_at IS NOT NULL AS sent FROM outbox"
        return {db: {r["id"]: tuple(r) for r in asyncio.run(query(cluster, db, sql))} for db in PRODUCERS}

    def drained() -> None:
        try:
            found = asyncio.run(consumers_drained(cluster))
        except (TimeoutError, nats.errors.Error) as exc:  # a stream still electing its leader
            raise AssertionError(f"NATS: {type(exc).__name__}") from None
        assert set(found.values()) == {(0, 0)}, f"consumers (pending, unacknowledged): {found}"

    seen: list[dict] = []

    def converged() -> bool:
        before = outboxes()
        unsent = {db: sum(not row[3] for row in rows.values()) for db, rows in before.items()}
        assert not any(unsent.values()), f"events not yet published: {unsent}"
        drained()
        assert outboxes() == before, "events written meanwhile"
        seen.append(before)
        return len(seen) >= 2 and seen[-1] == seen[-2]

    poll(converged, timeout=120, interval=0.5)
    produced_by = {db: list(rows.values()) for db, rows in seen[-1].items()}

    # Exactly once: one placement and one application per case; every event each consumer
    # should get was applied (recorded once: the processed-event key), none lost.
    for service, table in (("shelters", "placements"), ("funds", "applications")):
        rows = asyncio.run(
            query(cluster, service, f"SELECT case_id::text, count(*) AS n FROM {table} GROUP BY 1")
        )
        assert {r["case_id"]: r["n"] for r in rows} == dict.fromkeys(cases, 1), table
    for durable, (consumer_db, producer_db) in DURABLES.items():
        produced = [{"id": i, "case_id": c, "case_seq": q} for i, c, q, _sent in produced_by[producer_db]]
        processed = asyncio.run(
            query(
                cluster,
                consumer_db,
                "SELECT event_id, processed_at FROM processed_events WHERE consumer = $1",
                durable,
            )
        )
        when = {r["event_id"]: r["processed_at"] for r in processed}
        missing = {r["id"] for r in produced} - set(when)
        assert not missing, f"{durable}: {len(missing)} events published and never applied"
        # Per-case order: applied in the order each case's events were numbered.
        by_case: dict[uuid.UUID, list] = {}
        for r in produced:
            if r["case_id"] is not None:
                by_case.setdefault(r["case_id"], []).append((r["case_seq"], when[r["id"]]))
        for case_id, steps in by_case.items():
            times = [t for _seq, t in sorted(steps)]
            assert times == sorted(times), f"{durable}: case {case_id} applied out of order"
    # Each timeline step once: risk heard of each case's hold and application once.
    steps = asyncio.run(
        query(cluster, "risk", "SELECT case_id::text, type, count(*) AS n FROM timeline GROUP BY 1, 2")
    )
    counts = {(r["case_id"], r["type"]): r["n"] for r in steps}
    for case_id in cases:
        assert counts.get((case_id, "amparo.shelters.placement.held")) == 1, case_id
        assert counts.get((case_id, "amparo.funds.application.opened")) == 1, case_id
    # The survivors report no lag either (a scrape whose NATS probe took over 1 s on a
    # loaded machine leaves the gauges out: scrape again).
    for service in ("shelters", "funds"):

        def no_lag(url=cluster.replicas_of(service)[0].url + "/metrics"):
            text = httpx.get(url, timeout=10).text
            lags = [line for line in text.splitlines() if line.startswith("amparo_consumer_lag_seconds{")]
            return lags and all(line.endswith(" 0.0") for line in lags)

        poll(no_lag, timeout=30, interval=0.5)
