"""The notifications panel, fed by the services' events through real JetStream: each
person sees what her roles act on, in her countries, inside its warning window, until a
later event clears it; the same by e-mail through a local SMTP sink, without personal data."""

from __future__ import annotations

import re
import types
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given
from hypothesis import strategies as st

from deploy.embedded import free_port
from services.console.notifications import rules
from services.console.notifications.mail import send_notices
from shared import db
from shared.case_order import CASE_SEQ_HEADER
from shared.events import (
    ApplicationApproved,
    ApplicationOpened,
    GrantLine,
    Money,
    PlacementConfirmed,
    PlacementHeld,
    ReassessmentDue,
    encode_event,
    new_event,
)
from tests.console.conftest import console_config, make_account, post_form, sign_in
from tests.support import eventually

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


# --- the rules ------------------------------------------------------------------------------


@given(st.sampled_from(rules.KINDS), st.integers(-600, 600), st.booleans())
def test_a_notice_shows_inside_its_window_until_cleared(kind, minutes, cleared):
    due = NOW + timedelta(minutes=minutes)
    shown = rules.is_shown(kind, due, cleared, NOW)
    assert shown == (not cleared and NOW >= due - rules.WINDOW[kind])


@given(
    st.sampled_from(rules.KINDS),
    st.sets(
        st.sampled_from(
            ["network_staff", "shelter_coordinator", "risk_analyst", "fund_committee", "fund_admin", "admin"]
        )
    ),
    st.sets(st.sampled_from(["GT", "MX", "HN"])),
    st.sampled_from(["GT", "MX", "HN"]),
)
def test_a_person_is_told_only_what_her_roles_act_on_in_her_countries(kind, roles, countries, country):
    told = rules.concerns(kind, country, roles, countries)
    if "admin" in roles:
        assert told
    else:
        assert told == (bool(rules.ROLES[kind] & roles) and country in countries)


# --- through the console --------------------------------------------------------------------


class Streams:
    """Publish events as the services' relays do (message id, and each producer's own
    number of the case's events)."""

    def __init__(self, js) -> None:
        self.js = js
        self.seq: dict[tuple[str, uuid.UUID], int] = {}

    async def send(self, payload, case_id: uuid.UUID, producer: str) -> None:
        event = new_event(payload, producer=producer, case_id=case_id)
        seq = self.seq[producer, case_id] = self.seq.get((producer, case_id), 0) + 1
        headers = {"Nats-Msg-Id": str(event.id), CASE_SEQ_HEADER: str(seq)}
        await self.js.publish(event.subject, encode_event(event), headers=headers)


async def panel(console) -> str:
    return (await console.get("/notifications")).text


async def switch(console, email: str, secrets: dict) -> None:
    if secrets:
        await post_form(console, "/sign-out", {}, page="/notifications")
    secrets[email] = await sign_in(console, email, secret=secrets.get(email))


