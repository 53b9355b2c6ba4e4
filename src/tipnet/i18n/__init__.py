"""Words on the ground floor: the language list, UI catalogues, numbers and dates in en/es/fr/pt.

Needs no web framework; `tipnet.web.i18n` only negotiates a request's language.
"""

from __future__ import annotations

from tipnet.i18n.catalogue import catalogue, domain_files, locale_dir, read_catalog, translate
from tipnet.i18n.formats import date, day, locale_of, number
from tipnet.i18n.languages import LANGUAGE_NAMES, LANGUAGES

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "catalogue",
    "date",
    "day",
    "domain_files",
    "locale_dir",
    "locale_of",
    "number",
    "read_catalog",
    "translate",
]
