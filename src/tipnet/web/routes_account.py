"""One's own account: overview, password change, second-factor enrolment, API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tipnet.auth import login, tokens, users
from tipnet.auth.policy import ENROL_STEP, PASSWORD_STEP, SIGNED_IN, needs
from tipnet.auth.roles import Permission
from tipnet.errors import Invalid, TipnetError
from tipnet.web.errors import ApiError
from tipnet.web.params import StoreId
from tipnet.web.routes_login import signed_in
from tipnet.web.security import access, principal, safe_next

router = APIRouter()


def _json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def _account(request: Request, new_token: dict[str, Any] | None = None, status: int = 200) -> Response:
    me = principal(request)
    db = request.app.state.db
    user = users.get(db, me.user_id) if me.user_id is not None else None
    if user is None:
        raise ApiError(404, "not-found", "no such account")
    data: dict[str, Any] = {"user": user.public(), "permissions": sorted(p.value for p in me.permissions)}
    if me.can(Permission.TOKENS):
        data["tokens"] = tokens.listing(db, user.id)
    if new_token is not None:
        data["new_token"] = new_token
    return request.app.state.page(request, "account.html", data, status=status)


@router.get("/account")
@router.get("/account.json")
@access(SIGNED_IN)
def account(request: Request) -> Response:
    return _account(request)


def _step_page(request: Request, template: str, data: dict[str, Any], error: TipnetError | None = None) -> Response:
    body = {"next": safe_next(request.query_params.get("next") or str(data.pop("next", "") or "")), **data}
    if error is not None:
        body["error"] = {"status": error.status, "code": error.code, "message": error.message}
    return request.app.state.page(request, template, body, status=error.status if error else 200)


@router.get("/account/password")
@router.get("/account/password.json")
@access(PASSWORD_STEP)
def password_form(request: Request) -> Response:
    return _step_page(request, "password.html", {"must_change": principal(request).stage.value == "password"})


@router.post("/account/password")
@router.post("/account/password.json")
@access(PASSWORD_STEP)
async def password_submit(request: Request, current: str = Form(...), new: str = Form(...),
                          confirm: str = Form(...), next: str = Form("")) -> Response:  # noqa: A002
    me = principal(request)
    try:
        if new != confirm:
            raise Invalid("the two new passwords differ")
        session = await run_in_threadpool(login.change_password, request.app.state.db,
                                          request.app.state.auth_settings, me, current, new)
    except TipnetError as exc:
        if _json(request):
            raise
        return _step_page(request, "password.html", {"must_change": me.stage.value == "password", "next": next},
                          exc)
    return signed_in(request, session, next or "/account")


@router.get("/account/totp")
@router.get("/account/totp.json")
@access(ENROL_STEP)
def totp_enrol(request: Request) -> Response:
    return _step_page(request, "totp.html", login.enrolment(request.app.state.db, principal(request)))


@router.post("/account/totp")
@router.post("/account/totp.json")
@access(ENROL_STEP)
async def totp_confirm(request: Request, code: str = Form(...), next: str = Form("")) -> Response:  # noqa: A002
    db, me = request.app.state.db, principal(request)
    try:
        session = await run_in_threadpool(login.confirm_enrolment, db, request.app.state.auth_settings, me, code)
    except TipnetError as exc:
        if _json(request):
            raise
        return _step_page(request, "totp.html", {**login.enrolment(db, me), "next": next}, exc)
    return signed_in(request, session, next)


@router.post("/account/tokens")
@router.post("/account/tokens.json")
@access(needs(Permission.TOKENS))
def token_create(request: Request, name: str = Form(...), days: int = Form(0)) -> Response:
    settings = request.app.state.auth_settings
    issued = tokens.issue(request.app.state.db, principal(request), name, days or settings.token_days)
    if _json(request):
        return JSONResponse(issued, status_code=201)
    return _account(request, new_token=issued, status=201)


@router.post("/account/tokens/{token_id}/revoke")
@router.post("/account/tokens/{token_id}/revoke.json")
@access(needs(Permission.TOKENS))
def token_revoke(request: Request, token_id: StoreId) -> Response:
    tokens.revoke(request.app.state.db, principal(request), token_id)
    if _json(request):
        return JSONResponse({"revoked": token_id})
    return RedirectResponse("/account", status_code=303)
