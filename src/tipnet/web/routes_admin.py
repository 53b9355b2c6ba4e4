"""Administration: users (hub administrator: everyone; focal point: its country) and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from tipnet.auth import admin, audit
from tipnet.auth.policy import needs
from tipnet.auth.roles import ASSIGNABLE, Permission
from tipnet.auth.tenancy import Scope
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.web.errors import ApiError
from tipnet.web.security import access, principal

router = APIRouter()
USERS = needs(Permission.USERS_ADMIN)


def _json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def _choices(request: Request) -> dict[str, Any]:
    me = principal(request)
    roles = sorted(r.value for r in ASSIGNABLE.get(me.role, frozenset())) if me.role else []
    countries = list(OAS_MEMBERS) if me.hub else [me.country]
    return {"roles": roles, "countries": countries}


def _users_page(request: Request, created: dict[str, Any] | None = None, status: int = 200) -> Response:
    data = {"users": admin.listing(request.app.state.db, principal(request)), **_choices(request)}
    if created is not None:
        data["created"] = created
    return request.app.state.page(request, "admin_users.html", data, status=status)


@router.get("/admin/users")
@router.get("/admin/users.json")
@access(USERS)
def users_list(request: Request) -> Response:
    return _users_page(request)


@router.post("/admin/users")
@router.post("/admin/users.json")
@access(USERS)
def users_create(request: Request, email: str = Form(...), role: str = Form(...), country: str = Form(""),
                 display_name: str = Form("")) -> Response:
    user, temporary = admin.create(request.app.state.db, principal(request), email, role, country or None,
                                   display_name)
    created = {"user": user.public(), "temporary_password": temporary}
    if _json(request):
        return JSONResponse(created, status_code=201)
    return _users_page(request, created, status=201)


def _uid(value: str) -> int:
    uid = value.removesuffix(".json")
    if not uid.isdigit() or len(uid) > 12:
        raise ApiError(404, "not-found", f"no user {uid}")
    return int(uid)


def _user_page(request: Request, user_id: int, result: dict[str, Any] | None = None) -> Response:
    user = admin.visible(request.app.state.db, principal(request), user_id)
    data = {"user": user.public(), **_choices(request), "actions": list(admin.ACTIONS)}
    if result is not None:
        data["result"] = result
    return request.app.state.page(request, "admin_user.html", data)


@router.get("/admin/users/{user_id}")
@router.get("/admin/users/{user_id}.json")
@access(USERS)
def user_detail(request: Request, user_id: str) -> Response:
    return _user_page(request, _uid(user_id))


@router.post("/admin/users/{user_id}")
@router.post("/admin/users/{user_id}.json")
@access(USERS)
def user_change(request: Request, user_id: str, action: str = Form(...), role: str = Form("")) -> Response:
    uid = _uid(user_id)
    result = admin.change(request.app.state.db, principal(request), uid, action, role or None)
    if _json(request):
        return JSONResponse(result)
    return _user_page(request, uid, result)


@router.get("/admin/audit")
@router.get("/admin/audit.json")
@access(needs(Permission.AUDIT_READ))
def audit_log(request: Request) -> Response:
    q = request.query_params
    filters = {k: q.get(k, "") for k in audit.FILTERS}
    before = q.get("before")
    limit = q.get("limit", "100")
    if (before and not (before.isdigit() and len(before) <= 18)) or not (limit.isdigit() and len(limit) <= 6):
        raise ApiError(422, "invalid-request", "before and limit are whole numbers")
    rows = audit.search(request.app.state.db, Scope.of(principal(request)).audit(), filters, int(limit),
                        int(before) if before else None)
    data = {"filters": filters, "entries": rows, "next_before": rows[-1]["seq"] if rows else None}
    return request.app.state.page(request, "audit.html", data)


@router.get("/admin/audit/verify.json")
@access(needs(Permission.AUDIT_VERIFY))
def audit_verify(request: Request) -> JSONResponse:
    return JSONResponse(audit.verify(request.app.state.db).to_dict())
