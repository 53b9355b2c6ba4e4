"""The analytics source: the store's persons and aggregates as DuckDB tables (with derived analysis columns).

The store stays the truth; this is a read-only, in-memory copy refreshed when the store changes (a new submission).
Rows are read straight into Arrow by the store's ADBC driver (`stats.reader`) and handed to DuckDB.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select

from tipnet.stats import scoped
from tipnet.stats.base import BaseScope, StatsBase, base_of, uses_base
from tipnet.stats.cube import FORMS_LIST, group_case
from tipnet.stats.editions import GLOTIP_CELL, edition_ranks, newest_edition
from tipnet.stats.population import load_population
from tipnet.stats.reader import arrow_type, compact_batch, compact_schema, read_table
from tipnet.stats.stale import StaleAnswers
from tipnet.store import Database, generation, revision
from tipnet.store.tables import aggregates, persons, submissions

log = logging.getLogger(__name__)

PERSON_COLUMNS = [
    "id", "submission_id", "reporting_country", "source_type", "role", "identification_year", "victim_status",
    "age", "age_band", "is_minor", "sex", "citizenship", "forms_of_exploitation", "legal_status",
    "recruitment_country", "transit_countries", "exploitation_country",
]
MEMO_ENTRIES = 512  # computed results kept per source (least recently used dropped first)
# How long a store version, once checked, is trusted. A commit made by this process is seen at once (the store's
# commit generation); one made by another process (another web worker, a CLI import) within this many seconds.
VERSION_TTL_SECONDS = 1.0
_MISSING = object()
T = TypeVar("T")


# the reader's names, as benchmarks and older callers import them from here
_arrow_type = arrow_type
_read_table = read_table
__all__ = ["PERSON_COLUMNS", "RowFilter", "StatsSource", "compact_batch", "compact_schema", "load_into"]


@dataclass(frozen=True)
class RowFilter:
    """Which store rows a source may read. Built by `tipnet.auth.tenancy` (statistics know nothing of users):
    `persons` and `aggregates` are SQLAlchemy conditions on those tables, `version` a SELECT whose single row joins
    the store version (so a change in what is shared reloads the source); `base` the same rows as conditions over
    the process's analytics base (`stats.scoped.BaseScope`; None: every row)."""

    key: str
    persons: Any = None
    aggregates: Any = None
    version: Any = None
    base: Any = None


