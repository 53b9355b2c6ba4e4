"""The directory of national authorities: create, change and verify entries (every change kept in the history and
audited), read them with public or restricted fields, and look them up by country and competence.

Editing is for `DIRECTORY_EDIT` holders: the hub administrator everywhere, a focal point in its own country (the
tenancy rule `Scope.directory_edit`). Reading is open: the public sees public fields, signed-in authority roles
(`DIRECTORY_RESTRICTED`) also direct lines and 24/7 operational contacts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import Scope
from tipnet.coop.directory_model import (
    COMPETENCES,
    FIELDS,
    EntryError,
    check_entry,
    months_before,
    parse_date,
    public_view,
)
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.store import Database, paging
from tipnet.store.tables_directory import coop_authorities, coop_authority_history

STALE_AFTER_MONTHS = 6


@dataclass(frozen=True)
class Authority:
    id: int
    doc: dict[str, Any]
    last_verified: dt.date
    version: int
    updated_at: dt.datetime | None
    updated_by: str | None
    retired_on: dt.date | None = None
    retired_reason: str | None = None

    @property
    def retired(self) -> bool:
        return self.retired_on is not None

    @property
    def country(self) -> str:
        return str(self.doc["country"])

    @property
    def name(self) -> str:
        return str(self.doc["name"])

    @property
    def profile(self) -> dict[str, Any]:
        return dict(self.doc["legal_profile"])

    def stale(self, today: dt.date | None = None) -> bool:
        return self.last_verified < stale_before(today)

    def view(self, restricted: bool, today: dt.date | None = None) -> dict[str, Any]:
        out = {"id": self.id, **public_view(self.doc, restricted), "last_verified": self.last_verified.isoformat(),
               "stale": self.stale(today) and not self.retired, "version": self.version, "retired": self.retired,
               "retired_on": self.retired_on.isoformat() if self.retired_on else None}
        if restricted:
            out["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
            out["updated_by"] = self.updated_by
            out["retired_reason"] = self.retired_reason
        return out


def stale_before(today: dt.date | None = None) -> dt.date:
    """Entries last verified before this day are stale (older than six months)."""
    return months_before(today or clock.now().date(), STALE_AFTER_MONTHS)


def may_see_restricted(who: Principal) -> bool:
    return who.can(Permission.DIRECTORY_RESTRICTED)


def _row(row: Any) -> Authority:
    return Authority(int(row.id), json.loads(row.data), row.last_verified, int(row.version),
                     clock.aware(row.updated_at), row.updated_by, row.retired_on, row.retired_reason)


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def _invalid(exc: EntryError) -> Invalid:
    return Invalid(str(exc), {"field": exc.field, "value": exc.value})


def _may_edit(who: Principal, country: str) -> None:
    if not who.can(Permission.DIRECTORY_EDIT):
        raise Forbidden("you cannot edit the directory")
    if not Scope.of(who).directory_edit(country):
        raise Forbidden(f"you can only edit your own country's entries, not {country}")


def create(db: Database, who: Principal, raw: dict[str, Any], *, audit_it: bool = True) -> Authority:
    try:
        doc = check_entry({k: v for k, v in raw.items() if k != "last_verified"})
        verified = parse_date("last_verified", raw["last_verified"]) if raw.get("last_verified") else None
    except EntryError as exc:
        raise _invalid(exc) from exc
    _may_edit(who, doc["country"])
    now = clock.now()
    if verified is not None and verified > now.date():
        raise Invalid(f"last_verified {verified.isoformat()} is in the future",
                      {"field": "last_verified", "value": verified.isoformat()})
    verified = verified or now.date()
    with db.engine.begin() as conn:
        new_id = conn.execute(insert(coop_authorities).values(
            country=doc["country"], name=doc["name"], competences=" ".join(doc["competences"]), data=_dump(doc),
            last_verified=verified, version=1, created_at=now, updated_at=now, updated_by=who.email,
        ).returning(coop_authorities.c.id)).scalar_one()
        conn.execute(insert(coop_authority_history).values(
            authority_id=new_id, version=1, action="create", changed_fields=json.dumps(sorted(doc)), data=_dump(doc),
            changed_at=now, changed_by=who.email))
    if audit_it:
        audit.record(db, who, "directory.create", object_type="authority", object_id=new_id,
                     subject_country=doc["country"], details={"name": doc["name"]})
    return get(db, int(new_id))


def get(db: Database, authority_id: int) -> Authority:
    with db.engine.connect() as conn:
        row = conn.execute(select(coop_authorities).where(coop_authorities.c.id == authority_id)).first()
    if row is None:
        raise NotVisible(f"no authority {authority_id}")
    return _row(row)


def update_entry(db: Database, who: Principal, authority_id: int, changes: dict[str, Any]) -> Authority:
    """Change some fields (the others keep their values); the country of an entry does not change."""
    current = get(db, authority_id)
    _may_edit(who, current.country)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise Invalid(f"unknown fields {sorted(unknown)}", {"field": sorted(unknown)})
    if "country" in changes and str(changes["country"]).upper() != current.country:
        raise Invalid("an entry stays in its country; create a new entry instead", {"field": "country"})
    try:
        doc = check_entry({**current.doc, **changes})
    except EntryError as exc:
        raise _invalid(exc) from exc
    changed = sorted(k for k in FIELDS if doc.get(k) != current.doc.get(k))
    if not changed:
        return current
    _save(db, who, current, doc, changed, "update", current.last_verified)
    audit.record(db, who, "directory.update", object_type="authority", object_id=authority_id,
                 subject_country=current.country, details={"fields": changed})
    return get(db, authority_id)


def verify(db: Database, who: Principal, authority_id: int, on: dt.date | None = None) -> Authority:
    """The focal point confirms the entry is still right: its last-verified date moves to today."""
    current = get(db, authority_id)
    _may_edit(who, current.country)
    day = on or clock.now().date()
    _save(db, who, current, current.doc, [], "verify", day)
    audit.record(db, who, "directory.verify", object_type="authority", object_id=authority_id,
                 subject_country=current.country, details={"last_verified": day.isoformat()})
    return get(db, authority_id)


def retire(db: Database, who: Principal, authority_id: int, reason: str = "") -> Authority:
    """The authority no longer exists (or changed name): the entry leaves routing, the public listing, the exports
    and the reminders, and stays in the store with its history (editors still see it, marked retired). Retiring a
    retired entry (or reinstating a listed one) changes nothing."""
    current = get(db, authority_id)
    _may_edit(who, current.country)
    if current.retired:  # asked twice (two editors, a resent form): nothing more to do
        return current
    why = (reason or "").strip()[:500]
    day = clock.now().date()
    _save(db, who, current, current.doc, ["retired"], "retire", current.last_verified,
          retired={"retired_on": day, "retired_reason": why or None})
    audit.record(db, who, "directory.retire", object_type="authority", object_id=authority_id,
                 subject_country=current.country, details={"reason": why, "retired_on": day.isoformat()})
    return get(db, authority_id)


def reinstate(db: Database, who: Principal, authority_id: int) -> Authority:
    """Undo a retirement: the entry is listed and routed to again."""
    current = get(db, authority_id)
    _may_edit(who, current.country)
    if not current.retired:
        return current
    _save(db, who, current, current.doc, ["retired"], "reinstate", current.last_verified,
          retired={"retired_on": None, "retired_reason": None})
    audit.record(db, who, "directory.reinstate", object_type="authority", object_id=authority_id,
                 subject_country=current.country, details={"was_retired_on": str(current.retired_on)})
    return get(db, authority_id)


def _save(db: Database, who: Principal, current: Authority, doc: dict[str, Any], changed: list[str], action: str,
          verified: dt.date, retired: dict[str, Any] | None = None) -> None:
    now = clock.now()
    version = current.version + 1
    with db.engine.begin() as conn:
        done = conn.execute(update(coop_authorities).where(
            (coop_authorities.c.id == current.id) & (coop_authorities.c.version == current.version)).values(
            name=doc["name"], competences=" ".join(doc["competences"]), data=_dump(doc), last_verified=verified,
            version=version, updated_at=now, updated_by=who.email, **(retired or {})))
        if done.rowcount != 1:
            raise Invalid("the entry was changed by someone else meanwhile; reload and try again")
        conn.execute(insert(coop_authority_history).values(
            authority_id=current.id, version=version, action=action, changed_fields=json.dumps(changed),
            data=_dump(doc), changed_at=now, changed_by=who.email))


def history(db: Database, authority_id: int, restricted: bool) -> list[dict[str, Any]]:
    """Every version of an entry, newest first: who changed which fields when (and the values, as visible)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(coop_authority_history).where(
            coop_authority_history.c.authority_id == authority_id).order_by(coop_authority_history.c.version.desc()))
        out = []
        for r in rows:
            fields = json.loads(r.changed_fields)
            out.append({"version": int(r.version), "action": r.action, "changed_at": clock.aware(r.changed_at),
                        "changed_by": r.changed_by if restricted else None,
                        "fields": fields, "entry": public_view(json.loads(r.data), restricted)})
    for item in out:
        item["changed_at"] = item["changed_at"].isoformat() if item["changed_at"] else None
    return out


