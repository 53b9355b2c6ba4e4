"""The register of MLA and extradition requests: drafts written by the requesting country (`COOPERATION` holders),
sent to the requested state's authority, moved through the workflow by the side whose turn it is. Every read and
every change is audited; every status change is also kept in `coop_request_events`.

Visibility is the tenancy rule `Scope.coop_requests`: the requesting country sees its requests (drafts included),
the requested country those addressed to it once sent; nobody else.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, select, update

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import ALL, HUB, Scope
from tipnet.coop import directory, outbox
from tipnet.coop.directory_model import CRIMES, KINDS, MEASURES
from tipnet.coop.directory_routing import best
from tipnet.coop.requests_listing import RequestFilters, query
from tipnet.coop.requests_model import (
    DRAFT,
    FINAL,
    OPTIONAL_FIELDS,
    REQUESTED,
    REQUESTING,
    SENT,
    TRANSITIONS,
    Requirements,
    check_transition,
    missing,
    next_steps,
    requirements,
)
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database, paging
from tipnet.store.tables_directory import coop_request_events, coop_request_files, coop_requests

_TEXT_LIMIT = 20000
_MAX_CASES = 50


@dataclass(frozen=True)
class Request:
    row: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.row[key]

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def measures(self) -> list[str]:
        return str(self.row["measures"]).split()

    def side(self, who: Principal) -> str | None:
        if who.country == self.row["requesting_country"]:
            return REQUESTING
        if who.country == self.row["requested_country"]:
            return REQUESTED
        return None

    def sides(self, who: Principal) -> tuple[str, ...]:
        """The sides whose moves this principal records: its own; for a request its country registered (received
        outside tipnet), also the requesting state's (a withdrawal notified on paper)."""
        side = self.side(who)
        if side == REQUESTED and self.row.get("registered_by") and self.row["registered_by"] == who.country:
            return (REQUESTED, REQUESTING)
        return (side,) if side else ()

    def authority(self, db: Database) -> directory.Authority | None:
        aid = self.row["authority_id"]
        return directory.get(db, int(aid)) if aid is not None else None

    def requirements(self, db: Database) -> Requirements:
        a = self.authority(db)
        profile = a.profile if a else {}
        languages = list(a.doc["working_languages"]) if a else []
        return requirements(self.row["kind"], self.measures, profile, languages, self.row["crime"])

    def missing(self, db: Database) -> list[dict[str, str]]:
        """What is still lacking; an attachment counts as given by its description or by an uploaded file."""
        given = {**{slot: "file" for slot in file_slots(db, self.id)}, **{
            k: v for k, v in self.row["attachments"].items() if v.strip()}}
        return missing(self.requirements(db), self.row["fields"], given, self.row["authority_id"])

    def overdue(self, today: dt.date | None = None) -> bool:
        deadline = self.row["deadline"]
        return deadline is not None and self.row["status"] not in FINAL and deadline < (today or clock.now().date())

    def to_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        out = dict(self.row)
        out["measures"] = self.measures
        out["deadline"] = self.row["deadline"].isoformat() if self.row["deadline"] else None
        out["received_on"] = self.row["received_on"].isoformat() if self.row.get("received_on") else None
        for key in ("created_at", "updated_at"):
            out[key] = self.row[key].isoformat() if self.row[key] else None
        out["overdue"] = self.overdue(today)
        return out


def file_slots(db: Database, request_id: int) -> set[str]:
    """The attachment slots of a request that have at least one uploaded file."""
    with db.engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(select(coop_request_files.c.slot).where(
            coop_request_files.c.request_id == request_id).distinct())}


def _load(row: Any) -> Request:
    d = dict(row._mapping)
    for key in ("fields", "attachments", "case_ids"):
        d[key] = json.loads(d[key])
    for key in ("created_at", "updated_at"):
        d[key] = clock.aware(d[key])
    return Request(d)


def _case_ids(value: Any) -> list[str]:
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value or [])
    out = []
    for item in items:
        text = str(item).strip()
        if not text or len(text) > 64:
            raise Invalid(f"case id {text!r} is empty or longer than 64 characters", {"field": "case_ids"})
        if text not in out:
            out.append(text)
    if len(out) > _MAX_CASES:
        raise Invalid(f"at most {_MAX_CASES} linked cases", {"field": "case_ids"})
    return out


