"""MLA and extradition requests: the register (incoming, outgoing, overdue), the wizard (1: kind, requested state,
measures, crime; 2: the fields and attachments that state requires; 3: review with what is missing), status changes,
and the formal document in PDF and DOCX. For COOPERATION holders; tenancy by `Scope.coop_requests`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from tipnet.auth.policy import needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.coop import directory, documents, requests, requests_files, requests_incoming
from tipnet.coop.directory_model import CRIMES, KINDS, MEASURES
from tipnet.coop.requests_listing import DIRECTIONS, RequestFilters
from tipnet.coop.requests_model import OPTIONAL_FIELDS, STATUSES
from tipnet.i18n import translate
from tipnet.standard.countries import OAS_MEMBERS, countries_by_name
from tipnet.store import Database, paging
from tipnet.web import pager
from tipnet.web.deps import Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
COOP = needs(Permission.COOPERATION)
REMIND = needs(Permission.DIRECTORY_EDIT)  # focal points and the hub administrator keep the network's reminders


def _rid(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(404, "not-found", f"no request {value}")
    return int(value)


def _names(lang: str) -> dict[str, Any]:
    """The HTML-only extra of the request pages: country names in the page language."""
    return {"country_names": {c["code"]: c["name"] for c in countries_by_name(OAS_MEMBERS, lang)}}


def _choices(own: str | None, lang: str) -> dict[str, Any]:
    """What the request forms offer: kinds, the other states (ordered by their names in the page language),
    measures by kind, crimes."""
    others = [c["code"] for c in countries_by_name(OAS_MEMBERS, lang) if c["code"] != own]
    return {"kinds": list(KINDS), "countries": others,
            "measures": {k: [m for m, v in MEASURES.items() if v.kind == k] for k in KINDS}, "crimes": list(CRIMES)}


@router.page("/requests")
@access(COOP)
def requests_list(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    """One page of the register, filtered by direction, status, kind, the other state, overdue, year and words of
    the reference; the JSON twin returns the same page and its totals (`page`)."""
    q = request.query_params
    filters = RequestFilters(
        direction=paging.choice("direction", q.get("direction"), DIRECTIONS) or "all",
        status=paging.choice("status", q.get("status"), STATUSES), overdue=q.get("overdue") in ("1", "true"),
        kind=paging.choice("kind", q.get("kind"), KINDS),
        country=paging.choice("country", (q.get("country") or "").upper(), OAS_MEMBERS),
        year=paging.year(q.get("year")), text=paging.search_text(q.get("q")) or None)
    found = requests.page(db, me, pager.page_request(request), filters)
    today = dt.date.today()
    data = {"requests": [r.to_dict(today) for r in found.rows], "page": found.meta(),
            "filters": {"direction": filters.direction, "status": filters.status or "", "overdue": filters.overdue,
                        "kind": filters.kind or "", "country": filters.country or "", "year": filters.year,
                        "q": filters.text or ""},
            "statuses": list(STATUSES), "country": me.country, "can_remind": me.can(Permission.DIRECTORY_EDIT),
            "reminded": q.get("reminded")}
    countries = countries_by_name([c for c in OAS_MEMBERS if c != me.country], lang)
    this_year = today.year
    fields = [pager.search("q", translate(lang, "coop.req.reference"), filters.text),
              pager.select("direction", translate(lang, "coop.req.direction"),
                           "" if filters.direction == "all" else filters.direction,
                           [(d, translate(lang, f"coop.req.direction.{d}")) for d in DIRECTIONS[1:]]),
              pager.select("status", translate(lang, "coop.req.status"), filters.status,
                           [(st, translate(lang, f"coop.status.{st}")) for st in STATUSES]),
              pager.select("kind", translate(lang, "coop.req.kind"), filters.kind,
                           [(k, translate(lang, f"coop.kind.{k}")) for k in KINDS]),
              pager.select("country", translate(lang, "list.counterpart"), filters.country,
                           [(c["code"], c["name"]) for c in countries]),
              pager.select("year", translate(lang, "list.year"), str(filters.year or ""),
                           [(str(y), str(y)) for y in range(this_year, this_year - 10, -1)]),
              pager.check("overdue", translate(lang, "coop.req.overdue"), filters.overdue)]
    context = {"pager": pager.pager_of(request, found), "fields": fields,
               **_names(lang)}
    return Page("requests_list.html", data, context=context)


@router.page("/requests/new")
@access(COOP)
def requests_new(request: Request, me: Me, lang: Lang) -> Page:
    data = {**_choices(me.country, lang),
            "query": {k: request.query_params.get(k, "") for k in ("kind", "requested_country", "crime", "measure",
                                                                    "authority_id")}}
    return Page("requests_new.html", data, context=_names(lang))


@router.page("/requests", methods=["POST"])
@access(COOP)
async def requests_create(request: Request, db: Db, me: Me) -> Done:
    form = await request.form()

    def one(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    measures = [str(v) for v in form.getlist("measures")]
    measures = [p for v in measures for p in v.replace(",", " ").split()]
    req = await run_in_threadpool(
        requests.create, db, me, one("kind"), one("requested_country"), measures,
        one("crime"), authority_id=one("authority_id") or None, case_ids=one("case_ids"),
        deadline=one("deadline") or None)
    return Done(req.to_dict(), redirect=f"/requests/{req.id}/edit", status=201)


@router.page("/requests/incoming/new")
@access(COOP)
def requests_incoming_new(request: Request, me: Me, lang: Lang) -> Page:
    data = {**_choices(me.country, lang), "registering_country": me.country, "today": dt.date.today().isoformat()}
    return Page("requests_incoming.html", data, context=_names(lang))


@router.page("/requests/incoming", methods=["POST"])
@access(COOP)
async def requests_incoming_register(request: Request, db: Db, me: Me) -> Done:
    """Register a request received outside tipnet (paper, diplomatic channel); multipart with an optional scan."""
    form = await request.form()

    def one(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    measures = [p for v in form.getlist("measures") if isinstance(v, str) for p in v.replace(",", " ").split()]
    upload = form.get("scan")
    scan = None
    if isinstance(upload, UploadFile) and upload.filename:
        scan = (upload.filename, await upload.read(requests_files.MAX_FILE_BYTES + 1))
    req = await run_in_threadpool(
        requests_incoming.register_incoming, db, me, one("kind"),
        one("requesting_country"), one("received_on"), one("external_reference"), measures, one("crime"),
        deadline=one("deadline") or None, case_ids=one("case_ids"), notes=one("notes"), scan=scan)
    return Done(req.to_dict(), redirect=f"/requests/{req.id}", status=201)


@router.page("/requests/remind", methods=["POST"])
@access(REMIND)
def requests_remind(request: Request, db: Db, me: Me) -> Done:
    """The overdue reminders (as `tipnet coop request overdue --remind`): at most one a week per request."""
    sent = requests.remind_overdue(db, me)
    back = "/requests?overdue=1" if me.can(Permission.COOPERATION) else "/directory/stale"
    return Done({"sent": len(sent)}, redirect=f"{back}{'&' if '?' in back else '?'}reminded={len(sent)}")


def _view(db: Database, who: Principal, rid: int) -> dict[str, Any]:
    req = requests.get(db, who, rid)
    need = req.requirements(db)
    authority = req.authority(db)
    return {"request": req.to_dict(), "requirements": need.to_dict(), "missing": req.missing(db),
            "side": req.side(who), "actions": requests.actions(req, who), "events": requests.events(db, rid),
            "authority": authority.view(directory.may_see_restricted(who)) if authority else None,
            "optional_fields": list(OPTIONAL_FIELDS), "files": requests_files.listing(db, rid)}


@router.page("/requests/{request_id}")
@access(COOP)
def requests_detail(request: Request, request_id: str, db: Db, me: Me, lang: Lang) -> Page:
    return Page("requests_detail.html", _view(db, me, _rid(request_id)), context=_names(lang))


@router.page("/requests/{request_id}/edit")
@access(COOP)
def requests_edit(request: Request, request_id: str, db: Db, me: Me, lang: Lang) -> Page:
    return Page("requests_edit.html", _view(db, me, _rid(request_id)), context=_names(lang))


@router.page("/requests/{request_id}/edit", methods=["POST"])
@access(COOP)
async def requests_save(request: Request, request_id: str, db: Db, me: Me) -> Done:
    rid = _rid(request_id)
    form = await request.form()
    fields = {k.removeprefix("field_"): str(v) for k, v in form.items() if k.startswith("field_")}
    attachments = {k.removeprefix("attachment_"): str(v) for k, v in form.items() if k.startswith("attachment_")}
    case_ids = form.get("case_ids")
    deadline = form.get("deadline") if "deadline" in form else "keep"
    req = await run_in_threadpool(requests.save, db, me, rid, fields, attachments,
                                  None if case_ids is None else str(case_ids), deadline)
    for key, value in form.multi_items():
        if key.startswith("file_") and isinstance(value, UploadFile) and value.filename:
            data = await value.read(requests_files.MAX_FILE_BYTES + 1)
            await run_in_threadpool(requests_files.attach, db, me, rid, key.removeprefix("file_"), value.filename,
                                    data)
    return Done({**req.to_dict(), "missing": await run_in_threadpool(req.missing, db),
                 "files": await run_in_threadpool(requests_files.listing, db, rid)}, redirect=f"/requests/{rid}")


@router.page("/requests/{request_id}/status", methods=["POST"])
@access(COOP)
async def requests_status(request: Request, request_id: str, db: Db, me: Me) -> Done:
    rid = _rid(request_id)
    form = await request.form()
    target, note = str(form.get("status") or ""), str(form.get("note") or "")
    req = await run_in_threadpool(requests.transition, db, me, rid, target, note)
    return Done(req.to_dict(), redirect=f"/requests/{rid}")


def _document(db: Database, who: Principal, request_id: str, fmt: str) -> Response:
    req = requests.get(db, who, _rid(request_id))
    if req["registered_by"]:
        raise ApiError(409, "registered-incoming", f"request {req['reference']} was received outside tipnet: its "
                       "document is the original the requesting state sent (see the scanned file)")
    body = documents.document_for(db, req, fmt, dt.date.today().isoformat())
    name = f"{req['reference']}.{fmt}"
    return Response(body, media_type=documents.media_type(fmt),
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/requests/{request_id}/document.pdf")
@access(COOP)
def requests_pdf(request_id: str, db: Db, me: Me) -> Response:
    return _document(db, me, request_id, "pdf")


@router.get("/requests/{request_id}/document.docx")
@access(COOP)
def requests_docx(request_id: str, db: Db, me: Me) -> Response:
    return _document(db, me, request_id, "docx")


@router.get("/requests/{request_id}/files/{file_id}")
@access(COOP)
def requests_file(request_id: str, file_id: str, db: Db, me: Me) -> Response:
    if not file_id.isdigit() or len(file_id) > 12:
        raise ApiError(404, "not-found", f"no file {file_id}")
    meta, data = requests_files.read(db, me, _rid(request_id), int(file_id))
    return Response(data, media_type=meta["media_type"],
                    headers={"content-disposition": f'attachment; filename="{meta["filename"]}"',
                             "x-content-sha256": meta["sha256"]})
