"""One analytics base per store and process; each scope's statistics are a filter over it.

The base holds every person and aggregate figure of the store once, as compact Arrow, with the columns scopes filter
on (the person's consent to share with the hub, which submissions are shared with the hub, each submission's
reporting country). A scoped source gets its own DuckDB connection holding only its scope's rows of the base, as
zero-copy slices of the same Arrow tables (`stats.scoped`: the base keeps each submission's rows together, those the
hub may read first, so a scope's rows lie in few runs); the analysis views (`load_into`) are built over those. So
memory grows with the data, not with the number of countries.

The base follows the store: new submissions append their rows, and in-place changes re-read only the submissions
the records revision's log names (`store.revision`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from sqlalchemy import false, func, select

from tipnet.stats import scoped
from tipnet.stats.editions import edition_ranks
from tipnet.stats.reader import read_table
from tipnet.stats.scoped import BaseScope, base_scope, hub_readable
from tipnet.store import Database, revision
from tipnet.store.tables import aggregates, persons, submissions
from tipnet.store.tables_auth import submission_sharing

log = logging.getLogger(__name__)

MAX_CHUNKS = 256  # a base patched into more pieces than this is loaded again in one piece
MAX_IN_LIST = 500  # changed submissions read by their ids; more are read as a range and filtered


class StatsBase:
    """Every person and figure of one store, loaded once per store version, shared by all scopes of the process."""

    def __init__(self, db: Database, person_columns: list[str]) -> None:
        self.db = db
        self.person_columns = [*person_columns, "consent_share_hub"]
        self._lock = threading.Lock()
        self._agg_columns = [c.name for c in aggregates.columns]
        self._version: tuple[int, ...] | None = None
        self._tables: dict[str, pa.Table] = {}
        self._persons: list[pa.Table] = []  # chunks: the first load, then each refresh's new submissions
        self._aggs: list[pa.Table] = []
        self._known: set[int] = set()  # the submissions read
        self._agg_subs: set[int] = set()  # the submissions holding aggregate figures (editions rank among them)
        self._reloads = 0  # full loads and patches so far (tests and benchmarks read them)
        self._patches = 0

    def store_version(self) -> tuple[int, ...]:
        """What the base depends on: submissions, in-place changes to records, and what is shared with the hub."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.coalesce(func.max(submissions.c.id), 0),
                                      revision.current())).one()
            sharing = conn.execute(select(func.count(), func.coalesce(func.sum(submission_sharing.c.revision), 0))
                                   ).one()
        return (int(row[0]), int(row[1]), int(row[2]), int(sharing[0]), int(sharing[1] or 0))

    def tables(self, version: tuple[int, ...]) -> dict[str, pa.Table]:
        """The base's Arrow tables as of `version` (at least: a newer commit may be in them too). A base that holds
        an older version is brought forward: new submissions append their rows; an in-place change of stored
        records (a correction, a consent withdrawn, a plan updated, a figure released from review: the records
        revision, whose log names the submissions changed) re-reads only those submissions' rows; a change of
        sharing re-reads only the small tables. A change the log cannot place, or a submission gone, reloads all."""
        with self._lock:
            if self._version != version:
                self._refresh(version)
                self._version = version
            return self._tables

    def _refresh(self, version: tuple[int, ...]) -> None:
        old = self._version
        with self.db.engine.connect() as conn:
            subs = conn.execute(select(submissions.c.id, submissions.c.reporting_country, submissions.c.released_on,
                                       submissions.c.created_at)).all()
            shared = conn.execute(select(submission_sharing.c.submission_id)
                                  .where(submission_sharing.c.shared_with_hub.is_(True))).all()
            changed = revision.changed_since(conn, old[2], version[2]) if old is not None else None
        ids = {r[0] for r in subs}
        if old is None or changed is None or not self._known <= ids or len(self._persons) > MAX_CHUNKS:
            self._persons = [self._read(persons, self.person_columns, ids)]
            self._aggs = [self._read(aggregates, self._agg_columns, ids)]
            self._agg_subs = set()
            self._reloads += 1
            log.info("stats base loaded: %d persons, %d aggregate figures", self._persons[0].num_rows,
                     self._aggs[0].num_rows)
        else:
            touched = changed & self._known
            if touched:
                self._persons = [*_without(self._persons, touched), self._read_exactly(persons, self.person_columns,
                                                                                       touched)]
                self._aggs = [*_without(self._aggs, touched), self._read_exactly(aggregates, self._agg_columns,
                                                                                 touched)]
                self._patches += 1
                log.info("stats base: %d changed submission(s) read again", len(touched))
            if ids - self._known:
                new = sorted(ids - self._known)
                self._persons.append(self._read(persons, self.person_columns, set(new)))
                self._aggs.append(self._read(aggregates, self._agg_columns, set(new)))
                log.info("stats base: %d new submission(s), %d persons, %d aggregate figures appended", len(new),
                         self._persons[-1].num_rows, self._aggs[-1].num_rows)
        self._known = ids
        for chunk in self._aggs:
            if chunk.num_rows:
                self._agg_subs.update(pc.unique(chunk.column("submission_id")).to_pylist())
        ranks = edition_ranks((r[0], r[2], r[3]) for r in subs if r[0] in self._agg_subs)
        self._tables = {
            "persons_all": pa.concat_tables(self._persons),
            "aggregates_all": pa.concat_tables(self._aggs),
            "base_submissions": pa.table({"id": pa.array([r[0] for r in subs], pa.int64()),
                                          "reporting_country": pa.array([r[1] for r in subs], pa.string()),
                                          "edition": pa.array([ranks.get(r[0], 0) for r in subs], pa.int32())}),
            "base_shared": pa.table({"submission_id": pa.array([r[0] for r in shared], pa.int64())}),
        }

    def _read(self, table: Any, columns: list[str], ids: set[int]) -> pa.Table:
        """The rows of the submissions `ids` exactly (a submission committed since the list of `ids` was read is left
        for the next refresh, which will find it new)."""
        if not ids:
            return read_table(self.db, table, columns, false())
        rows = read_table(self.db, table, columns, table.c.submission_id >= min(ids) if self._known else None)
        return _grouped(_only(rows, ids))

    def _read_exactly(self, table: Any, columns: list[str], ids: set[int]) -> pa.Table:
        """The rows of a few submissions `ids` (through the submission index)."""
        if len(ids) > MAX_IN_LIST:
            return _grouped(_only(read_table(self.db, table, columns, table.c.submission_id >= min(ids)), ids))
        return _grouped(read_table(self.db, table, columns, table.c.submission_id.in_(sorted(ids))))

    def connect(self, version: tuple[int, ...], scope: BaseScope) -> duckdb.DuckDBPyConnection:
        """A new connection whose `persons_raw` and `aggregates_raw` are the scope's rows of the base (and which
        holds nothing else of it: `stats.scoped`)."""
        return scoped.connect(self.tables(version), self.person_columns, scope)


