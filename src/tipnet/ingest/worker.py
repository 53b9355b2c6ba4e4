"""Imports into an embedded SQLite store run in a worker process.

The bulk loader (ADBC) links its own copy of SQLite. Two SQLite libraries in one process do not see each other's
POSIX locks, so when one closes the file it may drop the other's locks or remove the WAL index under a live
connection. Keeping the bulk loader in its own process gives each library its own locks, as SQLite expects. It also
keeps a large import's memory out of a long-running web server. PostgreSQL imports run in-process.

Start-up is part of an import's time: when the worker is new it is asked to import its modules at once, while the
calling process computes the file's SHA-256 (used to recognise a re-import); the worker gets that hash with the
job. The worker does not use SQLAlchemy: it writes through `tipnet.store.bulk` only.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queue_mod
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    from tipnet.store import bulk

    bulk.DEFER_CHECKPOINTS = True  # this process has ADBC's SQLite only: WAL checkpoints may follow the commit


def _warm() -> None:
    """Import and load what an import needs (runs first in a new worker, while the caller hashes the file)."""
    import adbc_driver_sqlite  # noqa: F401

    import tipnet.store.bulk  # noqa: F401
    from tipnet.ingest.profiles import builtin_profiles
    from tipnet.standard import load_standard
    from tipnet.standard.countries import resolve_country

    load_standard()
    builtin_profiles()
    resolve_country("PER")


@dataclass(frozen=True)
class WorkerStore:
    """What an import needs of a `tipnet.store.Database`, without SQLAlchemy."""

    url: str
    bulk: Any  # tipnet.store.bulk.BulkBackend
    backend_name: str = "sqlite"


def _job(path: str, url: str, bulk: Any, options: Any, settings: Any, job: int, sha: str | None) -> Any:
    from tipnet.ingest.pipeline import import_here

    def progress(n: int) -> None:
        _worker_queue.put((job, n))

    return import_here(Path(path), WorkerStore(url, bulk), options, settings, progress=progress, sha256=sha)


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


def _sha256(path: Path, settings: Any) -> str | None:
    """The file's hash, if the import will need it (the worker reports missing, empty and oversized files)."""
    from tipnet.ingest.pipeline import file_sha256

    try:
        size = path.stat().st_size
        if not path.is_file() or size == 0 or size > settings.max_file_bytes:
            return None
        return file_sha256(path)
    except OSError:
        return None


def run_import(path: Path, db: Any, options: Any, settings: Any, progress: Callable[[int], None] | None) -> Any:
    """Run one import in the worker process and return its Report. One import at a time per process."""
    global _executor
    with _lock:
        executor, q, fresh = _get_executor()
        job = next(_jobs)
        try:
            if fresh:
                executor.submit(_warm)  # starts the process; it imports while we hash the file
            sha = _sha256(path, settings)
            future = executor.submit(_job, str(path), db.url, db.bulk, options, settings, job, sha)
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


def _drain(q: Any, job: int, progress: Callable[[int], None] | None) -> None:
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
