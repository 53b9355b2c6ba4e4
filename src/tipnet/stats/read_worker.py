"""SQLite reads for statistics run in a worker process.

ADBC's SQLite driver links its own copy of SQLite. Two SQLite libraries in one process do not see each other's POSIX
locks: when one closes the file it may drop the other's locks or remove the WAL index under a live connection (seen
here as "database disk image is malformed" and as commits the other library no longer saw). So, as imports do
(`tipnet.ingest.worker`), the driver runs in its own process, which never opens the store through another library.
The worker is handed SQL text and its bound values (compiled by the caller) and returns the rows as a compact Arrow
table; it imports pyarrow and the driver only.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

import pyarrow as pa

from tipnet.errors import Unavailable

log = logging.getLogger(__name__)

SQLITE_BATCH_ROWS = 65_536  # rows per batch the SQLite driver hands over (its default, 1,024, is slower)

# One worker, one request at a time, over a pipe whose ends block (no polling with timeouts: nothing here depends on
# the clock, which callers and tests may freeze).
_lock = threading.Lock()
_worker: tuple[Any, Connection] | None = None


def _serve(conn: Connection) -> None:
    import adbc_driver_sqlite.dbapi  # noqa: F401

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, _read(*job)))
        except Exception as exc:  # noqa: BLE001 - handed back to the caller, as the caller's error
            conn.send((False, f"{type(exc).__name__}: {exc}"))


def _worker_now() -> tuple[Any, Connection]:
    global _worker
    if _worker is None or not _worker[0].is_alive():
        ctx = multiprocessing.get_context("spawn")
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(theirs,), daemon=True, name="tipnet-stats-read")
        process.start()  # it imports the driver while the caller goes on
        theirs.close()
        _worker = (process, mine)
    return _worker


def start() -> None:
    """Start the worker ahead of the first read (a web server at start-up)."""
    with _lock:
        _worker_now()


class ReadFailed(Unavailable):
    """The statistics could not read the store (the worker's or the driver's error is logged, not shown)."""

    code = "stats-read-failed"

    def __init__(self, cause: str) -> None:
        super().__init__("the statistics could not be read from the store just now; try again in a moment")
        self.cause = cause


def read_sqlite(path: str, sql: str, params: tuple[Any, ...], schema: pa.Schema,
                batch_rows: int | None = None) -> pa.Table:
    """The rows of `sql` (whose last column `_first` marks the typing row to drop) as a compact table of `schema`."""
    global _worker
    job = (path, sql, params, schema, batch_rows or SQLITE_BATCH_ROWS)
    with _lock:
        for attempt in (1, 2):
            _process, conn = _worker_now()
            try:
                conn.send(job)
                ok, value = conn.recv()
                break
            except (EOFError, OSError, BrokenPipeError) as exc:
                _worker = None
                if attempt == 2:
                    log.error("the statistics read worker died twice in a row: %s", exc)
                    raise ReadFailed(f"worker died: {type(exc).__name__}: {exc}") from exc
                log.warning("the statistics read worker died; starting a new one")
    if not ok:
        log.error("the statistics read worker could not read the store: %s", value)
        raise ReadFailed(value)
    return value  # type: ignore[no-any-return]


def _read(path: str, sql: str, params: tuple[Any, ...], schema: pa.Schema, batch_rows: int) -> pa.Table:
    import adbc_driver_sqlite.dbapi as sqlite_dbapi
    import pyarrow.compute as pc

    from tipnet.stats.compact import compact_stream

    n = len(schema)

    def rows(reader: Any) -> Any:
        for batch in reader:
            yield batch.filter(pc.equal(batch.column(n), 0)).select(range(n))

    with sqlite_dbapi.connect(path) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cur.execute(sql, params or None)
        return compact_stream(rows(cur.fetch_record_batch()), schema)


def shutdown() -> None:
    global _worker
    with _lock:
        if _worker is not None:
            process, conn = _worker
            conn.close()  # the worker's recv ends: it returns
            process.join(timeout=5)
            _worker = None
