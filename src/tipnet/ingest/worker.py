"""Imports into an embedded SQLite store run in a worker process.

The bulk loader (ADBC) links its own copy of SQLite. Two SQLite libraries in one process do not see each other's
POSIX locks, so when one closes the file it may drop the other's locks or remove the WAL index under a live
connection. Keeping the bulk loader in its own process gives each library its own locks, as SQLite expects. It also
keeps a large import's memory out of a long-running web server. PostgreSQL imports run in-process.

Start-up is part of an import's time: when the worker is new it is asked to import its modules at once, while the
calling process computes the file's SHA-256 (used to recognise a re-import); the worker gets that hash with the
job. The worker does not use SQLAlchemy: it writes through `tipnet.store.bulk` only.

The worker is handed the import to run (`run_import(run, ...)`, a module-level function, sent by reference): it
knows nothing of what an import does.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queue_mod
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tipnet.ingest.report import Report
from tipnet.ingest.submission import ImportOptions, ImportStore, Progress, sha256_if_readable
from tipnet.settings import Settings
from tipnet.store import bulk
from tipnet.store.bulk import BulkBackend

log = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_progress_queue: Any = None
_IN_WORKER = False
_worker_queue: Any = None


def in_worker() -> bool:
    return _IN_WORKER


def _init(q: Any) -> None:
    global _IN_WORKER, _worker_queue
    _IN_WORKER = True
    _worker_queue = q
    bulk.DEFER_CHECKPOINTS = True  # this process has ADBC's SQLite only: WAL checkpoints may follow the commit


def _warm() -> None:
    """Import and load what an import needs (runs first in a new worker, while the caller hashes the file)."""
    import adbc_driver_sqlite  # noqa: F401

    from tipnet.ingest.profiles import builtin_profiles
    from tipnet.standard import load_standard
    from tipnet.standard.countries import resolve_country

    load_standard()
    builtin_profiles()
    resolve_country("PER")


class ImportJob(Protocol):
    """An import to run in the worker: a module-level function (it is sent to the worker by reference)."""

    def __call__(
        self,
        path: Path,
        db: ImportStore,
        options: ImportOptions,
        settings: Settings,
        progress: Progress | None = None,
        sha256: str | None = None,
    ) -> Report: ...


@dataclass(frozen=True)
class WorkerStore:
    """What an import needs of a `tipnet.store.db.Database` (an `ImportStore`), without SQLAlchemy."""

    url: str
    bulk: BulkBackend
    backend_name: str = "sqlite"


def _job(
    run: ImportJob,
    path: str,
    url: str,
    backend: BulkBackend,
    options: ImportOptions,
    settings: Settings,
    job: int,
    sha: str | None,
) -> Report:
    def progress(n: int) -> None:
        _worker_queue.put((job, n))

    return run(Path(path), WorkerStore(url, backend), options, settings, progress=progress, sha256=sha)


def _get_executor() -> tuple[ProcessPoolExecutor, Any, bool]:
    global _executor, _progress_queue
    fresh = _executor is None
    if _executor is None:
        ctx = multiprocessing.get_context("spawn")
        _progress_queue = ctx.Queue()
        _executor = ProcessPoolExecutor(
            max_workers=1, mp_context=ctx, initializer=_init, initargs=(_progress_queue,)
        )
    return _executor, _progress_queue, fresh


_jobs = iter(range(1, 1 << 62))


def run_import(
    run: ImportJob,
    path: Path,
    db: ImportStore,
    options: ImportOptions,
    settings: Settings,
    progress: Progress | None,
) -> Report:
    """Run one import (`run`) in the worker process and return its Report. One import at a time per process."""
    global _executor
    with _lock:
        executor, q, fresh = _get_executor()
        job = next(_jobs)
        try:
            if fresh:
                executor.submit(_warm)  # starts the process; it imports while we hash the file
            sha = sha256_if_readable(path, settings)
            future = executor.submit(_job, run, str(path), db.url, db.bulk, options, settings, job, sha)
            while True:
                try:
                    return future.result(timeout=0.1)
                except TimeoutError:
                    pass
                finally:
                    _drain(q, job, progress)
        except BrokenProcessPool:
            _executor = None
            raise


def _drain(q: Any, job: int, progress: Progress | None) -> None:
    while True:
        try:
            got_job, n = q.get_nowait()
        except queue_mod.Empty:
            return
        if progress is not None and got_job == job:
            progress(n)


def shutdown() -> None:
    global _executor
    with _lock:
        if _executor is not None:
            _executor.shutdown(wait=True)
            _executor = None
