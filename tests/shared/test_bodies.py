"""Bodies and parameters at the HTTP edge: JSON only, decoded strictly, every invalid
field named by its JSON path, and nothing the client sent repeated back."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import msgspec
import pytest
from litestar import get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.testing import AsyncTestClient

from shared.auth import requires
from shared.bootstrap import ServiceSpec, build_app
from tests.support import auth

SECRET = "Rosa Elena Xol Caal"
ADMIN = auth("admin")


class Line(enum.Enum):
    community = "community"
    organisation = "organisation"
    network = "network"


class Party(msgspec.Struct, forbid_unknown_fields=True):
    adults: Annotated[int, msgspec.Meta(ge=1, le=20)]
    children_ages: list[Annotated[int, msgspec.Meta(ge=0, le=17)]] = []


class Intake(msgspec.Struct, forbid_unknown_fields=True):
    EXAMPLE: ClassVar[dict] = {"country": "GT", "line_of_defence": "community", "party": {"adults": 1}}

    country: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]
    line_of_defence: Line
    party: Party
    accessible: bool = False
    start: datetime | None = None
    answers: dict[str, int] = {}


class Note(msgspec.Struct, forbid_unknown_fields=True):
    reason: Literal["relocated", "other"] = "other"


@post("/probe/intakes", operation_id="probeIntake", guards=[requires("admin")], status_code=201)
async def intake(data: JSONBody[Intake]) -> dict[str, object]:
    """Takes a required body."""
    return {"accessible": data.accessible, "start": data.start, "adults": data.party.adults}


@post("/probe/notes", operation_id="probeNote", guards=[requires("admin")], status_code=200)
async def note(data: JSONBody[Note | None] = None) -> dict[str, str]:
    """Takes an optional body."""
    return {"reason": (data or Note()).reason}


@get("/probe/lines", operation_id="probeLines", guards=[requires("admin")])
async def lines(
    line: FromQuery[Line | None] = None,
    from_: Annotated[int | None, QueryParameter(name="from")] = None,
) -> dict[str, object]:
    """Takes query parameters."""
    return {"line": line.value if line else None, "from": from_}


@pytest.fixture
async def client(make_settings):
    settings = await make_settings("risk")
    spec = ServiceSpec(
        name="risk",
        description="",
        routes=[intake, note, lines],
        migrations=Path("services/risk/migrations"),
    )
    async with AsyncTestClient(app=build_app(spec, settings)) as client:
        yield client


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"] and body["code"]
    assert SECRET not in response.text and "Rosa" not in response.text
    return body


def good() -> dict:
    return {"country": "GT", "line_of_defence": "community", "party": {"adults": 2}}


async def post_raw(client, url: str, content: bytes, ctype: str | None = "application/json"):
    headers = {**ADMIN, **({"Content-Type": ctype} if ctype else {})}
    return await client.post(url, content=content, headers=headers)


async def test_a_valid_body_is_decoded(client):
    r = await client.post("/probe/intakes", json={**good(), "accessible": True}, headers=ADMIN)
    assert r.status_code == 201 and r.json() == {"accessible": True, "start": None, "adults": 2}
    r = await post_raw(client, "/probe/intakes", json.dumps(good()).encode(), "application/vnd.amparo+json")
    assert r.status_code == 201


@pytest.mark.parametrize(
    "ctype",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ],
)
async def test_a_body_that_is_not_json_is_415(client, ctype):
    body = problem(await post_raw(client, "/probe/intakes", json.dumps(good()).encode(), ctype), 415)
    assert body["code"] == "request.unsupported_media_type"


async def test_deep_nesting_and_invalid_utf8_are_400_not_500(client):
    deep = b'{"answers": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    problem(await post_raw(client, "/probe/intakes", deep), 400)
    deep_untyped = b"[" * 5000 + b"]" * 5000
    problem(await post_raw(client, "/probe/intakes", deep_untyped), 400)
    bad_utf8 = b'{"country": "\xff\xfe", "line_of_defence": "community", "party": {"adults": 1}}'
    problem(await post_raw(client, "/probe/intakes", bad_utf8), 400)
    problem(await post_raw(client, "/probe/intakes", b"{not json"), 400)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [("accessible", 0, "$.accessible"), ("start", 0, "$.start"), ("start", "tomorrow", "$.start")],
)
async def test_decoding_is_strict(client, field, value, path):
    body = problem(await client.post("/probe/intakes", json={**good(), field: value}, headers=ADMIN), 400)
    assert [e["field"] for e in body["errors"]] == [path]


async def test_every_invalid_field_is_named_by_its_json_path_without_echo(client):
    bad = {
        "country": SECRET,
        "line_of_defence": SECRET,
        "party": {"adults": 0, "children_ages": [3, 40], SECRET: 1},
        "answers": {SECRET: "x"},
        SECRET: True,
    }
    body = problem(await client.post("/probe/intakes", json=bad, headers=ADMIN), 400)
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) >= {
        "$",
        "$.country",
        "$.line_of_defence",
        "$.party",
        "$.party.adults",
        "$.party.children_ages[1]",
        "$.answers.*",
    }, body
    assert by_field["$.line_of_defence"]["message"] == "must be one of: community, network, organisation"
    assert by_field["$.party.adults"]["message"] == "must be at least 1"
    assert "allowed: adults, children_ages" in by_field["$.party"]["message"]
    assert all(e["source"] == "body" for e in body["errors"])
    assert "$.party.adults" in body["detail"] or "more (see errors)" in body["detail"]


async def test_a_missing_field_and_a_missing_body_are_named(client):
    body = problem(await client.post("/probe/intakes", json={"country": "GT"}, headers=ADMIN), 400)
    assert {e["field"] for e in body["errors"]} == {"$.line_of_defence", "$.party"}
    assert all(e["rule"] == "required" for e in body["errors"])
    problem(await post_raw(client, "/probe/intakes", b""), 400)
    problem(await post_raw(client, "/probe/intakes", b"null"), 400)


async def test_an_optional_body_may_be_absent(client):
    for content, ctype in [(b"", None), (b"", "application/json"), (b"null", "application/json")]:
        r = await post_raw(client, "/probe/notes", content, ctype)
        assert r.status_code == 200 and r.json() == {"reason": "other"}, r.text
    r = await client.post("/probe/notes", json={"reason": "relocated"}, headers=ADMIN)
    assert r.json() == {"reason": "relocated"}
    body = problem(await client.post("/probe/notes", json={"reason": SECRET}, headers=ADMIN), 400)
    assert body["errors"][0]["message"] == "must be one of: other, relocated"


async def test_query_parameters_are_named_and_never_echoed(client):
    body = problem(await client.get("/probe/lines", params={"line": SECRET}, headers=ADMIN), 400)
    assert body["errors"] == [
        {
            "field": "line",
            "source": "query",
            "rule": "enum",
            "message": "must be one of: community, network, organisation",
        }
    ]
    body = problem(await client.get("/probe/lines", params={"from": SECRET}, headers=ADMIN), 400)
    assert body["errors"][0]["field"] == "from"
    ok = await client.get("/probe/lines", params={"line": "network", "from": 3}, headers=ADMIN)
    assert ok.json() == {"line": "network", "from": 3}


async def test_unknown_paths_and_methods_are_not_echoed(client):
    problem(await client.get(f"/probe/{SECRET}", headers=ADMIN), 404)
    problem(await client.get(f"/{SECRET}/x?q={SECRET}", headers=ADMIN), 404)
    problem(await client.delete("/probe/intakes", headers=ADMIN), 405)


async def test_authentication_comes_before_the_body(client):
    r = await client.post("/probe/intakes", content=b"{not json", headers={"Content-Type": "text/plain"})
    problem(r, 401)
    r = await client.post("/probe/intakes", content=b"{}", headers=auth("risk_analyst"))
    problem(r, 403)


async def test_an_integral_number_is_an_integer_as_json_schema_says(client):
    r = await client.post("/probe/intakes", json={**good(), "party": {"adults": 2.0}}, headers=ADMIN)
    assert r.status_code == 201 and r.json()["adults"] == 2
    body = problem(
        await client.post("/probe/intakes", json={**good(), "party": {"adults": 2.5}}, headers=ADMIN), 400
    )
    assert body["errors"][0]["field"] == "$.party.adults"
