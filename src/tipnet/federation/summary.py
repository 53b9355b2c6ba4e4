"""Hemispheric figures from what nodes shared as protected tables (the newest table of each country)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from tipnet.store import Database
from tipnet.store.tables_federation import fed_tables


def newest_tables(db: Database) -> list[dict[str, Any]]:
    newest = select(fed_tables.c.country, func.max(fed_tables.c.id).label("id")).group_by(fed_tables.c.country)
    sub = newest.subquery()
    with db.engine.connect() as conn:
        rows = conn.execute(select(fed_tables).join(sub, sub.c.id == fed_tables.c.id)
                            .order_by(fed_tables.c.country)).all()
    return [{"country": r.country, "bundle_id": r.bundle_id, "dims": json.loads(r.dims), "min_cell": r.min_cell,
             "cells": json.loads(r.cells)} for r in rows]


def hemispheric(db: Database, by: tuple[str, ...] = ("country",)) -> list[dict[str, Any]]:
    """Victims by `by` (country or any dimension every table holds): the sum of the published cells, with the
    number of suppressed cells (each between 1 and min_cell - 1) beside it."""
    totals: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: {"victims": 0, "suppressed_cells": 0})
    for t in newest_tables(db):
        missing = [d for d in by if d != "country" and d not in t["dims"]]
        if missing:
            raise ValueError(f"the table of {t['country']} has no dimension {missing}")
        for c in t["cells"]:
            key = tuple(t["country"] if d == "country" else str(c[d]) for d in by)
            if c["victims"] is None:
                totals[key]["suppressed_cells"] += 1
            else:
                totals[key]["victims"] += int(c["victims"])
    return [{**dict(zip(by, k, strict=True)), **v} for k, v in sorted(totals.items())]