def _listing_query(db: Database, country: str | None, competence: str | None, text: str | None,
                   include_retired: bool | Collection[str]) -> Any:
    if competence and competence not in COMPETENCES:
        raise Invalid(f"unknown competence {competence!r}; choose from {', '.join(COMPETENCES)}",
                      {"field": "competence", "value": competence})
    c = coop_authorities.c
    q = select(coop_authorities).order_by(c.country, c.name, c.id)
    if include_retired is False:
        q = q.where(c.retired_on.is_(None))
    elif include_retired is not True:  # retired entries of these countries only (their editors')
        q = q.where(c.retired_on.is_(None) | c.country.in_(sorted(include_retired)))
    if country:
        q = q.where(c.country == country.upper())
    if competence:  # space-separated codes: pad so a code never matches inside another
        q = q.where((" " + c.competences + " ").contains(f" {competence} "))
    text = paging.search_text(text)
    if text:
        q = q.where(paging.words_match([c.name], text, db.backend_name))
    return q


def listing(db: Database, country: str | None = None, competence: str | None = None,
            text: str | None = None, include_retired: bool | Collection[str] = False) -> list[Authority]:
    """Entries filtered by country, competence and words in the name (case and accents aside), ordered by country
    and name; retired entries only when asked: all (True) or those of some countries (their editors'); routing,
    public pages, exports and reminders leave them out."""
    with db.engine.connect() as conn:
        return [_row(r) for r in conn.execute(_listing_query(db, country, competence, text, include_retired))]


def page(db: Database, req: paging.PageRequest, country: str | None = None, competence: str | None = None,
         text: str | None = None, include_retired: bool | Collection[str] = False) -> paging.Paged[Authority]:
    """One page of `listing` (same filters and order) and the number of entries in all its pages."""
    q = _listing_query(db, country, competence, text, include_retired)
    with db.engine.connect() as conn:
        return paging.fetch_page(conn, q, req, _row)


def find_authorities(db: Database, country: str, competence: str, restricted: bool = False) -> list[dict[str, Any]]:
    """The country's authorities with this competence (e.g. victim_assistance for a referral), as visible dicts;
    entries whose verification is current come first."""
    found = listing(db, country=country, competence=competence)
    found.sort(key=lambda a: (a.stale(), a.name))
    return [a.view(restricted) for a in found]
