"""deploy/prometheus/alerts.yml (issue #13): it loads, each rule is complete, and every
metric its expressions name is one the services really export, with the labels the
rules group by: read from real `amparo serve` processes' /metrics.

`promtool check rules` (Debian's `prometheus` package; `make test` installs it when
missing, like chromium) checks the rules' syntax and PromQL; the names are checked here
against real scrapes, which promtool cannot do."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support import served_process

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# Prometheus' own series (the scrape's `up`), not the services'.
PROMETHEUS_OWN = {"up"}
REQUIRED = {"AmparoOutboxStuck", "AmparoConsumerLagging", "AmparoDeadLetter", "AmparoDependencyDown"}


def rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    return set(re.findall(r"\b(amparo_[a-z0-9_]+|up)\b(?=\s*[{\[)\s=<>!]|$)", without_strings))


def grouping_labels(expr: str) -> set[str]:
    found: set[str] = set()
    for group in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        found |= {label.strip() for label in group.split(",") if label.strip()}
    return found


def test_promtool_accepts_the_rules():
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make promtool` installs it (Debian package prometheus)"
    out = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(rules())} rules found" in out.stdout


def test_the_rules_are_complete_and_balanced():
    found = rules()
    assert REQUIRED <= {rule["alert"] for rule in found}
    for rule in found:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        expr = rule["expr"]
        for opening, closing in ("()", "{}", "[]"):
            assert expr.count(opening) == expr.count(closing), rule["alert"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert metric_names(expr), rule["alert"]


@pytest.fixture
async def exported(make_settings) -> dict[str, set[str]]:
    """Sample name -> label names, from each service's /metrics as a real process."""
    found: dict[str, set[str]] = {}
    for service in ("risk", "shelters", "funds"):
        async with served_process(service, await make_settings(service), log_level="warning") as served:
            assert (await served.http.get("/health")).status_code == 200  # one request counted
            scrape = await served.http.get("/metrics")
            assert scrape.status_code == 200
            for family in text_string_to_metric_families(scrape.text):
                for sample in family.samples:
                    found.setdefault(sample.name, set()).update(sample.labels)
    return found


async def test_every_metric_the_rules_name_is_exported_with_its_labels(exported):
    for rule in rules():
        names = metric_names(rule["expr"]) - PROMETHEUS_OWN
        for name in names:
            assert name in exported, f"{rule['alert']}: {name} is not exported by any service"
        labels = set().union(*(exported[n] for n in names)) if names else {"instance", "job"}
        missing = grouping_labels(rule["expr"]) - labels
        assert not missing, f"{rule['alert']}: groups by {missing}, which its metrics do not carry"
