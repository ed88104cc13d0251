import pytest

from services.shelters.config import SheltersConfig
from shared.config import ConfigError, load_config, load_settings


def test_bad_value_names_the_variable():
    with pytest.raises(ConfigError, match="AMPARO_PORT"):
        load_settings({"AMPARO_PORT": "eighty"})
    with pytest.raises(ConfigError, match="AMPARO_LOG_LEVEL"):
        load_settings({"AMPARO_LOG_LEVEL": "loud"})


def test_values_are_decoded_from_strings():
    s = load_settings({"AMPARO_PORT": "8001", "AMPARO_DATABASE_URL": "postgresql://u@h:5/x"})
    assert s.port == 8001
    assert load_config(SheltersConfig, {"AMPARO_HOLD_HOURS": "2.5"}).hold_hours == 2.5
    assert s.dsn("risk") == "postgresql://u@h:5/amparo_risk"


def test_missing_database_is_a_clear_error():
    with pytest.raises(ConfigError, match="AMPARO_DATABASE_URL"):
        load_settings({}).dsn("risk")
