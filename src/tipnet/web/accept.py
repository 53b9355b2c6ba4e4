"""What a request asks for, HTML or JSON: the one `Accept` rule every page, error and sign-in redirect follows.

1. A path ending in `.json` (a page's JSON twin) asks for JSON.
2. Otherwise the `Accept` header decides: its first media range `application/json` asks for JSON; a header naming
   `text/html` (as browsers send) asks for HTML.
3. A client that states neither (no header, `*/*`: curl, scripts) gets a page as HTML and an error in the JSON
   error shape, which is what scripts parse.

No other module reads the `Accept` header (tests/test_architecture.py checks).
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

JSON_SUFFIX = ".json"


def preference(request: Request) -> Literal["json", "html"] | None:
    """What the client asked for (rules 1 and 2), or None when it stated no preference (rule 3)."""
    if request.url.path.endswith(JSON_SUFFIX):
        return "json"
    accept = request.headers.get("accept", "").lower()
    if accept.split(",")[0].split(";")[0].strip() == "application/json":
        return "json"
    return "html" if "text/html" in accept else None


def wants_json(request: Request) -> bool:
    """Answer a page as JSON (else HTML)."""
    return preference(request) == "json"


def asks_for_html(request: Request) -> bool:
    """Answer an error as an HTML page (else the JSON error shape)."""
    return preference(request) == "html"
