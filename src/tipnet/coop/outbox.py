"""The cooperation outbox: reminders written as records (who, what, when), never sent as real e-mail from here.
A mail relay, where one exists, reads this table; `tipnet coop directory remind` lists what was written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, insert, select

from tipnet.auth import clock
from tipnet.store import Database
from tipnet.store.tables_directory import coop_outbox


def write(db: Database, kind: str, country: str, object_type: str, object_id: int, recipient: str, subject: str,
          body: str) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": kind, "country": country, "object_type": object_type, "object_id": object_id,
           "recipient": recipient, "subject": subject, "body": body, "created_at": clock.now()}
    with db.engine.begin() as conn:
        new_id = conn.execute(insert(coop_outbox).values(**row).returning(coop_outbox.c.id)).scalar_one()
    return {**row, "id": int(new_id), "created_at": row["created_at"].isoformat()}


def last_sent(db: Database, kind: str, object_type: str, object_id: int) -> dt.datetime | None:
    with db.engine.connect() as conn:
        value = conn.execute(select(coop_outbox.c.created_at).where(and_(
            coop_outbox.c.kind == kind, coop_outbox.c.object_type == object_type,
            coop_outbox.c.object_id == object_id)).order_by(coop_outbox.c.created_at.desc()).limit(1)).scalar()
    return clock.aware(value)


def entries(db: Database, kind: str | None = None, countries: list[str] | None = None,
            limit: int = 500) -> list[dict[str, Any]]:
    q = select(coop_outbox).order_by(coop_outbox.c.id.desc()).limit(limit)
    if kind:
        q = q.where(coop_outbox.c.kind == kind)
    if countries is not None:
        q = q.where(coop_outbox.c.country.in_(countries))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        when = clock.aware(r["created_at"])
        r["created_at"] = when.isoformat() if when else None
    return rows
