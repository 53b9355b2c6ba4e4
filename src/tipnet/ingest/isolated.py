"""Validation of a file nobody has vouched for (a web upload) in a child process, with a time limit and a memory
ceiling, so that a file built to exhaust the reader costs a child process, never the server.

The readers' own limits (`tipnet.ingest.limits`) refuse the known shapes of a bomb before anything is unpacked; this
is the second line, for what they do not foresee. A few worker processes (`Settings.validate_workers`) are kept and
reused; each sets its address-space ceiling once started (`validate_memory_bytes` above what it holds after start-up),
and is killed when a validation takes longer than `validate_seconds` or dies when it passes the ceiling (the
spreadsheet library aborts the process when an allocation fails). Either way the caller gets a report with one
`source-too-large` problem, and a fresh worker takes the next file.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tipnet.ingest.limits import too_large
from tipnet.ingest.report import Report
from tipnet.ingest.submission import ImportOptions
from tipnet.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class _Worker:
    process: Any  # multiprocessing's SpawnProcess
    conn: Connection


_lock = threading.Lock()
_idle: list[_Worker] = []
_slots: threading.BoundedSemaphore | None = None


def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _serve(conn: Connection, memory_bytes: int) -> None:
    """The worker's loop: warm up, set the ceiling, then validate file after file."""
    import resource

    import polars as pl
    import python_calamine  # noqa: F401 - loaded before the ceiling is set

    from tipnet.ingest.pipeline import validate_file

    pl.DataFrame({"a": ["1"]}).select(pl.col("a").cast(pl.Int64)).height  # noqa: B018 - starts polars' threads
    if memory_bytes > 0:
        ceiling = _vm_size() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        path, options, settings = job
        try:
            result: Report | str = validate_file(Path(path), options, settings)
        except MemoryError:
            result = "memory"
        conn.send(result)


def _start(settings: Settings) -> _Worker:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, settings.validate_memory_bytes), daemon=True,
                          name="tipnet-validate")
    process.start()
    child.close()
    if not parent.poll(60) or parent.recv() != "ready":
        process.kill()
        raise RuntimeError("the validation worker did not start")
    return _Worker(process, parent)


def _stop(worker: _Worker) -> None:
    worker.process.kill()
    worker.process.join(5)
    worker.conn.close()


def validate_isolated(path: Path, options: ImportOptions, settings: Settings) -> Report:
    """`tipnet.ingest.pipeline.validate_file` in a worker process; at most `validate_workers` at a time (callers
    beyond wait). A validation that runs out of time or memory gives a report with one `source-too-large` problem."""
    global _slots
    with _lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max(1, settings.validate_workers))
        slots = _slots
    with slots:
        with _lock:
            worker = _idle.pop() if _idle else None
        if worker is None or not worker.process.is_alive():
            worker = _start(settings)
        shown = options.display_name or str(path)
        try:
            worker.conn.send((str(path), options, settings))
            if not worker.conn.poll(settings.validate_seconds):
                log.warning("validation of %s stopped after %s s", shown, settings.validate_seconds)
                _stop(worker)
                return _refused(shown, "the time to validate it", f"{settings.validate_seconds} s",
                                "validate_seconds")
            result = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            result = "memory"  # the worker died: the library aborts a process whose allocation fails
        if result == "memory" or not isinstance(result, Report):
            log.warning("validation of %s passed the memory ceiling", shown)
            _stop(worker)
            return _refused(shown, "the memory needed to validate it",
                            f"{settings.validate_memory_bytes:,} bytes", "validate_memory_bytes")
        with _lock:
            _idle.append(worker)
        return result


def _refused(shown: str, what: str, limit: str, setting: str) -> Report:
    report = Report(path=shown)
    report.add(too_large(shown, what, limit, setting).problem)
    return report


def shutdown() -> None:
    with _lock:
        while _idle:
            _stop(_idle.pop())
