"""UI message catalogues (en, es, fr, pt) and language negotiation."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from fastapi import Request

LANGUAGES = ("en", "es", "fr", "pt")
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    ref = resources.files("tipnet.web").joinpath("i18n", f"{lang}.json")
    return json.loads(ref.read_text(encoding="utf-8"))


def translate(lang: str, key: str, **kw: object) -> str:
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return text.format(**kw) if kw else text


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
