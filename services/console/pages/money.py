"""What the money pages share: amounts in minor units shown and read in major units, the
words of the funds domain in the page's language, the refusals of the funds service, and
the idempotency key each money form carries.

Registered on the one Jinja environment and on ``messages`` at import (the pages that use
them import this module), so the shared console files stay as they are.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from services.console import i18n, messages
from services.console.i18n import gettext_
from services.console.messages import N_
from services.console.web import ENV
from shared.errors import BadInput

PURPOSES = {
    "relocation": N_("relocation"),
    "temporary_lodging": N_("temporary lodging"),
    "home_security": N_("home security"),
    "medical_psychological": N_("medical and psychological care"),
    "legal": N_("legal advice"),
    "digital_security": N_("digital security"),
    "self_care": N_("self-care"),
    "family_support": N_("family support"),
}
MEASURES = {
    "shelter": N_("shelter"),
    "relocation_grant": N_("relocation grant"),
    "home_security_grant": N_("home security grant"),
    "medical_psychological_grant": N_("medical and psychological care grant"),
    "legal_grant": N_("legal advice grant"),
    "digital_security": N_("digital security"),
    "self_care": N_("self-care"),
}
LEVELS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high"), "extreme": N_("extreme")}
TRACKS = {"emergency": N_("emergency"), "ordinary": N_("ordinary")}
STATUSES = {
    "pending": N_("waiting for votes"),
    "info_requested": N_("information requested"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "closed": N_("closed"),
}
DECISIONS = {"approve": N_("approve"), "reject": N_("reject"), "request_info": N_("request information")}
LEDGER_KINDS = {
    "deposit": N_("deposit"),
    "commitment": N_("commitment"),
    "release": N_("release"),
    "disbursement": N_("disbursement"),
    "deposit_reversal": N_("deposit reversal"),
}
REVERSAL_REASONS = {
    "wrong_amount": N_("wrong amount"),
    "wrong_fund": N_("wrong fund"),
    "duplicate": N_("duplicate"),
    "not_received": N_("not received"),
    "returned_to_donor": N_("returned to the donor"),
    "other": N_("other"),
}
METHODS = {
    "bank_transfer": N_("bank transfer"),
    "partner_cash": N_("cash through a partner"),
    "mobile_money": N_("mobile money"),
}
FLAGS = {
    "not_ratified_in_time": N_("not ratified in time"),
    "ratification_refused": N_("the committee refused to ratify it"),
}
WORDS = {
    "purpose": PURPOSES, "measure": MEASURES, "level": LEVELS, "track": TRACKS, "status": STATUSES,
    "decision": DECISIONS, "ledger": LEDGER_KINDS, "method": METHODS, "flag": FLAGS,
    "reversal": REVERSAL_REASONS,
}  # fmt: skip
CURRENCIES = ("USD", "MXN", "GTQ", "HNL", "NIO", "CRC", "EUR", "SVC", "BZD", "PAB")

PROBLEMS = {
    "money.amount": N_("Write the amount as a number, for example 1500 or 1500.50."),
    "fund.not_enough_available": N_(
        "The fund does not have that much available. Deposit first or approve less."
    ),
    "fund.unknown": N_("That fund does not exist or does not serve your countries."),
    "fund.not_found": N_("This fund does not exist or does not serve your countries."),
    "application.not_found": N_("This application does not exist or is outside your countries."),
    "application.closed": N_("The application is already closed."),
    "committee.votes_closed": N_("Votes on this application are closed: it is already decided."),
    "committee.already_voted": N_("You already voted on this application; a vote cannot be changed."),
    "committee.recused": N_("You are recused from this application and cannot vote on it."),
    "committee.already_recused": N_("You are already recused from this application."),
    "committee.recusal_after_vote": N_("You already voted: a recusal must come before the vote."),
    "committee.not_a_member": N_("You do not sit on the committee of this application's fund."),
    "committee.no_fund": N_("This application has no fund yet; a fund administrator must assign one."),
    "committee.no_policy": N_("The fund has no grant policy yet; a fund administrator must set it."),
    "committee.above_requested": N_("The amount you approve is above what was requested."),
    "committee.above_ceiling": N_("The amount you approve is above this fund's ceiling per grant."),
    "committee.amount_needed": N_("Say the amount you approve."),
    "disbursement.key_reused": N_("This payment form was already used for another payment. Reload the page."),
    "disbursement.above_approved": N_("That is more than what remains to pay of this grant."),
    "disbursement.not_covered": N_("That is more than what remains to pay of this grant."),
    "disbursement.not_approved": N_("Only an approved grant can be paid."),
    "disbursement.currency_mismatch": N_("Pay in the grant's currency."),
    "fund.currency_mismatch": N_("Deposit in the fund's currency."),
    "policy.emergency_above_ceiling": N_("The emergency limit cannot be above the ceiling."),
    "policy.suggested_above_ceiling": N_("A suggested amount cannot be above the ceiling."),
    "policy.suggested_twice": N_("A purpose appears twice for the same country."),
    "policy.country_not_served": N_("A suggested amount names a country the fund does not serve."),
    "report.bad_range": N_("The first day is after the last one."),
    "fund.deposit_already_reversed": N_("This deposit is already reversed."),
    "fund.reversal_exceeds_available": N_(
        "Part of this deposit is already committed or paid: it cannot be reversed."
    ),
}
DONE = {
    "vote_recorded": N_("Your vote is recorded."),
    "vote_approved": N_("Your vote approved the grant; the money is committed."),
    "vote_rejected": N_("Your vote rejected the application."),
    "vote_info_requested": N_("Your request for information is recorded."),
    "vote_ratified": N_("Your vote ratified the emergency approval."),
    "vote_flagged": N_(
        "Your vote refused the emergency approval; it is flagged for the fund administrators."
    ),
    "recused": N_("You are recused from this application."),
    "fund_created": N_("The fund is created."),
    "deposited": N_("The deposit is recorded."),
    "policy": N_("The grant policy is saved."),
    "member": N_("The member is seated on the committee."),
    "paid": N_("The tranche is paid."),
    "reversed": N_("The deposit is reversed; the ledger keeps both entries."),
    "grant_closed": N_("The application is closed; what was not paid went back to the fund."),
}
messages.PROBLEMS.update(PROBLEMS)
messages.DONE.update(DONE)


def word(kind: str, code: str | None) -> str:
    """A funds code (purpose, level, status, ...) in the page's language."""
    found = WORDS.get(kind, {}).get(code or "")
    return gettext_(found) if found else (code or "—")


