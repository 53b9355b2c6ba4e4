"""Bulk loads through ADBC (Arrow straight into SQLite or PostgreSQL), one transaction per import.

SQLAlchemy owns the schema and ordinary queries; an import's many rows go through ADBC, which binds Arrow batches
in C (SQLite) or streams them with COPY (PostgreSQL). Everything an import writes happens on one ADBC connection
inside one transaction, so a failure or a killed process leaves nothing behind.

SQLite is driven through ADBC's low-level API, which needs neither pyarrow nor pandas (the import worker starts
faster); PostgreSQL through its DB-API module. `BackgroundIngest` overlaps writing one batch with preparing the
next: the ADBC call releases the GIL while SQLite binds and inserts. In the SQLite import worker the commit does
not wait for a WAL checkpoint (see DEFER_CHECKPOINTS).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import tipnet.store.generation as generation

log = logging.getLogger(__name__)

# SQLite stores dates as ISO text (what SQLAlchemy's Date type reads back). Formatting them in polars before the
# bind is much cheaper than ADBC's per-value conversion of date32.
SQLITE_DATE_FORMAT = "%Y-%m-%d"


class _SqliteConnection:
    """One ADBC SQLite connection through the driver manager's low-level API."""

    placeholder = "?"
    deferred_checkpoint = False

    def __init__(self, path: str) -> None:
        import adbc_driver_manager as dm
        import adbc_driver_sqlite

        self._dm = dm
        self._db = adbc_driver_sqlite.connect(path)
        try:
            self._conn = dm.AdbcConnection(self._db)
        except BaseException:
            self._db.close()
            raise

    def _statement(self, sql: str, params: Sequence[Any] | None) -> Any:
        stmt = self._dm.AdbcStatement(self._conn)
        try:
            stmt.set_sql_query(sql)
            if params:
                stmt.bind_stream(_param_frame(params))
        except BaseException:
            stmt.close()
            raise
        return stmt

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        stmt = self._statement(sql, params)
        try:
            stmt.execute_update()
        finally:
            stmt.close()

    def query_one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        import polars as pl

        stmt = self._statement(sql, params)
        try:
            handle, _ = stmt.execute_query()
            frame = pl.DataFrame(handle)
        finally:
            stmt.close()
        return frame.row(0) if frame.height else None

    def begin(self) -> None:
        self._conn.set_autocommit(False)

    def ingest(self, table: str, data: Any) -> None:
        data = sqlite_frame(data)
        dm = self._dm
        stmt = dm.AdbcStatement(self._conn)
        try:
            stmt.set_options(
                **{dm.INGEST_OPTION_TARGET_TABLE: table, dm.INGEST_OPTION_MODE: dm.INGEST_OPTION_MODE_APPEND}
            )
            stmt.bind_stream(data)  # any Arrow stream: a polars DataFrame or a pyarrow Table
            stmt.execute_update()  # binds and inserts in C without the GIL
        finally:
            stmt.close()

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._db.close()


def sqlite_frame(data: Any) -> Any:
    """A polars DataFrame as SQLite stores it: dates as ISO text (what SQLAlchemy's Date reads back). Anything
    else is returned as it is (ADBC converts a pyarrow Table's date32 columns itself, more slowly)."""
    import polars as pl

    if isinstance(data, pl.DataFrame):
        dates = [name for name, dtype in data.schema.items() if dtype == pl.Date]
        if dates:
            data = data.with_columns(pl.col(dates).dt.to_string(SQLITE_DATE_FORMAT))
    return data


def _param_frame(params: Sequence[Any]) -> Any:
    """Query parameters as a one-row Arrow stream (a None gets a text type: an untyped null does not bind)."""
    import polars as pl

    return pl.DataFrame(
        [pl.Series(f"p{i}", [v], dtype=pl.Utf8 if v is None else None) for i, v in enumerate(params)]
    )


class _DbapiConnection:
    """An ADBC DB-API connection (PostgreSQL)."""

    placeholder = "$"

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._cur = conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._cur.execute(sql, tuple(params or ()))

    def query_one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        self._cur.execute(sql, tuple(params or ()))
        row = self._cur.fetchone()
        return None if row is None else tuple(row)

    def begin(self) -> None:
        pass  # the DB-API connection is not in autocommit mode: it is in a transaction already

    def ingest(self, table: str, data: Any) -> None:
        cur = self._conn.cursor()
        try:
            cur.adbc_ingest(table, data, mode="append")
        finally:
            cur.close()

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        try:
            self._cur.close()
        finally:
            self._conn.close()


class BulkTransaction:
    """Writes of one import, all or nothing."""

    def __init__(self, conn: Any, placeholder: str) -> None:
        self._conn = conn
        self._placeholder = placeholder
        self.backend = "sqlite" if placeholder == "?" else "postgresql"

    def _params(self, n: int) -> str:
        if self._placeholder == "?":
            return ", ".join("?" * n)
        return ", ".join(f"${i + 1}" for i in range(n))

    def insert_returning_id(self, table: str, row: Mapping[str, Any]) -> int:
        cols = list(row)
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({self._params(len(cols))}) RETURNING id"
        result = self._conn.query_one(sql, [row[c] for c in cols])
        assert result is not None
        return int(result[0])

    def update(self, table: str, row_id: int, values: Mapping[str, Any]) -> None:
        cols = list(values)
        if self._placeholder == "?":
            sets = ", ".join(f"{c} = ?" for c in cols)
            where = "?"
        else:
            sets = ", ".join(f"{c} = ${i + 1}" for i, c in enumerate(cols))
            where = f"${len(cols) + 1}"
        self._conn.execute(f"UPDATE {table} SET {sets} WHERE id = {where}", [*[values[c] for c in cols], row_id])

    def find_id(self, table: str, column: str, value: Any) -> int | None:
        p = "?" if self._placeholder == "?" else "$1"
        row = self._conn.query_one(f"SELECT id FROM {table} WHERE {column} = {p}", [value])
        return None if row is None else int(row[0])

    def ingest(self, table: str, data: Any) -> None:
        """Append rows: a pyarrow Table, or a polars DataFrame whose columns are named like the table's."""
        if len(data):
            self._conn.ingest(table, data)

    def background(self, depth: int = 1) -> BackgroundIngest:
        """A writer thread for this transaction's ingest calls (see BackgroundIngest)."""
        return BackgroundIngest(self, depth)


