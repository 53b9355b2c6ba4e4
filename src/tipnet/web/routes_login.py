"""Signing in and out: password, then the one-time code; logout. The work is done by `tipnet.auth.login`."""

from __future__ import annotations

import math
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from tipnet.auth import login, sessions
from tipnet.auth.policy import ANY_SESSION, PUBLIC, SIGNED_IN, TOTP_STEP
from tipnet.auth.principal import Principal, Stage, Via
from tipnet.auth.sessions import NewSession
from tipnet.auth.settings import AuthSettings
from tipnet.errors import TipnetError
from tipnet.web.accept import wants_json
from tipnet.web.deps import AuthConfig, Db, Me
from tipnet.web.i18n import negotiate
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.routes_public import public_counterpart
from tipnet.web.security import (
    STAGE_PAGES,
    access,
    clear_session_cookie,
    client_ip,
    pre_csrf,
    safe_next,
    set_pre_csrf,
    set_session_cookie,
)

router = PageRouter()


def signed_in(new: NewSession, next_page: str | None, auth: AuthSettings) -> Done:
    """Answer a completed step: go to the next step's page, or where the user was going (with the session cookie)."""
    target = STAGE_PAGES.get(new.stage) or safe_next(next_page)
    if new.stage != Stage.FULL and next_page:
        target += f"?next={quote(safe_next(next_page), safe='/')}"
    return Done({"stage": new.stage.value, "next": target, "csrf_token": new.csrf}, redirect=target,
                finish=lambda response: set_session_cookie(response, new, auth))


def _form_page(request: Request, me: Principal, auth: AuthSettings, template: str, error: TipnetError | None = None,
               **data: object) -> Page:
    token, fresh = pre_csrf(request)
    request.state.pre_csrf = token
    body = {"next": safe_next(request.query_params.get("next") or str(data.pop("next", "") or "")), **data}
    if wants_json(request):
        body["csrf_token"] = token if me.via != Via.SESSION else me.csrf
    if template == "login.html":
        body["public_statistics"] = public_counterpart(str(body["next"]), negotiate(request))
    if error is not None:
        body["error"] = {"status": error.status, "code": error.code, "message": error.message}
    return Page(template, body, status=error.status if error else 200,
                finish=(lambda response: set_pre_csrf(response, token, auth)) if fresh else None)


@router.page("/login")
@access(PUBLIC)
def login_form(request: Request, me: Me, auth: AuthConfig) -> Page | Response:
    if me.authenticated and not wants_json(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form_page(request, me, auth, "login.html")


@router.page("/login", methods=["POST"])
@access(PUBLIC)
async def login_submit(request: Request, db: Db, me: Me, auth: AuthConfig, email: str = Form(...),
                       password: str = Form(...), code: str = Form(""), next: str = Form("")) -> Page | Done:  # noqa: A002
    try:
        new = await run_in_threadpool(login.sign_in, db, auth, email, password, client_ip(request),
                                      request.headers.get("user-agent"), code or None)
    except TipnetError as exc:
        if wants_json(request):
            raise
        return _form_page(request, me, auth, "login.html", exc, email=email[:254], next=next)
    return signed_in(new, next, auth)


@router.page("/login/totp")
@access(TOTP_STEP)
def totp_form(request: Request, me: Me, auth: AuthConfig) -> Page:
    return _form_page(request, me, auth, "login_totp.html")


@router.page("/login/totp", methods=["POST"])
@access(TOTP_STEP)
async def totp_submit(request: Request, db: Db, me: Me, auth: AuthConfig, code: str = Form(...),
                      next: str = Form("")) -> Page | Done:  # noqa: A002
    try:
        new = await run_in_threadpool(login.verify_code, db, auth, me, code)
    except TipnetError as exc:
        if wants_json(request):
            raise
        return _form_page(request, me, auth, "login_totp.html", exc, next=next)
    return signed_in(new, next, auth)


@router.page("/logout", methods=["POST"])
@access(ANY_SESSION)
def logout(request: Request, db: Db, me: Me, auth: AuthConfig) -> Done:
    login.sign_out(db, me)
    return Done({"signed_out": True}, redirect="/", finish=lambda response: clear_session_cookie(response, auth))


@router.page("/session/stay", methods=["POST"])
@access(SIGNED_IN)
async def stay_signed_in(request: Request, db: Db, me: Me, auth: AuthConfig, next: str = Form("")) -> Done:  # noqa: A002
    """"Stay signed in": restart the session's idle timer now. Answers the seconds left (the idle limit, or less near
    the session's absolute end) and when pages warn; a browser goes back to `next`."""
    left = await run_in_threadpool(sessions.stay, db, me, auth)
    return Done({"remaining": left, "idle": auth.session_idle_seconds, "warn": auth.session_warn_seconds,
                 "slack": math.ceil(sessions.touch_every(auth).total_seconds())}, redirect=safe_next(next))