def digits(currency: str) -> int:
    return get_currency_precision(currency)


def fmt_minor(amount: int | None, currency: str) -> str:
    """Minor units as people read money: 150000 USD is US$1,500.00."""
    if amount is None:
        return "—"
    return i18n.fmt_money(Decimal(amount).scaleb(-digits(currency)), currency)


def plain_major(amount: int | None, currency: str) -> str:
    """An amount for an input's value (no symbol or grouping): 150000 USD is 1500.00."""
    if amount is None:
        return ""
    return f"{Decimal(amount).scaleb(-digits(currency)):.{digits(currency)}f}"


_AMOUNT = re.compile(r"^(\d{1,13})(?:[.,](\d+))?$")


def to_minor(raw: str | None, currency: str) -> int | None:
    """What a person typed (1500, 1500.50 or 1500,50) in minor units; None when empty.
    Anything else is refused, never guessed or rounded (this is money): "1,500" has more
    decimals than dollars have, so it is refused rather than read as 1.50 or 1500."""
    text = (raw or "").strip().replace(" ", "")
    if not text:
        return None
    match = _AMOUNT.match(text)
    places = digits(currency)
    if not match or len(match.group(2) or "") > places:
        raise BadInput("the amount is not a number with the currency's decimals", code="money.amount")
    try:
        value = Decimal(text.replace(",", ".")).scaleb(places)
    except InvalidOperation:
        raise BadInput("the amount is not a number", code="money.amount") from None
    if value <= 0:
        raise BadInput("the amount is not positive", code="money.amount")
    return int(value)


def new_key() -> str:
    """The idempotency key a money form carries: made when the form is drawn, so a double
    click or a resent form sends the same key and the service pays or deposits once."""
    return str(uuid.uuid4())


def seconds_until(at: str | None) -> float | None:
    if not at:
        return None
    return (datetime.fromisoformat(at) - datetime.now(UTC)).total_seconds()


ENV.globals.update(word=word, money=fmt_minor, plain_major=plain_major)
ENV.filters.update(duration_left=lambda s: i18n.fmt_duration(abs(s or 0)))
