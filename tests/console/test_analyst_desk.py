"""The analyst's desk through the console, against a real risk process: intake, the
search by name with and without accents, personal data only on request (audited), the
assessment form from the instrument with its preview, recording, the timeline, the
registry of attacks and its statistics; every string translated."""

from __future__ import annotations

import re

import httpx
import pytest

from services.console import i18n
from tests.console.conftest import console_client, csrf_of, make_account, post_form, sign_in
from tests.support import auth, served_process

NAME = "José Pérez Xol"


@pytest.fixture
async def risk_url(make_settings):
    settings = await make_settings("risk")
    async with served_process("risk", settings, log_level="warning") as served:
        yield str(served.http.base_url).rstrip("/")


@pytest.fixture
async def desk(make_settings, risk_url):
    async with console_client(make_settings, risk_url=risk_url) as client:
        client.risk_url = risk_url
        await make_account(client, "ana@example.org", ["risk_analyst"], countries=("GT",))
        await sign_in(client, "ana@example.org")
        yield client


async def _open_case(client) -> str:
    response = await post_form(
        client, "/cases",
        {"country": "GT", "region": "GT-16", "line_of_defence": "land_and_territory", "full_name": NAME,
         "organization": "Colectiva Ejemplo", "contacts": "+502 5555 0100\n", "notes": "nota sintética",
         "adults": "1", "children_ages": "4, 9"},
        page="/cases/new",
    )  # fmt: skip
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?done=case_opened")
    return response.headers["location"].split("/")[2].split("?")[0]


