"""The risk service's own settings (``AMPARO_<FIELD>`` variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class RiskConfig(msgspec.Struct, kw_only=True, frozen=True):
    # Age after which a high or extreme assessment is due again.
    reassessment_days: Annotated[int, msgspec.Meta(ge=1)] = 30
    # The blind index key (name search): "kid:base64key" lines, newest first, inline or a
    # file. Risk's own secret, never the PII key; risk refuses to start without it.
    blind_index_key: str = ""
    blind_index_key_file: str = ""