def _grouped(rows: pa.Table) -> pa.Table:
    """The rows with each submission's together and, within one, the persons the hub may read first (otherwise in
    the order read): so that every scope's rows lie in few runs of the base, which its connection takes as
    zero-copy slices (`stats.scoped.select_rows`). Rows already in that order are not copied."""
    if rows.num_rows < 2:
        return rows
    sub = rows.column("submission_id").fill_null(0).to_numpy()
    if "consent_share_hub" in rows.column_names:
        hidden = ds.dataset(rows).to_table(columns={"h": ~hub_readable()}).column("h").fill_null(False).to_numpy()
        key = sub.astype(np.int64) * 2 + hidden.astype(np.int64)
    else:
        key = sub.astype(np.int64)
    if bool(np.all(key[1:] >= key[:-1])):
        return rows
    return rows.take(pa.array(np.argsort(key, kind="stable")))


def _only(rows: pa.Table, ids: set[int]) -> pa.Table:
    mine = pc.is_in(rows.column("submission_id"), value_set=pa.array(sorted(ids), rows.schema.field(
        "submission_id").type))
    return rows if pc.all(mine).as_py() is not False else rows.filter(mine)


def _without(chunks: list[pa.Table], ids: set[int]) -> list[pa.Table]:
    """The chunks with the rows of submissions `ids` taken out (chunks without any are kept as they are)."""
    out: list[pa.Table] = []
    for chunk in chunks:
        if chunk.num_rows:
            hit = pc.is_in(chunk.column("submission_id"), value_set=pa.array(sorted(ids), chunk.schema.field(
                "submission_id").type))
            if pc.any(hit).as_py():
                chunk = chunk.filter(pc.invert(hit))
        if chunk.num_rows or not out:
            out.append(chunk)
    return out


_bases: dict[int, tuple[weakref.ref[Database], StatsBase]] = {}
_bases_lock = threading.Lock()


def base_of(db: Database, person_columns: list[str]) -> StatsBase:
    """The process's base for `db` (one per Database object)."""
    with _bases_lock:
        found = _bases.get(id(db))
        if found is not None and found[0]() is db:
            return found[1]
        base = StatsBase(db, person_columns)
        key = id(db)

        def forget(_ref: weakref.ref[Database], bases: dict[int, Any] = _bases) -> None:
            # no lock: the collector may run while it is held; `bases` bound here: at interpreter exit the module's
            # globals may already be gone when the last databases are collected
            if bases.get(key, (None,))[0] is _ref:
                bases.pop(key, None)

        _bases[key] = (weakref.ref(db, forget), base)
        return base


def uses_base(db: Database) -> bool:
    from tipnet.stats.reader import adbc_readable

    return adbc_readable(db)


__all__ = ["BaseScope", "StatsBase", "base_of", "base_scope", "uses_base"]
