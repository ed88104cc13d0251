"""flow_p50_ms / flow_p99_ms: from the assessment POST returning to both the hold and
the application being visible through the APIs, at a steady rate of new cases.

Waiting is done on the events (a plain NATS subscription to the held/opened subjects),
then each is confirmed with one GET: polling every case many times a second would load
the very services being measured."""

from __future__ import annotations

import asyncio
import random
import statistics
import time

import aiohttp
import nats

from bench.seed import COUNTRIES
from deploy.stack import Stack
from shared.events import ApplicationOpened, PlacementHeld, PlacementWaitlisted, decode_event


def extreme_answers(instrument: dict) -> dict[str, bool | int]:
    """Every threat, vulnerability and gender indicator at its worst, no capacities."""
    scale_max = instrument.get("scoring", {}).get("scale_max", 3)
    answers: dict[str, bool | int] = {}
    for indicator in instrument["indicators"]:
        bad = indicator["group"] != "capacities"
        if indicator["answer"] == "bool":
            answers[indicator["code"]] = bad
        else:
            answers[indicator["code"]] = scale_max if bad else 0
    return answers


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class _Client:
    """The few calls the flow makes, over aiohttp: httpx's async pool costs about 4 ms of
    CPU per request with many in flight (encode/httpx#3215), aiohttp about 0.3 ms, and
    the driver runs on the stack's own cores."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def call(self, method: str, url: str, *, headers: dict, json=None, params=None):
        async with self._session.request(method, url, headers=headers, json=json, params=params) as r:
            r.raise_for_status()
            return await r.json(content_type=None)


class Waitlisted(Exception):
    """No bed was free for the family: the run measures the beds left, not the flow."""


async def run_flow(
    stack: Stack,
    *,
    rate: int = 20,
    seconds: int = 30,
    countries: tuple[str, ...] = ("GT",),
    children: int = 2,
) -> dict:
    analyst = {"Authorization": f"Bearer {stack.token('risk_analyst')}"}
    staff = {"Authorization": f"Bearer {stack.token('network_staff')}"}
    committee = {"Authorization": f"Bearer {stack.token('fund_committee')}"}
    seen: dict[tuple[str, str], asyncio.Event] = {}

    def event_for(kind: str, case_id: str) -> asyncio.Event:
        return seen.setdefault((kind, case_id), asyncio.Event())

    nc = await nats.connect(stack.state()["nats_url"])

    async def on_message(msg) -> None:
        event = decode_event(msg.data)
        if event.type == PlacementWaitlisted.TYPE:
            waitlisted.add(str(event.case_id))
            kind = "hold"  # wakes the waiting case, which then sees it was waitlisted
        else:
            kind = "hold" if event.type == PlacementHeld.TYPE else "application"
        event_for(kind, str(event.case_id)).set()

    waitlisted: set[str] = set()
    await nc.subscribe(PlacementHeld.TYPE, cb=on_message)
    await nc.subscribe(PlacementWaitlisted.TYPE, cb=on_message)
    await nc.subscribe(ApplicationOpened.TYPE, cb=on_message)
    latencies: list[float] = []
    accepted: list[float] = []  # when each assessment POST returned: can the stack keep up?
    failures: dict[str, int] = {}
    rnd = random.Random(3)
    connector = aiohttp.TCPConnector(limit=64)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = _Client(session)
        instrument = await client.call("GET", f"{stack.url('risk')}/instruments/gender-v1", headers=analyst)
        answers = extreme_answers(instrument)

        async def one_case(i: int) -> None:
            country = countries[i % len(countries)]
            try:
                case = await client.call(
                    "POST",
                    f"{stack.url('risk')}/cases",
                    headers=analyst,
                    json={
                        "country": country,
                        "region": COUNTRIES[country][0],
                        "line_of_defence": "land_and_territory",
                        "personal": {"full_name": f"Defensora Sintética {i}"},
                        "party": {
                            "adults": 1,
                            "children_ages": [rnd.randint(1, 15) for _ in range(children)],
                        },
                        # Asked at intake, on the same form as the console's: shelters and
                        # funds act on an assessment only with them.
                        "consents": ["shelters", "funds"],
                    },
                )
                case_id = case["id"]
                hold, application = event_for("hold", case_id), event_for("application", case_id)
                await client.call(
                    "POST",
                    f"{stack.url('risk')}/cases/{case_id}/assessments",
                    headers=analyst,
                    json={"instrument_version": "gender-v1", "answers": answers},
                )
                returned = time.perf_counter()
                accepted.append(returned)
                await asyncio.wait_for(asyncio.gather(hold.wait(), application.wait()), timeout=30)
                if case_id in waitlisted:
                    raise Waitlisted
                placements, applications = await asyncio.gather(
                    client.call(
                        "GET",
                        f"{stack.url('shelters')}/placements",
                        params={"case_id": case_id},
                        headers=staff,
                    ),
                    client.call(
                        "GET",
                        f"{stack.url('funds')}/applications",
                        params={"case_id": case_id},
                        headers=committee,
                    ),
                )
                if not placements["items"] or not applications["items"]:
                    raise RuntimeError("event seen but not visible")
                latencies.append((time.perf_counter() - returned) * 1000)
            except Exception as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

        started = time.perf_counter()
        tasks = []
        for i in range(rate * seconds):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one_case(i)))
        await asyncio.gather(*tasks)
    await nc.close()
    result: dict = {
        "cases": rate * seconds,
        "rate_per_s": rate,
        "completed": len(latencies),
        "failures": failures,
    }
    if accepted:
        # The rate at which assessments were taken, from the first case's start to the last
        # assessment's answer: below the asked rate, the stack (or this driver) fell behind.
        result["accepted_per_s"] = round(len(accepted) / max(max(accepted) - started, 1e-9), 1)
    if latencies:
        result.update(
            p50_ms=round(statistics.median(latencies), 1),
            p99_ms=round(percentile(latencies, 99), 1),
            max_ms=round(max(latencies), 1),
        )
    return result
