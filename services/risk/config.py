"""The risk service's own settings (``AMPARO_<FIELD>`` variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class RiskConfig(msgspec.Struct, kw_only=True, frozen=True):
    # Age after which a high or extreme assessment is due again.
    reassessment_days: Annotated[int, msgspec.Meta(ge=1)] = 30
    # Retention of personal data (issue 14, services/risk/README.md "Retention"): days after
    # closing before a case's personal data is blocked (admin-only reads, with a reason), and
    # days after blocking before it is erased in every service. 0 = at the next run.
    retention_block_days: Annotated[int, msgspec.Meta(ge=0, le=36_500)] = 365
    retention_erase_days: Annotated[int, msgspec.Meta(ge=0, le=36_500)] = 730
    # The blind index key (name search): "kid:base64key" lines, newest first, inline or a
    # file. Risk's own secret, never the PII key; risk refuses to start without it.
    blind_index_key: str = ""
    blind_index_key_file: str = ""
