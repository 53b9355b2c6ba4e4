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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pyarrow as pa

log = logging.getLogger(__name__)

SQLITE_BATCH_ROWS = 65_536  # rows per batch the SQLite driver hands over (its default, 1,024, is slower)

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


def _warm() -> None:
    import adbc_driver_sqlite.dbapi  # noqa: F401


def _executor_now() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            _executor.submit(_warm)  # the process starts (and imports the driver) while the caller goes on
        return _executor


def start() -> None:
    """Start the worker ahead of the first read (a web server at start-up)."""
    _executor_now()


def read_sqlite(path: str, sql: str, params: tuple[Any, ...], schema: pa.Schema,
                batch_rows: int | None = None) -> pa.Table:
    """The rows of `sql` (whose last column `_first` marks the typing row to drop) as a compact table of `schema`."""
    global _executor
    batch_rows = batch_rows or SQLITE_BATCH_ROWS
    try:
        return _executor_now().submit(_read, path, sql, params, schema, batch_rows).result()
    except BrokenProcessPool:
        with _lock:
            _executor = None
        log.warning("the statistics read worker died; starting a new one")
        return _executor_now().submit(_read, path, sql, params, schema, batch_rows).result()


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
    global _executor
    with _lock:
        if _executor is not None:
            _executor.shutdown(wait=True)
            _executor = None
