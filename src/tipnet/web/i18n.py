"""UI message catalogues (gettext .po, en/es/fr/pt) and language negotiation.

Catalogues live in `tipnet/web/locale/<lang>/LC_MESSAGES/<domain>.po`, one domain per part of the platform
(`messages` for the core pages; a feature adds its own domain file rather than editing another's). A message id
is a stable key (`nav.home`); its msgstr is the text, with `{name}` placeholders. All domains of a language are
merged; a key missing in a language falls back to English (and `tests/test_i18n.py` fails on any such gap).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from importlib.abc import Traversable

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request

LANGUAGES = ("en", "es", "fr", "pt")
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}


def locale_dir() -> Traversable:
    return resources.files("tipnet.web").joinpath("locale")


def domain_files(lang: str) -> list[Traversable]:
    folder = locale_dir().joinpath(lang, "LC_MESSAGES")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".po")), key=lambda f: f.name)


def read_catalog(file: Traversable, lang: str) -> Catalog:
    with file.open("rb") as fh:
        return read_po(fh, locale=lang)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of a language, all domains merged (key -> text)."""
    messages: dict[str, str] = {}
    for file in domain_files(lang):
        for message in read_catalog(file, lang):
            if message.id and message.string and not message.fuzzy:
                messages[str(message.id)] = str(message.string)
    return messages


def translate(lang: str, key: str, **kw: object) -> str:
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return text.format(**kw) if kw else text


def locale_of(lang: str) -> Locale:
    """The babel locale a language's numbers and dates are written in."""
    return _locale(lang)


def _locale(lang: str) -> Locale:
    return Locale.parse({"en": "en_US", "es": "es", "fr": "fr", "pt": "pt_BR"}.get(lang, "en_US"))


def number(lang: str, value: float | int | None, digits: int | None = None) -> str:
    """A number as the language writes it (1,234.5 / 1.234,5 / 1 234,5)."""
    if value is None:
        return ""
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=fmt, locale=_locale(lang))


def date(lang: str, value: dt.date | dt.datetime | str | None, style: str = "medium") -> str:
    """A date (or date-time) as the language writes it; ISO strings are parsed first."""
    if value is None or value == "":
        return ""
    when: dt.date | dt.datetime
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value) if "T" in value or " " in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    if isinstance(when, dt.datetime):
        return str(format_datetime(when, format=style, locale=_locale(lang)))
    return str(format_date(when, format=style, locale=_locale(lang)))


def negotiate(request: Request) -> str:
    """?lang= wins, then the tipnet_lang cookie, then Accept-Language, then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("tipnet_lang")):
        if candidate in LANGUAGES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
