"""``GET /metrics``: what an operator alerts on, in Prometheus' text format.

Two kinds of numbers:
- **requests** by route *template* (``/cases/{case_id:uuid}``, never the raw path, so no
  id reaches the metrics and the series stay few): rate, latency and 5xx errors, from
  Litestar's ``PrometheusMiddleware`` (``amparo_http_*``);
- **gauges read at scrape time** (``amparo_*``): the outbox (pending rows, age of the
  oldest), each durable consumer (pending, waiting for ack, redelivered, lag = age of the
  oldest message not yet acknowledged), the dead letters of this service's consumers,
  whether the database and NATS answered, and each service's own gauges
  (``ServiceSpec.gauges``: holds past expiry in shelters, overdue applications in funds).

A scrape never hangs: every probe has ``PROBE_TIMEOUT`` seconds; a probe that fails or
times out reports ``amparo_dependency_up{dependency=...} 0`` and leaves its gauges out
(an absent series, not a made-up zero). Nothing here carries personal data: counts, ages,
route templates, consumer and stream names. Two replicas of a service report the same
outbox and consumer numbers (they share them): aggregate with ``max by (service)``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Request, get
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from shared.logging import get_logger

log = get_logger(__name__)

METRICS_PATH = "/metrics"
PROBE_TIMEOUT = 1.0
HTTP_PREFIX = "amparo_http"


@dataclass(frozen=True)
class ScrapeGauge:
    """A service's own gauge, read from its database at scrape time.

    ``read`` gets a connection and returns a number, or ``{label values: number}`` for a
    gauge with ``labels``."""

    name: str
    documentation: str
    read: Callable[[Any], Awaitable[float | Mapping[tuple[str, ...], float]]]
    labels: tuple[str, ...] = field(default_factory=tuple)


def prometheus_config(service: str) -> PrometheusConfig:
    """Request rate, latency and errors by route template; /metrics itself is not counted."""
    return PrometheusConfig(
        app_name=service,
        prefix=HTTP_PREFIX,
        group_path=True,
        exclude=[f"^{METRICS_PATH}$"],
        buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
    )


class _Snapshot(Collector):
    """Hands the registry the families read just before (collect() is synchronous)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


async def _database(runtime, families: list[Metric]) -> bool:
    service = runtime.service
    async with asyncio.timeout(PROBE_TIMEOUT), runtime.pool.acquire(timeout=PROBE_TIMEOUT) as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) AS age "
            "FROM outbox WHERE published_at IS NULL",
            timeout=PROBE_TIMEOUT,
        )
        pending = _gauge("amparo_outbox_pending_rows", "Outbox rows not yet published", ["service"])
        pending.add_metric([service], row["n"])
        oldest = _gauge(
            "amparo_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when none)",
            ["service"],
        )
        oldest.add_metric([service], float(row["age"] or 0.0))
        families += [pending, oldest]
        for spec in runtime.spec.gauges:
            value = await spec.read(conn)
            family = _gauge(spec.name, spec.documentation, ["service", *spec.labels])
            if isinstance(value, Mapping):
                for labels, number in value.items():
                    family.add_metric([service, *labels], float(number))
            else:
                family.add_metric([service], float(value))
            families.append(family)
    return True


async def _nats(runtime, families: list[Metric]) -> bool:
    if runtime.nc is None or not runtime.nc.is_connected:
        return False
    js = runtime.js
    service = runtime.service
    labels = ["service", "consumer", "stream"]
    pending = _gauge("amparo_consumer_pending_messages", "Messages not yet delivered to the consumer", labels)
    ack_pending = _gauge(
        "amparo_consumer_ack_pending_messages", "Messages delivered and not yet acknowledged", labels
    )
    redelivered = _gauge(
        "amparo_consumer_redelivered_messages",
        "Messages delivered more than once, not yet acknowledged",
        labels,
    )
    lag = _gauge(
        "amparo_consumer_lag_seconds",
        "Age of the oldest message the consumer has not acknowledged (0 when none)",
        labels,
    )
    dead = _gauge("amparo_dead_letters", "Messages this consumer gave up on (DEADLETTER stream)", labels)
    async with asyncio.timeout(PROBE_TIMEOUT):
        try:
            dl = await js.stream_info("DEADLETTER", subjects_filter="deadletter.>")
            dead_counts = dict(dl.state.subjects or {})
        except Exception as exc:  # no DEADLETTER stream yet, or not allowed: leave it out
            log.debug("metrics.deadletters_unavailable", error=type(exc).__name__)
            dead_counts = None
        now = datetime.now(UTC)
        for consumer in runtime.consumers:
            info = await js.consumer_info(consumer.stream, consumer.durable, timeout=PROBE_TIMEOUT)
            values = [service, consumer.durable, consumer.stream]
            pending.add_metric(values, info.num_pending or 0)
            ack_pending.add_metric(values, info.num_ack_pending or 0)
            redelivered.add_metric(values, info.num_redelivered or 0)
            lag.add_metric(values, await _lag(js, consumer, info, now))
            if dead_counts is not None:
                dead.add_metric(
                    values, dead_counts.get(f"deadletter.{consumer.stream}.{consumer.durable}", 0)
                )
    families += [pending, ack_pending, redelivered, lag]
    if dead_counts is not None:
        families.append(dead)
    return True


async def _lag(js, consumer, info, now: datetime) -> float:
    """Seconds since the oldest unacknowledged message was stored (the ack floor's next)."""
    if not (info.num_pending or info.num_ack_pending):
        return 0.0
    floor = info.ack_floor.stream_seq if info.ack_floor else 0
    msg = await js.get_msg(
        consumer.stream, seq=floor + 1, subject=f"amparo.{consumer.stream.lower()}.>", next=True
    )
    return max(0.0, (now - msg.time).total_seconds()) if msg.time else 0.0


async def gauges(runtime) -> list[Metric]:
    """Every gauge, read now, each probe bounded by ``PROBE_TIMEOUT``."""
    families: list[Metric] = []
    up = _gauge(
        "amparo_dependency_up",
        "1 when the dependency answered this scrape in time",
        ["service", "dependency"],
    )
    probes = {"database": _database, "nats": _nats}
    started = time.perf_counter()

    async def one(name: str, probe) -> tuple[str, bool, list[Metric]]:
        found: list[Metric] = []
        try:
            ok = await probe(runtime, found)
        except Exception as exc:  # TimeoutError included: the scrape goes on without it
            log.warning("metrics.probe_failed", dependency=name, error=type(exc).__name__)
            return name, False, []
        return name, ok, found

    for name, ok, found in await asyncio.gather(*(one(n, p) for n, p in probes.items())):
        up.add_metric([runtime.service, name], 1.0 if ok else 0.0)
        families += found
    took = _gauge("amparo_scrape_duration_seconds", "How long this scrape's probes took", ["service"])
    took.add_metric([runtime.service], time.perf_counter() - started)
    return [up, took, *families]


@get(METRICS_PATH, operation_id="metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus exposition: request metrics and the gauges read now."""
    # The gauges get a registry of their own per scrape: never the process-wide one (tests
    # build several apps in one process), never shared between two scrapes at once.
    snapshot = _Snapshot(await gauges(request.app.state.runtime))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(snapshot)
    body = generate_latest(REGISTRY) + generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST, status_code=200)
