"""DESIGN.md invariants through the real service and database: an assessment once recorded
never changes, a new one supersedes it (one chain, even under concurrency), and the same
answers to the same instrument version give the same scores and level."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.risk.domain import scoring
from tests.risk.helpers import INSTRUMENT, answers_st, assessment_body, case_body, high_answers
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
STABLE = ("id", "answers", "scores", "computed_level", "level", "measures", "party", "excluded_regions",
          "supersedes", "recorded_at", "instrument_version")  # fmt: skip


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(answers_st, min_size=1, max_size=4))
async def test_history_is_an_unchanging_chain_scored_deterministically(client, sequence):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    url = f"/cases/{case['id']}/assessments"
    recorded: list[dict] = []
    for answers in sequence:
        r = await client.post(url, json=assessment_body(answers), headers=ANALYST)
        assert r.status_code == 201, r.text
        a = r.json()
        expected = scoring.score(INSTRUMENT, answers)
        assert a["scores"] == expected.scores and a["computed_level"] == expected.computed_level
        assert a["measures"] == scoring.measures_for(INSTRUMENT, expected.computed_level, answers)
        assert a["supersedes"] == (recorded[-1]["id"] if recorded else None)
        recorded.append(a)

    history = (await client.get(url, headers=ANALYST)).json()
    assert history["total"] == len(sequence)
    oldest_first = list(reversed(history["items"]))
    for before, now in zip(recorded, oldest_first, strict=True):
        assert {k: now[k] for k in STABLE} == {k: before[k] for k in STABLE}
    assert [a["superseded_by"] for a in oldest_first] == [a["id"] for a in recorded[1:]] + [None]


async def test_concurrent_assessments_of_one_case_form_one_chain(client):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    url = f"/cases/{case['id']}/assessments"
    responses = await asyncio.gather(
        *[client.post(url, json=assessment_body(high_answers()), headers=ANALYST) for _ in range(8)]
    )
    assert [r.status_code for r in responses] == [201] * 8
    items = (await client.get(url, headers=ANALYST)).json()["items"]
    ids = {a["id"] for a in items}
    supersedes = [a["supersedes"] for a in items]
    assert supersedes.count(None) == 1
    assert len(set(supersedes)) == 8 and set(supersedes) - {None} < ids
    heads = [a for a in items if a["superseded_by"] is None]
    assert len(heads) == 1 and heads[0]["id"] == items[0]["id"]
    cases = (await client.get("/cases", headers=ANALYST)).json()["items"]
    assert cases[0]["last_assessment_id"] == heads[0]["id"]
