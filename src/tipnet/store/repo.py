"""Read-side repository functions over the store."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from tipnet.store.db import Database
from tipnet.store.tables import aggregates, persons, submissions

_LIST_COLUMNS = (
    "id",
    "kind",
    "reporting_country",
    "organisation",
    "filename",
    "profile",
    "standard_version",
    "period_start",
    "period_end",
    "rows_total",
    "rows_accepted",
    "rows_quarantined",
    "quarantine_path",
    "created_at",
)


def list_submissions(db: Database, country: str | None = None) -> list[dict[str, Any]]:
    q = select(*(submissions.c[c] for c in _LIST_COLUMNS)).order_by(submissions.c.id.desc())
    if country:
        q = q.where(submissions.c.reporting_country == country)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def get_submission(db: Database, submission_id: int) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).first()
    if row is None:
        return None
    d = dict(row._mapping)
    d["report"] = json.loads(d.pop("report_json") or "{}")
    return d


def count_persons(db: Database, submission_id: int | None = None) -> int:
    q = select(func.count()).select_from(persons)
    if submission_id is not None:
        q = q.where(persons.c.submission_id == submission_id)
    with db.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def count_aggregates(db: Database, submission_id: int | None = None) -> int:
    q = select(func.count()).select_from(aggregates)
    if submission_id is not None:
        q = q.where(aggregates.c.submission_id == submission_id)
    with db.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def aggregate_value(
    db: Database,
    country: str,
    year: int,
    indicator: str = "detected_victims",
    dimension: str = "total",
    category_code: str = "total",
    sex: str = "total",
    age: str = "total",
) -> list[dict[str, Any]]:
    a = aggregates.c
    q = select(a.value, a.value_min, a.value_max, a.censored, a.raw_value, a.source_row).where(
        a.country == country,
        a.year == year,
        a.indicator == indicator,
        a.dimension == dimension,
        a.category_code == category_code,
        a.sex == sex,
        a.age == age,
    )
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
