"""What a request asks for, HTML or JSON: the one rule every page, error and sign-in redirect follows.

JSON when the path ends in `.json` (a page's JSON twin), or when the `Accept` header's first media range is
`application/json`; HTML otherwise.
"""

from __future__ import annotations

from starlette.requests import Request

JSON_SUFFIX = ".json"


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(JSON_SUFFIX):
        return True
    first = request.headers.get("accept", "").split(",")[0].split(";")[0].strip().lower()
    return first == "application/json"
