"""The finished OpenAPI document, for routes of every kind: what each can answer, as
problem+json; the bearer scheme; body schemas as strict as the decoder; examples."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, ClassVar

import msgspec
import pytest
from litestar import delete, get, post
from litestar.params import FromQuery, JSONBody
from litestar.testing import AsyncTestClient

from shared.auth import requires
from shared.bootstrap import ServiceSpec, build_app
from tests.support import auth


class Stay(msgspec.Struct, forbid_unknown_fields=True):
    EXAMPLE: ClassVar[dict] = {"nights": 3}

    nights: Annotated[int, msgspec.Meta(ge=1, le=90)]


class Reason(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = "other"


ADMIN = [requires("admin")]


@post("/probe/stays", operation_id="probeStay", guards=ADMIN)
async def create_stay(data: JSONBody[Stay]) -> Stay:
    """A required body with an example."""
    return data


@post("/probe/stays/{stay_id:uuid}/end", operation_id="probeEnd", guards=ADMIN, status_code=200)
async def end_stay(stay_id: uuid.UUID, data: JSONBody[Reason | None] = None) -> dict[str, str]:
    """An optional body, a path parameter."""
    return {"id": str(stay_id)}


@get("/probe/stays", operation_id="probeStays", guards=ADMIN)
async def list_stays(nights: FromQuery[int | None] = None) -> list[str]:
    """A query parameter."""
    return []


@delete("/probe/stays", operation_id="probeClear", guards=ADMIN)
async def clear_stays() -> None:
    """No parameters, no body."""


@pytest.fixture
async def client(make_settings):
    settings = await make_settings("risk")
    spec = ServiceSpec(
        name="risk",
        description="",
        routes=[create_stay, end_stay, list_stays, clear_stays],
        migrations=Path("services/risk/migrations"),
    )
    async with AsyncTestClient(app=build_app(spec, settings)) as client:
        yield client


@pytest.fixture
async def document(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def errors_of(op: dict) -> set[int]:
    return {int(code) for code in op["responses"] if int(code) >= 400}


async def test_every_route_documents_what_it_can_answer(document):
    paths = document["paths"]
    assert errors_of(paths["/probe/stays"]["post"]) == {400, 401, 403, 409, 415, 422, 503}
    assert errors_of(paths["/probe/stays/{stay_id}/end"]["post"]) == {400, 401, 403, 404, 409, 415, 422, 503}
    assert errors_of(paths["/probe/stays"]["get"]) == {400, 401, 403, 422, 503}
    assert errors_of(paths["/probe/stays"]["delete"]) == {401, 403, 409, 503}
    assert errors_of(paths["/health"]["get"]) == {503}
    assert errors_of(paths["/ready"]["get"]) == {503}
    for item in paths.values():
        for op in item.values():
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (code, response)
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])


async def test_summaries_are_the_docstrings_first_line(document):
    assert document["paths"]["/probe/stays"]["post"]["summary"] == "A required body with an example."
    assert document["paths"]["/health"]["get"]["summary"] == "The process is up."


async def test_protected_routes_carry_the_bearer_scheme(document):
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from `amparo token --role <role> --country <ISO code>`.",
    }
    assert document["paths"]["/probe/stays"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/health"]["get"]


async def test_bodies_are_as_strict_as_the_decoder_with_examples(document):
    body = document["paths"]["/probe/stays"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["example"] == {"nights": 3}
    stay = document["components"]["schemas"]["Stay"]
    assert stay["additionalProperties"] is False
    assert stay["properties"]["nights"] == {"type": "integer", "minimum": 1, "maximum": 90}
    optional = document["paths"]["/probe/stays/{stay_id}/end"]["post"]["requestBody"]
    assert optional["required"] is False
    assert {"type": "null"} in optional["content"]["application/json"]["schema"]["anyOf"]


async def test_integer_parameters_are_bounded_like_the_parser(document):
    (param,) = document["paths"]["/probe/stays"]["get"]["parameters"]
    types = param["schema"].get("oneOf") or param["schema"].get("anyOf") or [param["schema"]]
    integer = next(t for t in types if t.get("type") == "integer")
    assert integer["maximum"] == 2**63 - 1 and integer["minimum"] == -(2**63)


async def test_options_lists_every_method_of_the_path(client):
    response = await client.options("/probe/stays", headers=auth("admin"))
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, POST"


async def test_the_docs_page_needs_no_token_and_no_cdn(client):
    page = await client.get("/schema/swagger")
    assert page.status_code == 200 and "https://" not in page.text and "http://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert (await client.get(f"/schema/static/{asset}")).status_code == 200
    assert (await client.get("/schema")).status_code == 200
