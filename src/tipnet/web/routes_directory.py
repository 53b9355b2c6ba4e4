"""The directory of national authorities: public listing, entries, routing ("who do I ask"), exports for
republication; editing, verification, staleness and reminders for DIRECTORY_EDIT holders. The public sees public
fields; signed-in authority roles (DIRECTORY_RESTRICTED) also direct lines and 24/7 contacts (their reads audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tipnet.auth import audit
from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.coop import directory, directory_export, directory_reminders
from tipnet.coop.directory_form import entry_from_form, merge_profile, per_measure_text
from tipnet.coop.directory_model import CHANNELS, COMPETENCES, CRIMES, DUAL_CRIMINALITY, LANGUAGES, MEASURES
from tipnet.coop.directory_routing import route
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.web.errors import ApiError
from tipnet.web.i18n import negotiate
from tipnet.web.security import access, principal

router = APIRouter()
EDIT = needs(Permission.DIRECTORY_EDIT)


def _json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def _restricted(request: Request) -> bool:
    return directory.may_see_restricted(principal(request))


def _choices() -> dict[str, Any]:
    return {"countries": list(OAS_MEMBERS), "competence_codes": list(COMPETENCES), "crime_codes": list(CRIMES),
            "measure_codes": list(MEASURES), "channel_codes": list(CHANNELS), "language_codes": list(LANGUAGES),
            "dual_codes": list(DUAL_CRIMINALITY)}


def _audit_restricted(request: Request, what: str, object_id: object = None, country: str | None = None,
                      count: int | None = None) -> None:
    who = principal(request)
    if directory.may_see_restricted(who):
        audit.record(request.app.state.db, who, "directory.read_restricted", object_type="authority",
                     object_id=object_id, subject_country=country, details={"page": what, "entries": count})


def _aid(value: str) -> int:
    aid = value.removesuffix(".json")
    if not aid.isdigit() or len(aid) > 12:
        raise ApiError(404, "not-found", f"no authority {aid}")
    return int(aid)


@router.get("/directory")
@router.get("/directory.json")
@access(PUBLIC)
def directory_list(request: Request) -> Response:
    q = request.query_params
    country, competence, text = q.get("country") or None, q.get("competence") or None, q.get("q") or None
    restricted = _restricted(request)
    who = principal(request)
    editor = who.can(Permission.DIRECTORY_EDIT)
    scope = Scope.of(who)
    found = directory.listing(request.app.state.db, country=country, competence=competence, text=text,
                              include_retired=editor)
    found = [a for a in found if not a.retired or scope.directory_edit(a.country)]  # retired: its editors only
    if restricted:
        _audit_restricted(request, "list", country=country, count=len(found))
    data = {"authorities": [a.view(restricted) for a in found], "restricted": restricted,
            "filters": {"country": country or "", "competence": competence or "", "q": text or ""},
            "can_edit": who.can(Permission.DIRECTORY_EDIT),
            "edit_countries": [c for c in OAS_MEMBERS if Scope.of(who).directory_edit(c)]
            if who.can(Permission.DIRECTORY_EDIT) else [], **_choices()}
    return request.app.state.page(request, "directory_list.html", data)


def _detail(request: Request, authority_id: int, status: int = 200, message: str | None = None) -> Response:
    db, who = request.app.state.db, principal(request)
    a = directory.get(db, authority_id)
    restricted = _restricted(request)
    if restricted:
        _audit_restricted(request, "entry", a.id, a.country)
    can_edit = who.can(Permission.DIRECTORY_EDIT) and Scope.of(who).directory_edit(a.country)
    data = {"authority": a.view(restricted), "restricted": restricted, "can_edit": can_edit,
            "history": directory.history(db, a.id, restricted), **_choices()}
    if message:
        data["message"] = message
    context = {"required_fields_text": per_measure_text(a.profile.get("required_fields", {})),
               "required_attachments_text": per_measure_text(a.profile.get("required_attachments", {}))}
    return request.app.state.page(request, "directory_authority.html", data, status=status, context=context)


@router.get("/directory/authorities/{authority_id}")
@router.get("/directory/authorities/{authority_id}.json")
@access(PUBLIC)
def directory_entry(request: Request, authority_id: str) -> Response:
    return _detail(request, _aid(authority_id))


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    keys = set(form.keys()) - {"csrf_token"}
    return entry_from_form(lambda name: [str(v) for v in form.getlist(name)], keys)


@router.post("/directory/authorities")
@router.post("/directory/authorities.json")
@access(EDIT)
async def directory_create(request: Request) -> Response:
    entry = await _form(request)
    a = await run_in_threadpool(directory.create, request.app.state.db, principal(request), entry)
    if _json(request):
        return JSONResponse(a.view(True), status_code=201)
    return RedirectResponse(f"/directory/authorities/{a.id}", status_code=303)


@router.post("/directory/authorities/{authority_id}")
@router.post("/directory/authorities/{authority_id}.json")
@access(EDIT)
async def directory_change(request: Request, authority_id: str) -> Response:
    aid = _aid(authority_id)
    db, who = request.app.state.db, principal(request)
    submitted = await _form(request)

    def change() -> directory.Authority:
        current = directory.get(db, aid)
        changes = merge_profile(current.doc, {k: v for k, v in submitted.items() if k != "last_verified"})
        return directory.update_entry(db, who, aid, changes)

    a = await run_in_threadpool(change)
    if _json(request):
        return JSONResponse(a.view(True))
    return RedirectResponse(f"/directory/authorities/{a.id}", status_code=303)


@router.post("/directory/authorities/{authority_id}/verify")
@router.post("/directory/authorities/{authority_id}/verify.json")
@access(EDIT)
def directory_verify(request: Request, authority_id: str) -> Response:
    a = directory.verify(request.app.state.db, principal(request), _aid(authority_id))
    if _json(request):
        return JSONResponse(a.view(True))
    return RedirectResponse(f"/directory/authorities/{a.id}", status_code=303)


@router.post("/directory/authorities/{authority_id}/retire")
@router.post("/directory/authorities/{authority_id}/retire.json")
@access(EDIT)
async def directory_retire(request: Request, authority_id: str) -> Response:
    aid = _aid(authority_id)
    form = await request.form()
    a = await run_in_threadpool(directory.retire, request.app.state.db, principal(request), aid,
                                str(form.get("reason") or ""))
    if _json(request):
        return JSONResponse(a.view(True))
    return RedirectResponse(f"/directory/authorities/{a.id}", status_code=303)


@router.post("/directory/authorities/{authority_id}/reinstate")
@router.post("/directory/authorities/{authority_id}/reinstate.json")
@access(EDIT)
def directory_reinstate(request: Request, authority_id: str) -> Response:
    a = directory.reinstate(request.app.state.db, principal(request), _aid(authority_id))
    if _json(request):
        return JSONResponse(a.view(True))
    return RedirectResponse(f"/directory/authorities/{a.id}", status_code=303)


@router.get("/directory/route")
@router.get("/directory/route.json")
@access(PUBLIC)
def directory_route(request: Request) -> Response:
    q = request.query_params
    query = {"country": q.get("country", ""), "measure": q.get("measure", ""),
             "crime": q.get("crime", "trafficking_in_persons")}
    data: dict[str, Any] = {"query": query, "result": None, **_choices()}
    if query["country"] and query["measure"]:
        restricted = _restricted(request)
        data["result"] = route(request.app.state.db, query["country"], query["measure"], query["crime"],
                               restricted=restricted)
        if restricted:
            _audit_restricted(request, "route", country=query["country"].upper(),
                              count=len(data["result"]["authorities"]))
    return request.app.state.page(request, "directory_route.html", data)


def _export_entries(request: Request) -> tuple[list[directory.Authority], bool]:
    q = request.query_params
    restricted = q.get("restricted") in ("1", "true") and _restricted(request)
    entries = directory.listing(request.app.state.db, country=q.get("country") or None,
                                competence=q.get("competence") or None)
    if restricted:
        _audit_restricted(request, "export", country=q.get("country") or None, count=len(entries))
    return entries, restricted


_EXPORTS: dict[str, tuple[Any, str, str]] = {  # suffix -> (writer, media type, disposition)
    "csv": (directory_export.to_csv, "text/csv; charset=utf-8", "attachment"),
    "vcf": (directory_export.to_vcard, "text/vcard; charset=utf-8", "attachment"),
    "pdf": (directory_export.to_pdf, "application/pdf", "inline"),
}


def _export(request: Request, suffix: str) -> Response:
    writer, media, disposition = _EXPORTS[suffix]
    entries, restricted = _export_entries(request)
    return Response(writer(entries, restricted), media_type=media,
                    headers={"content-disposition": f'{disposition}; filename="tipnet-directory.{suffix}"'})


@router.get("/directory/export.csv")
@access(PUBLIC)
def directory_csv(request: Request) -> Response:
    return _export(request, "csv")


@router.get("/directory/export.vcf")
@access(PUBLIC)
def directory_vcard(request: Request) -> Response:
    return _export(request, "vcf")


@router.get("/directory/export.pdf")
@access(PUBLIC)
def directory_pdf(request: Request) -> Response:
    return _export(request, "pdf")


@router.get("/directory/print")
@access(PUBLIC)
def directory_print(request: Request) -> Response:
    entries, restricted = _export_entries(request)
    return HTMLResponse(directory_export.print_html(entries, negotiate(request), restricted))


def _stale_page(request: Request, who: Principal, sent: dict[str, Any] | None = None) -> Response:
    db = request.app.state.db
    today = dt.date.today()
    data: dict[str, Any] = {"stale": [a.view(True, today) for a in directory_reminders.stale(db, who, today)],
                            "reminders": directory_reminders.reminders(db, who)[:100],
                            "stale_before": directory.stale_before(today).isoformat()}
    if sent is not None:
        data["result"] = sent
    return request.app.state.page(request, "directory_stale.html", data)


@router.get("/directory/stale")
@router.get("/directory/stale.json")
@access(EDIT)
def directory_stale(request: Request) -> Response:
    return _stale_page(request, principal(request))


@router.post("/directory/remind")
@router.post("/directory/remind.json")
@access(EDIT)
def directory_remind(request: Request) -> Response:
    who = principal(request)
    result = directory_reminders.remind(request.app.state.db, who)
    if _json(request):
        return JSONResponse(result)
    return RedirectResponse("/directory/stale", status_code=303)
