"""Templates, static files and the small helpers every page uses."""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import CacheControlHeader
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from services.console import i18n
from shared import places

HERE = Path(__file__).parent
STATIC = HERE / "static"


def _fingerprints() -> dict[str, str]:
    # A file's URL changes with its content, so browsers may keep it for a year.
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for p in STATIC.iterdir() if p.is_file()}


FINGERPRINTS = _fingerprints()


def static_url(name: str) -> str:
    return f"/static/{name}?v={FINGERPRINTS[name]}"


def country_name(code: str) -> str:
    return _territories(i18n.current.get()).get(code, code)


@functools.cache
def _territories(language: str) -> dict[str, str]:
    # Once per language: the capacity page names a country on each of its 200 rows.
    return dict(Locale.parse(i18n.BABEL_LOCALE[language]).territories)


def place_name(code: str | None) -> str:
    """A country or subdivision code as people read it, in the page's language."""
    return places.place_name(code, i18n.current.get()) or ""


def _sort_key(name: str) -> str:
    # As people read a list: neither accents nor case move a name (Python puts "É" after "z").
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c)).casefold()


def regions(country: str | None) -> list[tuple[str, str]]:
    """The subdivisions (ISO 3166-2) of a country as (code, name), by name: regions are
    chosen from this list, never typed (a typed region once carried an address)."""
    named = [(code, place_name(code)) for code in places.regions_of(country or "")]
    return sorted(named, key=lambda item: _sort_key(item[1]))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    from services.console.messages import role_name
    from services.console.pages.risk_words import word

    env.globals.update(
        word=word,
        static_url=static_url,
        country_name=country_name,
        place_name=place_name,
        regions=regions,
        language_name=i18n.language_name,
        role_name=role_name,
    )
    env.filters.update(
        datetime=i18n.fmt_datetime,
        date=i18n.fmt_date,
        number=i18n.fmt_number,
        duration=i18n.fmt_duration,
    )
    return env


ENV = _environment()
TEMPLATES = TemplateConfig(engine=JinjaTemplateEngine.from_environment(ENV))
STATIC_ROUTER = create_static_files_router(
    path="/static",
    directories=[STATIC],
    # Fingerprinted URLs (?v=<hash>): a changed file gets a new URL, so a year is safe.
    cache_control=CacheControlHeader(max_age=365 * 86400, public=True),
    include_in_schema=False,
    name="static",
)


def page(name: str, request: Any, **context: Any) -> Template:
    """A full page (or, for an htmx request that asks for it, only its ``main`` block)."""
    from services.console.accounts.sessions import page_cookies, view_of

    context.update(view_of(request))
    return Template(
        template_name=name,
        context=context,
        media_type="text/html; charset=utf-8",
        status_code=context.pop("status_code", 200),
        cookies=page_cookies(request),
        headers={"Cache-Control": "no-store"},
    )


def see_other(path: str) -> Redirect:
    """After a form: 303, so a reload does not post the form again."""
    return Redirect(path=path, status_code=303)
