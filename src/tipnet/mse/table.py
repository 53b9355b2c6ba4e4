"""Capture-history tables: every observable history of t lists (2^t - 1 of them), unobserved ones as zero counts."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tipnet.mse.errors import CaptureTableError

log = logging.getLogger(__name__)

MAX_LISTS = 12  # 4,095 capture histories; stepwise then considers 66 pairs
MAX_CSV_BYTES = 10 * 1024**2

Pair = tuple[int, int]


def _all_histories(t: int) -> np.ndarray:
    """All non-empty 0/1 histories of t lists, ordered by the number of lists then lexicographically."""
    codes = np.arange(1, 2**t)
    h = ((codes[:, None] >> np.arange(t - 1, -1, -1)[None, :]) & 1).astype(np.int8)
    order = np.lexsort((-codes, h.sum(axis=1)))
    return h[order]


def _code(h: np.ndarray) -> np.ndarray:
    return (h.astype(np.int64) << np.arange(h.shape[1] - 1, -1, -1)[None, :]).sum(axis=1)


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts of cases by capture history. ``histories`` holds all 2^t - 1 observable histories (rows) of the
    t ``lists`` (columns); ``counts`` is zero where a history was not observed."""

    lists: tuple[str, ...]
    histories: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_patterns(
        cls, lists: Sequence[str], patterns: Iterable[Sequence[int]], counts: Iterable[int | float]
    ) -> CaptureTable:
        """Build from observed patterns (one 0/1 row per pattern, as in SparseMSE's ``zdat``) and their counts.
        Repeated patterns are summed; histories not given have count zero."""
        names = tuple(str(x).strip() for x in lists)
        t = len(names)
        if t < 2:
            raise CaptureTableError(f"need at least two lists, got {t}")
        if t > MAX_LISTS:
            raise CaptureTableError(f"at most {MAX_LISTS} lists are supported, got {t}")
        if len(set(names)) != t or not all(names):
            raise CaptureTableError(f"list names must be distinct and non-empty: {names}")
        pat = np.asarray(list(patterns), dtype=float).reshape(-1, t)
        cnt = np.asarray(list(counts), dtype=float)
        if len(cnt) != len(pat):
            raise CaptureTableError("one count per pattern is required")
        if not np.isin(pat, (0.0, 1.0)).all():
            raise CaptureTableError("capture histories must be 0 or 1")
        if (cnt < 0).any() or not np.isfinite(cnt).all() or (cnt != np.round(cnt)).any():
            raise CaptureTableError("counts must be non-negative whole numbers")
        empty = pat.sum(axis=1) == 0
        if (cnt[empty] > 0).any():
            raise CaptureTableError("a case with no list (all-zero history) cannot be observed")
        hist = _all_histories(t)
        index = {int(c): i for i, c in enumerate(_code(hist))}
        full = np.zeros(len(hist), dtype=np.int64)
        for code, n in zip(_code(pat[~empty].astype(np.int8)), cnt[~empty], strict=True):
            full[index[int(code)]] += int(n)
        return cls(names, hist, full)

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        return int(self.counts.sum())

    def pairs(self) -> list[Pair]:
        """All pairs (i, j), i < j, in SparseMSE's order: (1,2), (1,3), ..., (t-1, t)."""
        return [(i, j) for i in range(self.n_lists - 1) for j in range(i + 1, self.n_lists)]

    def pair_name(self, pair: Pair) -> str:
        return f"{self.lists[pair[0]]}:{self.lists[pair[1]]}"

    def pair_index(self, name: str) -> Pair:
        """``"D:E"`` -> (3, 4)."""
        parts = [p.strip() for p in name.split(":")]
        if len(parts) != 2 or any(p not in self.lists for p in parts) or parts[0] == parts[1]:
            raise CaptureTableError(f"not a pair of lists of this table: {name!r} (lists: {', '.join(self.lists)})")
        i, j = sorted(self.lists.index(p) for p in parts)
        return (i, j)

    def overlap(self, pair: Pair) -> int:
        """N*_ij: cases on both lists of the pair, whatever other lists they are on."""
        both = self.histories[:, pair[0]] * self.histories[:, pair[1]]
        return int((both * self.counts).sum())

    def list_totals(self) -> dict[str, int]:
        return {name: int((self.histories[:, i] * self.counts).sum()) for i, name in enumerate(self.lists)}

    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        return CaptureTable(self.lists, self.histories, np.asarray(counts, dtype=np.int64))

    def observed_rows(self) -> list[dict[str, int]]:
        """The observed patterns, as in the input CSVs."""
        return [
            {**{n: int(v) for n, v in zip(self.lists, h, strict=True)}, "count": int(c)}
            for h, c in zip(self.histories, self.counts, strict=True)
            if c > 0
        ]

    def select_lists(self, keep: Sequence[int]) -> CaptureTable:
        """The table on a subset of lists. Cases on none of the kept lists join the dark figure."""
        h = self.histories[:, list(keep)]
        on_any = h.sum(axis=1) > 0
        return CaptureTable.from_patterns([self.lists[k] for k in keep], h[on_any], self.counts[on_any])

    def drop_noninformative(self) -> tuple[CaptureTable, dict[str, str]]:
        """Remove lists with no cases, lists holding every observed case, and lists duplicating an earlier list
        (as SparseMSE's ``removenoninformativelists``). Returns the new table and {dropped list: reason}."""
        totals = self.list_totals()
        n = self.observed
        seen: dict[bytes, str] = {}
        keep: list[int] = []
        dropped: dict[str, str] = {}
        obs = self.counts > 0
        for i, name in enumerate(self.lists):
            key = self.histories[obs, i].tobytes()
            if totals[name] == 0:
                dropped[name] = "no cases"
            elif totals[name] == n:
                dropped[name] = "holds every observed case"
            elif key in seen:
                dropped[name] = f"same cases as {seen[key]}"
            else:
                seen[key] = name
                keep.append(i)
        if dropped:
            log.info("dropping non-informative lists: %s", dropped)
        if len(keep) < 2:
            raise CaptureTableError(
                f"fewer than two informative lists (dropped: {', '.join(f'{k} ({v})' for k, v in dropped.items())})"
            )
        return (self.select_lists(keep) if dropped else self), dropped


