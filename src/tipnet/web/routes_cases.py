"""Case entry pages: the list of one's cases, the screening and identification form (save a draft, resume it,
submit it), a submitted case, and consent withdrawal. The logic lives in `tipnet.cases`; every read and change is
audited there and scoped by `tipnet.auth.tenancy.Scope.cases`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission, Role
from tipnet.cases import referral
from tipnet.cases import store as case_store
from tipnet.cases.spec import ALL_FIELDS, CHOICES, CONSENT_ITEMS
from tipnet.cases.validate import FieldError, clean
from tipnet.errors import Invalid
from tipnet.i18n import translate
from tipnet.web import cases_view
from tipnet.web.errors import ApiError
from tipnet.web.i18n import negotiate
from tipnet.web.security import access, principal

router = APIRouter()
CASES = needs(Permission.CASES_WRITE)
_MULTIPLE = {s.name for s in ALL_FIELDS if s.multiple}


def _form_schema() -> dict[str, Any]:
    """The OpenAPI description of a case form post (form fields; several values for multiple choices)."""
    props: dict[str, Any] = {s.name: ({"type": "array", "items": {"type": "string"}} if s.multiple
                                      else {"type": "string"}) for s in ALL_FIELDS}
    props.update({"action": {"type": "string", "enum": ["save", "submit", "discard"],
                             "description": "discard deletes one's own draft (with the draft's version)"},
                  "version": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                  "form_complete": {"type": "string", "description": "sent by the page: absent fields are cleared"}})
    body = {"type": "object", "properties": props}
    return {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": body}}}}


CASE_FORM = _form_schema()
_CORRECT = _form_schema()["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
_CORRECT["properties"] = {k: v for k, v in _CORRECT["properties"].items() if k in case_store.CORRECTABLE
                          or k in ("version", "form_complete")}
_CORRECT["properties"]["reason"] = {"type": "string", "minLength": 3, "maxLength": case_store.REASON_MAX,
                                    "description": "why the submitted case is corrected (kept with the case)"}
_CORRECT["required"] = ["reason"]
CORRECT_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
    "schema": _CORRECT}}}}
WITHDRAW_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": {"type": "string", "enum": list(CONSENT_ITEMS)}},
                   "given_by": {"type": "string", "enum": list(CHOICES["consent_given_by"])},
                   "note": {"type": "string"}}}}}}}


def _json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def _case_id(value: str) -> str:
    cid = value.removesuffix(".json")
    if not (4 <= len(cid) <= 24) or not all(ch.isalnum() or ch == "-" for ch in cid):
        raise ApiError(404, "not-found", f"no case {cid[:24]}")
    return cid


def _version(form: FormData) -> int | None:
    raw = form.get("version")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 9:
        raise ApiError(422, "invalid-request", f"version: {str(raw)[:20]!r} is not a whole number")
    return int(raw)


def _fields(form: FormData) -> dict[str, Any]:
    """The posted case fields (lists for multiple choices). A page's form says `form_complete`: then every field it
    shows counts as posted, so an unticked box clears the old value; an API client sends only what it changes."""
    out: dict[str, Any] = {}
    for s in ALL_FIELDS:
        if s.name in form:
            out[s.name] = [v for v in form.getlist(s.name) if isinstance(v, str)] if s.name in _MULTIPLE \
                else form.get(s.name)
        elif form.get("form_complete"):
            out[s.name] = [] if s.name in _MULTIPLE else ""
    return out


def _form_page(request: Request, case: case_store.Case | None, values: dict[str, Any],
               problems: list[FieldError], status: int = 200, note: str | None = None,
               definition: bool = False) -> Response:
    me = principal(request)
    lang = negotiate(request)
    country = case.country if case else (me.country or "")
    providers = referral.providers(request.app.state.db, country) if country else []
    data = {"case": case.to_dict() if case else None, "values": values,
            "problems": [e.to_dict() for e in problems], "providers": providers, "note": note}
    if definition:
        data["fields"] = cases_view.definition()
    context = {"sections": cases_view.sections(lang, values, problems), "plan": cases_view.plan(lang, values, problems),
               "summary": cases_view.summary(lang, problems), "note": note,
               "minor": bool(case and case.is_minor)}
    return request.app.state.page(request, "cases_form.html", data, status=status, context=context)


def _view_page(request: Request, case: case_store.Case, note: str | None = None,
               problems: list[FieldError] | None = None, status: int = 200,
               posted: dict[str, Any] | None = None) -> Response:
    """A submitted case; after a refused plan update, the plan as posted (nothing typed is lost) with its problems."""
    lang = negotiate(request)
    problems = problems or []
    data = {"case": case.to_dict(), "note": note, "problems": [e.to_dict() for e in problems]}
    plan_values = {**case.data, **clean(posted)} if posted else case.data
    context = {"rows": cases_view.readable(lang, case.data), "consent_items": CONSENT_ITEMS,
               "given_by": CHOICES["consent_given_by"], "plan": cases_view.plan(lang, plan_values, problems),
               "plan_problems": cases_view.summary(lang, problems), "note": note,
               "can_correct": case.created_by == principal(request).user_id,
               "field_label": lambda name: cases_view.field_label(lang, name)}
    return request.app.state.page(request, "cases_view.html", data, status=status, context=context)


def _show(request: Request, case: case_store.Case, note: str | None = None) -> Response:
    if case.status == case_store.DRAFT:
        return _form_page(request, case, case.data, case.checked().errors, note=note)
    return _view_page(request, case, note)


@router.get("/cases")
@router.get("/cases.json")
@access(CASES)
def cases_list(request: Request) -> Response:
    me = principal(request)
    rows = case_store.listing(request.app.state.db, me)
    done = request.query_params.get("done")
    return request.app.state.page(request, "cases_list.html", {
        "cases": rows, "whole_country": me.can(Permission.CASES_READ), "country": me.country,
        "note": done if done == "discarded" else None})


@router.get("/cases/new")
@router.get("/cases/new.json")
@access(CASES)
def case_new(request: Request) -> Response:
    me = principal(request)
    start = {"source_type": "ngo"} if me.role == Role.SERVICE_PROVIDER else {}
    return _form_page(request, None, start, [], definition=True)


async def _save_or_submit(request: Request, public_id: str | None) -> Response:
    db, me = request.app.state.db, principal(request)
    form = await request.form()
    action = form.get("action") or "save"
    if action not in ("save", "submit", "discard"):
        raise ApiError(422, "invalid-request", f"action: {str(action)[:20]!r} is not save, submit or discard")
    if action == "discard":
        if public_id is None:
            raise ApiError(422, "invalid-request", "a case that was never saved has no draft to discard",
                           {"field": "action"})
        case_store.discard(db, me, public_id, _version(form))
        if _json(request):
            return JSONResponse({"discarded": public_id})
        return RedirectResponse("/cases?done=discarded", status_code=303)
    fields = _fields(form)
    authority = fields.get("referral_authority_id")
    if authority and not fields.get("referral_provider"):  # chosen from the directory: its name is the provider's
        fields["referral_provider"] = referral.provider_name(db, me.country or "", str(authority)) or ""
    case, checked = case_store.save(db, me, fields, public_id, _version(form))
    created = public_id is None
    if action == "submit":
        try:
            case = case_store.submit(db, me, case.public_id)
        except case_store.CaseInvalid as exc:
            if _json(request):
                raise
            return _form_page(request, case, case.data, exc.errors, status=422, note="invalid")
        if _json(request):
            return JSONResponse({"case": case.to_dict(), "problems": []}, status_code=201 if created else 200)
        return RedirectResponse(f"/cases/{case.public_id}?done=submitted", status_code=303)
    if _json(request):
        return JSONResponse({"case": case.to_dict(), "problems": [e.to_dict() for e in checked.errors]},
                            status_code=201 if created else 200)
    return RedirectResponse(f"/cases/{case.public_id}?done=saved", status_code=303)


@router.post("/cases", openapi_extra=CASE_FORM)
@router.post("/cases.json", openapi_extra=CASE_FORM)
@access(CASES)
async def case_create(request: Request) -> Response:
    return await _save_or_submit(request, None)


_NOTES = {"saved", "submitted", "withdrawn", "planned", "corrected"}


@router.get("/cases/{case_id}")
@router.get("/cases/{case_id}.json")
@access(CASES)
def case_detail(request: Request, case_id: str) -> Response:
    case = case_store.get(request.app.state.db, principal(request), _case_id(case_id))
    done = request.query_params.get("done")
    return _show(request, case, done if done in _NOTES else None)


@router.post("/cases/{case_id}", openapi_extra=CASE_FORM)
@router.post("/cases/{case_id}.json", openapi_extra=CASE_FORM)
@access(CASES)
async def case_update(request: Request, case_id: str) -> Response:
    return await _save_or_submit(request, _case_id(case_id))


@router.post("/cases/{case_id}/consent", openapi_extra=WITHDRAW_FORM)
@router.post("/cases/{case_id}/consent.json", openapi_extra=WITHDRAW_FORM)
@access(CASES)
async def case_withdraw(request: Request, case_id: str) -> Response:
    cid = case_id.removesuffix(".json")
    form = await request.form()
    items = [v for v in form.getlist("items") if isinstance(v, str)]
    given_by = form.get("given_by") or None
    note = form.get("note") or None
    if not items:
        lang = negotiate(request)
        raise ApiError(422, "invalid-request", translate(lang, "cases.withdraw.none"), {"field": "items"})
    case = case_store.withdraw(request.app.state.db, principal(request), _case_id(cid), items,
                               given_by if isinstance(given_by, str) else None,
                               note=note if isinstance(note, str) else None)
    if _json(request):
        return JSONResponse({"case": case.to_dict()})
    return RedirectResponse(f"/cases/{case.public_id}?done=withdrawn", status_code=303)


@router.post("/cases/{case_id}/plan", openapi_extra=CASE_FORM)
@router.post("/cases/{case_id}/plan.json", openapi_extra=CASE_FORM)
@access(CASES)
async def case_plan(request: Request, case_id: str) -> Response:
    """Update the assistance plan of a submitted case (the plan's fields only)."""
    db, me = request.app.state.db, principal(request)
    cid = _case_id(case_id.removesuffix(".json"))
    form = await request.form()
    fields = _fields(form)
    try:
        case = case_store.update_plan(db, me, cid, {**fields, "form_complete": form.get("form_complete")},
                                      _version(form))
    except case_store.CaseInvalid as exc:
        if _json(request):
            raise
        return _view_page(request, case_store.get(db, me, cid), problems=exc.errors, status=422, posted=fields)
    if _json(request):
        return JSONResponse({"case": case.to_dict()})
    return RedirectResponse(f"/cases/{case.public_id}?done=planned", status_code=303)


def _correct_page(request: Request, case: case_store.Case, values: dict[str, Any], problems: list[FieldError],
                  status: int = 200, reason: str = "", message: str | None = None) -> Response:
    """The correction form of a submitted case: its fields but the consent record and the plan, and a reason."""
    lang = negotiate(request)
    country = case.country
    data = {"case": case.to_dict(), "values": values, "problems": [e.to_dict() for e in problems],
            "correctable": sorted(case_store.CORRECTABLE), "providers": referral.providers(request.app.state.db,
                                                                                            country)}
    sections = [sec for sec in cases_view.sections(lang, values, problems) if sec["id"] != "consent"]
    context = {"sections": sections, "summary": cases_view.summary(lang, problems), "reason": reason,
               "message": message, "minor": case.is_minor}
    return request.app.state.page(request, "cases_correct.html", data, status=status, context=context)


@router.get("/cases/{case_id}/correct")
@router.get("/cases/{case_id}/correct.json")
@access(CASES)
def case_correct_form(request: Request, case_id: str) -> Response:
    case = case_store.get(request.app.state.db, principal(request), _case_id(case_id))
    if case.status != case_store.SUBMITTED:
        if _json(request):
            raise case_store.Conflict(f"case {case.public_id} is a draft: it is changed in the form")
        return RedirectResponse(f"/cases/{case.public_id}", status_code=303)
    return _correct_page(request, case, case.data, [])


@router.post("/cases/{case_id}/correct", openapi_extra=CORRECT_FORM)
@router.post("/cases/{case_id}/correct.json", openapi_extra=CORRECT_FORM)
@access(CASES)
async def case_correct(request: Request, case_id: str) -> Response:
    """Correct one's own submitted case (a reason is required; the rules of submission apply)."""
    db, me = request.app.state.db, principal(request)
    cid = _case_id(case_id)
    form = await request.form()
    fields = _fields(form)
    reason = form.get("reason")
    reason = reason if isinstance(reason, str) else None
    try:
        case = case_store.correct(db, me, cid, {**fields, "form_complete": form.get("form_complete")}, reason,
                                  _version(form))
    except case_store.CaseInvalid as exc:
        if _json(request):
            raise
        current = case_store.get(db, me, cid)
        return _correct_page(request, current, {**current.data, **clean(fields)}, exc.errors, status=422,
                             reason=reason or "")
    except Invalid as exc:
        if _json(request):
            raise
        current = case_store.get(db, me, cid)
        return _correct_page(request, current, {**current.data, **clean(fields)}, [], status=422,
                             reason=reason or "", message=str(exc))
    if _json(request):
        return JSONResponse({"case": case.to_dict()})
    return RedirectResponse(f"/cases/{case.public_id}?done=corrected", status_code=303)
