"""Places in the console are chosen from ISO 3166-2 lists, never typed (issue 10's "places
from a list" meets issue 11's forms): a shelter's region among the subdivisions of the
chosen country, regions to avoid ticked among those of the country searched, all shown by
name in the person's language, and all working without JavaScript (plain forms)."""

from __future__ import annotations

import re

from tests.console.conftest import make_account, post_form, sign_in

ADDRESS = "Calle Sintética 55, Zona 1"


def options(html: str, select_id: str) -> dict[str, str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select id={select_id}>"
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


async def register(console, code: str, country: str, region: str):
    return await post_form(
        console, "/shelters",
        {"code": code, "kind": "shelter", "country": country, "region": region, "address": ADDRESS,
         "room": "A", "regular_beds": "2", "child_beds": "0", "accepts": "women"},
    )  # fmt: skip


async def test_a_shelter_region_is_chosen_among_those_of_the_chosen_country(console):
    await make_account(console, "coord@example.org", ["shelter_coordinator"], countries=("GT", "MX"))
    await sign_in(console, "coord@example.org")
    first = (await console.get("/shelters")).text
    assert '<input id="region"' not in first  # no free text where a place goes
    regions = options(first, "region")
    assert regions["GT-17"] == "Petén" and regions[""] == "Elija una región"
    assert all(code == "" or code.startswith("GT-") for code in regions) and len(regions) == 23
    assert "Región de Guatemala" in first and 'name="country" value="GT"' in first
    # Without JavaScript the country is chosen by a form of its own, then its regions come.
    mexico = (await console.get("/shelters?country=MX")).text
    assert options(mexico, "country")["MX"] == "México" and "MX-OAX" in options(mexico, "region")
    assert "GT-17" not in options(mexico, "region") and 'name="country" value="MX"' in mexico
    # A country outside hers is not offered: the first of hers instead.
    assert 'name="country" value="GT"' in (await console.get("/shelters?country=SV")).text

    made = await register(console, "Casa-Oaxaca", "MX", "MX-OAX")
    assert made.status_code == 303, made.text
    listed = (await console.get("/shelters")).text
    assert "Oaxaca, México" in listed and "MX-OAX" not in listed.split('id="register"')[0]
    # A typed name (not a code from the list) is refused by shelters, shown as a page.
    typed = await register(console, "Casa-Escrita", "GT", "Petén")
    assert typed.status_code == 400 and "Faltan valores o no son válidos." in typed.text
    assert "Casa-Escrita" not in (await console.get("/shelters")).text

    await post_form(console, "/language", {"language": "en", "next": "/shelters"}, page="/shelters")
    english = (await console.get("/shelters?country=MX")).text
    assert "Region of Mexico" in english and options(english, "region")[""] == "Choose a region"
    assert options(english, "region")["MX-CHP"] == "Chiapas" and "Oaxaca, Mexico" in english


async def test_availability_leaves_out_the_regions_ticked_to_avoid(console):
    await make_account(console, "coord@example.org", ["shelter_coordinator"], countries=("GT", "MX"))
    await sign_in(console, "coord@example.org")
    for code, region in (("Casa-Peten", "GT-17"), ("Casa-Quiche", "GT-14")):
        assert (await register(console, code, "GT", region)).status_code == 303
    form = (await console.get("/availability")).text
    assert 'id="avoid-GT-17"' in form and 'id="avoid-MX-CHP"' in form  # all her countries
    assert '<input id="avoid" ' not in form
    both = (await console.get("/availability?search=1&country=GT&adults=1")).text
    assert "Casa-Peten" in both and "Casa-Quiche" in both and "Petén, Guatemala" in both
    assert 'id="avoid-GT-17"' in both and 'id="avoid-MX-CHP"' not in both  # the chosen country's
    avoided = (
        await console.get(
            "/availability",
            params=[
                ("search", "1"),
                ("country", "GT"),
                ("adults", "1"),
                ("avoid", "GT-17"),
                ("avoid", "Quiché"),
            ],
        )
    ).text
    assert "Casa-Quiche" in avoided and "Casa-Peten" not in avoided
    assert re.search(r'id="avoid-GT-17"[^>]*checked', avoided)
    assert "<details open><summary>Guatemala</summary>" in avoided
