"""The facet columns of the cooperation search index, held in memory as arrays (one snapshot per process).

Counting facets over a large result (a common word matches most documents) and filtering by kind, country, year
and tags is array work: the full-text engine says which documents match (and how well), and these arrays say
what each one is. A snapshot is tied to the index version (`coop_search_state`, bumped in the same transaction as
every change), so a process reloads it after any change, its own or another process's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from tipnet.store import Database
from tipnet.store.tables_compendium import coop_search_state

NO_YEAR = -1


def _codes(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Dictionary-encode: (codes, distinct values); a code indexes the list."""
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int32, count=len(values))
    return codes, list(index)


@dataclass
class Snapshot:
    version: int
    ids: np.ndarray  # sorted document ids
    columns: dict[str, tuple[np.ndarray, list[Any]]]  # source, kind, country: (codes, values)
    years: np.ndarray  # NO_YEAR when unknown
    tag_ptr: np.ndarray  # CSR: the tags of document i are tag_codes[tag_ptr[i]:tag_ptr[i + 1]]
    tag_codes: np.ndarray
    tag_values: list[str]
    _tag_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tag_index = {t: i for i, t in enumerate(self.tag_values)}

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    def positions(self, doc_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the given ids in the snapshot, and which of them were found (an id newer than the
        snapshot is not)."""
        if self.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(doc_ids.shape[0], dtype=bool)
        pos = np.searchsorted(self.ids, doc_ids)
        pos = np.minimum(pos, self.size - 1)
        found = self.ids[pos] == doc_ids
        return pos[found], found

    def equals(self, name: str, value: Any) -> np.ndarray:
        codes, values = self.columns[name]
        try:
            return codes == values.index(value)
        except ValueError:
            return np.zeros(self.size, dtype=bool)

    def has_tag(self, tag: str) -> np.ndarray:
        code = self._tag_index.get(tag)
        out = np.zeros(self.size, dtype=bool)
        if code is None:
            return out
        rows = np.searchsorted(self.tag_ptr, np.nonzero(self.tag_codes == code)[0], side="right") - 1
        out[rows] = True
        return out

    def counts(self, name: str, pos: np.ndarray) -> list[dict[str, Any]]:
        codes, values = self.columns[name]
        n = np.bincount(codes[pos], minlength=len(values))
        return [{"value": values[i], "count": int(n[i])} for i in np.nonzero(n)[0]]

    def year_counts(self, pos: np.ndarray) -> list[dict[str, Any]]:
        years, n = np.unique(self.years[pos], return_counts=True)
        return [{"value": None if y == NO_YEAR else int(y), "count": int(c)} for y, c in zip(years, n, strict=True)]

    def tag_counts(self, pos: np.ndarray) -> list[dict[str, Any]]:
        if pos.shape[0] == 0 or self.tag_codes.shape[0] == 0:
            return []
        starts, ends = self.tag_ptr[pos], self.tag_ptr[pos + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return []
        # the tag slots of every selected document, gathered without a Python loop
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        n = np.bincount(self.tag_codes[offsets], minlength=len(self.tag_values))
        return [{"value": self.tag_values[i], "count": int(n[i])} for i in np.nonzero(n)[0]]


def version(conn: Connection) -> int:
    return int(conn.execute(select(coop_search_state.c.version).where(coop_search_state.c.id == 1)).scalar_one())


def bump(conn: Connection) -> None:
    conn.execute(coop_search_state.update().where(coop_search_state.c.id == 1)
                 .values(version=coop_search_state.c.version + 1))


def raw_rows(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Rows as plain tuples from the driver's cursor (the driver's parameter style; no per-row objects)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _load(db: Database) -> Snapshot:
    """Version, rows and tags read in one transaction (PostgreSQL: one REPEATABLE READ snapshot)."""
    engine = db.engine
    if db.backend_name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as conn:
        ver = version(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute("SELECT id, source, kind, country, year FROM coop_search_docs ORDER BY id")
            rows = cursor.fetchall()
            cursor.execute("SELECT doc_id, tag FROM coop_search_tags ORDER BY doc_id")
            tags = cursor.fetchall()
        finally:
            cursor.close()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    columns = {name: _codes([r[i] for r in rows]) for i, name in ((1, "source"), (2, "kind"), (3, "country"))}
    years = np.fromiter((NO_YEAR if r[4] is None else r[4] for r in rows), dtype=np.int32, count=len(rows))
    tag_doc = np.fromiter((r[0] for r in tags), dtype=np.int64, count=len(tags))
    tag_codes, tag_values = _codes([r[1] for r in tags])
    keep = np.isin(tag_doc, ids)
    tag_doc, tag_codes = tag_doc[keep], tag_codes[keep]
    per_doc = np.bincount(np.searchsorted(ids, tag_doc), minlength=ids.shape[0]) if ids.shape[0] else np.zeros(0)
    tag_ptr = np.concatenate(([0], np.cumsum(per_doc))).astype(np.int64)
    return Snapshot(ver, ids, columns, years, tag_ptr, tag_codes, tag_values)


_cache: dict[str, Snapshot] = {}
_lock = threading.Lock()


def snapshot(db: Database, conn: Connection | None = None) -> Snapshot:
    """The current snapshot of this database's index (reloaded when the index version moved); `conn`, when given,
    is used to read the version."""
    if conn is None:
        with db.engine.connect() as own:
            current = version(own)
    else:
        current = version(conn)
    cached = _cache.get(db.url)
    if cached is not None and cached.version == current:
        return cached
    with _lock:
        cached = _cache.get(db.url)
        if cached is None or cached.version != current:
            cached = _load(db)
            _cache[db.url] = cached
    return cached