_STOP = object()


class BackgroundIngest:
    """Runs `tx.ingest` calls on one background thread, in order, with at most `depth` batches waiting.

    `put` hands a batch over and returns at once, unless `depth` batches are already waiting (memory stays bounded
    by a few batches). A failed write is raised by the next `put` or by `close`; after a failure the remaining
    batches are dropped. `close` waits for every batch to be written. Everything still happens on the
    transaction's own connection: nothing is committed here.
    """

    def __init__(self, tx: BulkTransaction, depth: int = 1) -> None:
        self._tx = tx
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="tipnet-bulk-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if self._error is not None:
                continue  # a batch failed: drain the rest without writing
            table, data = item
            try:
                self._tx.ingest(table, data)
            except BaseException as exc:  # re-raised in the importing thread
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, table: str, data: Any) -> None:
        if self._closed:
            raise RuntimeError("BackgroundIngest is closed")
        self._raise()
        self._queue.put((table, data))

    def close(self) -> None:
        """Wait until every batch is written; raise the first write error."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop after the batch being written (if any); drop the others. Never raises."""
        if self._closed:
            return
        self._closed = True
        self._error = self._error or RuntimeError("import aborted")
        while True:  # make room for the stop marker: the writer skips whatever is left
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(_STOP)
        self._thread.join()


@dataclass(frozen=True)
class BulkBackend:
    """Opens ADBC connections to the store for bulk loads."""

    kind: str
    target: str

    def _connect(self) -> Any:
        if self.kind == "sqlite":
            conn = _SqliteConnection(self.target)
            try:
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA foreign_keys=ON")
                mode = conn.query_one("PRAGMA journal_mode")
                if mode is not None and str(mode[0]).lower() == "wal":
                    # With WAL, NORMAL keeps the database consistent after a crash or power loss (only the last
                    # commits before a power loss may be lost) and saves an fsync of the import at commit.
                    conn.execute("PRAGMA synchronous=NORMAL")
                    if DEFER_CHECKPOINTS:
                        # No checkpoint inside the import's commit: _checkpoint_later copies the WAL into the
                        # database afterwards, off the import's path (SQLite's documented alternative to
                        # automatic checkpoints). Other connections keep their own automatic checkpoints.
                        conn.execute("PRAGMA wal_autocheckpoint=0")
                        conn.deferred_checkpoint = True
                conn.begin()
            except BaseException:
                conn.close()
                raise
            return conn
        try:
            import adbc_driver_postgresql.dbapi as pg_dbapi
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise RuntimeError("PostgreSQL support needs the extra: pip install 'tipnet[postgres]'") from exc
        return _DbapiConnection(pg_dbapi.connect(self.target))

    @contextmanager
    def transaction(self) -> Iterator[BulkTransaction]:
        conn = self._connect()
        try:
            tx = BulkTransaction(conn, conn.placeholder)
            yield tx
            conn.commit()
            generation.bump()
        except BaseException:
            try:
                conn.rollback()
            finally:
                conn.close()
            raise
        if getattr(conn, "deferred_checkpoint", False):
            _checkpoint_later(conn)
        else:
            conn.close()


# Set by the SQLite import worker (tipnet.ingest.worker), the one process where no other SQLite library works on
# the store: there a connection may close (and checkpoint) on a background thread after the import returns.
# Elsewhere a second SQLite library in the same process could be reading while it does (see the worker's notes).
DEFER_CHECKPOINTS = False

_checkpoints_lock = threading.Lock()
_checkpoint_threads: list[threading.Thread] = []


def _checkpoint_later(conn: _SqliteConnection) -> None:
    """Copy the WAL into the database file and close the connection, on a background thread. The import has
    committed already: readers see its rows in the WAL meanwhile. The thread is not a daemon, so a process that
    exits waits for it (and an interrupted checkpoint is simply redone by the next one)."""

    def run() -> None:
        with _checkpoints_lock:
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - housekeeping: a later checkpoint does the same work
                log.warning("background WAL checkpoint failed", exc_info=True)
            finally:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    log.warning("closing the bulk connection failed", exc_info=True)

    thread = threading.Thread(target=run, name="tipnet-wal-checkpoint")
    _checkpoint_threads[:] = [t for t in _checkpoint_threads if t.is_alive()] + [thread]
    thread.start()


def wait_for_checkpoints() -> None:
    """Block until the background checkpoints started so far have finished."""
    for thread in list(_checkpoint_threads):
        thread.join()


def backend_for(url: str) -> BulkBackend:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        if not u.database or u.database == ":memory:":
            raise ValueError("bulk loads need a file-backed SQLite database, not :memory:")
        return BulkBackend("sqlite", u.database)
    if backend == "postgresql":
        plain = u.set(drivername="postgresql").render_as_string(hide_password=False)
        return BulkBackend("postgresql", plain)
    raise ValueError(f"unsupported database backend {backend!r} (use sqlite or postgresql)")
