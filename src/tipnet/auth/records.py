"""Scoped reads of the store: submissions, quarantine files, a submission's records as CSV, counts.

Each function takes the principal, applies its `Scope` (tenancy) and writes record-level reads and changes to the
audit log. The web layer and the command line read submissions and records through these functions only (the
whole store's records: `tipnet.auth.exports`; statistics sources per scope: `tipnet.auth.sources`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission
from tipnet.auth.tenancy import ALL, NONE, Scope
from tipnet.errors import Forbidden, NotVisible
from tipnet.ingest.pipeline import import_file
from tipnet.ingest.report import Report
from tipnet.ingest.submission import ImportOptions, Progress
from tipnet.settings import Settings
from tipnet.standard import load_standard
from tipnet.standard.cells import neutralise
from tipnet.store import Database, paging
from tipnet.store.tables import aggregates, persons, submissions
from tipnet.store.tables_auth import submission_sharing

_META = ("id", "kind", "reporting_country", "organisation", "filename", "profile", "standard_version", "period_start",
         "period_end", "rows_total", "rows_accepted", "rows_quarantined", "created_at")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _query(scope: Scope) -> Any:
    shared = func.coalesce(submission_sharing.c.shared_with_hub, False).label("shared_with_hub")
    return (select(*(submissions.c[c] for c in _META), submissions.c.quarantine_path, shared)
            .join_from(submissions, submission_sharing, submission_sharing.c.submission_id == submissions.c.id,
                       isouter=True)
            .where(scope.submissions()))


def _present(scope: Scope, row: dict[str, Any]) -> dict[str, Any]:
    country, shared = row["reporting_country"], bool(row.pop("shared_with_hub"))
    qpath = row.pop("quarantine_path", None)
    out = {k: _iso(v) for k, v in row.items()}
    out["shared_with_hub"] = shared
    out["records_visible"] = scope.owns(country) or (scope.kind == "hub" and shared)
    out["has_quarantine"] = bool(qpath) and scope.owns(country)
    if scope.kind == ALL:  # the operator, on whose machine the quarantine file lies
        out["quarantine_path"] = qpath
    return out


def list_submissions(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Submissions in scope, newest first (metadata: file names, row accounting), audited as one listing."""
    scope = Scope.of(principal)
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(_query(scope).order_by(submissions.c.id.desc()))]
    out = [_present(scope, r) for r in rows]
    if scope.kind != NONE:
        audit.record(db, principal, "submission.list", object_type="submission",
                     subject_country=scope.country, details={"rows": len(out)})
    return out


@dataclass(frozen=True)
class SubmissionFilters:
    """What a list of submissions is narrowed to: words of the file name, organisation or profile (or an id), the
    reporting country, the kind (records or aggregates) and a year (of the period covered; of arrival when a file
    names no period)."""

    text: str | None = None
    country: str | None = None
    kind: str | None = None
    year: int | None = None

    def where(self, backend: str) -> list[Any]:
        s = submissions.c
        out: list[Any] = []
        if self.text:
            words = paging.words_match([s.filename, s.organisation, s.profile], self.text, backend)
            out.append(or_(words, s.id == int(self.text)) if self.text.isdigit() and len(self.text) < 12 else words)
        if self.country:
            out.append(s.reporting_country == self.country)
        if self.kind:
            out.append(s.kind == self.kind)
        if self.year:
            start, end = dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
            since = dt.datetime(self.year, 1, 1, tzinfo=dt.UTC)
            out.append(or_(s.period_start.is_not(None) & (s.period_start <= end)
                           & (func.coalesce(s.period_end, s.period_start) >= start),
                           s.period_start.is_(None) & (s.created_at >= since)
                           & (s.created_at < since.replace(year=self.year + 1))))
        return out


def page_submissions(db: Database, principal: Principal, req: paging.PageRequest,
                     filters: SubmissionFilters | None = None) -> paging.Paged[dict[str, Any]]:
    """One page of the submissions in scope, newest first, narrowed by `filters`, with the total; audited as one
    listing (how many rows were shown and whether the list was narrowed, not what was searched)."""
    scope = Scope.of(principal)
    f = filters or SubmissionFilters()
    q = _query(scope).where(*f.where(db.backend_name)).order_by(submissions.c.id.desc())
    with db.engine.connect() as conn:
        found = paging.fetch_page(conn, q, req, paging.as_dict)
    out = found.map(lambda r: _present(scope, r))
    if scope.kind != NONE:
        audit.record(db, principal, "submission.list", object_type="submission", subject_country=scope.country,
                     details={"rows": len(out.rows), "total": out.total, "page": out.page,
                              "filtered": f != SubmissionFilters()})
    return out


def submission_years(db: Database, principal: Principal) -> list[int]:
    """The years the submissions in scope cover (for a year filter), newest first."""
    s = submissions.c
    q = select(func.min(s.period_start), func.max(s.period_end), func.min(s.created_at), func.max(s.created_at)).where(
        Scope.of(principal).submissions())
    with db.engine.connect() as conn:
        row = conn.execute(q).one()
    years = [v.year for v in row if v is not None]
    return list(range(max(years), min(years) - 1, -1)) if years else []


