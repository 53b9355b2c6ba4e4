"""Review of held aggregate figures: list them, confirm one (release it into statistics as written), or correct one
(a new value; the figure as the source wrote it stays in `raw_value`). Scoped and audited, like every door.

Who: listing needs record-level reading (`records.read`: a country's analysts and focal points, the hub); the figures
listed are those the caller's scope may read (`Scope.aggregates`). Confirming and correcting need `uploads.write` and
the figure's ownership: the reporting country's own users, or the hub for figures without a reporting country (the
UNODC GLOTIP workbook and other public returns); the operator at the command line for any. The hub never changes a
country's figures.

A confirmed or corrected figure keeps the names of the checks it failed (`checks`) and says how it was released
(`review`); the audit log says who did it, when, why, and (for a correction) the value before and after. Both bump
the store's records revision, so statistics reload.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import ALL, HUB, Scope
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.ingest.glotip import parse_value
from tipnet.store import Database, revision
from tipnet.store.tables import aggregates, submissions

CONFIRMED, CORRECTED = "confirmed", "corrected"
_CELL = ("id", "submission_id", "source_row", "area_code", "country", "indicator", "dimension", "category", "sex",
         "age", "year", "raw_value", "value", "value_min", "value_max", "censored", "held", "checks", "review")
_SUBMISSION = ("id", "kind", "reporting_country", "filename", "rows_total", "rows_accepted", "rows_quarantined",
               "created_at")
MAX_LISTED = 5000


def _submission(db: Database, scope: Scope, submission_id: int) -> dict[str, Any]:
    q = select(*(submissions.c[c] for c in _SUBMISSION)).where(submissions.c.id == submission_id,
                                                               scope.submissions())
    with db.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        raise NotVisible(f"no submission {submission_id}")
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}


def held_figures(db: Database, principal: Principal, submission_id: int, include_reviewed: bool = False,
                 limit: int = MAX_LISTED) -> dict[str, Any]:
    """A submission's held figures in scope (with `include_reviewed`, also those already confirmed or corrected)."""
    if not principal.can(Permission.RECORDS_READ):
        raise Forbidden("your role does not allow reading held figures")
    scope = Scope.of(principal)
    sub = _submission(db, scope, submission_id)
    a = aggregates.c
    wanted = a.held.is_(True) | a.review.is_not(None) if include_reviewed else a.held.is_(True)
    q = (select(*(a[c] for c in _CELL)).where(a.submission_id == submission_id, scope.aggregates(), wanted)
         .order_by(a.source_row).limit(limit + 1))
    with db.engine.connect() as conn:
        cells = [dict(r._mapping) for r in conn.execute(q)]
    truncated = len(cells) > limit
    cells = cells[:limit]
    for c in cells:
        c["checks"] = c["checks"].split(",") if c["checks"] else []
    audit.record(db, principal, "aggregates.held.list", object_type="submission", object_id=submission_id,
                 subject_country=sub["reporting_country"], details={"figures": len(cells)})
    return {"submission": sub, "figures": cells, "truncated": truncated,
            "may_review": _may_review(principal, scope, sub["reporting_country"])}


def submissions_with_held(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Submissions in scope that hold figures for review, with how many."""
    if not principal.can(Permission.RECORDS_READ):
        raise Forbidden("your role does not allow reading held figures")
    scope = Scope.of(principal)
    q = (select(aggregates.c.submission_id, func.count().label("held"))
         .join_from(aggregates, submissions, aggregates.c.submission_id == submissions.c.id)
         .where(aggregates.c.held.is_(True), scope.aggregates(), scope.submissions())
         .group_by(aggregates.c.submission_id).order_by(aggregates.c.submission_id))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    audit.record(db, principal, "aggregates.held.list", object_type="submission",
                 subject_country=scope.country, details={"submissions": len(rows)})
    return rows


def _may_review(principal: Principal, scope: Scope, country: str | None) -> bool:
    if not principal.can(Permission.UPLOAD):
        return False
    return scope.kind == ALL or scope.owns(country) or (scope.kind == HUB and country is None)


def _figure(db: Database, principal: Principal, figure_id: int,
            submission_id: int | None = None) -> tuple[dict[str, Any], str | None]:
    scope = Scope.of(principal)
    a = aggregates.c
    q = (select(*(a[c] for c in _CELL), submissions.c.reporting_country)
         .join_from(aggregates, submissions, a.submission_id == submissions.c.id)
         .where(a.id == figure_id, scope.aggregates(), scope.submissions()))
    if submission_id is not None:  # the figure as its submission's page names it
        q = q.where(a.submission_id == submission_id)
    with db.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        raise NotVisible(f"no figure {figure_id}")
    cell = dict(row._mapping)
    country = cell.pop("reporting_country")
    if not _may_review(principal, scope, country):
        raise Forbidden("only the reporting country (or the hub, for public returns) may review this figure")
    if not cell["held"]:
        raise Invalid(f"figure {figure_id} is not held (it is already counted in statistics)",
                      {"review": cell["review"]})
    return cell, country


def _release(db: Database, figure_id: int, values: dict[str, Any]) -> None:
    with db.engine.begin() as conn:
        done = conn.execute(aggregates.update().where(aggregates.c.id == figure_id, aggregates.c.held.is_(True))
                            .values(held=False, **values))
        if done.rowcount != 1:
            raise Invalid(f"figure {figure_id} was reviewed meanwhile")
        sid = conn.execute(select(aggregates.c.submission_id).where(aggregates.c.id == figure_id)).scalar_one()
        revision.bump(conn, [sid])


def confirm(db: Database, principal: Principal, figure_id: int, reason: str | None = None,
            submission_id: int | None = None) -> dict[str, Any]:
    """Release a held figure into statistics as the source wrote it (of that submission, when one is given)."""
    cell, country = _figure(db, principal, figure_id, submission_id)
    _release(db, figure_id, {"review": CONFIRMED})
    audit.record(db, principal, "aggregates.held.confirm", object_type="aggregate", object_id=figure_id,
                 subject_country=country, details={"submission": cell["submission_id"], "row": cell["source_row"],
                                                   "checks": cell["checks"], "value": cell["raw_value"],
                                                   "reason": reason})
    return {**cell, "held": False, "review": CONFIRMED}


def correct(db: Database, principal: Principal, figure_id: int, value: str,
            reason: str | None = None, submission_id: int | None = None) -> dict[str, Any]:
    """Give a held figure its right value (a whole number >= 0, or `<5`) and release it; `raw_value` keeps what the
    source wrote."""
    parsed = parse_value(str(value))
    if parsed is None or parsed[1] < 0 or (parsed[0] is None and not parsed[3]):
        raise Invalid(f"{value!r} is not a count (a whole number, zero or more, or '<5')", {"value": value})
    cell, country = _figure(db, principal, figure_id, submission_id)
    exact, lo, hi, censored = parsed
    _release(db, figure_id, {"review": CORRECTED, "value": exact, "value_min": lo, "value_max": hi,
                             "censored": censored})
    before = {k: cell[k] for k in ("value", "value_min", "value_max", "censored")}
    after = {"value": exact, "value_min": lo, "value_max": hi, "censored": censored}
    audit.record(db, principal, "aggregates.held.correct", object_type="aggregate", object_id=figure_id,
                 subject_country=country, details={"submission": cell["submission_id"], "row": cell["source_row"],
                                                   "checks": cell["checks"], "raw_value": cell["raw_value"],
                                                   "before": before, "after": after, "reason": reason})
    return {**cell, **after, "held": False, "review": CORRECTED}