@dataclass
class StatsSource:
    """A DuckDB connection holding `victims`, `victim_forms`, `perpetrators`, `aggregates` and `population`.

    A store ADBC can read is read once per process into the shared analytics base (`stats.base`) and this source's
    rows are the `rows` filter over it; otherwise (an in-memory SQLite store) only the persons and aggregates the
    filter allows are read from the store into this source."""

    db: Database
    rows: RowFilter | None = None
    _con: duckdb.DuckDBPyConnection | None = None
    _version: tuple[int, ...] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _memo: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)
    _memo_version: tuple[int, ...] | None = None
    _memo_locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _checked_at: float = float("-inf")  # time.monotonic() of the last version check
    _checked_generation: int = -1
    _stale: StaleAnswers = field(default_factory=StaleAnswers)

    def _version_trusted(self) -> bool:
        return (self._checked_generation == generation.current()
                and 0.0 <= time.monotonic() - self._checked_at < VERSION_TTL_SECONDS)

    def _base(self) -> StatsBase | None:
        return base_of(self.db, PERSON_COLUMNS) if uses_base(self.db) else None

    def store_version(self) -> tuple[int, ...]:
        base = self._base()
        if base is not None:
            return base.store_version()
        with self.db.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.coalesce(func.max(submissions.c.id), 0),
                                      revision.current())).one()
            extra = conn.execute(self.rows.version).one() if self.rows and self.rows.version is not None else ()
        return (int(row[0]), int(row[1]), int(row[2]), *(int(x or 0) for x in extra))

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The loaded connection; reloaded when a submission was added since the last load."""
        with self._lock:
            if self._con is not None and self._version_trusted():
                return self._con
            seen, at = generation.current(), time.monotonic()  # taken before the query: a commit meanwhile checks again
            version = self.store_version()
            if self._con is None or version != self._version:
                if self._version is not None:
                    self._stale.superseded(self._version, version, self._grew_only(self._version, version))
                self._con = self._load(version)
                self._version = version
            self._checked_at, self._checked_generation = at, seen
            return self._con

    def peek(self, key: Hashable) -> Any:
        """What `memo(key, ...)` would return, when that needs no store access (the result is kept and the store
        version is trusted); otherwise None. For callers on an event loop, which must not wait: not on the store,
        and not on the lock either (a thread holds it while it queries or reloads), so a busy source answers None."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._con is None or self._memo_version != self._version or not self._version_trusted():
                return None
            value = self._memo.get(key, _MISSING)
            if value is _MISSING:
                return None
            self._memo.move_to_end(key)
            return value
        finally:
            self._lock.release()

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, computed once per store version and kept: dashboards ask the same questions again and again,
        and the answers change only when the store does (an import, a change of sharing). Concurrent callers of one
        key wait for the first one's result instead of computing it again. Results are shared: never mutate one."""
        self.connection()  # checks the store version (reloading the source when it changed)
        with self._lock:
            version = self._version
            if self._memo_version != version:
                self._memo.clear()
                self._memo_locks.clear()
                self._memo_version = version
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]  # type: ignore[no-any-return]
            key_lock = self._memo_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if self._memo_version == version and key in self._memo:
                    return self._memo[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                assert version is not None
                if self._version == version == self._memo_version:  # the store did not change meanwhile
                    self._memo[key] = value
                    while len(self._memo) > MEMO_ENTRIES:
                        dropped, _ = self._memo.popitem(last=False)
                        self._memo_locks.pop(dropped, None)
                # kept as the answer of `version` even when the store changed meanwhile: given only while that
                # change was growth (`stats.stale`), and better than the older answer it replaces
                self._stale.keep(key, value, version)
            return value

    def peek_stale(self, key: Hashable) -> Any:
        """Like `peek`, but also the answer of the previous store version while the store only grew since
        (`stats.stale`); the caller then asks for it to be brought up to date with `refresh_later`. Never waits."""
        # a commit made by this process since the version was checked may be a withdrawal: not known yet
        return self._stale.get(key, self._version, self._checked_generation == generation.current())

    def refresh_later(self, key: Hashable, refresh: Callable[[], Any]) -> None:
        """`refresh()` in the background, once at a time per key; it keeps the new answer under `key` through
        `memo` (e.g. `lambda: src.memo(key, compute)`)."""
        self._stale.refresh(key, refresh)

    def _grew_only(self, old: tuple[int, ...], new: tuple[int, ...]) -> bool:
        """Whether the store went from `old` to `new` only by adding submissions, as this source sees it: the
        records revision (corrections, consent, review) is unchanged, and so is sharing when the source's rows
        depend on it (the hub's) - except that submissions shared for the first time only add. A version is
        (submissions, newest submission, records revision, sharing rows, sum of their revisions): a first decision
        on a submission adds a row at revision 1, any later change adds 1 to its revision only."""
        if len(old) != len(new) or old[2] != new[2] or new[0] < old[0] or new[1] < old[1]:
            return False
        if self.rows is None or self.rows.version is None or old[3:] == new[3:]:
            return True
        return len(new) == 5 and 0 <= new[3] - old[3] == new[4] - old[4]

    def query(self, sql: str, params: list[Any] | None = None, ensure: str | None = None) -> list[dict[str, Any]]:
        """Rows of `sql`. `ensure` is a `CREATE TABLE IF NOT EXISTS ... AS` run first: a derived table computed
        once per store version (each version has a new connection) and shared by the queries that need it."""
        con = self.connection()
        with self._lock:  # one query at a time on the connection (its registered Arrow tables are not in cursors)
            if ensure is not None:
                con.execute(ensure)
            rel = con.execute(sql, params or [])
            names = [d[0] for d in rel.description]
            return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]

    def _load(self, version: tuple[int, ...]) -> duckdb.DuckDBPyConnection:
        rows = self.rows or RowFilter("all")
        base = self._base()
        if base is not None:
            if self.rows is not None and rows.base is None:
                raise ValueError(f"the row filter {rows.key!r} has no conditions over the analytics base")
            con = base.connect(version, rows.base or BaseScope())
            load_into(con)
        else:
            con = duckdb.connect(":memory:")
            people = _read_table(self.db, persons, PERSON_COLUMNS, rows.persons)
            aggs = with_editions(self.db, _read_table(self.db, aggregates, [c.name for c in aggregates.columns],
                                                      rows.aggregates))
            con.register("persons_raw", people)
            con.register("aggregates_raw", aggs)
            scoped.lock(con)
            load_into(con)
            log.info("stats source loaded: %d persons, %d aggregate figures", people.num_rows, aggs.num_rows)
        pop = load_population()
        con.register("population_raw", pop.table)
        con.execute("CREATE TABLE population AS SELECT * FROM population_raw")
        con.unregister("population_raw")
        return con


