"""UI message catalogues (gettext .po, en/es/fr/pt).

Catalogues live in `tipnet/i18n/locale/<lang>/LC_MESSAGES/<domain>.po`, one domain per part of the platform
(`messages` for the core pages; a feature adds its own domain file rather than editing another's). A message id
is a stable key (`nav.home`); its msgstr is the text, with `{name}` placeholders. All domains of a language are
merged; a key missing in a language falls back to English (and `tests/test_i18n.py` fails on any such gap).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po


def locale_dir() -> Traversable:
    return resources.files("tipnet.i18n").joinpath("locale")


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
