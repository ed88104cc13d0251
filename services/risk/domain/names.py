"""A person's name as the tokens a search compares: lowercase, without accents, split on
anything that is not a letter. "José Pérez-López" and "jose perez lopez" are the same
three tokens, so an analyst finds her whether or not she types the accents."""

from __future__ import annotations

import re
import unicodedata

# A run of letters (a word character that is neither a digit nor "_").
_LETTERS = re.compile(r"[^\W\d_]+")


def normalise(text: str) -> str:
    """Compatibility-decomposed (NFKD), combining marks dropped, case folded (via upper case)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Upper then fold: one spelling for letters whose cases are not pairs (ı, ſ, ß: "I", "S",
    # "SS"); folding can bring marks back in rare scripts, so decompose and strip once more.
    folded = unicodedata.normalize("NFKD", stripped.upper().casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The name's distinct tokens, in the order they first appear."""
    return list(dict.fromkeys(_LETTERS.findall(normalise(text))))
