"""The FastAPI application factory. Pages are server-rendered; each has a JSON twin (same path + `.json`).

Every route is classified with `@access(rule)`; the app-wide `enforce` dependency applies the rule, so a route
without one is refused (and fails `tests/test_authz_matrix.py`)."""

from __future__ import annotations

import importlib
import logging
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from tipnet import STANDARD_VERSION, __version__
from tipnet.auth.policy import PUBLIC
from tipnet.auth.records import SourceCache
from tipnet.auth.settings import AuthSettings
from tipnet.i18n import LANGUAGE_NAMES, LANGUAGES, date, number, translate
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.web import errors
from tipnet.web.i18n import negotiate
from tipnet.web.middleware import SecurityHeaders
from tipnet.web.openapi import install_openapi
from tipnet.web.security import access, csrf_token, enforce, principal

log = logging.getLogger(__name__)

# The page modules, each with a `router`; a feature adds its module here (and its templates, its .po domain).
# A request is matched against the routes in this order, one by one: the dashboards' statistics, which clients
# poll, come first (no two modules share a path, so the order decides nothing else; tests/test_web.py checks it).
ROUTERS = (
    "routes_stats",
    "routes_core",
    "routes_login",
    "routes_account",
    "routes_admin",
    "routes_uploads",
    "routes_releases",
    "routes_directory",
    "routes_requests",
    "routes_federation",
    "routes_cases",
    "routes_compendium",
    "routes_registry",
    "routes_messaging",
    "routes_assess",
)

_MULTIPART_SLACK = 1024 * 1024  # form fields and multipart framing around the largest upload


class Page:
    """Renders a page as HTML or as its JSON twin from the same data."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    def __call__(
        self,
        request: Request,
        template: str,
        data: dict[str, Any],
        status: int = 200,
        context: dict[str, Any] | None = None,
    ) -> Response:
        if request.url.path.endswith(".json") or request.headers.get("accept", "").startswith(
            "application/json"
        ):
            return JSONResponse(data, status_code=status)
        lang = negotiate(request)
        ctx = {
            "request": request,
            "data": data,
            "lang": lang,
            "languages": LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "version": __version__,
            "t": lambda key, **kw: translate(lang, key, **kw),
            "fmt_number": lambda value, digits=None: number(lang, value, digits),
            "fmt_date": lambda value, style="medium": date(lang, value, style),
            "me": principal(request),
            "csrf": csrf_token(request),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(request, template, ctx, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("tipnet_lang", lang, samesite="lax", httponly=True)
        return response


def create_app(db: Database, settings: Settings | None = None, auth_settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="tipnet", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json",
                  dependencies=[Depends(enforce)])
    app.state.db = db
    app.state.settings = settings
    app.state.auth_settings = auth_settings or AuthSettings.from_env()
    app.state.sources = SourceCache(db)
    templates = Jinja2Templates(directory=str(resources.files("tipnet.web").joinpath("templates")))
    app.state.page = Page(templates)
    app.mount(
        "/static", StaticFiles(directory=str(resources.files("tipnet.web").joinpath("static"))), name="static"
    )
    app.add_middleware(SecurityHeaders, max_body_bytes=settings.max_upload_bytes + _MULTIPART_SLACK)
    errors.install(app)

    for module in ROUTERS:
        app.include_router(importlib.import_module(f"tipnet.web.{module}").router)

    @app.get("/health")
    @access(PUBLIC)
    def health() -> dict[str, Any]:
        ok = db.has_schema()
        return {
            "status": "ok" if ok else "degraded",
            "version": __version__,
            "standard": STANDARD_VERSION,
            "database": db.backend_name,
        }

    @app.get("/favicon.ico", include_in_schema=False)
    @access(PUBLIC)
    def favicon() -> HTMLResponse:
        return HTMLResponse(status_code=204)

    install_openapi(app)
    return app
