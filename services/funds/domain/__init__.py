"""Pure rules of the funds service: no I/O, no asyncpg, no litestar.

- ``vocabulary``: purposes, tracks, statuses, methods; which risk measures a fund pays for.
- ``money``: a fund's totals from its ledger; what may be committed, paid and released.
- ``policy``: a fund's grant policy (ceiling, emergency limit, suggested amounts).
- ``opening``: which purposes, which track and which fund an application opens with.
- ``committee``: the tally, the approval amount, emergency eligibility, ratification.
- ``deadlines``: when a decision or a ratification is due; overdue and flagged.
- ``idempotency``: one tranche per Idempotency-Key.
- ``reports``: percentiles of the report.
- ``payee``: how a payee reference is shown (masked) once paid.
"""
