"""The directory of national authorities: public listing, entries, routing ("who do I ask"), exports for
republication; editing, verification, staleness and reminders for DIRECTORY_EDIT holders. The public sees public
fields; signed-in authority roles (DIRECTORY_RESTRICTED) also direct lines and 24/7 contacts (their reads audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from tipnet.auth import audit
from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.coop import directory, directory_export, directory_reminders
from tipnet.coop.directory_form import entry_from_form, merge_profile, per_measure_text
from tipnet.coop.directory_model import CHANNELS, COMPETENCES, CRIMES, DUAL_CRIMINALITY, LANGUAGES, MEASURES
from tipnet.coop.directory_routing import route
from tipnet.i18n import translate
from tipnet.standard.countries import OAS_MEMBERS, countries_by_name
from tipnet.store import Database, paging
from tipnet.web import pager
from tipnet.web.deps import CallerScope, Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.middleware import content_security_policy, inline_style_hashes
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
EDIT = needs(Permission.DIRECTORY_EDIT)


def _choices() -> dict[str, Any]:
    return {"countries": list(OAS_MEMBERS), "competence_codes": list(COMPETENCES), "crime_codes": list(CRIMES),
            "measure_codes": list(MEASURES), "channel_codes": list(CHANNELS), "language_codes": list(LANGUAGES),
            "dual_codes": list(DUAL_CRIMINALITY)}


def _audit_restricted(db: Database, who: Principal, what: str, object_id: object = None, country: str | None = None,
                      count: int | None = None) -> None:
    if directory.may_see_restricted(who):
        audit.record(db, who, "directory.read_restricted", object_type="authority",
                     object_id=object_id, subject_country=country, details={"page": what, "entries": count})


def _aid(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(404, "not-found", f"no authority {value}")
    return int(value)


def _saved(a: directory.Authority, status: int = 200) -> Done:
    """An entry changed: JSON clients get it in full, browsers go to its page."""
    return Done(a.view(True), redirect=f"/directory/authorities/{a.id}", status=status)


@router.page("/directory")
@access(PUBLIC)
def directory_list(request: Request, db: Db, me: Me, scope: CallerScope, lang: Lang) -> Page:
    """One page of the directory, filtered by country, competence and words of the name; the JSON twin returns
    the same page and its totals (`page`)."""
    q = request.query_params
    req = pager.page_request(request)
    country = paging.choice("country", (q.get("country") or "").upper(), OAS_MEMBERS)
    competence = paging.choice("competence", q.get("competence"), COMPETENCES)
    text = paging.search_text(q.get("q")) or None
    restricted = directory.may_see_restricted(me)
    editor = me.can(Permission.DIRECTORY_EDIT)
    editable = [c for c in OAS_MEMBERS if scope.directory_edit(c)] if editor else []
    retired: bool | list[str] = True if len(editable) == len(OAS_MEMBERS) else editable  # its editors only
    found = directory.page(db, req, country=country, competence=competence, text=text, include_retired=retired)
    if restricted:
        _audit_restricted(db, me, "list", country=country, count=len(found.rows))
    data = {"authorities": [a.view(restricted) for a in found.rows], "page": found.meta(), "restricted": restricted,
            "filters": {"country": country or "", "competence": competence or "", "q": text or ""},
            "can_edit": editor, "edit_countries": editable, **_choices()}
    countries = countries_by_name(OAS_MEMBERS, lang)
    fields = [pager.select("country", translate(lang, "coop.dir.country"), country,
                           [(c["code"], c["name"]) for c in countries]),
              pager.select("competence", translate(lang, "coop.dir.competence"), competence,
                           [(c, translate(lang, f"coop.competence.{c}")) for c in COMPETENCES]),
              pager.search("q", translate(lang, "coop.dir.search"), text)]
    context = {"pager": pager.pager_of(request, found), "fields": fields,
               "country_names": {c["code"]: c["name"] for c in countries}}
    return Page("directory_list.html", data, context=context)


@router.page("/directory/authorities/{authority_id}")
@access(PUBLIC)
def directory_entry(request: Request, authority_id: str, db: Db, me: Me, scope: CallerScope) -> Page:
    a = directory.get(db, _aid(authority_id))
    restricted = directory.may_see_restricted(me)
    if restricted:
        _audit_restricted(db, me, "entry", a.id, a.country)
    can_edit = me.can(Permission.DIRECTORY_EDIT) and scope.directory_edit(a.country)
    data = {"authority": a.view(restricted), "restricted": restricted, "can_edit": can_edit,
            "history": directory.history(db, a.id, restricted), **_choices()}
    context = {"required_fields_text": per_measure_text(a.profile.get("required_fields", {})),
               "required_attachments_text": per_measure_text(a.profile.get("required_attachments", {}))}
    return Page("directory_authority.html", data, context=context)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    keys = set(form.keys()) - {"csrf_token"}
    return entry_from_form(lambda name: [str(v) for v in form.getlist(name)], keys)


@router.page("/directory/authorities", methods=["POST"])
@access(EDIT)
async def directory_create(request: Request, db: Db, me: Me) -> Done:
    entry = await _form(request)
    a = await run_in_threadpool(directory.create, db, me, entry)
    return _saved(a, 201)


@router.page("/directory/authorities/{authority_id}", methods=["POST"])
@access(EDIT)
async def directory_change(request: Request, authority_id: str, db: Db, me: Me) -> Done:
    aid = _aid(authority_id)
    submitted = await _form(request)

    def change() -> directory.Authority:
        current = directory.get(db, aid)
        changes = merge_profile(current.doc, {k: v for k, v in submitted.items() if k != "last_verified"})
        return directory.update_entry(db, me, aid, changes)

    return _saved(await run_in_threadpool(change))


@router.page("/directory/authorities/{authority_id}/verify", methods=["POST"])
@access(EDIT)
def directory_verify(request: Request, authority_id: str, db: Db, me: Me) -> Done:
    return _saved(directory.verify(db, me, _aid(authority_id)))


@router.page("/directory/authorities/{authority_id}/retire", methods=["POST"])
@access(EDIT)
async def directory_retire(request: Request, authority_id: str, db: Db, me: Me) -> Done:
    aid = _aid(authority_id)
    form = await request.form()
    return _saved(await run_in_threadpool(directory.retire, db, me, aid, str(form.get("reason") or "")))


@router.page("/directory/authorities/{authority_id}/reinstate", methods=["POST"])
@access(EDIT)
def directory_reinstate(request: Request, authority_id: str, db: Db, me: Me) -> Done:
    return _saved(directory.reinstate(db, me, _aid(authority_id)))


@router.page("/directory/route")
@access(PUBLIC)
def directory_route(request: Request, db: Db, me: Me) -> Page:
    q = request.query_params
    query = {"country": q.get("country", ""), "measure": q.get("measure", ""),
             "crime": q.get("crime", "trafficking_in_persons")}
    data: dict[str, Any] = {"query": query, "result": None, **_choices()}
    if query["country"] and query["measure"]:
        restricted = directory.may_see_restricted(me)
        data["result"] = route(db, query["country"], query["measure"], query["crime"], restricted=restricted)
        if restricted:
            _audit_restricted(db, me, "route", country=query["country"].upper(),
                              count=len(data["result"]["authorities"]))
    return Page("directory_route.html", data)


def _export_entries(request: Request, db: Database, me: Principal) -> tuple[list[directory.Authority], bool]:
    q = request.query_params
    restricted = q.get("restricted") in ("1", "true") and directory.may_see_restricted(me)
    entries = directory.listing(db, country=q.get("country") or None, competence=q.get("competence") or None)
    if restricted:
        _audit_restricted(db, me, "export", country=q.get("country") or None, count=len(entries))
    return entries, restricted


_EXPORTS: dict[str, tuple[Any, str, str]] = {  # suffix -> (writer, media type, disposition)
    "csv": (directory_export.to_csv, "text/csv; charset=utf-8", "attachment"),
    "vcf": (directory_export.to_vcard, "text/vcard; charset=utf-8", "attachment"),
    "pdf": (directory_export.to_pdf, "application/pdf", "inline"),
}


def _export(request: Request, db: Database, me: Principal, suffix: str) -> Response:
    writer, media, disposition = _EXPORTS[suffix]
    entries, restricted = _export_entries(request, db, me)
    return Response(writer(entries, restricted), media_type=media,
                    headers={"content-disposition": f'{disposition}; filename="tipnet-directory.{suffix}"'})


@router.get("/directory/export.csv")
@access(PUBLIC)
def directory_csv(request: Request, db: Db, me: Me) -> Response:
    return _export(request, db, me, "csv")


@router.get("/directory/export.vcf")
@access(PUBLIC)
def directory_vcard(request: Request, db: Db, me: Me) -> Response:
    return _export(request, db, me, "vcf")


@router.get("/directory/export.pdf")
@access(PUBLIC)
def directory_pdf(request: Request, db: Db, me: Me) -> Response:
    return _export(request, db, me, "pdf")


@router.get("/directory/print")
@access(PUBLIC)
def directory_print(request: Request, db: Db, me: Me, lang: Lang) -> Response:
    entries, restricted = _export_entries(request, db, me)
    page = directory_export.print_html(entries, lang, restricted)  # self-contained: its style is inline
    return HTMLResponse(page, headers={"content-security-policy": content_security_policy(inline_style_hashes(page))})


@router.page("/directory/stale")
@access(EDIT)
def directory_stale(request: Request, db: Db, me: Me) -> Page:
    today = dt.date.today()
    data: dict[str, Any] = {"stale": [a.view(True, today) for a in directory_reminders.stale(db, me, today)],
                            "reminders": directory_reminders.reminders(db, me)[:100],
                            "stale_before": directory.stale_before(today).isoformat()}
    return Page("directory_stale.html", data)


@router.page("/directory/remind", methods=["POST"])
@access(EDIT)
def directory_remind(request: Request, db: Db, me: Me) -> Done:
    return Done(directory_reminders.remind(db, me), redirect="/directory/stale")
