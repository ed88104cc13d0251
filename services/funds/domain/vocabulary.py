"""The words of the funds domain, and which risk measures a fund pays for."""

from __future__ import annotations

from typing import Literal

from shared.events import Level, MeasureKind

Purpose = Literal[
    "relocation",
    "temporary_lodging",
    "home_security",
    "medical_psychological",
    "legal",
    "digital_security",
    "self_care",
    "family_support",
]
Track = Literal["emergency", "ordinary"]
Status = Literal["pending", "info_requested", "approved", "rejected", "closed"]
Method = Literal["bank_transfer", "partner_cash", "mobile_money"]
VoteDecision = Literal["approve", "reject", "request_info"]
Outcome = Literal["recorded", "approved", "rejected", "info_requested", "ratified", "flagged"]

UNDECIDED: frozenset[Status] = frozenset({"pending", "info_requested"})
EMERGENCY_LEVELS: frozenset[Level] = frozenset({"high", "extreme"})

# Measures recommended by risk that are paid by a fund, and the purpose each pays for.
# `shelter` is the shelters service's business; `digital_security` and `self_care` are
# rapid-response purposes in their own right (seed, chapter IV.1).
MEASURE_PURPOSES: dict[MeasureKind, Purpose] = {
    "relocation_grant": "relocation",
    "home_security_grant": "home_security",
    "medical_psychological_grant": "medical_psychological",
    "legal_grant": "legal",
    "digital_security": "digital_security",
    "self_care": "self_care",
}

# The currencies the network keeps funds in (the region's, plus USD and EUR for donors).
# The database refuses any other (CHECK on funds.currency, migration 0002); this list
# lets the use case say so clearly first.
FUND_CURRENCIES: frozenset[str] = frozenset(
    {"USD", "MXN", "GTQ", "HNL", "NIO", "CRC", "EUR", "SVC", "BZD", "PAB"}
)
