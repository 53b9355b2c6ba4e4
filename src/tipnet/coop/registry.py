"""The registry of recruitment and travel agencies (recommendation 30 of the 2009 OAS resolution: monitoring travel
agencies and employment recruiters in countries of origin, transit and destination).

Public: an agency's name and other names, country, identifier, licence status and dates, certifications and
sanctions (these also go into the public search index). Restricted to holders of `registry.cases`: complaints, the
links from perpetrator records whose role is recruiter or broker/travel agent, and the multi-country flag.

A complaint is free text that may be about a person: it is shown to the authorities of the country that recorded it
and to the hub, and to every country's authorities only when its author marks it so (`for_all`).

Case links are record-level data: a principal sees (and may create) links only to records in its tenancy scope
(`Scope.persons()`); reading them is audited. The multi-country flag is computed over all links, whoever made them:
it tells an authority that the agency appears in cases recorded by two or more countries, and which countries, so
that they can ask each other through the directory; it never shows another country's records.

Who may change an agency's own entry (licence, certifications): its country's authorities and the hub. Any
authority may record a complaint or a sanction of its own country against any agency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.auth.tenancy import ALL, COUNTRY, HUB, Scope
from tipnet.coop import search
from tipnet.coop.compendium import CompendiumError, check_country, parse_date
from tipnet.coop.search import new_id
from tipnet.errors import Forbidden, NotVisible
from tipnet.standard.model import LIST_SEPARATOR
from tipnet.standard.urls import url_problem
from tipnet.store import Database
from tipnet.store.tables import persons
from tipnet.store.tables_compendium import (
    agencies,
    agency_case_links,
    agency_certifications,
    agency_complaints,
    agency_sanctions,
)

KINDS = ("recruitment", "travel")
LICENCE_STATUSES = ("licensed", "pending", "suspended", "revoked", "expired", "unlicensed", "unknown")
SANCTION_MEASURES = ("warning", "fine", "suspension", "revocation", "closure", "conviction", "other")
COMPLAINT_STATUSES = ("open", "substantiated", "unsubstantiated", "closed")
LINK_ROLES = ("recruiter", "broker_travel_agent")  # perpetrator_role codes that tie a record to an agency
MULTI_COUNTRY = 2
_FIELDS = ("kind", "name", "other_names", "country", "identifier", "licence_status", "licence_authority",
           "licence_issued_on", "licence_expires_on", "address", "website")


class RegistryError(CompendiumError):
    """Bad input to the registry (names the field and the value)."""


def _text(value: Any) -> str | None:
    s = "" if value is None else str(value).strip()
    return s or None


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise RegistryError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _check(raw: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise RegistryError(f"{unknown[0]}: not a field of an agency (fields: {', '.join(_FIELDS)})")
    merged = {**(current or {}), **raw}
    name = _text(merged.get("name"))
    if not name:
        raise RegistryError("name: missing")
    country = check_country("country", merged.get("country"))
    if country is None:
        raise RegistryError("country: missing")
    row: dict[str, Any] = {"kind": _choice("kind", merged.get("kind"), KINDS), "name": name, "country": country,
           "licence_status": _choice("licence_status", merged.get("licence_status") or "unknown", LICENCE_STATUSES),
           "licence_issued_on": parse_date("licence_issued_on", merged.get("licence_issued_on")),
           "licence_expires_on": parse_date("licence_expires_on", merged.get("licence_expires_on"))}
    for key in ("other_names", "identifier", "licence_authority", "address", "website"):
        row[key] = _text(merged.get(key))
    problem = url_problem(row["website"] or "")
    if problem:
        raise RegistryError(f"website: {row['website']!r}: {problem}")
    issued, expires = row["licence_issued_on"], row["licence_expires_on"]
    if issued and expires and expires < issued:
        raise RegistryError(f"licence_expires_on: {expires.isoformat()} is before licence_issued_on "
                            f"{issued.isoformat()}")
    return row


def _yes(name: str, value: Any) -> bool:
    """A yes/no field of a form or a JSON body (a checkbox sends "on"; absent is no)."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise RegistryError(f"{name}: {value!r} is not yes or no")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _may_edit(actor: Principal, country: str) -> None:
    scope = Scope.of(actor)
    if not (scope.owns(country) or scope.kind == HUB):
        raise Forbidden(f"only {country}'s authorities or the hub may change this agency's entry")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _rows(conn: Connection, table: Any, agency_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(table).where(table.c.agency_id == agency_id).order_by(table.c.id)).all()
    return [{k: _iso(v) for k, v in r._mapping.items() if k not in ("agency_id", "created_at")} for r in rows]


