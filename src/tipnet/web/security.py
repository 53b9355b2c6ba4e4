"""Access control for the web app: every route carries a `Rule` (tipnet.auth.policy) through `@access(...)`; one
app-wide dependency resolves the principal (session cookie or API token), refuses unclassified routes, applies the
rule, and checks the CSRF token on every state-changing request made with a cookie."""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts

from tipnet.auth import audit, sessions, tokens
from tipnet.auth.policy import Rule, decide
from tipnet.auth.principal import ANONYMOUS, Principal, Stage, Via
from tipnet.auth.settings import AuthSettings
from tipnet.errors import Forbidden, Unauthenticated
from tipnet.web.accept import wants_json

log = logging.getLogger(__name__)

RULE_ATTR = "__tipnet_rule__"
SESSION_COOKIE = "tipnet_session"
PRE_CSRF_COOKIE = "tipnet_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STAGE_PAGES = {Stage.TOTP: "/login/totp", Stage.ENROL: "/account/totp", Stage.PASSWORD: "/account/password"}
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

F = TypeVar("F", bound=Callable[..., Any])


def access(rule: Rule) -> Callable[[F], F]:
    """Classify an endpoint. Routes without a rule are refused, so a new page is closed until someone decides."""

    def mark(fn: F) -> F:
        setattr(fn, RULE_ATTR, rule)
        return fn

    return mark


def rule_of(endpoint: Any) -> Rule | None:
    return getattr(endpoint, RULE_ATTR, None)


def principal(request: Request) -> Principal:
    return getattr(request.state, "principal", ANONYMOUS)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _resolve(request: Request) -> Principal:
    db, settings = request.app.state.db, request.app.state.auth_settings
    ip = client_ip(request)
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        found = tokens.resolve(db, header[7:].strip(), ip)
        if found is None:
            raise Unauthenticated("the API token is not valid")
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = sessions.resolve(db, cookie, settings, ip)
        if found is not None:
            return found
        request.state.clear_session = True
    return ANONYMOUS.with_ip(ip)


def _known(request: Request) -> Principal | None:
    """The principal of a session cookie resolved moments ago (no store access, so no thread hop); else None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or request.headers.get("authorization"):
        return None
    return sessions.known(request.app.state.db, cookie, client_ip(request))


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


async def _check_csrf(request: Request, who: Principal) -> None:
    if who.via == Via.TOKEN:  # a bearer token is not sent by browsers on their own: no cross-site forgery
        return
    if not _same_origin(request):
        raise Forbidden("cross-origin request refused")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = who.csrf if who.via == Via.SESSION else request.cookies.get(PRE_CSRF_COOKIE)
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("missing or wrong CSRF token", {"csrf": True})


async def enforce(request: Request) -> None:
    """App-wide dependency: who is asking, may they, and is the request theirs (CSRF)?"""
    route = request.scope.get("route")
    rule = rule_of(getattr(route, "endpoint", None))
    known = _known(request)
    who = known if known is not None else await run_in_threadpool(_resolve, request)
    request.state.principal = who
    if rule is None:
        log.error("refused %s %s: the endpoint has no access rule", request.method, request.url.path)
        raise Forbidden("this endpoint has not been classified for access; it is refused")
    try:
        decide(who, rule)
    except Forbidden as exc:
        if who.authenticated:
            await run_in_threadpool(audit.record, request.app.state.db, who, "access.denied", outcome="denied",
                                    object_type="path", object_id=request.url.path[:64],
                                    details={"method": request.method, "reason": exc.message})
        raise
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, who)


# --- responses --------------------------------------------------------------------------------------------------


def wants_html(request: Request) -> bool:
    path = request.url.path
    if request.method != "GET" or path.startswith("/api/") or path.endswith((".json", ".csv", ".md")):
        return False
    if request.headers.get("authorization"):
        return False
    return not wants_json(request)


def safe_next(value: str | None) -> str:
    """A local path to go back to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_redirect(request: Request, who: Principal) -> RedirectResponse:
    page = STAGE_PAGES.get(who.stage) if who.via == Via.SESSION else None
    if page is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        page = f"/login?next={quote(target, safe='/')}"
    response = RedirectResponse(page, status_code=303)
    if getattr(request.state, "clear_session", False):
        clear_session_cookie(response, request.app.state.auth_settings)
    return response


def set_session_cookie(response: Response, new: sessions.NewSession, settings: AuthSettings) -> None:
    max_age = settings.session_max_seconds if new.stage == Stage.FULL else settings.signin_step_seconds
    response.set_cookie(SESSION_COOKIE, new.token, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")


def clear_session_cookie(response: Response, settings: AuthSettings) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")


def pre_csrf(request: Request) -> tuple[str, bool]:
    """The anonymous (double-submit) CSRF token for the sign-in form, and whether it must be set as a cookie."""
    current = request.cookies.get(PRE_CSRF_COOKIE)
    if current and 20 <= len(current) <= 100:
        return current, False
    return secrets.token_urlsafe(32), True


def set_pre_csrf(response: Response, token: str, settings: AuthSettings) -> None:
    response.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies,
                        path="/")


def session_timing(request: Request) -> dict[str, int] | None:
    """For a fully signed-in session's pages: the idle limit, how long before it pages warn, and how stale the
    session's last-seen time may be (so the page counts on idle - slack seconds from its load)."""
    who = principal(request)
    if who.via != Via.SESSION or not who.authenticated:
        return None
    settings: AuthSettings = request.app.state.auth_settings
    return {"idle": settings.session_idle_seconds, "warn": settings.session_warn_seconds,
            "slack": math.ceil(sessions.touch_every(settings).total_seconds())}


def csrf_token(request: Request) -> str | None:
    who = principal(request)
    if who.via == Via.SESSION:
        return who.csrf
    return getattr(request.state, "pre_csrf", None) or request.cookies.get(PRE_CSRF_COOKIE)


# --- the route table ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    path: str
    methods: tuple[str, ...]
    endpoint: Any
    api: bool  # a FastAPI route (runs `enforce`); otherwise a mount or a framework page (static files, API docs)

    @property
    def rule(self) -> Rule | None:
        return rule_of(self.endpoint)


def endpoints(app: Any) -> list[Endpoint]:
    """Every route of the app, included routers flattened."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        path = str(ctx.path_format or ctx.path or getattr(route, "path", ""))
        methods = tuple(sorted(ctx.methods or ()))
        out.append(Endpoint(path, methods, ctx.endpoint if isinstance(route, APIRoute) else None,
                            isinstance(route, APIRoute)))
    return out
