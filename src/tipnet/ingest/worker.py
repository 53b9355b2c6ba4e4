"""Imports into an embedded SQLite store run in a worker process.

The bulk loader (ADBC) links its own copy of SQLite. Two SQLite libraries in one process do not see each other's
POSIX locks, so when one closes the file it may drop the other's locks or remove the WAL index under a live
connection. Keeping the bulk loader in its own process gives each library its own locks, as SQLite expects. It also
keeps a large import's memory out of a long-running web server. PostgreSQL imports run in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queue_mod
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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


def _job(path: str, url: str, options: Any, settings: Any, job: int) -> Any:
    from tipnet.ingest.pipeline import import_file
    from tipnet.store import Database

    db = Database(url)

    def progress(n: int) -> None:
        _worker_queue.put((job, n))

    return import_file(Path(path), db, options, settings, progress=progress)


def _get_executor() -> tuple[ProcessPoolExecutor, Any]:
    global _executor, _progress_queue
    if _executor is None:
        ctx = multiprocessing.get_context("spawn")
        _progress_queue = ctx.Queue()
        _executor = ProcessPoolExecutor(
            max_workers=1, mp_context=ctx, initializer=_init, initargs=(_progress_queue,)
        )
    return _executor, _progress_queue


_jobs = iter(range(1, 1 << 62))


def run_import(
    path: Path, url: str, options: Any, settings: Any, progress: Callable[[int], None] | None
) -> Any:
    """Run one import in the worker process and return its Report. One import at a time per process."""
    global _executor
    with _lock:
        executor, q = _get_executor()
        job = next(_jobs)
        try:
            future = executor.submit(_job, str(path), url, options, settings, job)
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
