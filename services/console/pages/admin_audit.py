"""For admins: the audit log, merged newest first from risk (every read of a defender's
personal data, and every refused attempt), shelters (every time a shelter's address and
contact were shown) and the console (what admins did), filtered by actor, action, case
and dates; "older" pages continue before the last row's time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta

from litestar import Request, Response, get

from services.console import audit, backend
from services.console.accounts.sessions import require_role
from services.console.web import page
from shared.errors import BadInput

OPTS = {"include_in_schema": False}
PAGE = 50


def _date(raw: str, field: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise BadInput(f"{field} must be a date", code="http.400") from None


def filters_of(request: Request) -> dict:
    q = request.query_params
    raw = {k: (q.get(k) or "").strip()[:200] for k in ("actor", "action", "case", "from", "to", "before")}
    case_id = None
    if raw["case"]:
        try:
            case_id = uuid.UUID(raw["case"])
        except ValueError:
            raise BadInput("case must be a case id", code="http.400") from None
    start, end = _date(raw["from"], "from"), _date(raw["to"], "to")
    since = datetime.combine(start, time(), UTC) if start else None
    until = datetime.combine(end + timedelta(days=1), time(), UTC) if end else None
    if raw["before"]:
        try:
            before = datetime.fromisoformat(raw["before"])
        except ValueError:
            raise BadInput("before must be a time", code="http.400") from None
        if before.tzinfo is None:
            before = before.replace(tzinfo=UTC)
        until = min(until, before) if until else before
    return {"raw": raw, "case_id": case_id, "since": since, "until": until}


async def _service_log(config, account, service: str, params: dict) -> list[dict] | None:
    """A service's newest audit rows, or None when it does not answer (a refusal, 4xx,
    is the admin's to see: it is raised)."""
    try:
        data = await backend.call(config, account, service, "GET", "/audit", params=params)
    except backend.ServiceProblem as exc:
        if exc.status < 500:
            raise
        return None
    return data["items"]


async def merged(config, account, pool, f: dict) -> tuple[list[dict], list[str]]:
    """The newest ``PAGE`` rows of the three logs, and the services that did not answer."""
    raw = f["raw"]
    params = {
        "actor": raw["actor"] or None,
        "action": raw["action"] or None,
        "since": f["since"].isoformat() if f["since"] else None,
        "until": f["until"].isoformat() if f["until"] else None,
        "limit": PAGE,
    }
    by_case = f["case_id"] is not None
    risk_rows, shelters_rows = await asyncio.gather(
        _service_log(config, account, "risk", {**params, "case_id": str(f["case_id"]) if by_case else None}),
        # Shelters' rows name shelters, not cases: a case filter leaves them out.
        _service_log(config, account, "shelters", params) if not by_case else _nothing(),
    )
    rows = [_row(r, "risk", case_id=r["case_id"]) for r in risk_rows or []]
    rows += [_row(r, "shelters", shelter_id=r["object_id"]) for r in shelters_rows or []]
    if not by_case:  # the console's own rows name accounts and letters, not cases
        for r in await audit.search(
            pool,
            actor=raw["actor"] or None,
            action=raw["action"] or None,
            target=None,
            since=f["since"],
            until=f["until"],
            limit=PAGE,
        ):
            rows.append({**dict(r), "source": "console", "case_id": None, "shelter_id": None})
    missing = [name for name, got in (("risk", risk_rows), ("shelters", shelters_rows)) if got is None]
    return newest(rows, PAGE), missing


async def _nothing() -> list[dict]:
    return []


def _row(r: dict, source: str, *, case_id: str | None = None, shelter_id: str | None = None) -> dict:
    """A service's audit row as the page shows it: a case's (risk) or a shelter's."""
    at = datetime.fromisoformat(r["at"])
    return {"at": at, "source": source, "actor": r["actor"], "action": r["action"], "case_id": case_id,
            "shelter_id": shelter_id, "target": None, "detail": None}  # fmt: skip


def newest(rows: list[dict], limit: int) -> list[dict]:
    """The ``limit`` newest of the rows of several logs (each already its ``limit`` newest)."""
    return sorted(rows, key=lambda r: r["at"], reverse=True)[:limit]


def cursor(rows: list[dict], limit: int) -> datetime | None:
    """Where the next (older) page ends: before the last row's time; None on the last page."""
    return rows[-1]["at"] if len(rows) == limit else None


@get("/admin/audit", **OPTS)
async def audit_log(request: Request) -> Response:
    account = require_role(request, "admin")
    f = filters_of(request)
    rows, missing = await merged(request.app.state.runtime.config, account, request.app.state.runtime.pool, f)
    older = None
    before = cursor(rows, PAGE)
    if before is not None:
        params = {k: v for k, v in f["raw"].items() if v and k != "before"}
        params["before"] = before.isoformat()
        older = "/admin/audit?" + "&".join(f"{k}={_q(v)}" for k, v in params.items())
    return page("admin_audit.html", request, rows=rows, filters=f["raw"], older=older, missing=missing)


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


ROUTES = [audit_log]
