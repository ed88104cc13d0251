import json

from shared.logging import bound_contextvars, configure_logging, get_logger


def test_log_lines_are_json_with_context_and_no_personal_data(capsys):
    configure_logging("risk", level="info", json=True)
    log = get_logger("t")
    with bound_contextvars(correlation_id="c-1", case_id="k-1"):
        log.info("case.opened", name="Marta Pérez", address="Calle 5", notes="amenazas", country="GT")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "case.opened"
    assert record["correlation_id"] == "c-1" and record["case_id"] == "k-1" and record["service"] == "risk"
    assert record["country"] == "GT"
    assert "Marta" not in line and "Calle" not in line and "amenazas" not in line