def _deadline(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise Invalid(f"deadline {value!r} is not a date (YYYY-MM-DD)", {"field": "deadline", "value": value}) from exc


def _own_country(who: Principal) -> str:
    if not who.can(Permission.COOPERATION) or not who.country:
        raise Forbidden("only a country's authorities draft its requests")
    return who.country


def _check_setup(kind: str, requested: str, measures: list[str], crime: str, own: str) -> None:
    if kind not in KINDS:
        raise Invalid(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}", {"field": "kind", "value": kind})
    if requested not in OAS_MEMBERS:
        raise Invalid(f"requested state {requested!r} is not an OAS member state",
                      {"field": "requested_country", "value": requested})
    if requested == own:
        raise Invalid("a request goes to another state", {"field": "requested_country", "value": requested})
    if not measures:
        raise Invalid("choose at least one measure", {"field": "measures"})
    for m in measures:
        if m not in MEASURES or MEASURES[m].kind != kind:
            raise Invalid(f"measure {m!r} is not a {kind} measure", {"field": "measures", "value": m})
    if crime not in CRIMES:
        raise Invalid(f"unknown crime {crime!r}; choose from {', '.join(CRIMES)}", {"field": "crime", "value": crime})


def _authority(db: Database, requested: str, measures: list[str], crime: str, authority_id: Any) -> int | None:
    if authority_id in (None, ""):
        found = best(db, requested, measures[0], crime)
        return found.id if found else None
    try:
        a = directory.get(db, int(authority_id))
    except (NotVisible, ValueError) as exc:
        raise Invalid(f"no authority {authority_id}", {"field": "authority_id", "value": authority_id}) from exc
    if a.country != requested:
        raise Invalid(f"authority {a.id} is not in {requested}", {"field": "authority_id", "value": authority_id})
    if a.retired:
        raise Invalid(f"authority {a.id} ({a.name}) is retired from the directory",
                      {"field": "authority_id", "value": authority_id})
    return a.id


def create(db: Database, who: Principal, kind: str, requested_country: str, measures: list[str], crime: str, *,
           authority_id: Any = None, case_ids: Any = None, deadline: Any = None) -> Request:
    """Wizard step 1: a draft addressed to the requested state's competent authority (routed unless chosen)."""
    own = _own_country(who)
    requested = (requested_country or "").strip().upper()
    measures = list(dict.fromkeys(m.strip() for m in measures if m.strip()))
    _check_setup(kind, requested, measures, crime, own)
    aid = _authority(db, requested, measures, crime, authority_id)
    authority = directory.get(db, aid) if aid is not None else None
    req = requirements(kind, measures, authority.profile if authority else {},
                       list(authority.doc["working_languages"]) if authority else [], crime)
    now = clock.now()
    with db.engine.begin() as conn:
        new_id = int(conn.execute(insert(coop_requests).values(
            reference=f"tmp-{secrets.token_hex(8)}", kind=kind, requesting_country=own, requested_country=requested,
            authority_id=aid, measures=" ".join(measures), crime=crime, status=DRAFT, language=req.language,
            fields="{}", attachments="{}", case_ids=json.dumps(_case_ids(case_ids)), deadline=_deadline(deadline),
            created_by=who.email, created_at=now, updated_at=now).returning(coop_requests.c.id)).scalar_one())
        reference = f"{own}-{kind.upper()}-{now.year}-{new_id:05d}"
        conn.execute(update(coop_requests).where(coop_requests.c.id == new_id).values(reference=reference))
        conn.execute(insert(coop_request_events).values(request_id=new_id, from_status=None, to_status=DRAFT,
                                                        at=now, actor=who.email, actor_country=who.country))
    audit.record(db, who, "request.create", object_type="coop_request", object_id=new_id, subject_country=own,
                 details={"reference": reference, "kind": kind, "requested": requested, "measures": measures})
    return _get(db, Scope.of(who), new_id)


def _get(db: Database, scope: Scope, request_id: int) -> Request:
    with db.engine.connect() as conn:
        row = conn.execute(select(coop_requests).where(
            and_(coop_requests.c.id == request_id, scope.coop_requests()))).first()
    if row is None:
        raise NotVisible(f"no request {request_id}")
    return _load(row)


def visible(db: Database, who: Principal, request_id: int) -> Request:
    """One request in the principal's scope, else not found (not audited: for callers that audit their own act)."""
    return _get(db, Scope.of(who), request_id)


def get(db: Database, who: Principal, request_id: int) -> Request:
    """One request in the principal's scope (else not found); the read is audited."""
    req = _get(db, Scope.of(who), request_id)
    audit.record(db, who, "request.read", object_type="coop_request", object_id=request_id,
                 subject_country=req["requesting_country"])
    return req


def save(db: Database, who: Principal, request_id: int, fields: dict[str, Any] | None = None,
         attachments: dict[str, Any] | None = None, case_ids: Any = None, deadline: Any = "keep") -> Request:
    """Wizard step 2: fill in the fields and attachments the requirements ask for (drafts only, requesting side)."""
    current = _get(db, Scope.of(who), request_id)
    if current.side(who) != REQUESTING or not who.can(Permission.COOPERATION):
        raise Forbidden("only the requesting state edits its request")
    if current["status"] != DRAFT:
        raise Invalid(f"request {current['reference']} is {current['status']}: only drafts are edited",
                      {"field": "status", "value": current["status"]})
    need = current.requirements(db)
    allowed_fields = set(need.fields) | set(OPTIONAL_FIELDS)
    new_fields = dict(current["fields"])
    for key, value in (fields or {}).items():
        if key not in allowed_fields:
            raise Invalid(f"field {key!r} is not part of this request", {"field": key})
        text = str(value or "").strip()
        if len(text) > _TEXT_LIMIT:
            raise Invalid(f"field {key} is longer than {_TEXT_LIMIT} characters", {"field": key})
        new_fields[key] = text
    new_attachments = dict(current["attachments"])
    for key, value in (attachments or {}).items():
        if key not in need.attachments:
            raise Invalid(f"attachment {key!r} is not part of this request", {"field": key})
        new_attachments[key] = str(value or "").strip()[:2000]
    values: dict[str, Any] = {"fields": json.dumps(new_fields, ensure_ascii=False, sort_keys=True),
                              "attachments": json.dumps(new_attachments, ensure_ascii=False, sort_keys=True),
                              "updated_at": clock.now()}
    if case_ids is not None:
        values["case_ids"] = json.dumps(_case_ids(case_ids))
    if deadline != "keep":
        values["deadline"] = _deadline(deadline)
    with db.engine.begin() as conn:
        conn.execute(update(coop_requests).where(coop_requests.c.id == request_id).values(**values))
    changed = sorted(k for k in new_fields if new_fields[k] != current["fields"].get(k))
    audit.record(db, who, "request.update", object_type="coop_request", object_id=request_id,
                 subject_country=current["requesting_country"],
                 details={"fields": changed, "attachments": sorted(attachments or {})})
    return _get(db, Scope.of(who), request_id)


def transition(db: Database, who: Principal, request_id: int, target: str, note: str = "") -> Request:
    """Move a request to `target`; refused with a clear error when the workflow does not allow it, when it is not
    this side's turn, or (sending) while something required is missing."""
    current = _get(db, Scope.of(who), request_id)
    if not who.can(Permission.COOPERATION):
        raise Forbidden("your role does not move requests")
    sides = current.sides(who)
    side = next((s for s in sides if TRANSITIONS.get((current["status"], target)) == s), current.side(who))
    check_transition(current["status"], target, side)
    if target == SENT:
        gaps = current.missing(db)
        if gaps:
            raise Invalid(f"request {current['reference']} is incomplete: "
                          + ", ".join(g["field"] for g in gaps), {"missing": gaps})
    now = clock.now()
    with db.engine.begin() as conn:
        done = conn.execute(update(coop_requests).where(and_(
            coop_requests.c.id == request_id, coop_requests.c.status == current["status"])).values(
            status=target, updated_at=now))
        if done.rowcount != 1:
            raise Invalid("the request changed meanwhile; reload and try again")
        conn.execute(insert(coop_request_events).values(
            request_id=request_id, from_status=current["status"], to_status=target, note=(note or "")[:2000] or None,
            at=now, actor=who.email, actor_country=who.country))
    audit.record(db, who, "request.status", object_type="coop_request", object_id=request_id,
                 subject_country=current["requesting_country"],
                 details={"from": current["status"], "to": target, "reference": current["reference"]})
    return _get(db, Scope.of(who), request_id)


def events(db: Database, request_id: int) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(coop_request_events).where(
            coop_request_events.c.request_id == request_id).order_by(coop_request_events.c.id))]
    for r in rows:
        when = clock.aware(r["at"])
        r["at"] = when.isoformat() if when else None
    return rows


