"""The same notices by e-mail, when an SMTP server is configured (``AMPARO_SMTP_HOST``).

One mail per person and run, listing what newly needs her attention; each notice is
mailed to a person once. A mail carries the kind, the country, the time and a link to
the console: never a name, an address or anything typed about a case (the notices hold
none). Sent with the standard library's ``smtplib`` in a thread: a handful of mails a
minute needs no extra dependency. The panel stays the record; a mail is a courtesy, so a
failed send is tried again at the next run.
"""

from __future__ import annotations

import asyncio
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

from services.console.notifications import rules, store
from shared.logging import get_logger

log = get_logger(__name__)

MAIL_EVERY_SECONDS = 60.0

SUBJECT = {"es": "Amparo: {n} asunto(s) necesitan atención", "en": "Amparo: {n} item(s) need your attention"}
LINE = {
    "es": {
        "hold_expiring": "Una reserva de camas vence a las {at} UTC ({country}).",
        "emergency_due": "Una solicitud de emergencia debe decidirse antes de las {at} UTC ({country}).",
        "reassessment_due": "Un caso necesita una nueva evaluación de riesgo ({country}).",
        "ratification_waiting": "Una subvención de emergencia espera ratificación ({country}).",
    },
    "en": {
        "hold_expiring": "A bed hold expires at {at} UTC ({country}).",
        "emergency_due": "An emergency application must be decided by {at} UTC ({country}).",
        "reassessment_due": "A case needs a new risk assessment ({country}).",
        "ratification_waiting": "An emergency grant is waiting for ratification ({country}).",
    },
}
FOOTER = {"es": "Ábralos en la consola: {url}", "en": "Open them in the console: {url}"}


def compose(language: str, kinds_and_rows: list, console_url: str, sender: str, to: str) -> EmailMessage:
    language = language if language in LINE else "es"
    message = EmailMessage()
    message["Subject"] = SUBJECT[language].format(n=len(kinds_and_rows))
    message["From"] = sender
    message["To"] = to
    lines = [
        LINE[language][r["kind"]].format(
            at=r["due_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M"), country=r["country"]
        )
        for r in kinds_and_rows
    ]
    lines += ["", FOOTER[language].format(url=console_url.rstrip("/") + "/notifications")]
    message.set_content("\n".join(lines))
    return message


def _send(config, messages: list[EmailMessage]) -> None:
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=10) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        for message in messages:
            smtp.send_message(message)


async def send_notices(rt, now: datetime | None = None) -> int:
    """Mail each person what newly needs her attention; returns how many mails were sent."""
    config = rt.config
    if not config.smtp_host:
        return 0
    now = now or datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        notices = await store.open_notices(conn, now)
        people = await store.mail_recipients(conn)
        mailed = {
            (r["account_id"], r["notice_id"])
            for r in await conn.fetch("SELECT account_id, notice_id FROM notice_mails")
        }
    batches = []
    for person in people:
        rows = [
            n
            for n in notices
            if rules.concerns(n["kind"], n["country"], person["roles"], person["countries"])
            and rules.is_shown(n["kind"], n["due_at"], False, now)
            and (person["id"], n["id"]) not in mailed
        ]
        if rows:
            batches.append((person, rows))
    if not batches:
        return 0
    messages = [
        compose(p["language"], rows, config.public_url, config.smtp_from, p["email"]) for p, rows in batches
    ]
    try:
        await asyncio.to_thread(_send, config, messages)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notices.mail_failed", error=type(exc).__name__)
        return 0
    async with rt.pool.acquire() as conn:
        for person, rows in batches:
            for n in rows:
                await store.mark_mailed(conn, person["id"], n["id"])
    log.info("notices.mailed", mails=len(messages))
    return len(messages)


async def mail_job(rt) -> None:
    await send_notices(rt)
