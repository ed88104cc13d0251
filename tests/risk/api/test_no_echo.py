"""No refusal repeats what the client sent: an id in the path or the body, a code, a version,
a country, a key. Any of them may be personal data (a name typed in the wrong field), and an
id repeated back tells nothing the client did not know."""

from __future__ import annotations

import uuid

from tests.risk.api.test_incidents import incident
from tests.risk.helpers import assert_problem, assessment_body, case_body
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
ADMIN = auth("admin", sub="root")
TYPED = "Rosa Elena Xol Caal"
QUERY_TYPED = TYPED.replace(" ", "+")


def never_echoed(problem: dict, *sent: str) -> None:
    text = str(problem)
    for value in sent:
        assert value not in text, f"{value!r} echoed in {problem}"


async def test_refusals_never_repeat_an_id_a_code_or_a_key(client):
    ghost = str(uuid.uuid4())
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    refusals = [
        (await client.get(f"/cases/{ghost}", headers=ANALYST), 404),
        (await client.get(f"/cases/{ghost}/timeline", headers=ANALYST), 404),
        (await client.post(f"/cases/{ghost}/close", json={"reason": "other"}, headers=ANALYST), 404),
        (await client.post(f"/cases/{ghost}/assessments", json=assessment_body(), headers=ANALYST), 404),
        (await client.post("/incidents", json=incident(case_id=ghost), headers=ANALYST), 422),
        (await client.get(f"/instruments/{TYPED}", headers=ANALYST), 404),
        (await client.post("/cases", json=case_body(line_of_defence=TYPED), headers=ANALYST), 400),
        (await client.post("/cases", json=case_body(country=TYPED), headers=ANALYST), 400),
        (await client.post("/cases", json={**case_body(), TYPED: 1}, headers=ANALYST), 400),
        (await client.post("/incidents", json=incident(scope=TYPED), headers=ANALYST), 400),
        (
            await client.post(
                f"/cases/{case['id']}/assessments",
                json=assessment_body(instrument_version=TYPED),
                headers=ANALYST,
            ),
            400,
        ),
        (
            await client.post(
                f"/cases/{case['id']}/assessments",
                json=assessment_body({**assessment_body()["answers"], TYPED: True}),
                headers=ANALYST,
            ),
            422,
        ),
        (await client.get(f"/cases?country={QUERY_TYPED}", headers=ANALYST), 400),
        (await client.get(f"/cases?status={QUERY_TYPED}", headers=ANALYST), 400),
        (await client.get(f"/cases?level={QUERY_TYPED}", headers=ANALYST), 400),
        (await client.get(f"/audit?case_id={QUERY_TYPED}", headers=ADMIN), 400),
    ]
    for response, status in refusals:
        never_echoed(assert_problem(response, status), ghost, uuid.UUID(ghost).hex, TYPED, "Rosa")