def listing(db: Database, who: Principal, direction: str | None = None, status: str | None = None,
            overdue_only: bool = False, today: dt.date | None = None) -> list[Request]:
    """Requests in scope: `outgoing` (the principal's country asks), `incoming` (it is asked), or both."""
    f = RequestFilters(direction, status, overdue_only)
    with db.engine.connect() as conn:
        found = [_load(r) for r in conn.execute(query(who, f, db.backend_name, today or clock.now().date()))]
    audit.record(db, who, "request.list", object_type="coop_request", details={**f.audit_details(),
                                                                               "count": len(found)})
    return found


def page(db: Database, who: Principal, req: paging.PageRequest, filters: RequestFilters,
         today: dt.date | None = None) -> paging.Paged[Request]:
    """One page of the requests in scope answering `filters`, newest first, with the total; audited as a listing."""
    q = query(who, filters, db.backend_name, today or clock.now().date())
    with db.engine.connect() as conn:
        found = paging.fetch_page(conn, q, req, _load)
    audit.record(db, who, "request.list", object_type="coop_request", details={
        **filters.audit_details(), "count": len(found.rows), "total": found.total, "page": found.page})
    return found


def actions(req: Request, who: Principal) -> list[str]:
    if not who.can(Permission.COOPERATION):
        return []
    return [t for side in req.sides(who) for t in next_steps(req["status"], side)]


