"""Extract the console's messages (templates and code) and update the catalogs.

`python -m services.console.catalog` adds new message ids to every ``messages.po`` (with
an empty translation for a translator to fill) and lists what is untranslated; the test
``tests/console/test_language.py`` fails while anything is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from services.console.i18n import BABEL_LOCALE, LANGUAGES, LOCALE_DIR

HERE = Path(__file__).parent
METHODS = [("templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "gettext_": None, "N_": None}


def extract() -> Catalog:
    template = Catalog()
    for filename, lineno, message, _comments, _context in extract_from_dir(
        HERE, METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        template.add(message, locations=[(filename, lineno)])
    return template


def untranslated(language: str, template: Catalog) -> list[str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALE[language])
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found else None
        if isinstance(strings, tuple | list):
            empty = not all(strings)
        else:
            empty = not strings
        if found is None or found.fuzzy or empty:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> int:
    template = extract()
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=BABEL_LOCALE[language])
        else:
            catalog = Catalog(locale=BABEL_LOCALE[language], project="amparo-console")
        catalog.update(template, no_fuzzy_matching=True)
        if language == "en":  # the message ids are English: the English catalog copies them
            for message in catalog:
                if message.pluralizable and not all(message.string):
                    message.string = tuple(message.id)
                elif message.id and not message.string:
                    message.string = message.id
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, no_location=True)
    for language in LANGUAGES:
        for message in untranslated(language, template):
            print(f"{language}: untranslated: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(update())
