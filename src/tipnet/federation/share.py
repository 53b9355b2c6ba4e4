"""A node's store -> the parts of a bundle, under the node's policy. Runs in the country; reads its own store only.

Each part is JSON (Lines), except the encodings (Parquet, the linkage package's own format). What leaves:

- `aggregates`: the country's aggregate returns (rows of its aggregate submissions), as stored.
- `tables`: victims by the policy's dimensions over all the country's records, full-detail cells only (no margins,
  so no cell can be recovered by subtraction), counts below `min_cell` sent as null.
- `records`: victims and other persons whose `consent_share_hub` is true, with the policy's fields only, under
  keyed pseudonyms (`PseudonymKey`, the same as the linkage encoder's, so the hub's cluster ids map back).
- `clk`: keyed Bloom-filter encodings of the same consenting records (needs the shared linkage secret).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from tipnet.federation.bundle import Part
from tipnet.federation.policy import CountryPolicy
from tipnet.link.keys import PseudonymKey
from tipnet.store import Database
from tipnet.store.tables import aggregates, persons, submissions

NDJSON = "application/x-ndjson"
_AGG_COLUMNS = [c.name for c in aggregates.columns if c.name not in ("id", "submission_id")]
_CLK_COLUMNS = ("record_id", "given_names", "family_names", "birth_date", "sex", "place_of_birth")


@dataclass(frozen=True)
class Period:
    start: int | None = None  # first identification / reference year
    end: int | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"start": str(self.start) if self.start else None, "end": str(self.end) if self.end else None}


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) + "\n" for r in rows).encode()


def case_pseudonym(key: PseudonymKey, case_id: str) -> str:
    return key.pseudonym("case\x1f" + case_id)


def _year_filter(col: Any, period: Period) -> list[Any]:
    out = []
    if period.start:
        out.append(col >= period.start)
    if period.end:
        out.append(col <= period.end)
    return out


def _consenting(country: str, period: Period) -> Any:
    return and_(persons.c.reporting_country == country, persons.c.consent_share_hub.is_(True),
                *_year_filter(persons.c.identification_year, period))


def records_part(db: Database, policy: CountryPolicy, key: PseudonymKey, period: Period) -> tuple[Part, int]:
    cols = [persons.c.record_id, persons.c.case_id, *(persons.c[f] for f in policy.record_fields)]
    q = select(*cols).where(_consenting(policy.country, period)).order_by(persons.c.id)
    rows = []
    with db.engine.connect() as conn:
        for r in conn.execute(q):
            m = dict(r._mapping)
            out = {"record_id": key.pseudonym(str(m.pop("record_id"))),
                   "case_id": case_pseudonym(key, str(m.pop("case_id")))}
            out.update({k: v for k, v in m.items() if v is not None})
            rows.append(out)
    return Part("records.jsonl", "records", NDJSON, _jsonl(rows)), len(rows)


def aggregates_part(db: Database, country: str, period: Period) -> tuple[Part, int]:
    q = (select(*(aggregates.c[c] for c in _AGG_COLUMNS))
         .join_from(aggregates, submissions, aggregates.c.submission_id == submissions.c.id)
         .where(submissions.c.reporting_country == country, aggregates.c.held.is_(False),
                *_year_filter(aggregates.c.year, period))
         .order_by(aggregates.c.id))
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    return Part("aggregates.jsonl", "aggregates", NDJSON, _jsonl(rows)), len(rows)


def tables_part(db: Database, policy: CountryPolicy, period: Period) -> tuple[Part, int]:
    from tipnet.stats import CubeSpec, StatsSource
    from tipnet.stats.figures import victims

    rows = victims(StatsSource(db), CubeSpec(policy.table_dims, margins=False, filters={"country": policy.country}))
    cells = []
    for r in rows:
        year = r.get("year")
        if year not in (None, "_all") and str(year).isdigit():
            y = int(str(year))
            if (period.start and y < period.start) or (period.end and y > period.end):
                continue
        n = int(r["victims"])
        small = 0 < n < policy.min_cell
        cells.append({**{d: r[d] for d in policy.table_dims}, "victims": None if small else n, "suppressed": small})
    doc = {"country": policy.country, "dims": list(policy.table_dims), "min_cell": policy.min_cell, "cells": cells}
    return Part("tables.json", "tables", "application/json", json.dumps(doc, sort_keys=True).encode()), len(cells)


def clk_part(db: Database, policy: CountryPolicy, key: PseudonymKey, secret: bytes, period: Period) -> tuple[Part, int]:
    from tipnet.link.encode import encode_records
    from tipnet.link.schema import person_schema

    q = select(*(persons.c[c] for c in _CLK_COLUMNS)).where(_consenting(policy.country, period)).order_by(persons.c.id)
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    columns = {c: ["" if r[c] is None else str(r[c]) for r in rows] for c in _CLK_COLUMNS}
    es = encode_records(columns, columns["record_id"], person_schema(), secret, key, policy.country)
    with tempfile.TemporaryDirectory() as tmp:
        path = es.write(Path(tmp) / "clk.parquet")
        data = path.read_bytes()
    return Part("clk.parquet", "clk", "application/vnd.apache.parquet", data), len(es)


def make_parts(db: Database, policy: CountryPolicy, key: PseudonymKey, period: Period,
               clk_secret: bytes | None = None) -> tuple[list[Part], dict[str, int]]:
    """Every part the policy allows, with its row count."""
    parts: list[Part] = []
    counts: dict[str, int] = {}
    builders = {
        "aggregates": lambda: aggregates_part(db, policy.country, period),
        "tables": lambda: tables_part(db, policy, period),
        "records": lambda: records_part(db, policy, key, period),
    }
    for kind, build in builders.items():
        if policy.allows(kind):
            part, n = build()
            parts.append(part)
            counts[kind] = n
    if policy.allows("clk"):
        if clk_secret is None:
            raise ValueError("the policy shares linkage encodings but no linkage secret is configured "
                             "(clk.secret_file in the policy)")
        part, n = clk_part(db, policy, key, clk_secret, period)
        parts.append(part)
        counts["clk"] = n
    return parts, counts