def with_editions(db: Database, aggs: pa.Table) -> pa.Table:
    """The figures with an `edition` column: the rank of their submission among editions (see `stats.editions`)."""
    ids = pc.unique(aggs.column("submission_id")).to_pylist() if aggs.num_rows else []
    with db.engine.connect() as conn:
        found = conn.execute(select(submissions.c.id, submissions.c.released_on, submissions.c.created_at)
                             .where(submissions.c.id.in_(ids))).all() if ids else []
    ranks = edition_ranks((r[0], r[1], r[2]) for r in found)
    ids_col = aggs.column("submission_id").to_pylist()
    return aggs.append_column("edition", pa.array([ranks.get(i, 0) for i in ids_col], type=pa.int32()))


def load_into(con: duckdb.DuckDBPyConnection) -> None:
    """Define the analysis views over `persons_raw` and `aggregates_raw` (registered Arrow tables or views)."""
    con.execute(
        """
        CREATE OR REPLACE VIEW victims AS
        SELECT id, submission_id, reporting_country AS country,
               CAST(identification_year AS INTEGER) AS year,
               coalesce(sex, 'unknown') AS sex,
               CASE WHEN is_minor IS NULL THEN 'unknown' WHEN is_minor THEN 'minor' ELSE 'adult' END AS age_group,
               coalesce(age_band, 'unknown') AS age_band,
               coalesce(citizenship1, 'unknown') AS citizenship,
               coalesce(source_type, 'unknown') AS source_type,
               coalesce(forms_of_exploitation, '') AS forms,
               coalesce(recruitment_country, citizenship1) AS origin,
               coalesce(transit_countries, '') AS transits,
               coalesce(exploitation_country, reporting_country) AS destination
        FROM (SELECT *, nullif(split_part(citizenship, ';', 1), '') AS citizenship1 FROM persons_raw)
        WHERE coalesce(role, 'victim') = 'victim' AND coalesce(victim_status, 'actual') <> 'not_a_victim'
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE VIEW victim_forms AS
        SELECT v.id, f.form, {group_case('f.form')} AS form_group
        FROM victims v, unnest({FORMS_LIST}) AS f(form)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE VIEW perpetrators AS
        SELECT id, submission_id, reporting_country AS country, CAST(identification_year AS INTEGER) AS year,
               coalesce(sex, 'unknown') AS sex, coalesce(legal_status, 'unknown') AS legal_status
        FROM persons_raw WHERE role = 'perpetrator'
        """
    )
    # figures held by the import's plausibility checks stay out of every statistic until a person reviews them
    # (a table registered without edition ranks, as tests and benchmarks do, ranks by import order)
    columns = {r[0] for r in con.execute("DESCRIBE aggregates_raw").fetchall()}
    edition = "" if "edition" in columns else ", submission_id AS edition"
    con.execute(f"CREATE OR REPLACE VIEW aggregates AS SELECT *{edition} FROM aggregates_raw "
                "WHERE NOT coalesce(held, false)")
    # GLOTIP figures of countries as read everywhere: the newest edition of each cell, never a sum across editions
    glotip = "(SELECT * FROM aggregates WHERE source = 'GLOTIP' AND area_kind = 'country')"
    con.execute(f"CREATE OR REPLACE VIEW glotip_figures AS {newest_edition(glotip, GLOTIP_CELL)}")
