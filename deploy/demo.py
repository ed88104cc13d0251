"""`amparo demo` / `make demo`: synthetic data into a running system, then cases through it.

Five countries, about twenty shelters and three hundred beds, three funds with a
committee, a year of incidents for the registry, and a few dozen cases pushed through
the whole flow, printing what happened to each with full ids and addresses that open
(the console's pages, the API's). Every name and address is synthetic.

It finds the services in ``run.json`` (what `make run` wrote in AMPARO_HOME) or else in
AMPARO_RISK_URL, AMPARO_SHELTERS_URL, AMPARO_FUNDS_URL (and AMPARO_CONSOLE_URL), and
says which. What it made is listed in ``demo.json`` beside run.json; a stack holding
cases, shelters or funds the demo did not make is refused (real defenders' data must
never be mixed with synthetic cases) unless ``--force``.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from deploy.cli import signing_key
from deploy.demo_data import AGGRESSIONS, COMMITTEE, FIRST, FUNDS, GENDER, LAST, LINES, PERPETRATORS, REGIONS
from deploy.demo_site import Ledger, locate
from shared.auth import issue_token


class Demo:
    def __init__(self, home: Path, seed: int, urls: dict[str, str]) -> None:
        self.urls = urls
        self.signing_key = signing_key()
        self.rnd = random.Random(seed)
        self.run = uuid.uuid4().hex[:4].upper()
        self.http = httpx.Client(timeout=30)
        self.ledger = Ledger(home / "demo.json")

    def foreign(self) -> dict[str, int]:
        """How many cases, shelters and funds the services hold that the demo did not make."""
        lists = {
            "cases": ("risk", "/cases"),
            "shelters": ("shelters", "/shelters"),
            "funds": ("funds", "/funds"),
        }
        found: dict[str, int] = {}
        for kind, (service, path) in lists.items():
            offset, others = 0, 0
            while True:
                page = self.call("GET", service, f"{path}?limit=200&offset={offset}", "admin")
                others += sum(1 for item in page["items"] if item["id"] not in self.ledger.ids[kind])
                offset += len(page["items"])
                if not page["items"] or offset >= page["total"]:
                    break
            if others:
                found[kind] = others
        return found

    def headers(self, role: str, sub: str | None = None) -> dict[str, str]:
        token = issue_token(
            self.signing_key, sub=sub or f"demo-{role}", roles=[role], countries=list(REGIONS)
        )
        return {"Authorization": f"Bearer {token}"}

    def call(
        self, method: str, service: str, path: str, role: str, *, sub: str | None = None, **kwargs
    ) -> dict:
        response = self.http.request(
            method,
            self.urls[service] + path,
            headers=self.headers(role, sub) | kwargs.pop("headers", {}),
            **kwargs,
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def wait_for(self, probe, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.2)
        return None

    # --- data -----------------------------------------------------------------------

    def shelters(self) -> int:
        beds = 0
        countries = list(REGIONS)
        for i in range(20):
            country = countries[i % len(countries)]
            adults, children = self.rnd.randint(8, 14), self.rnd.randint(2, 6)
            beds += adults + children
            shelter = self.call(
                "POST",
                "shelters",
                "/shelters",
                "shelter_coordinator",
                json={
                    "code": f"{country}-CASA-{self.run}-{i:02d}",
                    "kind": self.rnd.choice(
                        ["shelter", "safe_house", "self_care_centre", "hostel", "halfway_house"]
                    ),
                    "country": country,
                    "region": self.rnd.choice(REGIONS[country]),
                    "address": f"Dirección sintética {i}",
                    "contact": f"+000 555 {i:04d}",
                    "accepts": ["women", "children", "families"] + (["lgbti"] if i % 2 else []),
                    "accessible": i % 4 == 0,
                    "services": ["psychological_care", "healing", "legal_advice"][: 1 + i % 3],
                    "beds": [
                        {"room": "A", "count": adults, "accessible": i % 4 == 0},
                        {"room": "B", "count": children, "child_sized": True},
                    ],
                },
            )
            self.ledger.add("shelters", shelter["id"])
        return beds

    def funds(self) -> list[str]:
        ids = []
        for name, currency, countries in FUNDS:
            fund = self.call(
                "POST",
                "funds",
                "/funds",
                "fund_admin",
                json={"name": f"{name} {self.run}", "currency": currency, "countries": countries},
            )
            self.ledger.add("funds", fund["id"])
            scale = 20 if currency == "MXN" else 1
            self.call(
                "POST",
                "funds",
                f"/funds/{fund['id']}/deposits",
                "fund_admin",
                json={"amount": 15_000_000 * scale, "currency": currency},
            )
            self.call(
                "PUT",
                "funds",
                f"/funds/{fund['id']}/policy",
                "fund_admin",
                json={
                    "ceiling": 800_000 * scale,
                    "emergency_limit": 500_000 * scale,
                    "quorum": 2,
                    "suggested": [
                        {"purpose": "relocation", "amount": 250_000 * scale},
                        {"purpose": "medical_psychological", "amount": 90_000 * scale},
                        {"purpose": "home_security", "amount": 150_000 * scale},
                        {"purpose": "legal", "amount": 120_000 * scale},
                        {"purpose": "digital_security", "amount": 40_000 * scale},
                        {"purpose": "self_care", "amount": 30_000 * scale},
                    ],
                },
            )
            for member in COMMITTEE:
                self.call("POST", "funds", f"/funds/{fund['id']}/members", "fund_admin", json={"sub": member})
            ids.append(fund["id"])
        return ids

    def incidents(self, count: int = 400) -> dict:
        today = date.today()
        for _ in range(count):
            country = self.rnd.choice(list(REGIONS))
            gender = self.rnd.random() < 0.4
            self.call(
                "POST",
                "risk",
                "/incidents",
                "risk_analyst",
                json={
                    "occurred_on": str(today - timedelta(days=self.rnd.randint(0, 364))),
                    "country": country,
                    "region": self.rnd.choice(REGIONS[country]),
                    "scope": self.rnd.choice(["individual", "individual", "collective"]),
                    "aggression_types": self.rnd.sample(AGGRESSIONS, self.rnd.randint(1, 3)),
                    "perpetrator_types": self.rnd.sample(PERPETRATORS, self.rnd.randint(1, 2)),
                    "gender_components": gender,
                    "gender_component_types": self.rnd.sample(GENDER, self.rnd.randint(1, 2))
                    if gender
                    else [],
                    "close_people_attacked": self.rnd.random() < 0.3,
                },
            )
        since = str(today - timedelta(days=365))
        return self.call("GET", "risk", f"/incidents/stats?from={since}&to={today}", "risk_analyst")

    # --- cases ----------------------------------------------------------------------

    def answers(self, instrument: dict, severity: float) -> dict:
        scale_max = instrument.get("scoring", {}).get("scale_max", 3)
        out = {}
        for ind in instrument["indicators"]:
            capacity = ind["group"] == "capacities"
            p = (1 - severity) * 0.7 if capacity else severity
            if ind["answer"] == "bool":
                out[ind["code"]] = self.rnd.random() < p
            else:
                out[ind["code"]] = min(scale_max, int(self.rnd.random() * p * (scale_max + 1.5)))
        return out

    def case(self, i: int, instrument: dict) -> str:
        country = self.rnd.choice(list(REGIONS))
        region = self.rnd.choice(REGIONS[country])
        children = [self.rnd.randint(1, 16) for _ in range(self.rnd.choice([0, 0, 1, 2, 3]))]
        case = self.call(
            "POST",
            "risk",
            "/cases",
            "risk_analyst",
            json={
                "country": country,
                "region": region,
                "line_of_defence": self.rnd.choice(LINES),
                "personal": {"full_name": f"{self.rnd.choice(FIRST)} {self.rnd.choice(LAST)} (sintética)"},
                "party": {"adults": 1, "children_ages": children},
            },
        )
        self.ledger.add("cases", case["id"])
        # She agrees to share her case with shelters and the funds and to be counted in
        # the statistics: without it nothing is held or applied for automatically.
        for purpose in ("shelters", "funds", "statistics"):
            self.call(
                "POST", "risk", f"/cases/{case['id']}/consents", "risk_analyst", json={"purpose": purpose}
            )
        assessment = self.call(
            "POST",
            "risk",
            f"/cases/{case['id']}/assessments",
            "risk_analyst",
            json={
                "instrument_version": instrument["version"],
                "answers": self.answers(instrument, self.rnd.choice([0.05, 0.2, 0.35, 0.5, 0.8])),
            },
        )
        line = f"case {case['id']} {country}/{case['region_name']:<16} party {1 + len(children)}  level {assessment['level']:<8}"
        measures = assessment["measures"]
        placement = application = None
        if "shelter" in measures:
            placement = self.wait_for(
                lambda: next(
                    iter(
                        self.call("GET", "shelters", f"/placements?case_id={case['id']}", "network_staff")[
                            "items"
                        ]
                    ),
                    None,
                )
            )
        if any(m.endswith("_grant") for m in measures):
            application = self.wait_for(
                lambda: next(
                    iter(
                        self.call(
                            "GET",
                            "funds",
                            f"/applications?case_id={case['id']}",
                            "fund_committee",
                            sub=COMMITTEE[0],
                        )["items"]
                    ),
                    None,
                )
            )
        if placement and placement["status"] == "held":
            self.call(
                "POST", "shelters", f"/placements/{placement['id']}/confirm", "shelter_coordinator", json={}
            )
            self.call(
                "POST", "shelters", f"/placements/{placement['id']}/check-in", "shelter_coordinator", json={}
            )
            line += f"  checked in at {placement['shelter_code']} ({placement['shelter_region_name']})"
            if "console" in self.urls and placement.get("shelter_id"):
                line += f" {self.urls['console']}/shelters/{placement['shelter_id']}"
        elif placement:
            line += f"  shelter: {placement['status']}"
        if application and application.get("fund_id"):
            amount = application["requested"]
            try:
                for member in COMMITTEE[:2]:
                    vote = self.call(
                        "POST",
                        "funds",
                        f"/applications/{application['id']}/votes",
                        "fund_committee",
                        sub=member,
                        json={"decision": "approve", "amount": amount, "comment": "demo"},
                    )
                    if (
                        vote["application"]["status"] == "approved"
                        and vote["application"]["ratified"] is not False
                    ):
                        break
                half = amount // 2
                for n, part in enumerate([half, amount - half]):
                    self.call(
                        "POST",
                        "funds",
                        f"/applications/{application['id']}/disbursements",
                        "fund_admin",
                        headers={"Idempotency-Key": f"demo-{application['id']}-{n}"},
                        json={
                            "amount": part,
                            "currency": application["currency"],
                            "method": "bank_transfer",
                            "payee_reference": f"ACC-{i:04d}-{n}",
                        },
                    )
                line += f"  grant {application['track']} {amount / 100:,.2f} {application['currency']} paid in 2 tranches"
            except RuntimeError as exc:
                line += f"  grant not paid ({str(exc)[:60]})"
        elif application:
            line += "  grant: no fund serves this country"
        others = [m for m in measures if m != "shelter" and not m.endswith("_grant")]
        if others:
            line += f"  also: {', '.join(others)}"
        if not measures:
            line += "  no measures"
        return line


def _print_console_accounts(home: Path, console_url: str | None) -> None:
    """A console account per role, so each kind of user can try the system in a browser."""
    import asyncio

    from deploy.users import demo_accounts

    if not console_url:
        return
    state_file = home / "run.json"
    database_url = os.environ.get("AMPARO_DATABASE_ADMIN_URL") or (
        json.loads(state_file.read_text())["database_url"] if state_file.exists() else ""
    )
    if not database_url:
        print(f"console: {console_url} (accounts: `amparo users add` with AMPARO_DATABASE_ADMIN_URL)")
        return
    accounts = asyncio.run(demo_accounts(database_url))
    print(f"sign in at {console_url} (a new password, then a second factor for some roles):")
    for email, password in accounts:
        print(f"  {email:42} {password or '(exists; password unchanged)'}")


def main(*, cases: int = 30, seed: int = 7, force: bool = False) -> int:
    home = Path(os.environ.get("AMPARO_HOME") or Path.cwd() / ".amparo")
    urls, source = locate(home)
    if not urls:
        print(
            f"amparo demo: no running system found: no {home / 'run.json'} and no AMPARO_RISK_URL, "
            "AMPARO_SHELTERS_URL, AMPARO_FUNDS_URL; start it with `make run` in another terminal"
        )
        return 1
    print(f"services from {source}:")
    for name, url in urls.items():
        print(f"  {name:9} {url}")
    demo = Demo(home, seed, urls)
    foreign = demo.foreign()
    if foreign and not force:
        held = ", ".join(f"{n} {kind}" for kind, n in foreign.items())
        print(
            f"amparo demo: refused: this system holds data the demo did not make ({held}); "
            "synthetic cases must not be mixed with real ones. Use a system of its own "
            "(AMPARO_HOME=/tmp/amparo-demo make run), or `amparo demo --force` if this one is a test system."
        )
        return 2
    if foreign:
        print(f"--force: going on beside data the demo did not make ({foreign})")
    started = datetime.now(UTC)
    print(f"shelters: {demo.shelters()} beds in 20 shelters across {', '.join(REGIONS)}")
    print(f"funds: {len(demo.funds())} funds with a committee of {len(COMMITTEE)}")
    stats = demo.incidents()
    print(
        f"registry: {stats.get('total')} attacks in the last year, "
        f"{stats.get('gender_share_percent')}% with gender components"
    )
    instrument = demo.call("GET", "risk", "/instruments/gender-v1", "risk_analyst")
    for i in range(cases):
        print(demo.case(i, instrument))
    took = (datetime.now(UTC) - started).total_seconds()
    print(f"done in {took:.0f} s")
    print("a case's timeline (API, with a token from `amparo token --role risk_analyst --country GT`):")
    print(f"  {demo.urls['risk']}/cases/<case id above>/timeline")
    console = demo.urls.get("console")
    if console:
        print("in the console:")
        for page, what in (("capacity", "capacity"), ("board", "placements board"), ("waitlist", "waitlist"),
                           ("shelters", "shelters (coordinator)")):  # fmt: skip
            print(f"  {what:24} {console}/{page}")
    _print_console_accounts(home, console)
    return 0
