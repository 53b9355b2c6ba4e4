"""The language of a web request: the one thing about words that belongs to the web layer.

Catalogues, the language list and number/date formatting live in `tipnet.i18n`, which needs no web framework.
"""

from __future__ import annotations

from fastapi import Request

from tipnet.i18n import LANGUAGES


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
