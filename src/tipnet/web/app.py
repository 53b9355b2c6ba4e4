"""The FastAPI application factory. Pages are server-rendered; each has a JSON twin (same path + `.json`).

Every route is classified with `@access(rule)`; the app-wide `enforce` dependency applies the rule, so a route
without one is refused (and fails `tests/test_authz_matrix.py`)."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from tipnet import STANDARD_VERSION, __version__
from tipnet.auth.policy import PUBLIC
from tipnet.auth.settings import AuthSettings
from tipnet.auth.sources import SourceCache
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.web import (
    errors,
    routes_account,
    routes_admin,
    routes_api_docs,
    routes_areas,
    routes_assess,
    routes_cases,
    routes_compendium,
    routes_core,
    routes_directory,
    routes_federation,
    routes_login,
    routes_mapping,
    routes_messaging,
    routes_public,
    routes_registry,
    routes_releases,
    routes_requests,
    routes_review,
    routes_stats,
    routes_uploads,
)
from tipnet.web.body_limit import BodyLimit
from tipnet.web.middleware import SecurityHeaders, StrictTransport
from tipnet.web.openapi import install_openapi
from tipnet.web.pages import Renderer
from tipnet.web.security import access, enforce

log = logging.getLogger(__name__)

# The page modules, each with a `router`; a feature adds its module here (and its templates, its .po domain).
# A request is matched against the routes in this order, one by one: the dashboards' statistics, which clients
# poll, come first (no two modules share a path, so the order decides nothing else; tests/test_web.py checks it).
ROUTERS = (
    routes_stats,
    routes_core,
    routes_login,
    routes_account,
    routes_admin,
    routes_uploads,
    routes_mapping,
    routes_releases,
    routes_public,
    routes_directory,
    routes_requests,
    routes_federation,
    routes_cases,
    routes_compendium,
    routes_registry,
    routes_messaging,
    routes_assess,
    routes_review,
    routes_areas,
    routes_api_docs,
)

_MULTIPART_SLACK = 1024 * 1024  # form fields and multipart framing around the largest upload


def create_app(db: Database, settings: Settings | None = None, auth_settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    # the API reference is served by routes_api_docs (signed-in users, no CDN): not FastAPI's public pages
    app = FastAPI(title="tipnet", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(enforce)])
    app.state.db = db
    app.state.settings = settings
    app.state.auth_settings = auth_settings or AuthSettings.from_env()
    app.state.sources = SourceCache(db)
    templates = Jinja2Templates(directory=str(resources.files("tipnet.web").joinpath("templates")))
    app.state.page = Renderer(templates)
    app.mount(
        "/static", StaticFiles(directory=str(resources.files("tipnet.web").joinpath("static"))), name="static"
    )
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders, max_body_bytes=settings.max_upload_bytes + _MULTIPART_SLACK)
    if app.state.auth_settings.secure_cookies:  # served over HTTPS only: tell browsers never to use plain HTTP
        app.add_middleware(StrictTransport)
    errors.install(app)

    for module in ROUTERS:
        app.include_router(module.router)
    app.state.refused_form = routes_cases.refused_form  # the case form's values survive an ended session

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
