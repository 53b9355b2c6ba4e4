"""A few fictitious requests for the demo, so the register, the overdue list and the wizard have something to show
(PER's demo investigator sees outgoing, incoming, overdue and draft requests). Needs the demo directory; idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from tipnet.auth import clock
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.coop import requests
from tipnet.store import Database
from tipnet.store.tables_directory import coop_requests

# (from, to, kind, measures, crime, status path, deadline in days from today, case ids, complete)
_DEMO: list[tuple[str, str, str, list[str], str, list[str], int, str, bool]] = [
    ("PER", "COL", "mla", ["evidence_taking", "documents_records"], "trafficking_in_persons", ["sent"], 20,
     "PER-2026-0141", True),
    ("COL", "PER", "mla", ["search_seizure"], "trafficking_in_persons", ["sent", "received"], -10,
     "COL-2026-0077", True),
    ("ARG", "PER", "extradition", ["extradition"], "trafficking_in_persons", ["sent", "received", "in_execution"], 45,
     "ARG-2025-0932", True),
    ("PER", "BOL", "mla", ["bank_records"], "money_laundering", [], 30, "PER-2026-0150", False),
]


def _investigator(country: str) -> Principal:
    return Principal(via=Via.SESSION, email=f"investigator.{country.lower()}@demo.tipnet", role=Role.INVESTIGATOR,
                     country=country)


def seed_requests(db: Database, today: dt.date | None = None) -> dict[str, int]:
    with db.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(coop_requests)).scalar_one():
            return {"added": 0}
    day = today or clock.now().date()
    added = 0
    for origin, to, kind, measures, crime, path, days, case, complete in _DEMO:
        author, receiver = _investigator(origin), _investigator(to)
        req = requests.create(db, author, kind, to, measures, crime, case_ids=case,
                              deadline=(day + dt.timedelta(days=days)).isoformat())
        need = req.requirements(db)
        names = need.fields if complete else need.fields[:3]
        fields: dict[str, Any] = {f: f"Fictitious demo text ({f.replace('_', ' ')})." for f in names}
        attachments = {a: f"{a.replace('_', ' ')}, demo document, 2 pages" for a in need.attachments} \
            if complete else {}
        requests.save(db, author, req.id, fields, attachments)
        for status in path:
            requests.transition(db, author if status == "sent" else receiver, req.id, status)
        added += 1
    return {"added": added}
