"""GET /metrics on every service (issue #13): Prometheus text, no token, route templates
(never a raw path or id), the outbox and consumer gauges, each service's own gauges, no
personal data, and a scrape that returns even when a probe hangs."""

from __future__ import annotations

import dataclasses
import uuid

from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from services.shelters.app import SPEC as SHELTERS
from shared.bootstrap import build_app
from shared.metrics import ScrapeGauge
from tests.support import auth, eventually, known_case, service_client

ANALYST = auth("risk_analyst", countries=("GT",))
NAME = "Defensora Métrica Sintética"


def samples(text: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(found: dict, name: str, **labels) -> float:
    matching = [s.value for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert matching, f"{name} {labels} not exported"
    return matching[0]


async def test_risk_exports_requests_by_route_template_and_its_pipeline(make_settings):
    settings = await make_settings("risk")
    async with service_client("risk", settings) as risk:
        case = await risk.post(
            "/cases",
            json={"country": "GT", "region": "GT-16", "line_of_defence": "land_and_territory",
                  "personal": {"full_name": NAME}, "party": {"adults": 1}},
            headers=ANALYST,
        )  # fmt: skip
        case_id = case.json()["id"]
        assert (await risk.get(f"/cases/{case_id}", headers=ANALYST)).status_code == 200
        assert (await risk.get(f"/cases/{uuid.uuid4()}", headers=ANALYST)).status_code == 404

        scrape = await risk.get("/metrics")  # no token: it carries no personal data
        assert scrape.status_code == 200
        assert scrape.headers["content-type"].startswith("text/plain")
        text = scrape.text
        assert NAME not in text and case_id not in text
        found = samples(text)
        paths = {s.labels["path"] for s in found["amparo_http_requests_total"]}
        assert "/cases/{case_id}" in paths and "/cases" in paths
        assert value(found, "amparo_http_requests_total", path="/cases/{case_id}", status_code="404") == 1
        assert "amparo_http_request_duration_seconds_bucket" in found
        assert value(found, "amparo_dependency_up", service="risk", dependency="database") == 1
        assert value(found, "amparo_dependency_up", service="risk", dependency="nats") == 1
        for consumer in ("risk-shelters", "risk-funds"):
            for name in ("amparo_consumer_pending_messages", "amparo_consumer_ack_pending_messages",
                         "amparo_consumer_redelivered_messages", "amparo_consumer_lag_seconds",
                         "amparo_dead_letters"):  # fmt: skip
                assert value(found, name, consumer=consumer) == 0, name

        async def outbox_empty() -> bool:
            found = samples((await risk.get("/metrics")).text)
            return value(found, "amparo_outbox_pending_rows", service="risk") == 0

        await eventually(outbox_empty)
        assert value(found, "amparo_outbox_oldest_pending_age_seconds", service="risk") >= 0
        # A route not matched is not a series of its own (no cardinality from raw paths).
        await risk.get("/no/such/path", headers=ANALYST)
        paths = {
            s.labels["path"] for s in samples((await risk.get("/metrics")).text)["amparo_http_requests_total"]
        }
        assert not any(uuid_like in p for p in paths for uuid_like in (case_id, "no/such"))


async def test_a_consumer_that_falls_behind_shows_pending_and_lag(make_settings, clean_streams):
    """Events shelters cannot apply yet (a gap in a case's numbering) are pending, and the
    lag is the age of the oldest one not acknowledged."""
    from shared.events import CaseClosed, new_event
    from shared.outbox import message_headers

    settings = await make_settings("shelters")
    async with service_client("shelters", settings) as shelters:
        case_id = uuid.uuid4()
        await known_case(shelters, "shelters", case_id)
        event = new_event(CaseClosed(reason="risk_ceased"), producer="risk", case_id=case_id)
        from shared.events import encode_event

        # Number 2 without number 1: parked (nak) until its predecessor comes.
        await clean_streams.publish(event.subject, encode_event(event), headers=message_headers(event.id, 2))

        async def lagging() -> bool:
            found = samples((await shelters.get("/metrics")).text)
            waiting = value(found, "amparo_consumer_ack_pending_messages", consumer="shelters-risk") + value(
                found, "amparo_consumer_pending_messages", consumer="shelters-risk"
            )
            return waiting == 1 and value(found, "amparo_consumer_lag_seconds", consumer="shelters-risk") > 0

        await eventually(lagging, timeout=20)
        found = samples((await shelters.get("/metrics")).text)
        assert value(found, "amparo_shelters_holds_expired", service="shelters") == 0
        assert value(found, "amparo_shelters_holds_past_expiry", service="shelters") == 0


async def test_funds_exports_overdue_applications_by_track(make_settings):
    async with service_client("funds", await make_settings("funds")) as funds:
        found = samples((await funds.get("/metrics")).text)
        assert value(found, "amparo_funds_applications_overdue", track="emergency") == 0
        assert value(found, "amparo_funds_applications_overdue", track="ordinary") == 0


async def slow(conn) -> float:
    return await conn.fetchval("SELECT 1 FROM pg_sleep(30)")


async def test_a_probe_that_hangs_does_not_hang_the_scrape(make_settings):
    """A gauge whose query takes 30 s: the scrape answers, saying the database did not."""
    spec = dataclasses.replace(SHELTERS, gauges=[ScrapeGauge("amparo_test_slow", "slow", slow)])
    app = build_app(spec, await make_settings("shelters"))
    async with AsyncTestClient(app=app, timeout=20) as client:
        scrape = await client.get("/metrics")
        assert scrape.status_code == 200
        found = samples(scrape.text)
        assert value(found, "amparo_dependency_up", dependency="database") == 0
        assert value(found, "amparo_dependency_up", dependency="nats") == 1
        assert "amparo_test_slow" not in found
        assert (await client.get("/ready")).status_code == 200  # the pool survived the cancel
