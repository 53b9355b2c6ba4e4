"""The recruiter and travel agency registry pages. The public searches agencies and reads their public entries
(name, country, licence, certifications, sanctions); REGISTRY_CASES holders also see complaints, the multi-country
flag and the links from perpetrator records in their scope (an audited read); REGISTRY_EDIT holders add agencies,
change their licence, record complaints, sanctions and certifications, and link their records. The logic lives in
`tipnet.coop.registry`."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from tipnet.auth.policy import PUBLIC, needs
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.coop import registry
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database
from tipnet.web.accept import wants_json
from tipnet.web.deps import Db, Lang, Me
from tipnet.web.errors import ApiError
from tipnet.web.pages import Done, Page, PageRouter
from tipnet.web.routes_compendium import checked, payload, search_context, search_page
from tipnet.web.security import access

router = PageRouter()
EDIT = needs(Permission.REGISTRY_EDIT)
EVENTS = {"sanction": registry.add_sanction, "complaint": registry.add_complaint,
          "certification": registry.add_certification}


def _choices() -> dict[str, Any]:
    return {"kinds": list(registry.KINDS), "licence_statuses": list(registry.LICENCE_STATUSES),
            "measures": list(registry.SANCTION_MEASURES), "complaint_statuses": list(registry.COMPLAINT_STATUSES),
            "countries": list(OAS_MEMBERS)}


@router.page("/registry")
@access(PUBLIC)
def registry_search(request: Request, db: Db, me: Me, lang: Lang) -> Page:
    data = search_page(request, db, lang, "registry")
    ids = [h["id"] for h in data["hits"]]
    summaries = registry.agency_summaries(db, ids)
    restricted = me.can(Permission.REGISTRY_CASES)
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
    data["can_edit"] = me.can(Permission.REGISTRY_EDIT)
    data.update(_choices())
    return Page("registry_search.html", data, context=search_context(request, data, lang))


def _agency_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ApiError(404, "not-found", f"no agency {value}")
    return int(value)


def _agency(db: Database, who: Principal, agency_id: int) -> dict[str, Any]:
    agency = registry.get(db, who, agency_id, restricted=who.can(Permission.REGISTRY_CASES))
    if agency is None:
        raise ApiError(404, "not-found", f"no agency {agency_id}")
    return agency


@router.page("/registry/{agency_id}")
@access(PUBLIC)
def registry_agency(request: Request, agency_id: str, db: Db, me: Me) -> Page:
    data = _agency(db, me, _agency_id(agency_id))
    data["restricted"] = me.can(Permission.REGISTRY_CASES)
    data["can_edit"] = me.can(Permission.REGISTRY_EDIT)
    data.update(_choices())
    return Page("registry_agency.html", data)


def _done(request: Request, db: Database, who: Principal, agency_id: int, status: int = 200) -> Done:
    """JSON clients get the agency as they may read it; browsers go to its page. The agency is read only for JSON
    clients: a restricted read is audited, and a browser reads it again on the page it is sent to."""
    data = _agency(db, who, agency_id) if wants_json(request) else {}
    return Done(data, redirect=f"/registry/{agency_id}", status=status)


@router.page("/registry/agencies", methods=["POST"])
@access(EDIT)
async def registry_create(request: Request, db: Db, me: Me) -> Done:
    raw = await payload(request)
    agency_id = await run_in_threadpool(checked, registry.add, db, me, raw)
    return _done(request, db, me, agency_id, 201)


@router.page("/registry/{agency_id}", methods=["POST"])
@access(EDIT)
async def registry_change(request: Request, agency_id: str, db: Db, me: Me) -> Done:
    aid = _agency_id(agency_id)
    raw = await payload(request)
    await run_in_threadpool(checked, registry.change, db, me, aid, raw)
    return _done(request, db, me, aid)


@router.page("/registry/{agency_id}/events", methods=["POST"])
@access(EDIT)
async def registry_event(request: Request, agency_id: str, db: Db, me: Me) -> Done:
    """Record a sanction, a complaint or a certification (`type`)."""
    aid = _agency_id(agency_id)
    raw = await payload(request)
    kind = raw.pop("type", "")
    if registry.get_public(db, aid) is None:
        raise ApiError(404, "not-found", f"no agency {aid}")
    if kind not in EVENTS:
        raise ApiError(422, "invalid-request", f"type: {kind!r} is not one of {', '.join(EVENTS)}")
    await run_in_threadpool(checked, EVENTS[kind], db, me, aid, raw)
    return _done(request, db, me, aid, 201)


@router.page("/registry/{agency_id}/links", methods=["POST"])
@access(EDIT)
async def registry_link(request: Request, agency_id: str, db: Db, me: Me) -> Done:
    """Link (or with action=unlink, unlink) a perpetrator record given by reporting country and record id."""
    aid = _agency_id(agency_id)
    raw = await payload(request)
    if registry.get_public(db, aid) is None:
        raise ApiError(404, "not-found", f"no agency {aid}")
    country, record_id = str(raw.get("country", "")).upper(), str(raw.get("record_id", ""))
    found = await run_in_threadpool(registry.find_records, db, me, country, record_id)
    if not found:
        raise ApiError(404, "not-found", f"no record {record_id!r} of {country or '?'} in your scope")
    if len(found) > 1 and not raw.get("person_id"):
        raise ApiError(422, "invalid-request", f"record_id: {record_id!r} is in {len(found)} submissions; "
                                               f"give person_id (one of {', '.join(map(str, found))})")
    person = int(raw["person_id"]) if str(raw.get("person_id", "")).isdigit() else found[0]
    if person not in found:
        raise ApiError(422, "invalid-request", f"person_id: {person} is not record {record_id!r} of {country}")
    action = registry.unlink if raw.get("action") == "unlink" else registry.link
    await run_in_threadpool(checked, action, db, me, aid, person)
    return _done(request, db, me, aid, 200 if raw.get("action") == "unlink" else 201)
