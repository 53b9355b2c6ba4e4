"""One's own account: overview, password change, second-factor enrolment, API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from tipnet.auth import login, tokens, users
from tipnet.auth.policy import ENROL_STEP, PASSWORD_STEP, SIGNED_IN, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.errors import Invalid, TipnetError
from tipnet.store import Database
from tipnet.web.accept import wants_json
from tipnet.web.deps import AuthConfig, Db, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.params import StoreId
from tipnet.web.routes_login import signed_in
from tipnet.web.security import access, safe_next

router = PageRouter()


def _account(db: Database, me: Principal, new_token: dict[str, Any] | None = None, status: int = 200) -> Page:
    user = users.get(db, me.user_id) if me.user_id is not None else None
    if user is None:
        raise ApiError(404, "not-found", "no such account")
    data: dict[str, Any] = {"user": user.public(), "permissions": sorted(p.value for p in me.permissions)}
    if me.can(Permission.TOKENS):
        data["tokens"] = tokens.listing(db, user.id)
    if new_token is not None:
        data["new_token"] = new_token
    return Page("account.html", data, status=status)


@router.page("/account")
@access(SIGNED_IN)
def account(request: Request, db: Db, me: Me) -> Page:
    return _account(db, me)


def _step_page(request: Request, template: str, data: dict[str, Any], error: TipnetError | None = None) -> Page:
    body = {"next": safe_next(request.query_params.get("next") or str(data.pop("next", "") or "")), **data}
    if error is not None:
        body["error"] = {"status": error.status, "code": error.code, "message": error.message}
    return Page(template, body, status=error.status if error else 200)


@router.page("/account/password")
@access(PASSWORD_STEP)
def password_form(request: Request, me: Me) -> Page:
    return _step_page(request, "password.html", {"must_change": me.stage.value == "password"})


@router.page("/account/password", methods=["POST"])
@access(PASSWORD_STEP)
async def password_submit(request: Request, db: Db, me: Me, auth: AuthConfig, current: str = Form(...),
                          new: str = Form(...), confirm: str = Form(...),
                          next: str = Form("")) -> Page | Done:  # noqa: A002
    try:
        if new != confirm:
            raise Invalid("the two new passwords differ")
        session = await run_in_threadpool(login.change_password, db, auth, me, current, new)
    except TipnetError as exc:
        if wants_json(request):
            raise
        return _step_page(request, "password.html", {"must_change": me.stage.value == "password", "next": next},
                          exc)
    return signed_in(session, next or "/account", auth)


@router.page("/account/totp")
@access(ENROL_STEP)
def totp_enrol(request: Request, db: Db, me: Me) -> Page:
    return _step_page(request, "totp.html", login.enrolment(db, me))


@router.page("/account/totp", methods=["POST"])
@access(ENROL_STEP)
async def totp_confirm(request: Request, db: Db, me: Me, auth: AuthConfig, code: str = Form(...),
                       next: str = Form("")) -> Page | Done:  # noqa: A002
    try:
        session = await run_in_threadpool(login.confirm_enrolment, db, auth, me, code)
    except TipnetError as exc:
        if wants_json(request):
            raise
        return _step_page(request, "totp.html", {**login.enrolment(db, me), "next": next}, exc)
    return signed_in(session, next, auth)


@router.page("/account/tokens", methods=["POST"])
@access(needs(Permission.TOKENS))
def token_create(request: Request, db: Db, me: Me, auth: AuthConfig, name: str = Form(...),
                 days: int = Form(0)) -> Page | Response:
    issued = tokens.issue(db, me, name, days or auth.token_days)
    if wants_json(request):  # the API client gets the new token alone; the browser its account page showing it
        return JSONResponse(issued, status_code=201)
    return _account(db, me, new_token=issued, status=201)


@router.page("/account/tokens/{token_id}/revoke", methods=["POST"])
@access(needs(Permission.TOKENS))
def token_revoke(request: Request, token_id: StoreId, db: Db, me: Me) -> Done:
    tokens.revoke(db, me, token_id)
    return Done({"revoked": token_id}, redirect="/account")
