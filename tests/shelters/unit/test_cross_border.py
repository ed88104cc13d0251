"""Cross-border agreements: a bed search widens only by the agreements of her own
countries, one way, never transitively; a bad configuration is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.shelters.config import SheltersConfig
from services.shelters.domain import cross_border
from shared.config import ConfigError, load_config

COUNTRIES = ("GT", "MX", "SV", "HN", "NI", "CR", "BZ", "PA")
countries = st.sampled_from(COUNTRIES)
agreements_st = st.dictionaries(countries, st.frozensets(countries, min_size=1), max_size=6)


def written(agreements: dict) -> str:
    return ";".join(f"{home}:{','.join(sorted(p))}" for home, p in agreements.items())


@given(agreements=agreements_st)
def test_the_written_form_reads_back(agreements):
    expected = {h: frozenset(p - {h}) for h, p in agreements.items()}
    assert cross_border.parse(written(agreements)) == expected


@given(own=st.frozensets(countries), agreements=agreements_st)
def test_search_widens_only_by_her_own_countries_agreements(own, agreements):
    found = cross_border.searchable(own, agreements)
    assert own <= found
    for country in found - own:
        assert any(country in agreements.get(home, ()) for home in own)
    # Not transitive: what a partner's agreements open is not hers.
    for country in found - own:
        for further in agreements.get(country, ()):
            if further not in found:
                assert not any(further in agreements.get(home, ()) for home in own)


def test_one_way_and_the_example():
    agreements = cross_border.parse("GT:MX,SV; HN:GT")
    assert cross_border.searchable({"GT"}, agreements) == {"GT", "MX", "SV"}
    assert cross_border.searchable({"MX"}, agreements) == {"MX"}
    assert cross_border.searchable({"HN"}, agreements) == {"HN", "GT"}
    assert cross_border.parse("") == {}


@pytest.mark.parametrize("bad", ["GT", "GT:", "GT-MX", "GT:Mexico", "gt:mx", ":MX", "GT:MX;XX:GT"])
def test_a_bad_configuration_stops_the_service(bad):
    with pytest.raises(ConfigError, match="AMPARO_CROSS_BORDER"):
        load_config(SheltersConfig, {"AMPARO_CROSS_BORDER": bad})