def _row(db: Database, scope: Scope, submission_id: int, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    q = _query(scope).add_columns(*(submissions.c[c] for c in extra)).where(submissions.c.id == submission_id)
    with db.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        raise NotVisible(f"no submission {submission_id}")
    return dict(row._mapping)


def get_submission(db: Database, principal: Principal, submission_id: int) -> dict[str, Any]:
    """Metadata in scope; the validation report's problem list (it quotes source values) only for the owner."""
    scope = Scope.of(principal)
    row = _row(db, scope, submission_id, ("report_json",))
    report = json.loads(row.pop("report_json") or "{}")
    out = _present(scope, row)
    report.pop("quarantine_path", None)
    report.pop("path", None)
    if not scope.owns(out["reporting_country"]):
        report.pop("problems", None)
    out["report"] = report
    if "problems" in report:
        audit.record(db, principal, "submission.report.read", object_type="submission", object_id=submission_id,
                     subject_country=out["reporting_country"])
    return out


def quarantine_file(db: Database, principal: Principal, submission_id: int) -> Path:
    """The quarantine file of a submission of one's own country (rejected rows, as the source wrote them)."""
    scope = Scope.of(principal)
    row = _row(db, scope, submission_id)
    if not scope.owns(row["reporting_country"]) or not principal.can(Permission.RECORDS_READ):
        raise NotVisible(f"submission {submission_id} has no quarantine file you can read")
    if not row["quarantine_path"]:
        raise NotVisible(f"submission {submission_id} has no quarantined rows")
    path = Path(row["quarantine_path"])
    if not path.is_file():
        raise NotVisible("the quarantine file is no longer on disk")
    audit.record(db, principal, "records.quarantine.read", object_type="submission", object_id=submission_id,
                 subject_country=row["reporting_country"], details={"rows": row["rows_quarantined"]})
    return path


def export_records(db: Database, principal: Principal, submission_id: int) -> Iterator[str]:
    """A submission's stored records in scope as CSV (flat layout). The hub gets only shared, consented records.
    Text cells a spreadsheet would run as a formula get a leading `'` (`tipnet.standard.cells`)."""
    scope = Scope.of(principal)
    row = _row(db, scope, submission_id)
    if not principal.can(Permission.RECORDS_READ) or not _present(scope, dict(row))["records_visible"]:
        raise NotVisible(f"no records of submission {submission_id} you can read")
    names = [f.name for f in load_standard().fields]
    q = (select(*(persons.c[n] for n in names))
         .where(persons.c.submission_id == submission_id, scope.persons()).order_by(persons.c.id))
    with db.engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(q.subquery())).scalar_one())
    audit.record(db, principal, "records.export", object_type="submission", object_id=submission_id,
                 subject_country=row["reporting_country"], details={"rows": count})
    return _csv(db, q, names)


def _csv(db: Database, query: Any, names: list[str]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(names)
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
        for part in result.partitions(5000):
            writer.writerows([neutralise(_iso(v)) for v in r] for r in part)
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def import_submission(db: Database, principal: Principal, path: Path, options: ImportOptions,
                      settings: Settings | None = None, progress: Progress | None = None) -> Report:
    """Import a file as a submission (accepted rows stored, rejected rows quarantined): the operator for any country,
    a country's uploaders for their own. Audited as `submission.import`."""
    scope = Scope.of(principal)
    country = (options.country or "").upper() or None
    if not principal.can(Permission.UPLOAD) or not (scope.kind == ALL or (country and scope.owns(country))):
        raise Forbidden("you can only import your own country's files")
    report = import_file(path, db, options, settings, progress)
    sid = report.submission_id if report.submission_id is not None else report.duplicate_of
    audit.record(db, principal, "submission.import", outcome="failed" if report.file_error else "ok",
                 object_type="submission", object_id=sid, subject_country=country,
                 details={"file": path.name, "rows_accepted": report.rows_accepted,
                          "rows_quarantined": report.rows_quarantined, "duplicate": report.duplicate_of is not None})
    return report


def set_shared(db: Database, principal: Principal, submission_id: int, shared: bool) -> dict[str, Any]:
    """A country's focal point or analyst shares (or stops sharing) one of its submissions with the hub."""
    scope = Scope.of(principal)
    row = _row(db, scope, submission_id)
    if not principal.can(Permission.SHARE) or scope.kind != "country" or not scope.owns(row["reporting_country"]):
        raise Forbidden("only the submitting country's focal point or analyst can change sharing")
    now = clock.now()
    with db.engine.begin() as conn:
        current = conn.execute(select(submission_sharing.c.revision)
                               .where(submission_sharing.c.submission_id == submission_id)).first()
        values = {"shared_with_hub": shared, "changed_by": principal.user_id, "changed_at": now}
        if current is None:
            conn.execute(submission_sharing.insert().values(submission_id=submission_id, revision=1, **values))
        else:
            conn.execute(submission_sharing.update().where(submission_sharing.c.submission_id == submission_id)
                         .values(revision=current.revision + 1, **values))
    audit.record(db, principal, "submission.share", object_type="submission", object_id=submission_id,
                 subject_country=row["reporting_country"], details={"shared_with_hub": shared})
    return {"submission_id": submission_id, "shared_with_hub": shared}


def counts(db: Database, principal: Principal) -> dict[str, int] | None:
    """Records, figures and submissions in scope (None for the public: the home page shows no store figures)."""
    scope = Scope.of(principal)
    if scope.kind == "none" or not principal.can(Permission.STATS_READ):
        return None
    with db.engine.connect() as conn:
        n_persons = conn.execute(select(func.count()).select_from(persons).where(scope.persons())).scalar_one()
        n_aggs = conn.execute(select(func.count()).select_from(aggregates).where(scope.aggregates())).scalar_one()
        n_subs = conn.execute(select(func.count()).select_from(submissions).where(scope.submissions())).scalar_one()
    return {"persons": int(n_persons), "aggregates": int(n_aggs), "submissions": int(n_subs)}

