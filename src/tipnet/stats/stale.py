"""Answers kept across a store change, while one thread brings them up to date.

A dashboard polled by many people must not stall each time a country commits an import: every kept answer of the
old store version would be computed again by the first requests after the commit, and all the others would wait.
Instead, while an answer is recomputed (once, in the background), the answer of the previous version is given -
but only when the change could only have added records for the scope (new submissions: an import, a new edition
of figures), never after a change that may take something away from it (a correction, a consent withdrawn, a
submission no longer shared with the hub, figures held or released by review): those are never papered over, and
every answer waits for the new version. A kept answer is given at most `STALE_SECONDS` after its version was
superseded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

# A page not asked for a while keeps its old answer: when it is asked again after more imports, that answer may be
# superseded for longer than its own computation takes (a dashboard visited every minute, a benchmark going round its
# endpoints). Two minutes of growth, given once while the new answer is computed, beat making every request wait.
STALE_SECONDS = 120.0
_ENTRIES = 512
_refreshers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stats-refresh")


class StaleAnswers:
    """The newest answer computed for each key, with the store version it was computed on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[Hashable, tuple[Any, tuple[int, ...]]] = {}
        self._superseded: dict[tuple[int, ...], float] = {}  # version -> time.monotonic() when a newer one was seen
        self._refreshing: set[Hashable] = set()
        self._current: tuple[int, ...] | None = None  # the newest version `superseded` was told of

    def keep(self, key: Hashable, value: Any, version: tuple[int, ...]) -> None:
        """Keep `value`, computed on `version`, unless the answer kept for `key` is of a newer version. `version`
        may already be superseded: a computation that outlived an import still gives a newer answer than the one
        kept (with imports committing faster than a page is computed, no answer would ever be current)."""
        with self._lock:
            if self._current not in (None, version) and version not in self._superseded:
                return  # superseded by a change that was not growth: never given
            found = self._answers.get(key)
            if found is not None and found[1] != version and not self._older(found[1], version):
                return
            self._answers.pop(key, None)
            self._answers[key] = (value, version)
            while len(self._answers) > _ENTRIES:
                self._answers.pop(next(iter(self._answers)))

    def _older(self, kept: tuple[int, ...], new: tuple[int, ...]) -> bool:
        """Whether `kept` was superseded before `new` was (the current version is the newest; one superseded by a
        change that was not growth is forgotten, and older than any)."""
        if kept == self._current:
            return False
        since_kept = self._superseded.get(kept)
        if since_kept is None:
            return True
        since_new = self._superseded.get(new)
        return since_new is None or since_new >= since_kept

    def superseded(self, old: tuple[int, ...], new: tuple[int, ...], grew_only: bool) -> None:
        """The store went from `old` to `new`: answers of `old` may be given a while longer only if it grew."""
        with self._lock:
            self._current = new
            if not grew_only:
                self._answers.clear()
                self._superseded.clear()
                return
            self._superseded.setdefault(old, time.monotonic())
            while len(self._superseded) > 64:
                self._superseded.pop(next(iter(self._superseded)))

    def get(self, key: Hashable, current: tuple[int, ...] | None, current_known: bool = True) -> Any:
        """The kept answer for `key` if it may still be given (its version current - unless `current_known` is
        False: a commit whose kind is not known yet may have come since -, or superseded by growth less than
        `STALE_SECONDS` ago); otherwise None. Never waits."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            found = self._answers.get(key)
            if found is None:
                return None
            value, version = found
            if version == current:
                return value if current_known else None
            since = self._superseded.get(version)
            if since is None or time.monotonic() - since > STALE_SECONDS:
                return None
            return value
        finally:
            self._lock.release()

    def refresh(self, key: Hashable, compute: Callable[[], Any]) -> None:
        """Run `compute()` (which keeps its answer) in the background, once per key at a time."""
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                compute()
            except Exception:  # the next request computes it again, in the foreground, and reports the error
                log.exception("background refresh of %r failed", key)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        _refreshers.submit(run)
