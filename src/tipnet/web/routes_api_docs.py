"""The API reference, for signed-in users only: the OpenAPI description (`/api/openapi.json`) and a page listing
every operation with its access rule (`/api/docs`), rendered by the app itself from its own files, with no script
from a CDN. `TIPNET_API_DOCS=0` switches both off."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from tipnet.auth.policy import SIGNED_IN
from tipnet.auth.settings import AuthSettings
from tipnet.web.deps import AuthConfig
from tipnet.web.errors import ApiError
from tipnet.web.openapi import reference
from tipnet.web.pages import Page, PageRouter
from tipnet.web.security import access

router = PageRouter()


def _switched_on(auth: AuthSettings) -> None:
    if not auth.api_docs:
        raise ApiError(404, "not-found", "the API reference is switched off on this server")


@router.get("/api/openapi.json")
@access(SIGNED_IN)
def openapi_json(request: Request, auth: AuthConfig) -> JSONResponse:
    _switched_on(auth)
    return JSONResponse(request.app.openapi())


@router.page("/api/docs")
@access(SIGNED_IN)
def api_docs(request: Request, auth: AuthConfig) -> Page:
    _switched_on(auth)
    return Page("api_docs.html", reference(request.app.openapi()))
