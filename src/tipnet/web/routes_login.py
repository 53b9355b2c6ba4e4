"""Signing in and out: password, then the one-time code; logout. The work is done by `tipnet.auth.login`."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tipnet.auth import login
from tipnet.auth.policy import ANY_SESSION, PUBLIC, TOTP_STEP
from tipnet.auth.principal import Stage, Via
from tipnet.auth.sessions import NewSession
from tipnet.errors import TipnetError
from tipnet.web.security import (
    STAGE_PAGES,
    access,
    clear_session_cookie,
    client_ip,
    pre_csrf,
    principal,
    safe_next,
    set_pre_csrf,
    set_session_cookie,
)

router = APIRouter()


def _json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def signed_in(request: Request, new: NewSession, next_page: str | None) -> Response:
    """Answer a completed step: go to the next step's page, or where the user was going."""
    target = STAGE_PAGES.get(new.stage) or safe_next(next_page)
    if new.stage != Stage.FULL and next_page:
        target += f"?next={quote(safe_next(next_page), safe='/')}"
    response: Response
    if _json(request):
        response = JSONResponse({"stage": new.stage.value, "next": target, "csrf_token": new.csrf})
    else:
        response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, new, request.app.state.auth_settings)
    return response


def _form_page(request: Request, template: str, error: TipnetError | None = None, **data: object) -> Response:
    token, fresh = pre_csrf(request)
    request.state.pre_csrf = token
    body = {"next": safe_next(request.query_params.get("next") or str(data.pop("next", "") or "")), **data}
    if _json(request):
        body["csrf_token"] = token if principal(request).via != Via.SESSION else principal(request).csrf
    if error is not None:
        body["error"] = {"status": error.status, "code": error.code, "message": error.message}
    response = request.app.state.page(request, template, body, status=error.status if error else 200)
    if fresh:
        set_pre_csrf(response, token, request.app.state.auth_settings)
    return response


@router.get("/login")
@router.get("/login.json")
@access(PUBLIC)
def login_form(request: Request) -> Response:
    me = principal(request)
    if me.authenticated and not _json(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form_page(request, "login.html")


@router.post("/login")
@router.post("/login.json")
@access(PUBLIC)
async def login_submit(request: Request, email: str = Form(...), password: str = Form(...),
                       code: str = Form(""), next: str = Form("")) -> Response:  # noqa: A002
    try:
        new = await run_in_threadpool(login.sign_in, request.app.state.db, request.app.state.auth_settings, email,
                                      password, client_ip(request), request.headers.get("user-agent"), code or None)
    except TipnetError as exc:
        if _json(request):
            raise
        return _form_page(request, "login.html", exc, email=email[:254], next=next)
    return signed_in(request, new, next)


@router.get("/login/totp")
@router.get("/login/totp.json")
@access(TOTP_STEP)
def totp_form(request: Request) -> Response:
    return _form_page(request, "login_totp.html")


@router.post("/login/totp")
@router.post("/login/totp.json")
@access(TOTP_STEP)
async def totp_submit(request: Request, code: str = Form(...), next: str = Form("")) -> Response:  # noqa: A002
    try:
        new = await run_in_threadpool(login.verify_code, request.app.state.db, request.app.state.auth_settings,
                                      principal(request), code)
    except TipnetError as exc:
        if _json(request):
            raise
        return _form_page(request, "login_totp.html", exc, next=next)
    return signed_in(request, new, next)


@router.post("/logout")
@router.post("/logout.json")
@access(ANY_SESSION)
def logout(request: Request) -> Response:
    login.sign_out(request.app.state.db, principal(request))
    response: Response = (JSONResponse({"signed_out": True}) if _json(request)
                          else RedirectResponse("/", status_code=303))
    clear_session_cookie(response, request.app.state.auth_settings)
    return response
