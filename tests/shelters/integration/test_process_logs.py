"""The shelters service as a real process (`amparo serve shelters`): what it writes to
stderr while shelters, placements, a compromise and bad requests go through holds no
address, contact or compromise reason."""

from __future__ import annotations

from tests.shelters.helpers import ADDRESS, CONTACT, COORD, STAFF, known_case, placement_body, shelter_body
from tests.support import served_process

REASON = "vieron al agresor en Calle Secreta"


async def test_a_real_process_logs_no_addresses(make_settings):
    settings = await make_settings("shelters")
    async with served_process("shelters", settings) as served:
        http = served.http
        shelter = (await http.post("/shelters", json=shelter_body(country="GT"), headers=COORD)).json()
        await http.get(f"/shelters/{shelter['id']}", headers=COORD)
        body = placement_body()
        await known_case(settings, body["case_id"], body["country"])
        placed = await http.post("/placements", json=body, headers=STAFF)
        assert placed.status_code == 201
        bad = {**shelter_body(), "country": ADDRESS}
        assert (await http.post("/shelters", json=bad, headers=COORD)).status_code == 400
        dup = await http.post("/shelters", json=shelter_body(code=shelter["code"]), headers=COORD)
        assert dup.status_code == 409
        url = f"/shelters/{shelter['id']}/compromise"
        assert (await http.post(url, json={"reason": REASON}, headers=COORD)).status_code == 200
    logs = served.logs
    assert "shelter.created" in logs and "placement.held" in logs and "shelter.compromised" in logs, logs[
        -2000:
    ]
    for secret in (ADDRESS, CONTACT, REASON, "Calle Secreta"):
        assert secret not in logs