def _public(conn: Connection, agency_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(agencies).where(agencies.c.id == agency_id)).first()
    if row is None:
        return None
    d = {k: _iso(v) for k, v in row._mapping.items() if k not in ("created_by",)}
    d["certifications"] = _rows(conn, agency_certifications, agency_id)
    d["sanctions"] = _rows(conn, agency_sanctions, agency_id)
    return d


def search_doc(agency: dict[str, Any]) -> search.Doc:
    lines = [agency.get("other_names"), agency.get("identifier"), f"licence {agency['licence_status']}",
             agency.get("licence_authority"), agency.get("address")]
    lines += [" ".join(str(s.get(k) or "") for k in ("measure", "authority", "description"))
              for s in agency["sanctions"]]
    lines += [" ".join(str(c.get(k) or "") for k in ("scheme", "issuer")) for c in agency["certifications"]]
    issued = agency.get("licence_issued_on")
    return search.Doc("registry", int(agency["id"]), f"{agency['kind']}_agency", agency["name"],
                      "\n".join(x for x in lines if x), agency["country"], int(issued[:4]) if issued else None, (),
                      dt.datetime.fromisoformat(agency["created_at"]))


def _reindex(conn: Connection, agency_id: int) -> dict[str, Any]:
    agency = _public(conn, agency_id)
    assert agency is not None
    search.put(conn, search_doc(agency))
    return agency


def add(db: Database, actor: Principal, raw: dict[str, Any]) -> int:
    row = _check(raw)
    _may_edit(actor, row["country"])
    now = _now()
    with db.engine.begin() as conn:
        agency_id = new_id(conn.execute(insert(agencies).values(**row, created_at=now, updated_at=now,
                                                             created_by=actor.email)))
        _reindex(conn, agency_id)
    audit.record(db, actor, "registry.create", object_type="agency", object_id=agency_id,
                 subject_country=row["country"], details={k: _iso(v) for k, v in row.items()})
    return agency_id


