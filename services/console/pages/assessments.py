"""For risk analysts: the assessment form drawn from the instrument file (threats,
vulnerabilities, capacities and gender indicators in groups, in the page's language),
its live preview (htmx posts the form on every change; without JavaScript a "preview"
button), the override with its reason, and recording."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.sessions import read_form_lists, require_role
from services.console.messages import problem_text
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}
ANALYST = "risk_analyst"
GROUPS = ("threats", "vulnerabilities", "gender", "capacities")
LEVELS = ("low", "medium", "high", "extreme")


def _config(request: Request):
    return request.app.state.runtime.config


async def _instrument(config, account) -> dict[str, Any]:
    """The newest instrument version (by publication), as data."""
    versions = await backend.call(config, account, "risk", "GET", "/instruments")
    newest = max(versions, key=lambda v: (v["published_on"], v["version"]))
    return await backend.call(config, account, "risk", "GET", f"/instruments/{newest['version']}")


def _answers(instrument: dict[str, Any], form: dict[str, list[str]]) -> dict[str, bool | int]:
    """Every indicator answered: an unticked box is false, an unchosen scale 0."""
    top = instrument["scoring"]["scale_max"]
    answers: dict[str, bool | int] = {}
    for ind in instrument["indicators"]:
        raw = (form.get(f"a_{ind['code']}") or [""])[-1]
        if ind["answer"] == "bool":
            answers[ind["code"]] = raw in ("1", "on", "true")
        else:
            answers[ind["code"]] = min(int(raw), top) if raw.isdigit() and len(raw) < 3 else 0
    return answers


def _one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[-1].strip()


def _override(form: dict[str, list[str]]) -> str | None:
    level = _one(form, "level_override")
    return level if level in LEVELS else None


def _groups(instrument: dict[str, Any]) -> list[tuple[str, list[dict]]]:
    return [(g, [i for i in instrument["indicators"] if i["group"] == g]) for g in GROUPS]


async def _preview(config, account, instrument, answers, override) -> dict[str, Any]:
    return await backend.call(
        config, account, "risk", "POST", f"/instruments/{instrument['version']}/score",
        json={"answers": answers, "level_override": override},
    )  # fmt: skip


async def _form_page(
    request: Request, case_id: uuid.UUID, *, form: dict[str, list[str]] | None, problem: str | None = None
) -> Response:
    account = require_role(request, ANALYST)
    config = _config(request)
    case = await backend.call(config, account, "risk", "GET", f"/cases/{case_id}/summary")
    instrument = await _instrument(config, account)
    answers = _answers(instrument, form or {})
    override = _override(form or {})
    preview = await _preview(config, account, instrument, answers, override)
    return page(
        "assessment_form.html", request, case=case, instrument=instrument, groups=_groups(instrument),
        answers=answers, preview=preview, levels=LEVELS, problem=problem,
        chosen={
            "level_override": override or "",
            "override_reason": _one(form or {}, "override_reason"),
            "notes": _one(form or {}, "notes"),
            "exclude_case_region": form is None or bool(form.get("exclude_case_region")),
            "excluded_regions": (form or {}).get("excluded_regions", []),
        },
        status_code=422 if problem else 200,
    )  # fmt: skip


@get("/cases/{case_id:uuid}/assess", **OPTS)
async def assessment_form(request: Request, case_id: uuid.UUID) -> Response:
    return await _form_page(request, case_id, form=None)


@post("/cases/{case_id:uuid}/assess/preview", **OPTS)
async def preview(request: Request, case_id: uuid.UUID) -> Response:
    """The preview alone (htmx, on every change of the form): scores, level and measures."""
    account = require_role(request, ANALYST)
    form = await read_form_lists(request)
    config = _config(request)
    instrument = await _instrument(config, account)
    result = await _preview(config, account, instrument, _answers(instrument, form), _override(form))
    return page("_assessment_preview.html", request, preview=result)


@post("/cases/{case_id:uuid}/assess", **OPTS)
async def record(request: Request, case_id: uuid.UUID) -> Response:
    """The form's two buttons: "preview" shows the form again with the result, "record"
    records it. A refusal she can fix (an override without its reason) keeps her answers."""
    account = require_role(request, ANALYST)
    form = await read_form_lists(request)
    if _one(form, "action") != "record":
        return await _form_page(request, case_id, form=form)
    config = _config(request)
    instrument = await _instrument(config, account)
    override = _override(form)
    reason = _one(form, "override_reason")
    body: dict[str, Any] = {
        "instrument_version": instrument["version"],
        "answers": _answers(instrument, form),
        "notes": _one(form, "notes"),
        "exclude_case_region": bool(form.get("exclude_case_region")),
        "excluded_regions": [r for r in form.get("excluded_regions", []) if r][:50],
    }
    if override is not None or reason:
        body.update(level_override=override, override_reason=reason or None)
    try:
        await backend.call(config, account, "risk", "POST", f"/cases/{case_id}/assessments", json=body)
    except backend.ServiceProblem as exc:
        if exc.status not in (400, 422):
            raise
        return await _form_page(request, case_id, form=form, problem=problem_text(exc.code, exc.status))
    return see_other(f"/cases/{case_id}?done=assessed")


ROUTES = [assessment_form, preview, record]
