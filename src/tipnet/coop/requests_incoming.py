"""Incoming requests that reached a state outside tipnet (on paper, through the diplomatic channel): its central
authority registers them so the register is complete. A registered request enters in status "received" and follows
the same workflow from there; it is the registering state's record, so only that state sees it (not the requesting
state, which did not send it through tipnet, and not third countries: `Scope.coop_requests`). Because the
requesting state does not act on it in tipnet, the registering state also records its withdrawal when notified.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import and_, insert, select, update

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import ALL, Scope
from tipnet.coop import requests_files
from tipnet.coop.directory_routing import best
from tipnet.coop.requests import Request, _case_ids, _check_setup, _deadline, _get
from tipnet.coop.requests_model import RECEIVED, requirements
from tipnet.errors import Forbidden, Invalid
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database
from tipnet.store.tables_directory import coop_request_events, coop_requests

SCAN_SLOT = "scan"  # the scanned original, kept with the request's files


def _registering_country(who: Principal, country: str | None) -> str:
    """The principal's own country; the command-line operator (whole store in scope) names it."""
    if not who.can(Permission.COOPERATION) and Scope.of(who).kind != ALL:
        raise Forbidden("only a country's authorities register the requests it receives")
    wanted = (country or "").strip().upper() or None
    if who.country:
        if wanted and wanted != who.country:
            raise Forbidden(f"you register requests received by {who.country}, not {wanted}")
        return who.country
    if Scope.of(who).kind == ALL and wanted:
        if wanted not in OAS_MEMBERS:
            raise Invalid(f"registering state {wanted!r} is not an OAS member state",
                          {"field": "registering_country", "value": wanted})
        return wanted
    raise Forbidden("only a country's authorities register the requests it receives")


def _received_on(value: Any) -> dt.date:
    if value in (None, ""):
        raise Invalid("give the date the request was received (YYYY-MM-DD)", {"field": "received_on"})
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise Invalid(f"received_on {value!r} is not a date (YYYY-MM-DD)",
                      {"field": "received_on", "value": value}) from exc
    if day > clock.now().date():
        raise Invalid(f"received_on {day.isoformat()} is in the future", {"field": "received_on",
                                                                          "value": day.isoformat()})
    return day


def register_incoming(db: Database, who: Principal, kind: str, requesting_country: str, received_on: Any,
                      external_reference: str, measures: list[str], crime: str, *, deadline: Any = None,
                      case_ids: Any = None, notes: str = "", scan: tuple[str, bytes] | None = None,
                      registering_country: str | None = None) -> Request:
    """Enter a request received outside tipnet in the register, in status "received" (with the scanned original
    when given). The same request (requesting state and its reference) is registered once."""
    own = _registering_country(who, registering_country)
    requesting = (requesting_country or "").strip().upper()
    measures = list(dict.fromkeys(m.strip() for m in measures if m.strip()))
    if requesting not in OAS_MEMBERS:
        raise Invalid(f"requesting state {requesting!r} is not an OAS member state",
                      {"field": "requesting_country", "value": requesting})
    if requesting == own:
        raise Invalid("an incoming request comes from another state",
                      {"field": "requesting_country", "value": requesting})
    _check_setup(kind, own, measures, crime, requesting)  # kind, measures of that kind, crime
    ext = (external_reference or "").strip()
    if not ext or len(ext) > 200:
        raise Invalid("give the requesting state's reference (at most 200 characters)",
                      {"field": "external_reference", "value": ext[:200]})
    day = _received_on(received_on)
    due = _deadline(deadline)
    cases = _case_ids(case_ids)
    text = (notes or "").strip()
    if len(text) > 20000:
        raise Invalid("notes are longer than 20000 characters", {"field": "notes"})
    if scan is not None:
        requests_files.check_file(SCAN_SLOT, scan[0], scan[1])
    with db.engine.connect() as conn:
        twin = conn.execute(select(coop_requests.c.reference).where(and_(
            coop_requests.c.registered_by == own, coop_requests.c.requesting_country == requesting,
            coop_requests.c.external_reference == ext))).first()
    if twin is not None:
        raise Invalid(f"{requesting} request {ext} is already registered as {twin[0]}",
                      {"field": "external_reference", "value": ext})
    authority = best(db, own, measures[0], crime)
    need = requirements(kind, measures, authority.profile if authority else {},
                        list(authority.doc["working_languages"]) if authority else [], crime)
    now = clock.now()
    with db.engine.begin() as conn:
        new_id = int(conn.execute(insert(coop_requests).values(
            reference=f"tmp-{secrets.token_hex(8)}", kind=kind, requesting_country=requesting,
            requested_country=own, authority_id=authority.id if authority else None, measures=" ".join(measures),
            crime=crime, status=RECEIVED, language=need.language,
            fields=json.dumps({"notes": text} if text else {}, ensure_ascii=False), attachments="{}",
            case_ids=json.dumps(cases), deadline=due, created_by=who.email, created_at=now, updated_at=now,
            registered_by=own, external_reference=ext, received_on=day).returning(coop_requests.c.id)).scalar_one())
        reference = f"{own}-IN-{kind.upper()}-{now.year}-{new_id:05d}"
        conn.execute(update(coop_requests).where(coop_requests.c.id == new_id).values(reference=reference))
        conn.execute(insert(coop_request_events).values(
            request_id=new_id, from_status=None, to_status=RECEIVED, at=now, actor=who.email, actor_country=own,
            note=f"received outside tipnet on {day.isoformat()}, {requesting} reference {ext}"))
    audit.record(db, who, "request.register_incoming", object_type="coop_request", object_id=new_id,
                 subject_country=own, details={"reference": reference, "kind": kind, "requesting": requesting,
                                               "external_reference": ext, "received_on": day.isoformat()})
    req = _get(db, Scope.of(who), new_id)
    if scan is not None:
        requests_files.store(db, who, req, SCAN_SLOT, scan[0], scan[1])
    return req
