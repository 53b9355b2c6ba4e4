"""Self-assessments in the store: the questionnaire of a country and year, its workflow and its full history.

Workflow: draft -> submitted -> reviewed -> published. The country's focal point or analyst (ASSESS_EDIT, own country)
fills in, imports and submits; the hub (ASSESS_REVIEW) reviews, returns to draft or publishes; after publication the
country may reopen a new draft (the published version stays public until the next one is published). Every save and
every step appends a version (the versions table refuses UPDATE and DELETE), and is written to the audit log.

Who sees what goes through `tipnet.auth.tenancy.Scope`: a country's users see their own assessments in any state,
the hub sees those submitted at least once, nobody else sees any (published scorecards are read from the published
versions only, see `tipnet.assess.service`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select

from tipnet.auth import audit
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import HUB, Scope
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.store import Database
from tipnet.store.tables_assess import assessment_versions, assessments

DRAFT, SUBMITTED, REVIEWED, PUBLISHED = "draft", "submitted", "reviewed", "published"
STATUSES = (DRAFT, SUBMITTED, REVIEWED, PUBLISHED)
# action -> (from statuses, to status, permission, the country's own users only)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, Permission, bool]] = {
    "submit": ((DRAFT,), SUBMITTED, Permission.ASSESS_EDIT, True),
    "return": ((SUBMITTED, REVIEWED), DRAFT, Permission.ASSESS_REVIEW, False),
    "review": ((SUBMITTED,), REVIEWED, Permission.ASSESS_REVIEW, False),
    "publish": ((REVIEWED,), PUBLISHED, Permission.ASSESS_REVIEW, False),
    "reopen": ((PUBLISHED,), DRAFT, Permission.ASSESS_EDIT, True),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def _may_see(scope: Scope, row: dict[str, Any]) -> bool:
    if scope.owns(row["country"]):
        return True
    return scope.kind == HUB and (row["status"] != DRAFT or row["published_version"] is not None)


def _row(conn: Any, framework: str, country: str, year: int) -> dict[str, Any] | None:
    r = conn.execute(select(assessments).where(and_(assessments.c.framework == framework,
                                                    assessments.c.country == country,
                                                    assessments.c.year == year))).first()
    return dict(r._mapping) if r is not None else None


def _version(conn: Any, assessment_id: int, version: int) -> dict[str, Any]:
    r = conn.execute(select(assessment_versions).where(and_(assessment_versions.c.assessment_id == assessment_id,
                                                            assessment_versions.c.version == version))).one()
    return _present_version(dict(r._mapping))


def _present_version(v: dict[str, Any]) -> dict[str, Any]:
    return {"version": v["version"], "status": v["status"], "action": v["action"],
            "answers": json.loads(v["answers_json"]),
            "figures": json.loads(v["figures_json"]) if v["figures_json"] else None,
            "scorecard": json.loads(v["scorecard_json"]) if v["scorecard_json"] else None,
            "comment": v["comment"], "actor": v["actor"], "created_at": _iso(v["created_at"])}


def _present(row: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    out = {k: _iso(v) for k, v in row.items()}
    out["current"] = current
    return out


def get(db: Database, principal: Principal, framework: str, country: str, year: int) -> dict[str, Any] | None:
    """The assessment with its newest version, or None when there is none (or the principal may not see it)."""
    scope = Scope.of(principal)
    with db.engine.connect() as conn:
        row = _row(conn, framework, country, year)
        if row is None or not _may_see(scope, row):
            return None
        return _present(row, _version(conn, row["id"], row["version"]))


def history(db: Database, principal: Principal, framework: str, country: str, year: int) -> list[dict[str, Any]]:
    """Every version, oldest first (answers included)."""
    scope = Scope.of(principal)
    with db.engine.connect() as conn:
        row = _row(conn, framework, country, year)
        if row is None or not _may_see(scope, row):
            return []
        rows = conn.execute(select(assessment_versions).where(assessment_versions.c.assessment_id == row["id"])
                            .order_by(assessment_versions.c.version))
        return [_present_version(dict(r._mapping)) for r in rows]


def list_for(db: Database, principal: Principal, framework: str, country: str | None = None) -> list[dict[str, Any]]:
    """Assessments the principal may see (optionally of one country), without their versions."""
    scope = Scope.of(principal)
    q = select(assessments).where(assessments.c.framework == framework)
    if country:
        q = q.where(assessments.c.country == country)
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(assessments.c.country, assessments.c.year))]
    return [_present(r, None) for r in rows if _may_see(scope, r)]


def published(db: Database, framework: str, country: str | None = None) -> list[dict[str, Any]]:
    """The published version of every published assessment (public: scorecards are disclosure-controlled)."""
    q = (select(assessments.c.country, assessments.c.year, assessment_versions)
         .join(assessment_versions, and_(assessment_versions.c.assessment_id == assessments.c.id,
                                         assessment_versions.c.version == assessments.c.published_version))
         .where(assessments.c.framework == framework))
    if country:
        q = q.where(assessments.c.country == country)
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(assessments.c.country, assessments.c.year))]
    out = []
    for r in rows:
        v = _present_version(r)
        v.pop("figures")  # the exact figures frozen at submission stay internal: the scorecard holds the controlled
        out.append({"country": r["country"], "year": r["year"], **v})
    return out


def _check_edit(principal: Principal, permission: Permission, own_only: bool, country: str) -> Scope:
    scope = Scope.of(principal)
    if scope.kind == "all":
        return scope
    if not principal.can(permission):
        raise Forbidden("your role does not allow this step")
    if own_only and not scope.owns(country):
        if scope.kind == HUB:
            raise Forbidden("only the country's focal point or analyst can do this")
        raise NotVisible("no such assessment")
    return scope


def _append(conn: Any, row: dict[str, Any], principal: Principal, status: str, action: str,
            answers: dict[str, Any], figures: dict[str, Any] | None, scorecard: dict[str, Any] | None,
            comment: str | None, published: bool = False) -> int:
    version = row["version"] + 1
    now = _now()
    conn.execute(assessment_versions.insert().values(
        assessment_id=row["id"], version=version, status=status, action=action,
        answers_json=json.dumps(answers, ensure_ascii=False, sort_keys=True),
        figures_json=json.dumps(figures, sort_keys=True) if figures is not None else None,
        scorecard_json=json.dumps(scorecard, sort_keys=True) if scorecard is not None else None,
        comment=comment, actor_id=principal.user_id, actor=principal.email, created_at=now))
    values: dict[str, Any] = {"status": status, "version": version, "updated_at": now}
    if published:
        values["published_version"] = version
    conn.execute(assessments.update().where(and_(assessments.c.id == row["id"],
                                                 assessments.c.version == row["version"])).values(**values))
    return version


def save(db: Database, principal: Principal, framework: str, framework_version: str, country: str, year: int,
         answers: dict[str, Any], action: str = "save", comment: str | None = None) -> dict[str, Any]:
    """Store answers as a new draft version (merged over the newest answers; a None value clears one)."""
    _check_edit(principal, Permission.ASSESS_EDIT, True, country)
    with db.engine.begin() as conn:
        row = _row(conn, framework, country, year)
        if row is None:
            now = _now()
            conn.execute(assessments.insert().values(framework=framework, framework_version=framework_version,
                                                     country=country, year=year, status=DRAFT, version=0,
                                                     created_at=now, updated_at=now))
            row = _row(conn, framework, country, year)
            assert row is not None
            merged: dict[str, Any] = {}
        else:
            if row["status"] != DRAFT:
                raise Invalid(f"the {year} assessment of {country} is {row['status']}: only a draft can be changed")
            merged = _version(conn, row["id"], row["version"])["answers"]
        for key, value in answers.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        version = _append(conn, row, principal, DRAFT, action, merged, None, None, comment)
    audit.record(db, principal, f"assess.{action}", object_type="assessment", object_id=f"{country}-{year}",
                 subject_country=country, details={"framework": framework, "version": version,
                                                   "answers": sorted(answers)})
    return {"version": version, "status": DRAFT, "answers": merged}


def transition(db: Database, principal: Principal, framework: str, country: str, year: int, action: str,
               comment: str | None = None, figures: dict[str, Any] | None = None,
               scorecard: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move the assessment one step; `figures` are frozen at submission, `scorecard` is the published one."""
    if action not in TRANSITIONS:
        raise Invalid(f"{action!r} is not a workflow step ({', '.join(TRANSITIONS)})")
    sources, target, permission, own_only = TRANSITIONS[action]
    scope = _check_edit(principal, permission, own_only, country)
    with db.engine.begin() as conn:
        row = _row(conn, framework, country, year)
        if row is None or not _may_see(scope, row):
            raise NotVisible("no such assessment")
        if row["status"] not in sources:
            raise Invalid(f"cannot {action} an assessment that is {row['status']} "
                          f"(only from {', '.join(sources)})")
        current = _version(conn, row["id"], row["version"])
        frozen = figures if figures is not None else current["figures"]
        version = _append(conn, row, principal, target, action, current["answers"],
                          None if target == DRAFT else frozen, scorecard if action == "publish" else None,
                          comment, published=action == "publish")
    audit.record(db, principal, f"assess.{action}", object_type="assessment", object_id=f"{country}-{year}",
                 subject_country=country, details={"framework": framework, "version": version, "status": target})
    return {"version": version, "status": target}