def read_capture_csv(path: Path | str) -> CaptureTable:
    """Read a capture-history CSV: one column per list (0/1), the last column the count (SparseMSE's layout)."""
    p = Path(path)
    if p.stat().st_size > MAX_CSV_BYTES:
        raise CaptureTableError(f"{p.name}: larger than {MAX_CSV_BYTES} bytes; a capture table is small")
    with p.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise CaptureTableError(f"{p.name}: needs a header row and at least one pattern")
    header, body = rows[0], rows[1:]
    width = len(header)
    try:
        values = [[float(c) for c in r] for r in body if len(r) == width]
    except ValueError as exc:
        raise CaptureTableError(f"{p.name}: non-numeric cell ({exc})") from exc
    if len(values) != len(body):
        raise CaptureTableError(f"{p.name}: every row needs {width} cells")
    arr = np.asarray(values)
    return CaptureTable.from_patterns(header[:-1], arr[:, :-1], arr[:, -1])


def table_from_memberships(
    memberships: Mapping[Hashable, Iterable[str]] | Iterable[tuple[Hashable, str]],
    lists: Sequence[str] | None = None,
) -> CaptureTable:
    """Build the table from linked records: either {person: lists it is on} or (person, list) pairs.

    ``person`` is whatever identifies one individual after linkage (e.g. a cluster id); repeated memberships
    count once. ``lists`` fixes the list order (default: sorted names seen)."""
    on: dict[Hashable, set[str]] = {}
    if isinstance(memberships, Mapping):
        for person, names in memberships.items():
            on.setdefault(person, set()).update(str(n) for n in names)
    else:
        for pair in memberships:
            on.setdefault(pair[0], set()).add(str(pair[1]))
    names_seen = sorted({n for s in on.values() for n in s})
    order = list(lists) if lists is not None else names_seen
    unknown = set(names_seen) - set(order)
    if unknown:
        raise CaptureTableError(f"records name lists not in the given list order: {sorted(unknown)}")
    patterns = Counter(tuple(int(n in s) for n in order) for s in on.values() if s)
    return CaptureTable.from_patterns(order, list(patterns), list(patterns.values()))
