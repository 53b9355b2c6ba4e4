"""The words on a map in the map's language (English, Spanish, French, Portuguese): legend entries, notes, counts
and country names. Texts are the UI catalogues' `maps.*` messages; country names come from the standard's
country list (ISO 3166 names in the four languages), English from the geometry's short names."""

from __future__ import annotations

from babel.numbers import get_decimal_symbol, get_group_symbol

from tipnet.i18n import LANGUAGES, locale_of, number, translate
from tipnet.maps.geometry import country_name

# BCP 47 tags for the browser's number formatting (tipnet-map.js)
BCP47 = {"en": "en-US", "es": "es", "fr": "fr", "pt": "pt-BR"}


def known(lang: str | None) -> str:
    """`lang` if the UI catalogues have it (tipnet.i18n.LANGUAGES), else English."""
    return lang if lang in LANGUAGES else "en"


def say(lang: str, key: str, **kw: object) -> str:
    return translate(known(lang), f"maps.{key}", **kw)


def count(lang: str, n: float) -> str:
    return number(known(lang), n)


def numbers_in(text: str, lang: str) -> str:
    """A text with numbers written the English way ("1,234.5 – 2,000") as the language writes them
    ("1.234,5 – 2.000" in Spanish): the locale's decimal and group symbols swapped in."""
    if known(lang) == "en":
        return text
    loc = locale_of(known(lang))
    return text.translate({ord(","): "\x00", ord("."): get_decimal_symbol(loc)}).replace("\x00", get_group_symbol(loc))


def victims(lang: str, n: float) -> str:
    return say(lang, "victims", n=count(lang, n))


def place_name(iso3: str, lang: str) -> str:
    """A country's name as the map's language writes it (Perú, Pérou, Peru)."""
    if known(lang) == "en":
        return country_name(iso3)
    from tipnet.standard.countries import country_name as standard_name

    name = standard_name(iso3.upper(), known(lang))
    return name if name and name != iso3.upper() else country_name(iso3)
