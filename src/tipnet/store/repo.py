"""Unscoped counts and figures over the store, for checks and tests. Submissions and records are read through
the scoped, audited functions of `tipnet.auth` (`records`, `exports`), never from here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tipnet.store.db import Database
from tipnet.store.tables import aggregates, persons


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
