"""How a payee reference (a bank account, a mobile-money number) is shown once paid."""

from __future__ import annotations

SHOWN = 4


def masked(reference: str) -> str:
    """Only the last four characters, enough for a person to recognise her account;
    a reference too short to hide anything is hidden whole."""
    if len(reference) <= SHOWN:
        return "*" * SHOWN
    return "*" * SHOWN + reference[-SHOWN:]
