"""recovery_s: kill -9 each part of `amparo run` in turn while cases flow, and time from
the kill until every case in flight has converged (its hold and its application visible
through the APIs), with no operator action.

Cases begin at a steady rate; each one's POSTs are retried with their Idempotency-Key
while the part is away (a refused connection, a 5xx), as a client would. "In flight" are
the cases begun before the kill (or within a second after it) that had not converged at
the kill. A part whose cases have not all converged after ``limit`` seconds did not
recover: its value is None with the reason, and the parts after it are not measured (the
stack is no longer whole). The headline is the slowest part's time."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from dataclasses import dataclass

import httpx
import psutil

from bench.flow import extreme_answers
from bench.seed import COUNTRIES
from deploy.stack import Stack
from shared.idempotency import HEADER as IDEMPOTENCY_KEY

PARTS = ("risk", "shelters", "funds", "nats-server", "postgres")
SERVICES = ("risk", "shelters", "funds")


@dataclass
class _Case:
    begun: float
    converged: float | None = None


def _pid_of(stack: Stack, part: str) -> int:
    if part in SERVICES:
        return stack.state()["services"][part]["pid"]
    if part == "postgres":
        return int((stack.home / "pg" / "postmaster.pid").read_text().split()[0])
    store = str(stack.home / "nats")
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if "nats-server" in cmd and store in cmd:
            return proc.info["pid"]
    raise RuntimeError("nats-server of the stack not found")


class _Driver:
    def __init__(self, stack: Stack, client: httpx.AsyncClient, answers: dict, deadline: float) -> None:
        self.stack = stack
        self.client = client
        self.answers = answers
        self.deadline = deadline
        self.cases: list[_Case] = []
        self.errors: dict[str, int] = {}
        self._headers = {
            "risk": {"Authorization": f"Bearer {stack.token('risk_analyst')}"},
            "shelters": {"Authorization": f"Bearer {stack.token('network_staff')}"},
            "funds": {"Authorization": f"Bearer {stack.token('fund_committee')}"},
        }

    async def _post(self, path: str, body: dict) -> dict:
        headers = {**self._headers["risk"], IDEMPOTENCY_KEY: str(uuid.uuid4())}
        while time.monotonic() < self.deadline:
            try:
                response = await self.client.post(self.stack.url("risk") + path, headers=headers, json=body)
                if response.status_code < 300:
                    return response.json()
                if response.status_code < 500 and response.status_code != 409:
                    response.raise_for_status()
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        raise TimeoutError

    async def _visible(self, service: str, path: str, case_id: str) -> bool:
        try:
            response = await self.client.get(
                self.stack.url(service) + path, params={"case_id": case_id}, headers=self._headers[service]
            )
            return response.status_code == 200 and bool(response.json()["items"])
        except httpx.TransportError:
            return False

    async def one_case(self, i: int) -> None:
        case = _Case(begun=time.monotonic())
        self.cases.append(case)
        country = list(COUNTRIES)[i % len(COUNTRIES)]
        try:
            created = await self._post(
                "/cases",
                {
                    "country": country,
                    "region": COUNTRIES[country][0],
                    "line_of_defence": "land_and_territory",
                    "personal": {"full_name": f"Defensora Sintética R{i}"},
                    "party": {"adults": 1, "children_ages": [4, 9]},
                    # With the case: shelters and funds act on an assessment only with them.
                    "consents": ["shelters", "funds"],
                },
            )
            case_id = created["id"]
            await self._post(
                f"/cases/{case_id}/assessments", {"instrument_version": "gender-v1", "answers": self.answers}
            )
            hold = application = False
            while time.monotonic() < self.deadline:
                hold = hold or await self._visible("shelters", "/placements", case_id)
                application = application or await self._visible("funds", "/applications", case_id)
                if hold and application:
                    case.converged = time.monotonic()
                    return
                await asyncio.sleep(0.1)
        except Exception as exc:  # counted; the case stays unconverged
            self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1


async def _one_part(
    stack: Stack, part: str, answers: dict, *, rate: float, before: float, limit: float
) -> dict:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=5, limits=limits) as client:
        driver = _Driver(stack, client, answers, deadline=time.monotonic() + before + limit + 5)
        tasks: list[asyncio.Task] = []
        stop = asyncio.Event()

        async def begin_cases() -> None:
            i = 0
            while not stop.is_set():
                tasks.append(asyncio.create_task(driver.one_case(i)))
                i += 1
                await asyncio.sleep(1 / rate)

        feeder = asyncio.create_task(begin_cases())
        await asyncio.sleep(before)
        killed_at = time.monotonic()
        try:
            os.kill(_pid_of(stack, part), signal.SIGKILL)
        except (OSError, RuntimeError, KeyError, ValueError) as exc:
            stop.set()
            await asyncio.gather(feeder, return_exceptions=True)
            for task in tasks:
                task.cancel()
            return {"recovery_s": None, "reason": f"could not kill it: {type(exc).__name__}"}
        await asyncio.sleep(1.0)
        in_flight = [c for c in driver.cases if c.converged is None or c.converged > killed_at]
        while time.monotonic() < killed_at + limit and any(c.converged is None for c in in_flight):  # noqa: ASYNC110 - cases converge on their own tasks
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(feeder, return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    left = [c for c in in_flight if c.converged is None]
    result: dict = {"in_flight": len(in_flight), "errors": driver.errors}
    if left:
        result.update(
            recovery_s=None,
            reason=f"{len(left)} of {len(in_flight)} cases in flight had not converged {limit:g} s after the kill",
        )
    else:
        last = max((c.converged for c in in_flight), default=killed_at)
        result["recovery_s"] = round(last - killed_at, 1)
    return result


async def measure(
    stack: Stack, *, rate: float = 5.0, before: float = 5.0, limit: float = 60.0, say=print
) -> dict:
    headers = {"Authorization": f"Bearer {stack.token('risk_analyst')}"}
    async with httpx.AsyncClient(timeout=30) as client:
        instrument = (await client.get(f"{stack.url('risk')}/instruments/gender-v1", headers=headers)).json()
    answers = extreme_answers(instrument)
    parts: dict[str, dict] = {}
    broken = None
    for part in PARTS:
        if broken is not None:
            parts[part] = {"recovery_s": None, "reason": f"not measured: {broken} did not recover"}
            continue
        parts[part] = await _one_part(stack, part, answers, rate=rate, before=before, limit=limit)
        say(f"  kill -9 {part}: {parts[part].get('recovery_s')} s {parts[part].get('reason', '')}")
        if parts[part]["recovery_s"] is None:
            broken = part
    values = [p["recovery_s"] for p in parts.values()]
    return {"recovery_s": None if None in values else max(values), "recovery": parts}
