"""Helpers for the shelters tests: shelters with beds, placements through the API."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from services.shelters.config import SheltersConfig
from services.shelters.registry.schemas import BedBatch, ShelterCreate
from services.shelters.registry.service import create_shelter as create_shelter_use_case
from shared.auth import Principal
from shared.crypto import PiiCipher, new_key_spec
from shared.events import Envelope, decode_event
from tests.support import auth
from tests.support import known_case as support_known_case

COORD = auth("shelter_coordinator", sub="coord")
STAFF = auth("network_staff", sub="staff")
ADMIN = auth("admin", sub="admin")
ADDRESS = "Calle Secreta 123, Colonia Escondida"
CONTACT = "+502 5555 0101 Doña Reyna"


# One subdivision (ISO 3166-2) of each country of the network for shelters, and another
# for the cases that ask for beds (so a placement is not "in her home region" by accident).
REGION_OF = {"MX": "MX-CHP", "GT": "GT-17", "SV": "SV-SS", "HN": "HN-CR", "NI": "NI-MN", "CR": "CR-SJ"}
HOME_REGION_OF = {"MX": "MX-GRO", "GT": "GT-14", "SV": "SV-LI", "HN": "HN-FM", "NI": "NI-LE", "CR": "CR-A"}


def shelter_body(code: str | None = None, *, country="MX", region=None, beds=None, **extra) -> dict:
    return {
        "code": code or f"Casa-{uuid.uuid4().hex[:8]}",
        "kind": "shelter",
        "country": country,
        "region": region or REGION_OF.get(country, "MX-CHP"),
        "address": ADDRESS,
        "contact": CONTACT,
        "accepts": ["women", "families"],
        "accessible": True,
        "services": ["psychological_care", "legal_advice"],
        "beds": beds if beds is not None else [{"room": "A", "count": 4}],
        **extra,
    }


async def create_shelter(client, **kwargs) -> dict:
    resp = await client.post("/shelters", json=shelter_body(**kwargs), headers=COORD)
    assert resp.status_code == 201, resp.text
    return resp.json()


def placement_body(*, case_id=None, country="GT", region=None, level="high", adults=1, children=(), **extra):
    return {
        "case_id": str(case_id or uuid.uuid4()),
        "country": country,
        "region": region or HOME_REGION_OF[country],
        "level": level,
        "party": {"adults": adults, "children_ages": list(children)},
        **extra,
    }


async def known_case(target, case_id, country: str = "GT", status: str = "open") -> None:
    """Tell shelters' case projection of a case, as risk's CaseOpened would."""
    await support_known_case(target, "shelters", case_id, country, status)


async def place(client, *, headers=STAFF, **kwargs):
    """POST /placements for a case shelters knows (in the body's country)."""
    body = placement_body(**kwargs)
    await known_case(client, body["case_id"], body["country"])
    return await client.post("/placements", json=body, headers=headers)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


# For calling use cases directly (integration tests): a runtime with only what they use.
CONFIG = SheltersConfig()
ADMIN_PRINCIPAL = Principal(sub="admin", roles=frozenset({"admin"}), countries=frozenset())


def runtime(pool, config: SheltersConfig = CONFIG) -> SimpleNamespace:
    return SimpleNamespace(pool=pool, config=config, cipher=PiiCipher.from_spec(new_key_spec()))


async def make_shelter(pool, *, code: str, country: str, beds: int, region: str | None = None) -> uuid.UUID:
    body = ShelterCreate(
        code=code,
        kind="shelter",
        country=country,
        region=region or {**REGION_OF, "MX": "MX-OAX"}[country],
        address="Calle 1",
        beds=[BedBatch(room="A", count=beds)] if beds else [],
    )
    return (await create_shelter_use_case(runtime(pool), ADMIN_PRINCIPAL, body)).id


async def outbox_events(conn) -> list[Envelope]:
    """The events a use case wrote, in the order it wrote them."""
    rows = await conn.fetch("SELECT payload FROM outbox ORDER BY created_at")
    return [decode_event(bytes(r["payload"])) for r in rows]
