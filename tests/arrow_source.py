"""What statistics and route queries need from a StatsSource (`query`, with its `ensure`), over persons given as
dicts and read through the same analysis views as the store's (`load_into`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa

from tipnet.stats.source import PERSON_COLUMNS, load_into
from tipnet.store.tables import aggregates


class ArrowSource:
    def __init__(self, persons: list[Mapping[str, Any]]) -> None:
        types = {"id": pa.int64(), "submission_id": pa.int64(), "identification_year": pa.int64(),
                 "age": pa.int64(), "is_minor": pa.bool_()}
        self.con = duckdb.connect(":memory:")
        people = pa.table({c: pa.array([p.get(c) for p in persons], type=types.get(c, pa.string()))
                           for c in PERSON_COLUMNS})
        aggs = pa.table({c.name: pa.array([], pa.bool_() if c.name == "held" else pa.string())
                         for c in aggregates.columns})  # no figures, every column the views read
        self.con.register("persons_raw", people)
        self.con.register("aggregates_raw", aggs)
        load_into(self.con)

    def query(self, sql: str, params: list[Any] | None = None, ensure: str | None = None) -> list[dict[str, Any]]:
        if ensure is not None:
            self.con.execute(ensure)
        rel = self.con.execute(sql, params or [])
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]