OVERDUE_KIND = "request.overdue"
REMIND_EVERY_DAYS = 7


def _overdue_everywhere(db: Database, day: dt.date) -> list[Request]:
    with db.engine.connect() as conn:
        found = [_load(r) for r in conn.execute(select(coop_requests).where(
            coop_requests.c.deadline < day).order_by(coop_requests.c.id))]
    return [r for r in found if r.overdue(day)]


def remind_overdue(db: Database, who: Principal, today: dt.date | None = None) -> list[dict[str, Any]]:
    """An outbox reminder for each overdue request in scope (to whichever side has the next move), at most once a
    week per request. The hub administrator (no party to any request, so none in its scope) reminds for the whole
    register without reading the requests; a focal point for its country's."""
    day = today or clock.now().date()
    sent = []
    scope = Scope.of(who)
    if scope.kind == HUB and who.can(Permission.DIRECTORY_EDIT):
        overdue = _overdue_everywhere(db, day)
    elif who.can(Permission.COOPERATION) or scope.kind == ALL:
        overdue = listing(db, who, overdue_only=True, today=day)
    else:
        raise Forbidden("your role does not send request reminders")
    for req in overdue:
        last = outbox.last_sent(db, OVERDUE_KIND, "coop_request", req.id)
        if last is not None and (day - last.date()).days < REMIND_EVERY_DAYS:
            continue
        waiting_on_requested = req["status"] not in (DRAFT,)
        a = req.authority(db)
        if waiting_on_requested and a is not None:
            recipient = str(a.doc.get("direct_email") or a.doc.get("email") or "")
            country = req["requested_country"]
        else:
            recipient, country = str(req["created_by"] or ""), req["requesting_country"]
        if not recipient:
            continue
        subject = f"tipnet: request {req['reference']} is overdue (deadline {req['deadline']})"
        body = (f"Request {req['reference']} ({req['kind']}, {req['requesting_country']} -> "
                f"{req['requested_country']}) had its deadline on {req['deadline']} and is {req['status']}.")
        sent.append(outbox.write(db, OVERDUE_KIND, country, "coop_request", req.id, recipient, subject, body))
    audit.record(db, who, "request.remind", object_type="coop_request", details={"sent": len(sent)})
    return sent