async def test_each_person_sees_what_needs_her_attention_until_it_is_done(console, clean_streams):
    streams = Streams(clean_streams)
    for email, roles, countries in [
        ("coord@example.org", ["shelter_coordinator"], ("GT",)),
        ("staff.mx@example.org", ["network_staff"], ("MX",)),
        ("comite@example.org", ["fund_committee"], ("GT",)),
        ("analista@example.org", ["risk_analyst"], ("GT",)),
    ]:
        await make_account(console, email, roles, countries=countries)
    secrets: dict = {}
    now = datetime.now(UTC)
    case, later_case = uuid.uuid4(), uuid.uuid4()
    soon, later = uuid.uuid4(), uuid.uuid4()
    for placement, case_id, minutes in ((soon, case, 30), (later, later_case, 300)):
        await streams.send(
            PlacementHeld(placement_id=placement, shelter_id=uuid.uuid4(), shelter_code="Casa-Ceiba", country="GT",
                          region="GT-17", beds=2, hold_expires_at=now + timedelta(minutes=minutes)),
            case_id, "shelters",
        )  # fmt: skip
    application = uuid.uuid4()
    await streams.send(
        ApplicationOpened(application_id=application, fund_id=uuid.uuid4(), track="emergency", country="GT",
                          lines=[GrantLine("relocation", Money(120_000, "USD"))], requested=Money(120_000, "USD"),
                          due_at=now + timedelta(hours=3)),
        case, "funds",
    )  # fmt: skip
    await streams.send(
        ReassessmentDue(country="GT", reasons=["new_incident"], due_since=now - timedelta(minutes=5)),
        case,
        "risk",
    )

    # Every raising event is in (the console consumes them on its own).
    pool = await db.create_pool(console.dsn, min_size=1, max_size=2)
    try:
        await eventually(lambda: _count(pool, 4))
    finally:
        await pool.close()

    await switch(console, "staff.mx@example.org", secrets)
    assert "Nada necesita su atención" in await panel(console)  # another country's hold

    await switch(console, "analista@example.org", secrets)
    html = await panel(console)
    assert "Un caso necesita una nueva evaluación de riesgo" in html and f'href="/cases/{case}"' in html
    assert "reserva de camas" not in html and "solicitud de emergencia" not in html
    # "Seen" removes it from her list only.
    notice_id = re.search(r'action="/notifications/([0-9a-f-]+)/dismiss"', html).group(1)
    await post_form(console, f"/notifications/{notice_id}/dismiss", {}, page="/notifications")
    assert "nueva evaluación" not in await panel(console)

    await switch(console, "comite@example.org", secrets)
    html = await panel(console)
    assert "Una solicitud de emergencia está cerca de su plazo" in html
    assert f"/committee/{application}" in html
    # Approved on the emergency track: no longer near its deadline, now waiting for ratification.
    await streams.send(
        ApplicationApproved(application_id=application, approved=Money(120_000, "USD"), track="emergency", ratified=False),
        case, "funds",
    )  # fmt: skip
    html = await eventually(
        lambda: _having(panel(console), "Una subvención de emergencia espera ratificación")
    )
    assert "cerca de su plazo" not in html

    await switch(console, "coord@example.org", secrets)
    html = await panel(console)
    # The hold expiring in 30 minutes shows; the one in 5 hours is not yet inside its hour.
    assert html.count("Una reserva de camas está por vencer") == 1 and 'href="/board"' in html
    await streams.send(PlacementConfirmed(placement_id=soon, shelter_id=uuid.uuid4()), case, "shelters")
    await eventually(lambda: _lacking(panel(console), "Una reserva de camas está por vencer"))


async def _count(pool, n: int) -> bool:
    return await pool.fetchval("SELECT count(*) FROM notices") == n


async def _having(html_coro, text: str) -> str | None:
    html = await html_coro
    return html if text in html else None


async def _lacking(html_coro, text: str) -> bool:
    return text not in await html_coro


class Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


async def test_the_same_notices_are_mailed_once_without_personal_data(console, clean_streams, smtp_sink):
    sink, port = smtp_sink
    await make_account(
        console, "coord@example.org", ["shelter_coordinator"], countries=("GT",), language="en"
    )
    await make_account(console, "lejos@example.org", ["shelter_coordinator"], countries=("HN",))
    streams = Streams(clean_streams)
    case, placement = uuid.uuid4(), uuid.uuid4()
    await streams.send(
        PlacementHeld(placement_id=placement, shelter_id=uuid.uuid4(), shelter_code="Casa-Ceiba", country="GT",
                      region="GT-17", beds=2, hold_expires_at=datetime.now(UTC) + timedelta(minutes=20)),
        case, "shelters",
    )  # fmt: skip
    pool = await db.create_pool(console.dsn, min_size=1, max_size=2)
    try:
        await eventually(lambda: pool.fetchval("SELECT count(*) FROM notices"))
        rt = types.SimpleNamespace(pool=pool, config=console_config(smtp_host="127.0.0.1", smtp_port=port))
        assert await send_notices(rt) == 1
        assert await send_notices(rt) == 0  # once per person and notice
    finally:
        await pool.close()
    (mail,) = sink.messages
    assert mail.rcpt_tos == ["coord@example.org"]
    text = mail.content.decode()
    assert "A bed hold expires at" in text and "(GT)" in text and "/notifications" in text
    for secret in (str(case), str(placement), "Casa-Ceiba"):
        assert secret not in text