async def test_an_analyst_opens_finds_reads_and_assesses_a_case(desk):
    i18n.MISSING.clear()
    assert (await desk.get("/", follow_redirects=False)).headers["location"] == "/cases"
    case_id = await _open_case(desk)
    page = (await desk.get(f"/cases/{case_id}?done=case_opened")).text
    assert "El caso está abierto." in page and NAME not in page and "Colectiva" not in page
    assert "Caso abierto" in page  # the timeline's first step

    for typed in ("jose perez", "JOSÉ PÉREZ", "xol"):
        found = (await post_form(desk, "/cases/search", {"name": typed})).text
        assert f"/cases/{case_id}" in found and "1 caso encontrado" in found, typed
    assert "0 casos encontrados" in (await post_form(desk, "/cases/search", {"name": "maria"})).text

    # Personal data only on request, as a POST (never in a URL), audited by risk.
    shown = await desk.post(f"/cases/{case_id}/personal", data={"csrf": csrf_of(page)})
    assert shown.status_code == 200 and NAME in shown.text and "+502 5555 0100" in shown.text
    async with httpx.AsyncClient(base_url=desk.risk_url) as risk:
        audit = (await risk.get("/audit", params={"case_id": case_id}, headers=auth("admin"))).json()
    assert [e["action"] for e in audit["items"]] == ["assessments.notes.read", "case.personal_data.read"]

    # The form from the instrument, in groups, in Spanish; the preview follows the answers.
    form = (await desk.get(f"/cases/{case_id}/assess")).text
    for words in ("Amenazas", "Vulnerabilidades", "Capacidades", "Indicadores de género",
                  "Atentado contra su vida", 'name="a_T01"', "Vista previa"):  # fmt: skip
        assert words in form, words
    preview = await desk.post(
        f"/cases/{case_id}/assess/preview",
        data={"csrf": csrf_of(form), "a_T01": "2", "a_T03": "1"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200 and "<html" not in preview.text
    assert re.search(r'id="preview-level">extremo<', preview.text)
    # Without JavaScript: the preview button shows the whole form again, answers kept.
    again = await desk.post(
        f"/cases/{case_id}/assess", data={"csrf": csrf_of(form), "a_T01": "2", "action": "preview"}
    )
    assert again.status_code == 200 and '<option value="2" selected>' in again.text
    # An override without its reason keeps the form, with the message.
    refused = await desk.post(
        f"/cases/{case_id}/assess",
        data={"csrf": csrf_of(form), "a_T01": "1", "level_override": "high", "action": "record"},
    )
    assert refused.status_code == 422 and "al menos 10 caracteres" in refused.text
    recorded = await desk.post(
        f"/cases/{case_id}/assess",
        data={"csrf": csrf_of(form), "a_T01": "3", "a_T07": "1", "a_V02": "1", "a_G03": "1",
              "exclude_case_region": "1", "notes": "nota de la evaluación", "action": "record"},
        follow_redirects=False,
    )  # fmt: skip
    assert recorded.status_code == 303, recorded.text
    page = (await desk.get(f"/cases/{case_id}?done=assessed")).text
    assert "La evaluación quedó registrada." in page and "Evaluación registrada" in page
    assert "nota de la evaluación" not in page  # notes only on request
    assert 'data-step="amparo.risk.assessment.recorded"' in page
    fragment = await desk.get(f"/cases/{case_id}/timeline", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="timeline"')
    listed = (await desk.get("/cases")).text
    assert f"/cases/{case_id}" in listed and NAME not in listed
    assert i18n.MISSING == set()


async def test_the_registry_of_attacks_and_its_charts(desk):
    i18n.MISSING.clear()
    case_id = await _open_case(desk)
    # Her incidents count in the statistics only with her consent (risk's consent routes;
    # the console has no consent form yet).
    async with httpx.AsyncClient(base_url=desk.risk_url) as risk:
        given = await risk.post(
            f"/cases/{case_id}/consents",
            json={"purpose": "statistics"},
            headers=auth("risk_analyst", countries=("GT",)),
        )
    assert given.status_code == 201, given.text
    for day, types, gender in (
        ("2026-01-10", ["threats"], []),
        ("2026-02-03", ["raid", "threats"], ["isolation"]),
    ):
        response = await post_form(
            desk, "/incidents",
            {"occurred_on": day, "country": "GT", "region": "GT-16", "scope": "individual",
             "aggression_types": types, "perpetrator_types": ["companies"],
             "gender_components": "yes" if gender else "no", "gender_component_types": gender, "case_id": case_id},
        )  # fmt: skip
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/cases/{case_id}?done=incident"
    listed = (await desk.get("/incidents")).text
    assert "allanamiento" in listed and "aislamiento" in listed
    stats = (await desk.get("/incidents/stats")).text
    assert stats.count("<svg") >= 5
    assert "1 de 2 agresiones tuvieron componentes de género (50%)" in stats
    assert "2026-01" in stats and "2026-02" in stats and "Guatemala" in stats
    assert i18n.MISSING == set()


async def test_the_desk_in_english_and_refused_to_other_roles(desk):
    html = (await desk.get("/cases")).text
    await desk.post("/language", data={"csrf": csrf_of(html), "language": "en", "next": "/cases"})
    page = (await desk.get("/cases")).text
    assert "<h1>Cases</h1>" in page and "Re-assessments due" in page
    await desk.post("/sign-out", data={"csrf": csrf_of(page)})
    await make_account(desk, "staff@example.org", ["network_staff"], countries=("GT",))
    await sign_in(desk, "staff@example.org")
    for path in ("/cases", "/cases/new", "/incidents", "/cases/search"):
        assert (await desk.get(path)).status_code == 403, path
    assert (await desk.get("/incidents/stats")).status_code == 200


async def test_her_consent_is_ticked_at_intake_recorded_and_revoked_after_a_question(desk):
    response = await post_form(
        desk, "/cases",
        {"country": "GT", "region": "GT-16", "line_of_defence": "land_and_territory", "full_name": NAME,
         "adults": "1", "purpose": ["shelters", "statistics"]},
        page="/cases/new",
    )  # fmt: skip
    assert response.status_code == 303, response.text
    case_id = response.headers["location"].split("/")[2].split("?")[0]
    page = (await desk.get(f"/cases/{case_id}")).text
    consent = page[page.index('id="consent"') : page.index("</section>", page.index('id="consent"'))]
    assert "compartir con albergues (camas reservadas para ella): <strong>sí</strong>" in consent
    assert "compartir con fondos (una solicitud de apoyo): <strong>no</strong>" in consent
    # Funds later, from the case page; one already given is left as it is.
    done = await post_form(
        desk, f"/cases/{case_id}/consents", {"purpose": ["funds", "shelters"]}, page=f"/cases/{case_id}"
    )
    assert done.status_code == 303 and "done=consent" in done.headers["location"]
    page = (await desk.get(f"/cases/{case_id}")).text
    assert "compartir con fondos (una solicitud de apoyo): <strong>sí</strong>" in page
    assert "Consentimiento registrado" in page  # the timeline's step
    # Revoking asks first, saying what it stops.
    ask = await desk.get(f"/cases/{case_id}/consents/shelters/revoke")
    assert "se liberan" in ask.text
    not_sure = await post_form(
        desk, f"/cases/{case_id}/consents/shelters/revocation", {}, page=f"/cases/{case_id}"
    )
    assert not_sure.headers["location"].endswith("/consents/shelters/revoke")
    sure = await post_form(
        desk,
        f"/cases/{case_id}/consents/shelters/revocation",
        {"sure": "yes"},
        page=f"/cases/{case_id}/consents/shelters/revoke",
    )
    assert "done=consent_revoked" in sure.headers["location"]
    page = (await desk.get(f"/cases/{case_id}")).text
    assert "compartir con albergues (camas reservadas para ella): <strong>no</strong>" in page
