"""The recruiter and travel agency registry pages. The public searches agencies and reads their public entries
(name, country, licence, certifications, sanctions); REGISTRY_CASES holders also see complaints, the multi-country
flag and the links from perpetrator records in their scope (an audited read); REGISTRY_EDIT holders add agencies,
change their licence, record complaints, sanctions and certifications, and link their records. The logic lives in
`tipnet.coop.registry`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.roles import Permission
from tipnet.coop import registry
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.web.errors import ApiError
from tipnet.web.routes_compendium import checked, is_json, payload, search_page
from tipnet.web.security import access, principal

router = APIRouter()
EDIT = needs(Permission.REGISTRY_EDIT)
EVENTS = {"sanction": registry.add_sanction, "complaint": registry.add_complaint,
          "certification": registry.add_certification}


def _choices() -> dict[str, Any]:
    return {"kinds": list(registry.KINDS), "licence_statuses": list(registry.LICENCE_STATUSES),
            "measures": list(registry.SANCTION_MEASURES), "complaint_statuses": list(registry.COMPLAINT_STATUSES),
            "countries": list(OAS_MEMBERS)}


@router.get("/registry")
@router.get("/registry.json")
@access(PUBLIC)
def registry_search(request: Request) -> Response:
    db, who = request.app.state.db, principal(request)
    data = search_page(request, "registry")
    ids = [h["id"] for h in data["hits"]]
    summaries = registry.agency_summaries(db, ids)
    restricted = who.can(Permission.REGISTRY_CASES)
    flagged = registry.multi_country(db) if restricted else {}
    for h in data["hits"]:
        h.update(summaries.get(h["id"], {}))
        if restricted:
            h["linked_countries"] = flagged.get(h["id"], [])
            h["multi_country"] = h["id"] in flagged
    data["restricted"] = restricted
    names = registry.agency_summaries(db, sorted(flagged))
    data["flagged"] = [{"id": k, "countries": v, "name": names.get(k, {}).get("name")}
                       for k, v in sorted(flagged.items())]
    data["can_edit"] = who.can(Permission.REGISTRY_EDIT)
    data.update(_choices())
    return request.app.state.page(request, "registry_search.html", data)


def _agency_id(value: str) -> int:
    raw = value.removesuffix(".json")
    if not raw.isdigit() or len(raw) > 12:
        raise ApiError(404, "not-found", f"no agency {raw}")
    return int(raw)


def _agency(request: Request, agency_id: int) -> dict[str, Any]:
    who = principal(request)
    agency = registry.get(request.app.state.db, who, agency_id, restricted=who.can(Permission.REGISTRY_CASES))
    if agency is None:
        raise ApiError(404, "not-found", f"no agency {agency_id}")
    return agency


@router.get("/registry/{agency_id}")
@router.get("/registry/{agency_id}.json")
@access(PUBLIC)
def registry_agency(request: Request, agency_id: str) -> Response:
    who = principal(request)
    data = _agency(request, _agency_id(agency_id))
    data["restricted"] = who.can(Permission.REGISTRY_CASES)
    data["can_edit"] = who.can(Permission.REGISTRY_EDIT)
    data.update(_choices())
    return request.app.state.page(request, "registry_agency.html", data)


def _done(request: Request, agency_id: int, status: int = 200) -> Response:
    if is_json(request):
        return JSONResponse(_agency(request, agency_id), status_code=status)
    return RedirectResponse(f"/registry/{agency_id}", status_code=303)


@router.post("/registry/agencies")
@router.post("/registry/agencies.json")
@access(EDIT)
async def registry_create(request: Request) -> Response:
    raw = await payload(request)
    agency_id = await run_in_threadpool(checked, registry.add, request.app.state.db, principal(request), raw)
    return _done(request, agency_id, 201)


@router.post("/registry/{agency_id}")
@router.post("/registry/{agency_id}.json")
@access(EDIT)
async def registry_change(request: Request, agency_id: str) -> Response:
    aid = _agency_id(agency_id)
    raw = await payload(request)
    await run_in_threadpool(checked, registry.change, request.app.state.db, principal(request), aid, raw)
    return _done(request, aid)


@router.post("/registry/{agency_id}/events")
@router.post("/registry/{agency_id}/events.json")
@access(EDIT)
async def registry_event(request: Request, agency_id: str) -> Response:
    """Record a sanction, a complaint or a certification (`type`)."""
    aid = _agency_id(agency_id)
    raw = await payload(request)
    kind = raw.pop("type", "")
    if registry.get_public(request.app.state.db, aid) is None:
        raise ApiError(404, "not-found", f"no agency {aid}")
    if kind not in EVENTS:
        raise ApiError(422, "invalid-request", f"type: {kind!r} is not one of {', '.join(EVENTS)}")
    await run_in_threadpool(checked, EVENTS[kind], request.app.state.db, principal(request), aid, raw)
    return _done(request, aid, 201)


@router.post("/registry/{agency_id}/links")
@router.post("/registry/{agency_id}/links.json")
@access(EDIT)
async def registry_link(request: Request, agency_id: str) -> Response:
    """Link (or with action=unlink, unlink) a perpetrator record given by reporting country and record id."""
    aid = _agency_id(agency_id)
    raw = await payload(request)
    db, who = request.app.state.db, principal(request)
    if registry.get_public(db, aid) is None:
        raise ApiError(404, "not-found", f"no agency {aid}")
    country, record_id = str(raw.get("country", "")).upper(), str(raw.get("record_id", ""))
    found = await run_in_threadpool(registry.find_records, db, who, country, record_id)
    if not found:
        raise ApiError(404, "not-found", f"no record {record_id!r} of {country or '?'} in your scope")
    if len(found) > 1 and not raw.get("person_id"):
        raise ApiError(422, "invalid-request", f"record_id: {record_id!r} is in {len(found)} submissions; "
                                               f"give person_id (one of {', '.join(map(str, found))})")
    person = int(raw["person_id"]) if str(raw.get("person_id", "")).isdigit() else found[0]
    if person not in found:
        raise ApiError(422, "invalid-request", f"person_id: {person} is not record {record_id!r} of {country}")
    action = registry.unlink if raw.get("action") == "unlink" else registry.link
    await run_in_threadpool(checked, action, db, who, aid, person)
    return _done(request, aid, 200 if raw.get("action") == "unlink" else 201)
