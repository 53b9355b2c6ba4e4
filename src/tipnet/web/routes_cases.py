"""Case entry pages: the list of one's cases, the screening and identification form (save a draft, resume it,
submit it), a submitted case, and consent withdrawal. The logic lives in `tipnet.cases`; every read and change is
audited there and scoped by `tipnet.auth.tenancy.Scope.cases`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tipnet.auth.policy import needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission, Role
from tipnet.cases import listing, referral
from tipnet.cases import store as case_store
from tipnet.cases.spec import ALL_FIELDS, CHOICES, CONSENT_ITEMS
from tipnet.cases.validate import FieldError, clean
from tipnet.errors import Forbidden, Invalid, TipnetError, Unauthenticated
from tipnet.i18n import translate
from tipnet.store import Database
from tipnet.web import cases_view
from tipnet.web.accept import asks_for_html, wants_json
from tipnet.web.deps import Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.i18n import negotiate
from tipnet.web.pages import Done, Page, PageRouter, Renderer
from tipnet.web.security import access

router = PageRouter()
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


def _case_id(value: str) -> str:
    if not (4 <= len(value) <= 24) or not all(ch.isalnum() or ch == "-" for ch in value):
        raise ApiError(404, "not-found", f"no case {value[:24]}")
    return value


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


def _form_page(db: Database, me: Principal, lang: str, case: case_store.Case | None, values: dict[str, Any],
               problems: list[FieldError], status: int = 200, note: str | None = None,
               definition: bool = False) -> Page:
    country = case.country if case else (me.country or "")
    providers = referral.providers(db, country) if country else []
    data = {"case": case.to_dict() if case else None, "values": values,
            "problems": [e.to_dict() for e in problems], "providers": providers, "note": note}
    if definition:
        data["fields"] = cases_view.definition()
    context = {"sections": cases_view.sections(lang, values, problems), "plan": cases_view.plan(lang, values, problems),
               "summary": cases_view.summary(lang, problems), "note": note,
               "minor": bool(case and case.is_minor)}
    return Page("cases_form.html", data, status=status, context=context)


def _view_page(me: Principal, lang: str, case: case_store.Case, note: str | None = None,
               problems: list[FieldError] | None = None, status: int = 200,
               posted: dict[str, Any] | None = None) -> Page:
    """A submitted case; after a refused plan update, the plan as posted (nothing typed is lost) with its problems."""
    problems = problems or []
    data = {"case": case.to_dict(), "note": note, "problems": [e.to_dict() for e in problems]}
    plan_values = {**case.data, **clean(posted)} if posted else case.data
    context = {"rows": cases_view.readable(lang, case.data), "consent_items": CONSENT_ITEMS,
               "given_by": CHOICES["consent_given_by"], "plan": cases_view.plan(lang, plan_values, problems),
               "plan_problems": cases_view.summary(lang, problems), "note": note,
               "can_correct": case.created_by == me.user_id,
               "field_label": lambda name: cases_view.field_label(lang, name)}
    return Page("cases_view.html", data, status=status, context=context)


def _show(db: Database, me: Principal, lang: str, case: case_store.Case, note: str | None = None) -> Page:
    if case.status == case_store.DRAFT:
        # after a refused submit (post/redirect/get): every rule of submission, as the refusal listed them
        problems = case_store.submit_problems(db, case) if note == "invalid" else case.checked().errors
        return _form_page(db, me, lang, case, case.data, problems, note=note)
    return _view_page(me, lang, case, note)


@router.page("/cases")
@access(CASES)
def cases_list(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    search = request.query_params.get("q", "")[:listing.SEARCH_MAX]
    rows = listing.listing(db, me, search)
    done = request.query_params.get("done")
    return Page("cases_list.html", {
        "cases": rows, "whole_country": me.can(Permission.CASES_READ), "country": me.country, "search": search,
        "note": done if done == "discarded" else None}, context={"sex": cases_view.vocabulary_labels(lang, "sex")})


@router.page("/cases/new")
@access(CASES)
def case_new(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    start = {"source_type": "ngo"} if me.role == Role.SERVICE_PROVIDER else {}
    return _form_page(db, me, lang, None, start, [], definition=True)


async def _save_or_submit(request: Request, db: Database, me: Principal, lang: str,
                          public_id: str | None) -> Response | Done:
    form = await request.form()
    action = form.get("action") or "save"
    if action not in ("save", "submit", "discard"):
        raise ApiError(422, "invalid-request", f"action: {str(action)[:20]!r} is not save, submit or discard")
    if action == "discard":
        if public_id is None:
            raise ApiError(422, "invalid-request", "a case that was never saved has no draft to discard",
                           {"field": "action"})
        case_store.discard(db, me, public_id, _version(form))
        return Done({"discarded": public_id}, redirect="/cases?done=discarded")
    fields = _fields(form)
    authority = fields.get("referral_authority_id")
    if authority and not fields.get("referral_provider"):  # chosen from the directory: its name is the provider's
        fields["referral_provider"] = referral.provider_name(db, me.country or "", str(authority)) or ""
    case, checked = case_store.save(db, me, fields, public_id, _version(form))
    created = public_id is None
    if action == "submit":
        try:
            case = case_store.submit(db, me, case.public_id)
        except case_store.CaseInvalid:
            if wants_json(request):
                raise
            # post/redirect/get: the draft is saved; its page lists the problems, and reloading it posts nothing
            return RedirectResponse(f"/cases/{case.public_id}?done=invalid", status_code=303)
        return Done({"case": case.to_dict(), "problems": []}, redirect=f"/cases/{case.public_id}?done=submitted",
                    status=201 if created else 200)
    return Done({"case": case.to_dict(), "problems": [e.to_dict() for e in checked.errors]},
                redirect=f"/cases/{case.public_id}?done=saved", status=201 if created else 200)


@router.page("/cases", methods=["POST"], openapi_extra=CASE_FORM)
@access(CASES)
async def case_create(request: Request, db: Db, me: Me, lang: Lang) -> Response | Done:
    return await _save_or_submit(request, db, me, lang, None)


_NOTES = {"saved", "submitted", "withdrawn", "planned", "corrected", "invalid"}


@router.page("/cases/{case_id}")
@access(CASES)
def case_detail(request: Request, case_id: str, db: Db, me: Me, lang: Lang) -> Page:
    case = case_store.get(db, me, _case_id(case_id))
    done = request.query_params.get("done")
    return _show(db, me, lang, case, done if done in _NOTES else None)


@router.page("/cases/{case_id}", methods=["POST"], openapi_extra=CASE_FORM)
@access(CASES)
async def case_update(request: Request, case_id: str, db: Db, me: Me, lang: Lang) -> Response | Done:
    return await _save_or_submit(request, db, me, lang, _case_id(case_id))


@router.page("/cases/{case_id}/consent", methods=["POST"], openapi_extra=WITHDRAW_FORM)
@access(CASES)
async def case_withdraw(request: Request, case_id: str, db: Db, me: Me, lang: Lang) -> Done:
    form = await request.form()
    items = [v for v in form.getlist("items") if isinstance(v, str)]
    given_by = form.get("given_by") or None
    note = form.get("note") or None
    if not items:
        raise ApiError(422, "invalid-request", translate(lang, "cases.withdraw.none"), {"field": "items"})
    case = case_store.withdraw(db, me, _case_id(case_id), items, given_by if isinstance(given_by, str) else None,
                               note=note if isinstance(note, str) else None)
    return Done({"case": case.to_dict()}, redirect=f"/cases/{case.public_id}?done=withdrawn")


@router.page("/cases/{case_id}/plan", methods=["POST"], openapi_extra=CASE_FORM)
@access(CASES)
async def case_plan(request: Request, case_id: str, db: Db, me: Me, lang: Lang) -> Page | Done:
    """Update the assistance plan of a submitted case (the plan's fields only)."""
    cid = _case_id(case_id)
    form = await request.form()
    fields = _fields(form)
    try:
        case = case_store.update_plan(db, me, cid, {**fields, "form_complete": form.get("form_complete")},
                                      _version(form))
    except case_store.CaseInvalid as exc:
        if wants_json(request):
            raise
        return _view_page(me, lang, case_store.get(db, me, cid), problems=exc.errors, status=422, posted=fields)
    return Done({"case": case.to_dict()}, redirect=f"/cases/{case.public_id}?done=planned")


def _correct_page(db: Database, lang: str, case: case_store.Case, values: dict[str, Any],
                  problems: list[FieldError], status: int = 200, reason: str = "",
                  message: str | None = None) -> Page:
    """The correction form of a submitted case: its fields but the consent record and the plan, and a reason."""
    data = {"case": case.to_dict(), "values": values, "problems": [e.to_dict() for e in problems],
            "correctable": sorted(case_store.CORRECTABLE), "providers": referral.providers(db, case.country)}
    sections = [sec for sec in cases_view.sections(lang, values, problems) if sec["id"] != "consent"]
    context = {"sections": sections, "summary": cases_view.summary(lang, problems), "reason": reason,
               "message": message, "minor": case.is_minor}
    return Page("cases_correct.html", data, status=status, context=context)


@router.page("/cases/{case_id}/correct")
@access(CASES)
def case_correct_form(request: Request, case_id: str, db: Db, me: Me, lang: Lang) -> Page | Response:
    case = case_store.get(db, me, _case_id(case_id))
    if case.status != case_store.SUBMITTED:
        if wants_json(request):
            raise case_store.Conflict(f"case {case.public_id} is a draft: it is changed in the form")
        return RedirectResponse(f"/cases/{case.public_id}", status_code=303)
    return _correct_page(db, lang, case, case.data, [])


@router.page("/cases/{case_id}/correct", methods=["POST"], openapi_extra=CORRECT_FORM)
@access(CASES)
async def case_correct(request: Request, case_id: str, db: Db, me: Me, lang: Lang) -> Page | Done:
    """Correct one's own submitted case (a reason is required; the rules of submission apply)."""
    cid = _case_id(case_id)
    form = await request.form()
    fields = _fields(form)
    reason = form.get("reason")
    reason = reason if isinstance(reason, str) else None
    try:
        case = case_store.correct(db, me, cid, {**fields, "form_complete": form.get("form_complete")}, reason,
                                  _version(form))
    except case_store.CaseInvalid as exc:
        if wants_json(request):
            raise
        current = case_store.get(db, me, cid)
        return _correct_page(db, lang, current, {**current.data, **clean(fields)}, exc.errors, status=422,
                             reason=reason or "")
    except Invalid as exc:
        if wants_json(request):
            raise
        current = case_store.get(db, me, cid)
        return _correct_page(db, lang, current, {**current.data, **clean(fields)}, [], status=422,
                             reason=reason or "", message=str(exc))
    return Done({"case": case.to_dict()}, redirect=f"/cases/{case.public_id}?done=corrected")


_FORM_PATH = re.compile(r"/cases(?:/([A-Za-z0-9-]{4,24}))?")


async def refused_form(request: Request, exc: TipnetError) -> Response | None:
    """The case form posted without JavaScript after its session ended (401), or after signing in again elsewhere
    (403, a stale CSRF token): nothing is saved, but the form comes back with everything typed, the current CSRF
    token and a sign-in link (new tab); pressing "Save draft" again then saves. Only for a browser's same-origin post
    of the form itself (the draft's values are never read here: what is shown is what this browser just sent).
    None: not such a request, answered as any error."""
    match = _FORM_PATH.fullmatch(request.url.path)
    stale = isinstance(exc, Forbidden) and isinstance(exc.details, dict) and exc.details.get("csrf") is True
    origin = request.headers.get("origin")
    if (match is None or request.method != "POST" or wants_json(request) or not asks_for_html(request)
            or not (isinstance(exc, Unauthenticated) or stale) or not origin
            or urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()):
        return None
    form = await request.form()
    if form.get("action", "save") not in ("save", "submit"):
        return None
    lang = negotiate(request)
    version = form.get("version")
    case = {"id": match.group(1), "version": version if isinstance(version, str) and version.isdigit() else None,
            "updated_at": None} if match.group(1) else None
    values = clean(_fields(form))
    data: dict[str, Any] = {"case": case, "values": values, "problems": [], "providers": [], "note": "refused"}
    context = {"sections": cases_view.sections(lang, values, []), "plan": cases_view.plan(lang, values, []),
               "summary": [], "note": "refused", "minor": False, "refused": "token" if stale else "session"}
    renderer: Renderer = request.app.state.page
    return renderer(request, "cases_form.html", data, exc.status, context)
