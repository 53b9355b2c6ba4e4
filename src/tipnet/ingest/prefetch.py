"""Read ahead: a thread pulls the next chunks from a reader while the caller checks and writes the current one.

Parsing (polars) releases the GIL, so reading overlaps with checking on a machine with two or more cores. At most
`depth` chunks wait in the queue (memory stays bounded). Errors raised by the reader reach the caller at the point
where it would have met them reading in order; closing stops the reader and runs its clean-up (the generator's
`finally`) on the reader's thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class Prefetch(Generic[T]):
    def __init__(self, source: Iterator[T], depth: int = 1, name: str = "tipnet-read-ahead") -> None:
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _offer(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._offer(item):
                    break
            else:
                self._offer(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._offer(_Failure(exc))
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item  # type: ignore[misc]
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        while True:  # let a reader blocked on a full queue see the stop
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread is not threading.current_thread():
            self._thread.join()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
