"""flow_capacity_cases_s: the highest steady rate of new cases at which the flow
(assessment -> hold and application visible) keeps its p99 within 150 ms.

The rate steps up (20, 40, 60, ... cases/s, 20 s each). So that beds last (a waitlisted
family is a case that did not complete) each case is one defender without children,
cases are spread over every seeded country, and 150 shelters of 100 beds are added
first. The first step that misses (p99 over the limit, a case that did not complete, or
assessments taken slower than 90 % of the asked rate) ends the climb, and the last step
that passed is the capacity. The driver runs on the same cores as the
stack: at 100 cases/s it sends about 400 requests/s itself."""

from __future__ import annotations

import asyncio

from bench import seed
from bench.flow import run_flow
from bench.seed import COUNTRIES
from deploy.stack import Stack
from shared.config import with_database

P99_LIMIT_MS = 150.0
RATES = (20, 40, 60, 80, 100, 120, 140, 160, 200, 240, 300)


def miss(step: dict, rate: int) -> str | None:
    """Why this step does not count as kept up with, or None."""
    if step["failures"]:
        return f"failures {step['failures']}"
    if step["completed"] < step["cases"]:
        return f"{step['cases'] - step['completed']} cases did not complete"
    if step.get("p99_ms", float("inf")) > P99_LIMIT_MS:
        return f"p99 {step.get('p99_ms')} ms over {P99_LIMIT_MS:g}"
    if step.get("accepted_per_s", 0) < 0.9 * rate:
        return f"assessments taken at {step.get('accepted_per_s')}/s"
    return None


async def measure(stack: Stack, *, seconds: int = 20, rates: tuple[int, ...] = RATES, say=print) -> dict:
    await asyncio.to_thread(
        seed.shelters_and_beds, stack, shelters=150, beds_per_shelter=100, seed=2, prefix="CAP-"
    )
    await seed.analyze(with_database(stack.state()["database_url"], "amparo_shelters"))
    steps = []
    best = None
    stopped = f"every step up to {rates[-1]} cases/s passed"
    for rate in rates:
        step = await run_flow(stack, rate=rate, seconds=seconds, countries=tuple(COUNTRIES), children=0)
        steps.append(step)
        why = miss(step, rate)
        say(
            f"  {rate} cases/s: p99 {step.get('p99_ms')} ms, accepted {step.get('accepted_per_s')}/s"
            + (f" - stops: {why}" if why else "")
        )
        if why:
            stopped = f"{rate} cases/s: {why}"
            break
        best = rate
    return {"flow_capacity_cases_s": best, "flow_capacity": {"steps": steps, "stopped_at": stopped}}
