"""The shelter desk through the console, against a real shelters process: register a
shelter, capacity with its forecast, availability, the board's actions, and what staff
never see (addresses)."""

from __future__ import annotations

import re

import httpx

from services.console import i18n
from tests.console.conftest import make_account, post_form, sign_in
from tests.support import auth, known_case

ADDRESS = "Calle Sintética 123, Zona 9"
CASE_ID = "7b0c3c52-3f0e-4a43-9a55-3c8e2b1f6a10"


async def _register(client, code: str = "Casa-Ceiba") -> str:
    response = await post_form(
        client, "/shelters",
        {"code": code, "kind": "safe_house", "country": "GT", "region": "GT-17", "address": ADDRESS,
         "contact": "+502 0000 0000", "room": "A", "regular_beds": "3", "child_beds": "1", "accepts": "families"},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[2].split("?")[0]


async def test_a_coordinator_registers_a_shelter_and_sees_its_address(console):
    await make_account(console, "coord@example.org", ["shelter_coordinator"], countries=("GT",))
    await sign_in(console, "coord@example.org")
    shelter_id = await _register(console)
    page = await console.get(f"/shelters/{shelter_id}?done=shelter")
    assert page.status_code == 200 and ADDRESS in page.text
    assert "El albergue está registrado." in page.text
    capacity = (await console.get("/capacity")).text
    assert "<svg" in capacity and "Casa-Ceiba" in capacity and "Guatemala" in capacity


async def test_staff_never_see_an_address(console, shelters_url):
    async with httpx.AsyncClient(base_url=shelters_url) as shelters:
        created = await shelters.post(
            "/shelters",
            headers=auth("shelter_coordinator"),
            json={"code": "Casa-Roble", "kind": "shelter", "country": "GT", "region": "GT-17", "address": ADDRESS,
                  "beds": [{"room": "A", "count": 2}]},
        )  # fmt: skip
        assert created.status_code == 201
        shelter_id = created.json()["id"]
    await make_account(console, "staff@example.org", ["network_staff"], countries=("GT",))
    await sign_in(console, "staff@example.org")
    for path in ("/capacity", "/shelters", f"/shelters/{shelter_id}", "/board", "/waitlist",
                 "/availability?search=1&adults=1&children=0"):  # fmt: skip
        response = await console.get(path)
        assert response.status_code == 200, path
        assert ADDRESS not in response.text and "Calle" not in response.text, path
    assert "Casa-Roble" in (await console.get("/availability?search=1&adults=2")).text


async def test_a_hold_is_confirmed_checked_in_and_checked_out_from_the_board(
    console, shelters_url, make_settings
):
    # Shelters places only cases risk announced; here shelters alone runs, so it is told.
    await known_case(await make_settings("shelters"), "shelters", CASE_ID, "GT")
    async with httpx.AsyncClient(base_url=shelters_url) as shelters:
        await shelters.post(
            "/shelters", headers=auth("shelter_coordinator"),
            json={"code": "Casa-Pino", "kind": "shelter", "country": "GT", "region": "GT-17", "address": ADDRESS,
                  "beds": [{"room": "A", "count": 2}]},
        )  # fmt: skip
        held = await shelters.post(
            "/placements", headers=auth("network_staff"),
            json={"case_id": CASE_ID, "country": "GT", "region": "GT-18",
                  "level": "high", "party": {"adults": 1, "children_ages": [], "accessibility_needs": []}},
        )  # fmt: skip
        assert held.status_code == 201, held.text
        placement_id = held.json()["id"]
    await make_account(console, "coord@example.org", ["shelter_coordinator"], countries=("GT",))
    await sign_in(console, "coord@example.org")
    board = (await console.get("/board")).text
    assert placement_id in board and "La reserva vence en" in board
    # htmx polling gets only the columns.
    polled = await console.get("/board", headers={"HX-Request": "true"})
    assert "<html" not in polled.text and placement_id in polled.text
    confirm = await post_form(console, f"/placements/{placement_id}/confirm", {}, page="/board")
    assert confirm.headers["location"] == "/board?done=confirmed"
    await post_form(console, f"/placements/{placement_id}/check-in", {}, page="/board")
    # Check-out cannot be undone: without "sure" it asks first.
    asked = await post_form(console, f"/placements/{placement_id}/check-out", {}, page="/board")
    assert asked.headers["location"] == f"/placements/{placement_id}/ask/check-out"
    done = await post_form(
        console, f"/placements/{placement_id}/check-out", {"sure": "yes"},
        page=f"/placements/{placement_id}/ask/check-out",
    )  # fmt: skip
    assert done.headers["location"] == "/board?done=checked_out"
    # A step the placement's state does not allow: a translated message, never the raw detail.
    again = await post_form(console, f"/placements/{placement_id}/confirm", {}, page="/board")
    assert again.status_code == 409 and "Esta colocación no está en un estado" in again.text
    assert "placement_status" not in again.text


async def test_english_is_one_click_away_and_remembered(console):
    await make_account(console, "staff@example.org", ["network_staff"], countries=("GT",))
    await sign_in(console, "staff@example.org")
    assert "Capacidad" in (await console.get("/capacity")).text
    switched = await post_form(
        console, "/language", {"language": "en", "next": "/capacity"}, page="/capacity"
    )
    assert switched.headers["location"] == "/capacity"
    english = (await console.get("/capacity")).text
    assert "Capacity" in english and "Capacidad" not in english and 'lang="en"' in english
    # An open redirect is refused: only our own pages.
    away = await post_form(
        console, "/language", {"language": "es", "next": "//evil.example"}, page="/capacity"
    )
    assert away.headers["location"] == "/"


async def test_no_page_shows_an_untranslated_string(console):
    i18n.MISSING.clear()
    await make_account(console, "admin@example.org", ["admin"], countries=("GT",))
    await sign_in(console, "admin@example.org")
    shelter_id = await _register(console, "Casa-Ceiba")
    for path in ("/capacity", "/availability?search=1&adults=1", "/board", "/waitlist", "/shelters",
                 f"/shelters/{shelter_id}", "/people"):  # fmt: skip
        response = await console.get(path)
        assert response.status_code == 200, path
        assert not re.search(r"\{\{|\{%|%\(\w+\)", response.text), path
    assert i18n.MISSING == set()


async def test_a_coordinator_closes_reopens_takes_a_bed_out_and_reports_compromise_in_two_steps(console):
    await make_account(console, "coord@example.org", ["shelter_coordinator"], countries=("GT",))
    await sign_in(console, "coord@example.org")
    shelter_id = await _register(console, "Casa-Nance")
    page = f"/shelters/{shelter_id}"
    closed = await post_form(console, f"{page}/close", {}, page=page)
    assert closed.headers["location"] == f"{page}?done=closed"
    assert "cerrado" in (await console.get(page)).text
    reopened = await post_form(console, f"{page}/reopen", {}, page=page)
    assert reopened.headers["location"] == f"{page}?done=reopened"
    html = (await console.get(page)).text
    bed_id = re.search(rf'action="{page}/beds/([0-9a-f-]+)/out-of-service"', html).group(1)
    taken = await post_form(
        console, f"{page}/beds/{bed_id}/out-of-service", {"start": "2031-01-01", "end": "2031-01-05", "reason": "repair"},
        page=page,
    )  # fmt: skip
    assert taken.headers["location"] == f"{page}?done=oos"
    assert "De vuelta en servicio" in (await console.get(page)).text
    # Compromise: the first post only asks; the second, with "sure", does it.
    first = await post_form(
        console, f"{page}/compromise", {"reason": "Personas desconocidas preguntaron"}, page=page
    )
    assert first.status_code == 200 and "Sí, reportarlo comprometido" in first.text
    assert "comprometido" not in (await console.get("/shelters")).text
    second = await post_form(
        console,
        f"{page}/compromise",
        {"reason": "Personas desconocidas preguntaron", "sure": "yes"},
        page=page,
    )
    assert second.status_code == 200 and "El albergue quedó marcado como comprometido." in second.text
    assert "comprometido" in (await console.get("/shelters")).text


async def test_a_malformed_address_is_a_page_not_a_crash(console):
    await make_account(console, "staff@example.org", ["network_staff"], countries=("GT",))
    await sign_in(console, "staff@example.org")
    response = await console.get("/shelters/7b0c3c52-3f0e-4a43-9a55-3c8e2b1f6a10")
    assert response.status_code == 404 and "Este albergue no existe" in response.text
    response = await console.get("/availability?search=1&adults=1&from=not-a-date")
    assert response.status_code == 400 and "<html" in response.text


async def test_a_resent_add_beds_form_adds_its_beds_once(console):
    await make_account(console, "coord@example.org", ["shelter_coordinator"], countries=("GT",))
    await sign_in(console, "coord@example.org")
    shelter_id = await _register(console, "Casa-Jocote")
    page = f"/shelters/{shelter_id}"
    html = (await console.get(page)).text
    # The form carries its own key, new at every render.
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html).group(1)
    assert key not in (await console.get(page)).text
    form = {"room": "B", "count": "2", "idempotency_key": key}
    for _ in range(2):  # a double click, or the browser resending after a slow answer
        sent = await post_form(console, f"{page}/beds", form, page=page)
        assert sent.headers["location"] == f"{page}?done=beds"
    beds = re.findall(
        r'action="/shelters/[0-9a-f-]+/beds/([0-9a-f-]+)/out-of-service"', (await console.get(page)).text
    )
    assert len(beds) == 4 + 2
