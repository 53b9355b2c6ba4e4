"""An in-memory source of victims (the `victims` and `victim_forms` tables of `tipnet.stats`), for tests, plans and
benchmarks that do not go through the store."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import pyarrow as pa

from tipnet.standard import load_standard

COLUMNS = ("id", "submission_id", "country", "year", "sex", "age_group", "age_band", "citizenship", "source_type",
           "forms", "destination")


class MemorySource:
    """Victims given as mappings with the columns above (`forms`: ';'-joined codes, '' when none recorded)."""

    def __init__(self, victims: Iterable[Mapping[str, Any]]) -> None:
        self._lock = threading.Lock()
        self.con = duckdb.connect(":memory:")
        defaults = {"submission_id": 1, "sex": "unknown", "age_group": "unknown", "age_band": "unknown",
                    "citizenship": "unknown", "source_type": "unknown", "forms": ""}
        rows = [{**defaults, **v} for v in victims]
        types = {"id": pa.int64(), "submission_id": pa.int32(), "year": pa.int32()}
        table = pa.table({c: pa.array([r.get(c) for r in rows], type=types.get(c, pa.string())) for c in COLUMNS})
        self.con.register("victims_in", table)
        self.con.execute("CREATE TABLE victims AS SELECT * FROM victims_in")
        self.con.unregister("victims_in")
        groups = load_standard().vocabularies["exploitation_form"].attr_map("glotip")
        self.con.execute("CREATE TABLE exploitation_groups (form VARCHAR, form_group VARCHAR)")
        self.con.executemany("INSERT INTO exploitation_groups VALUES (?, ?)", list(groups.items()))
        self.con.execute(
            """
            CREATE TABLE victim_forms AS
            SELECT v.id, f.form, coalesce(g.form_group, 'not_recorded') AS form_group
            FROM victims v,
                 LATERAL (SELECT unnest(CASE WHEN v.forms = '' THEN ['not_recorded']
                                        ELSE string_split(v.forms, ';') END) AS form) f
            LEFT JOIN exploitation_groups g ON g.form = f.form
            """
        )

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            cur = self.con.cursor()
            rel = cur.execute(sql, params or [])
            names = [d[0] for d in rel.description]
            return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]
