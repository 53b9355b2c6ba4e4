"""Administration: users (hub administrator: everyone; focal point: its country) and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import Form, Request
from fastapi.responses import JSONResponse, Response

from tipnet.auth import admin, audit
from tipnet.auth.policy import needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import ASSIGNABLE, Permission
from tipnet.auth.settings import AuthSettings
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database
from tipnet.web.accept import wants_json
from tipnet.web.deps import AuthConfig, CallerScope, Db, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
USERS = needs(Permission.USERS_ADMIN)


def _choices(me: Principal) -> dict[str, Any]:
    roles = sorted(r.value for r in ASSIGNABLE.get(me.role, frozenset())) if me.role else []
    countries = list(OAS_MEMBERS) if me.hub else [me.country]
    return {"roles": roles, "countries": countries}


def _users_page(db: Database, me: Principal, auth: AuthSettings, created: dict[str, Any] | None = None,
                status: int = 200) -> Page:
    data = {"users": admin.listing(db, me), "sign_in_alerts": admin.sign_in_alerts(db, me, auth), **_choices(me)}
    if created is not None:
        data["created"] = created
    return Page("admin_users.html", data, status=status)


@router.page("/admin/users")
@access(USERS)
def users_list(request: Request, db: Db, me: Me, auth: AuthConfig) -> Page:
    return _users_page(db, me, auth)


@router.page("/admin/users", methods=["POST"])
@access(USERS)
def users_create(request: Request, db: Db, me: Me, auth: AuthConfig, email: str = Form(...), role: str = Form(...),
                 country: str = Form(""), display_name: str = Form("")) -> Page | Response:
    user, temporary = admin.create(db, me, email, role, country or None, display_name)
    created = {"user": user.public(), "temporary_password": temporary}
    if wants_json(request):  # the API client gets the new account alone; the browser the list showing it
        return JSONResponse(created, status_code=201)
    return _users_page(db, me, auth, created, status=201)


def _uid(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(404, "not-found", f"no user {value}")
    return int(value)


def _user_page(db: Database, me: Principal, user_id: int, result: dict[str, Any] | None = None) -> Page:
    user = admin.visible(db, me, user_id)
    data = {"user": user.public(), **_choices(me), "actions": list(admin.ACTIONS)}
    if result is not None:
        data["result"] = result
    return Page("admin_user.html", data)


@router.page("/admin/users/{user_id}")
@access(USERS)
def user_detail(request: Request, user_id: str, db: Db, me: Me) -> Page:
    return _user_page(db, me, _uid(user_id))


@router.page("/admin/users/{user_id}", methods=["POST"])
@access(USERS)
def user_change(request: Request, user_id: str, db: Db, me: Me, action: str = Form(...),
                role: str = Form("")) -> Page | Response:
    uid = _uid(user_id)
    result = admin.change(db, me, uid, action, role or None)
    if wants_json(request):  # the API client gets the change alone; the browser the user's page showing it
        return JSONResponse(result)
    return _user_page(db, me, uid, result)


@router.page("/admin/audit")
@access(needs(Permission.AUDIT_READ))
def audit_log(request: Request, db: Db, scope: CallerScope) -> Page:
    q = request.query_params
    filters = {k: q.get(k, "") for k in audit.FILTERS}
    before = q.get("before")
    limit = q.get("limit", "100")
    if (before and not (before.isdigit() and len(before) <= 18)) or not (limit.isdigit() and len(limit) <= 6):
        raise ApiError(422, "invalid-request", "before and limit are whole numbers")
    rows = audit.search(db, scope.audit(), filters, int(limit), int(before) if before else None)
    data = {"filters": filters, "entries": rows, "next_before": rows[-1]["seq"] if rows else None}
    return Page("audit.html", data)


@router.get("/admin/audit/verify.json")
@access(needs(Permission.AUDIT_VERIFY))
def audit_verify(db: Db) -> JSONResponse:
    return JSONResponse(audit.verify(db).to_dict())