def change(db: Database, actor: Principal, agency_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Change an agency's own fields (e.g. its licence status); the audit entry keeps the old and new values."""
    with db.engine.connect() as conn:
        current = conn.execute(select(agencies).where(agencies.c.id == agency_id)).first()
    if current is None:
        raise NotVisible(f"no agency {agency_id}")
    old = {k: current._mapping[k] for k in _FIELDS}
    _may_edit(actor, old["country"])
    row = _check(raw, old)
    if row["country"] != old["country"]:
        _may_edit(actor, row["country"])
    changed = {k: {"from": _iso(old[k]), "to": _iso(v)} for k, v in row.items() if old[k] != v}
    if changed:
        with db.engine.begin() as conn:
            conn.execute(update(agencies).where(agencies.c.id == agency_id).values(**row, updated_at=_now()))
            _reindex(conn, agency_id)
        audit.record(db, actor, "registry.update", object_type="agency", object_id=agency_id,
                     subject_country=row["country"], details=changed)
    return changed


def _agency_country(conn: Connection, agency_id: int) -> str:
    country = conn.execute(select(agencies.c.country).where(agencies.c.id == agency_id)).scalar()
    if country is None:
        raise NotVisible(f"no agency {agency_id}")
    return str(country)


def _own_country(actor: Principal, raw_country: Any) -> str:
    """The country on whose behalf a complaint or sanction is recorded: a country's user records its own."""
    scope = Scope.of(actor)
    country = check_country("country", raw_country) or (scope.country if scope.kind == "country" else None)
    if country is None:
        raise RegistryError("country: missing")
    if not (scope.owns(country) or scope.kind == HUB):
        raise Forbidden(f"you record complaints and sanctions for your own country, not {country}")
    return country


def add_certification(db: Database, actor: Principal, agency_id: int, raw: dict[str, Any]) -> int:
    scheme = _text(raw.get("scheme"))
    if not scheme:
        raise RegistryError("scheme: missing")
    row: dict[str, Any] = {"scheme": scheme, "issuer": _text(raw.get("issuer")),
                           "issued_on": parse_date("issued_on", raw.get("issued_on")),
           "expires_on": parse_date("expires_on", raw.get("expires_on"))}
    with db.engine.begin() as conn:
        country = _agency_country(conn, agency_id)
        _may_edit(actor, country)
        row_id = new_id(conn.execute(insert(agency_certifications).values(
            agency_id=agency_id, created_at=_now(), **row)))
        _reindex(conn, agency_id)
    audit.record(db, actor, "registry.certification", object_type="agency", object_id=agency_id,
                 subject_country=country, details={k: _iso(v) for k, v in row.items()})
    return row_id


def add_sanction(db: Database, actor: Principal, agency_id: int, raw: dict[str, Any]) -> int:
    row: dict[str, Any] = {"country": _own_country(actor, raw.get("country")),
           "measure": _choice("measure", raw.get("measure"), SANCTION_MEASURES),
           "authority": _text(raw.get("authority")), "imposed_on": parse_date("imposed_on", raw.get("imposed_on")),
           "until": parse_date("until", raw.get("until")), "description": _text(raw.get("description"))}
    with db.engine.begin() as conn:
        _agency_country(conn, agency_id)
        row_id = new_id(conn.execute(insert(agency_sanctions).values(
            agency_id=agency_id, created_at=_now(), **row)))
        _reindex(conn, agency_id)
    audit.record(db, actor, "registry.sanction", object_type="agency", object_id=agency_id,
                 subject_country=row["country"], details={k: _iso(v) for k, v in row.items()})
    return row_id


def add_complaint(db: Database, actor: Principal, agency_id: int, raw: dict[str, Any]) -> int:
    summary = _text(raw.get("summary"))
    if not summary:
        raise RegistryError("summary: missing")
    row: dict[str, Any] = {"country": _own_country(actor, raw.get("country")), "summary": summary,
           "received_on": parse_date("received_on", raw.get("received_on")), "source": _text(raw.get("source")),
           "status": _choice("status", raw.get("status") or "open", COMPLAINT_STATUSES),
           "for_all": _yes("for_all", raw.get("for_all"))}
    with db.engine.begin() as conn:
        _agency_country(conn, agency_id)
        row_id = new_id(conn.execute(insert(agency_complaints).values(
            agency_id=agency_id, created_at=_now(), **row)))
    audit.record(db, actor, "registry.complaint", object_type="agency", object_id=agency_id,
                 subject_country=row["country"],
                 details={"complaint": row_id, "status": row["status"], "for_all": row["for_all"]})
    return row_id


# --- links from perpetrator records ---------------------------------------------------------------------------------

def _roles(value: str | None) -> list[str]:
    return [r.strip() for r in (value or "").split(LIST_SEPARATOR) if r.strip()]


def find_records(db: Database, actor: Principal, country: str, record_id: str) -> list[int]:
    """Ids of the records with this record id in the principal's scope (a record id is unique per submission)."""
    p = persons.c
    q = select(p.id).where(p.reporting_country == country, p.record_id == record_id, Scope.of(actor).persons())
    with db.engine.connect() as conn:
        return [int(r.id) for r in conn.execute(q.order_by(p.id))]


def link(db: Database, actor: Principal, agency_id: int, person_id: int) -> int:
    """Link a perpetrator record (recruiter, broker or travel agent) in the principal's scope to an agency."""
    p = persons.c
    with db.engine.begin() as conn:
        _agency_country(conn, agency_id)
        rec = conn.execute(select(p.id, p.reporting_country, p.case_id, p.role, p.perpetrator_roles)
                           .where(p.id == person_id, Scope.of(actor).persons())).first()
        if rec is None:
            raise NotVisible(f"no record {person_id}")
        roles = _roles(rec.perpetrator_roles)
        matching = sorted(set(roles) & set(LINK_ROLES))
        if rec.role != "perpetrator" or not matching:
            raise RegistryError(f"record {person_id}: role {rec.role!r} with perpetrator roles {roles or 'none'}; "
                                f"only perpetrators recorded as {' or '.join(LINK_ROLES)} can be linked to an agency")
        existing = conn.execute(select(agency_case_links.c.id).where(
            agency_case_links.c.agency_id == agency_id, agency_case_links.c.person_id == person_id)).scalar()
        if existing is not None:
            return int(existing)
        link_id = new_id(conn.execute(insert(agency_case_links).values(
            agency_id=agency_id, person_id=person_id, country=rec.reporting_country, case_id=rec.case_id,
            roles=";".join(matching), linked_at=_now(), linked_by=actor.email)))
    audit.record(db, actor, "registry.link", object_type="agency", object_id=agency_id,
                 subject_country=rec.reporting_country, details={"person_id": person_id, "link": link_id})
    return link_id


def unlink(db: Database, actor: Principal, agency_id: int, person_id: int) -> None:
    with db.engine.begin() as conn:
        visible = conn.execute(select(persons.c.reporting_country)
                               .where(persons.c.id == person_id, Scope.of(actor).persons())).first()
        if visible is None:
            raise NotVisible(f"no record {person_id}")
        gone = conn.execute(delete(agency_case_links).where(agency_case_links.c.agency_id == agency_id,
                                                            agency_case_links.c.person_id == person_id)).rowcount
    if gone:
        audit.record(db, actor, "registry.unlink", object_type="agency", object_id=agency_id,
                     subject_country=visible.reporting_country, details={"person_id": person_id})


def link_countries(db: Database, agency_ids: list[int] | None = None) -> dict[int, list[str]]:
    """Agency -> the countries whose records are linked to it (over all links, not only the caller's)."""
    lc = agency_case_links.c
    q = select(lc.agency_id, lc.country).distinct()
    if agency_ids is not None:
        q = q.where(lc.agency_id.in_(agency_ids))
    out: dict[int, list[str]] = {}
    with db.engine.connect() as conn:
        for agency_id, country in conn.execute(q.order_by(lc.agency_id, lc.country)):
            out.setdefault(int(agency_id), []).append(country)
    return out


def multi_country(db: Database) -> dict[int, list[str]]:
    """The flag: agencies that appear in cases recorded by two or more countries, with those countries."""
    lc = agency_case_links.c
    flagged = (select(lc.agency_id).group_by(lc.agency_id)
               .having(func.count(func.distinct(lc.country)) >= MULTI_COUNTRY))
    with db.engine.connect() as conn:
        ids = [int(r.agency_id) for r in conn.execute(flagged)]
    return link_countries(db, ids) if ids else {}


# --- reading ----------------------------------------------------------------------------------------------------------

def get_public(db: Database, agency_id: int) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        return _public(conn, agency_id)


def get(db: Database, actor: Principal, agency_id: int, restricted: bool) -> dict[str, Any] | None:
    """The agency's public entry; with `restricted` (the caller holds `registry.cases`) also its complaints, the
    multi-country flag and the case links in the caller's scope (an audited read of record-level data)."""
    agency = get_public(db, agency_id)
    if agency is None or not restricted:
        return agency
    lc, p = agency_case_links.c, persons.c
    q = (select(lc.person_id, lc.country, lc.case_id, lc.roles, lc.linked_at, p.record_id)
         .select_from(agency_case_links.join(persons, p.id == lc.person_id))
         .where(and_(lc.agency_id == agency_id, Scope.of(actor).persons())).order_by(lc.country, lc.id))
    with db.engine.connect() as conn:
        links = [{k: _iso(v) for k, v in r._mapping.items()} for r in conn.execute(q)]
        agency["complaints"] = _complaints(conn, Scope.of(actor), agency_id)
    countries = link_countries(db, [agency_id]).get(agency_id, [])
    agency["case_links"] = links
    agency["linked_countries"] = countries
    agency["multi_country"] = len(countries) >= MULTI_COUNTRY
    audit.record(db, actor, "registry.read", object_type="agency", object_id=agency_id,
                 details={"links_shown": len(links), "countries": countries})
    return agency


def _complaints(conn: Connection, scope: Scope, agency_id: int) -> list[dict[str, Any]]:
    """The agency's complaints the caller may read: its own country's, those marked for all, and every one for the
    hub (and the operator)."""
    c = agency_complaints.c
    q = select(agency_complaints).where(c.agency_id == agency_id)
    if scope.kind == COUNTRY:
        q = q.where(or_(c.country == scope.country, c.for_all.is_(True)))
    elif scope.kind not in (HUB, ALL):
        return []
    return [{k: _iso(v) for k, v in r._mapping.items() if k not in ("agency_id", "created_at")}
            for r in conn.execute(q.order_by(c.id))]


def agency_summaries(db: Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Licence status and kind of several agencies (for listing search hits)."""
    if not ids:
        return {}
    a = agencies.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(a.id, a.name, a.country, a.licence_status, a.licence_expires_on)
                            .where(a.id.in_(ids)))
        return {int(r.id): {"name": r.name, "country": r.country, "licence_status": r.licence_status,
                            "licence_expires_on": _iso(r.licence_expires_on)} for r in rows}

