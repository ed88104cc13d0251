"""Places from a list (shared/places.py): ISO codes checked against pycountry, names for
people in Spanish or English, and `amparo token` refusing what is not a country or a role."""

from __future__ import annotations

import re

import msgspec
import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import places
from shared.errors import Invalid
from tests.support import JWT_PRIVATE_KEY

ALL_REGIONS = sorted(s.code for s in pycountry.subdivisions)


@given(st.sampled_from(ALL_REGIONS))
def test_every_subdivision_fits_the_pattern_and_belongs_to_a_country(code):
    assert re.search(places.REGION_PATTERN, code)
    assert places.is_region(code) and places.is_country(places.country_of(code))
    places.check_region("region", code, country=places.country_of(code))
    assert places.place_name(code, "en") and places.place_name(code, "es")


@given(st.text(max_size=40))
def test_free_text_is_never_a_place(text):
    if not places.is_region(text):
        with pytest.raises(Invalid, match=r"^region is not"):
            places.check_region("region", text)


@given(st.sampled_from(ALL_REGIONS))
def test_the_regions_offered_for_a_country_are_all_and_only_its_own(code):
    offered = places.regions_of(places.country_of(code))
    assert code in offered and all(places.country_of(r) == places.country_of(code) for r in offered)


def test_the_codes_and_names_are_pycountrys():
    """shared.places reads pycountry's files itself (its objects cost 5 MB a process):
    every code it knows, and every name it translates, is pycountry's."""
    assert places._country_names() == {c.alpha_2: c.name for c in pycountry.countries}
    assert places._regions() == {s.code: s.name for s in pycountry.subdivisions}


def test_names_for_people_in_spanish_or_english():
    assert places.place_name("MX", "es") == "México" and places.place_name("MX", "en") == "Mexico"
    assert places.place_name("GT-17", "es") == "Petén"
    assert places.place_name("MX-CHP") == "Chiapas"
    # A code pycountry does not know (kept by the migration) is shown as itself.
    assert places.place_name("GT-ZZ", "es") == "GT-ZZ" and places.place_name(None) is None


def test_a_refusal_names_the_field_never_the_value():
    address = "Calle Secreta 123"
    with pytest.raises(Invalid) as unknown:
        places.check_region("region", address)
    with pytest.raises(Invalid, match="another country") as foreign:
        places.check_region("region", "MX-CHP", country="GT")
    with pytest.raises(Invalid):
        places.check_place("excluded_regions", "XX")
    places.check_place("excluded_regions", "MX")
    for exc in (unknown, foreign):
        assert address not in str(exc.value) and "MX-CHP" not in str(exc.value)


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "es"),
        ("", "es"),
        ("es-MX,es;q=0.9", "es"),
        ("en-US,en;q=0.9", "en"),
        ("fr", "en"),
        ("en;q=0.4, es;q=0.8", "es"),
        ("*", "es"),
        ("es;q=0", "es"),
    ],
)
def test_the_language_of_names(header, lang):
    assert places.language(header) == lang


def test_localize_fills_names_in_nested_structs_and_lists():
    class Row(msgspec.Struct):
        country: str
        region: str | None
        excluded_regions: list[str]
        full_name: str = "not a place"
        country_name: str | None = None
        region_name: str | None = None
        excluded_region_names: list[str] = []

    class Page(msgspec.Struct):
        items: list[Row]

    page = places.localize(Page(items=[Row("MX", "MX-CHP", ["GT-17", "MX"]), Row("GT", None, [])]), "en")
    first, second = page.items
    assert (first.country_name, first.region_name, first.excluded_region_names) == (
        "Mexico",
        "Chiapas",
        ["Petén", "Mexico"],
    )
    assert first.full_name == "not a place"
    assert (second.country_name, second.region_name) == ("Guatemala", None)


def test_localize_looks_into_optional_structs_and_mixed_lists_but_leaves_plain_ones():
    class Place(msgspec.Struct):
        country: str
        country_name: str | None = None

    class Day(msgspec.Struct):  # nothing to name: returned as it is
        free: int

    class Shelter(msgspec.Struct):
        code: str
        days: list[Day]
        home: Place | None = None
        others: list[Place | Day] = []

    days = [Day(1), Day(2)]
    shelter = places.localize(Shelter("A", days, Place("SV"), [Day(3), Place("HN")]), "es")
    assert shelter.days is days
    assert shelter.home.country_name == "El Salvador"
    assert shelter.others[0] == Day(3) and shelter.others[1].country_name == "Honduras"
    assert places.localize(Shelter("B", days), "en").home is None


def test_token_refuses_unknown_countries_and_roles_in_one_line(monkeypatch, capsys, tmp_path):
    from deploy.cli import main

    key = tmp_path / "jwt.key"
    key.write_text(JWT_PRIVATE_KEY)
    monkeypatch.setenv("AMPARO_JWT_PRIVATE_KEY_FILE", str(key))
    for argv, reason in (
        (["--role", "risk_analyst", "--country", "Guatemala"], "unknown country Guatemala"),
        (["--role", "risk_analyst", "--country", "GT", "--country", "XX"], "unknown country XX"),
        (["--role", "wizard", "--country", "GT"], "unknown role wizard"),
    ):
        with pytest.raises(SystemExit) as refused:
            main(["token", *argv])
        assert reason in str(refused.value) and "\n" not in str(refused.value)
    assert capsys.readouterr().out == ""
    assert main(["token", "--role", "risk_analyst", "--country", "gt", "--country", "MX"]) == 0
