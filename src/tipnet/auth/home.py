"""What a home page offers a signed-in person as next actions, read through the caller's scope.

- A country's analyst or focal point: the country's last imports, the imports holding figures for review (with how
  many) and the imports whose rejected rows wait in quarantine (with how many), each with where to fix it.
- The hub: what arrived from each country - its latest submission, when, and how many the country sent in all.

Only submission metadata is read here (the hub sees every country's metadata, never its records); each reading is
audited as one listing. Drafts to resume are the cases feature's (`tipnet.cases.listing.drafts`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import COUNTRY, HUB, NONE, Scope
from tipnet.store import Database
from tipnet.store.tables import aggregates, submissions

LAST_IMPORTS = 5
TO_FIX = 10
_META = ("id", "kind", "reporting_country", "filename", "rows_total", "rows_accepted", "rows_quarantined",
         "created_at")


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def national(db: Database, principal: Principal, last: int = LAST_IMPORTS, to_fix: int = TO_FIX) -> dict[str, Any]:
    """A country's last imports, the imports with held figures and those with quarantined rows (newest first)."""
    scope = Scope.of(principal)
    if scope.kind != COUNTRY or not principal.can(Permission.SUBMISSIONS_READ):
        return {"imports": [], "held": [], "quarantined": []}
    s = submissions.c
    meta = [s[c] for c in _META]
    held_n = func.count(aggregates.c.id).label("held")
    with db.engine.connect() as conn:
        imports = [_iso(dict(r._mapping)) for r in conn.execute(
            select(*meta).where(scope.submissions()).order_by(s.id.desc()).limit(last))]
        held = [_iso(dict(r._mapping)) for r in conn.execute(
            select(*meta, held_n).join_from(submissions, aggregates, aggregates.c.submission_id == s.id)
            .where(scope.submissions(), scope.aggregates(), aggregates.c.held.is_(True))
            .group_by(*meta).order_by(s.id.desc()).limit(to_fix))] if principal.can(Permission.RECORDS_READ) else []
        quarantined = [_iso(dict(r._mapping)) for r in conn.execute(
            select(*meta).where(scope.quarantine(), s.rows_quarantined > 0, s.quarantine_path.is_not(None))
            .order_by(s.id.desc()).limit(to_fix))] if principal.can(Permission.RECORDS_READ) else []
    audit.record(db, principal, "submission.list", object_type="submission", subject_country=scope.country,
                 details={"rows": len(imports) + len(held) + len(quarantined), "view": "home"})
    return {"imports": imports, "held": held, "quarantined": quarantined}


def arrivals(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """The hub's view of what arrived: per reporting country, its latest submission (id, file, kind, date) and how
    many submissions it sent; newest arrival first. Empty for anyone but the hub."""
    scope = Scope.of(principal)
    if scope.kind != HUB or not principal.can(Permission.SUBMISSIONS_READ):
        return []
    s = submissions.c
    per_country = (select(s.reporting_country, func.max(s.id).label("latest"), func.count().label("submissions"))
                   .where(scope.submissions(), s.reporting_country.is_not(None))
                   .group_by(s.reporting_country).subquery())
    q = (select(*(s[c] for c in _META), per_country.c.submissions)
         .join_from(submissions, per_country, per_country.c.latest == s.id)
         .order_by(s.created_at.desc(), s.id.desc()))
    with db.engine.connect() as conn:
        rows = [_iso(dict(r._mapping)) for r in conn.execute(q)]
    if scope.kind != NONE:
        audit.record(db, principal, "submission.list", object_type="submission",
                     details={"rows": len(rows), "view": "arrivals"})
    return rows
