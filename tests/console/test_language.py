"""Every message of the console's templates and code is translated (Spanish and English),
and dates and numbers follow the language."""

from __future__ import annotations

from datetime import UTC, datetime

from services.console import i18n
from services.console.catalog import extract, untranslated


def test_every_message_is_in_both_catalogs():
    template = extract()
    assert len(template) > 150
    for language in i18n.LANGUAGES:
        assert untranslated(language, template) == [], (
            f"run `python -m services.console.catalog` ({language})"
        )


def test_dates_and_numbers_follow_the_language():
    moment = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    token = i18n.current.set("es")
    try:
        assert "mar" in i18n.fmt_date(moment) and i18n.fmt_number(12345.5) in (
            "12,345.5",
            "12 345,5",
            "12.345,5",
        )
        spanish = i18n.fmt_money("1500", "USD")
    finally:
        i18n.current.reset(token)
    token = i18n.current.set("en")
    try:
        assert i18n.fmt_date(moment) == "Mar 5, 2026" and i18n.fmt_number(12345.5) == "12,345.5"
        assert i18n.fmt_money("1500", "USD") == "$1,500.00"
    finally:
        i18n.current.reset(token)
    assert "1500" in spanish.replace(",", "").replace(".", "").replace("\xa0", "")
