"""Threshold rule with secondary suppression, consistent across the tables of a release and earlier releases.

1. Primary: every cell of the new release with a count in 1..threshold-1 is suppressed. So is every cell whose change
   since an earlier release (of a smaller snapshot) that published it is in 1..threshold-1: publishing both would
   hand out the count of the victims added in between.
2. Secondary, by equations: while an additivity equation (of any table, at the new snapshot) has exactly one
   unpublished cell, suppress one more of its cells (the smallest non-zero, finest one).
3. Secondary, by audit: solve the audit's linear programmes; for each target still pinned, suppress one more cell of
   an equation it sits in (searching outwards through the equations when all its neighbours are already
   suppressed), and audit the failures again, until every target is protected.

Cells are named by their keys, so a cell shared by two tables is one decision: suppressed in both or in neither.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tipnet.disclosure.audit import AuditResult, Protection, Target, check, fixed_values, targets
from tipnet.disclosure.cells import TOTAL, Key
from tipnet.disclosure.system import System

log = logging.getLogger(__name__)


class SuppressionError(RuntimeError):
    """The release cannot be protected by suppressing its own cells (an earlier release already gives it away)."""


@dataclass
class Suppression:
    published: dict[Key, int]
    primary: set[Key] = field(default_factory=set)
    change: set[Key] = field(default_factory=set)
    secondary: set[Key] = field(default_factory=set)
    audit: AuditResult | None = None

    @property
    def suppressed(self) -> set[Key]:
        return self.primary | self.change | self.secondary

    def to_dict(self) -> dict[str, Any]:
        return {"published": len(self.published), "suppressed": len(self.suppressed), "primary": len(self.primary),
                "change": len(self.change), "secondary": len(self.secondary),
                "audit": self.audit.to_dict() if self.audit else None}


class _Rows:
    """Equation rows at the new snapshot, as variable lists, and the rows each variable sits in."""

    def __init__(self, system: System, layer: int) -> None:
        lo = min(system.var(layer, k) for k in system.layers[layer].true)
        hi = max(system.var(layer, k) for k in system.layers[layer].true)
        eq = system.eq
        self.rows: list[np.ndarray] = []
        self.of: dict[int, list[int]] = {}
        for r in range(eq.shape[0]):
            cols = eq.indices[eq.indptr[r]:eq.indptr[r + 1]]
            if len(cols) and lo <= cols[0] <= hi:
                idx = len(self.rows)
                self.rows.append(cols)
                for c in cols:
                    self.of.setdefault(int(c), []).append(idx)


def suppress(system: System, layer: int, keys: set[Key], protection: Protection, max_rounds: int = 500) -> Suppression:
    """Decide which of `keys` (the new release's cells, at `layer`) to publish."""
    cur = system.layers[layer]
    fixed = fixed_values(system)  # earlier releases; the new release's cells are added below
    already = set(cur.published)
    result = Suppression(published={})
    for k in keys:
        v = cur.true[k]
        if k in already:
            continue  # published before from the same data: public already
        if protection.sensitive(v):
            result.primary.add(k)
            continue
        fixed[system.var(layer, k)] = v
    for old in system.layers:
        if old.snapshot < cur.snapshot:
            for k in keys & old.published.keys():
                if k != TOTAL and k not in already and protection.sensitive(cur.true[k] - old.true[k]):
                    result.change.add(k)
                    fixed[system.var(layer, k)] = np.nan
    choosable = {system.var(layer, k): k for k in keys - already}
    rows = _Rows(system, layer)
    _equation_pass(system, rows, fixed, choosable, result)
    todo = targets(system, protection, fixed)
    for _ in range(max_rounds):
        audit = check(system, fixed, protection, todo)
        if audit.passed:
            break
        if audit.published_small:
            raise SuppressionError(f"an earlier release published small counts: {audit.published_small[:5]}")
        added = 0
        for f in audit.failures:
            var = _pick(system, layer, rows, fixed, choosable, f.target)
            if var is None:
                raise SuppressionError(f"cannot protect {f.target.kind} {list(f.target.key)} "
                                       f"(range {f.lo}..{f.hi}) by suppressing cells of this release")
            if not np.isnan(fixed[var]):
                fixed[var] = np.nan
                result.secondary.add(choosable[var])
                added += 1
        _equation_pass(system, rows, fixed, choosable, result)
        todo = [f.target for f in audit.failures]
    else:
        raise SuppressionError(f"no protected pattern after {max_rounds} rounds")
    result.audit = check(system, fixed, protection)  # the whole audit, on the final pattern
    if not result.audit.passed:
        raise SuppressionError("final audit failed")
    result.published = {k: cur.true[k] for k in keys if not np.isnan(fixed[system.var(layer, k)])}
    log.info("suppression: %d cells, %d primary, %d change, %d secondary", len(keys), len(result.primary),
             len(result.change), len(result.secondary))
    return result


def _score(system: System, var: int, key: Key) -> tuple[int, int, float]:
    value = float(system.true[var])
    return (1 if value == 0 else 0, -len(key), value)  # non-zero first, finest first, smallest first


def _equation_pass(system: System, rows: _Rows, fixed: np.ndarray, choosable: dict[int, Key],
                   result: Suppression) -> None:
    changed = True
    while changed:
        changed = False
        for cols in rows.rows:
            unknown = [c for c in cols if np.isnan(fixed[c])]
            if len(unknown) != 1:
                continue
            options = [int(c) for c in cols if int(c) in choosable and not np.isnan(fixed[c])]
            if not options:
                continue
            best = min(options, key=lambda c: _score(system, c, choosable[c]))
            fixed[best] = np.nan
            result.secondary.add(choosable[best])
            changed = True


def _pick(system: System, layer: int, rows: _Rows, fixed: np.ndarray, choosable: dict[int, Key],
          target: Target) -> int | None:
    """One more cell of the new release to suppress for `target`, searching outwards through the equations."""
    start = system.index.get((layer, target.key))
    if start is not None and start in choosable and not np.isnan(fixed[start]):
        return start
    frontier = {start} if start is not None else set()
    seen: set[int] = set(frontier)
    for _ in range(6):
        options: set[int] = set()
        nxt: set[int] = set()
        for var in frontier:
            for r in rows.of.get(var, []):
                for c in rows.rows[r]:
                    c = int(c)
                    if c in choosable and not np.isnan(fixed[c]):
                        options.add(c)
                    if c not in seen:
                        nxt.add(c)
        if options:
            return min(options, key=lambda c: _score(system, c, choosable[c]))
        seen |= nxt
        frontier = nxt
        if not frontier:
            break
    return None
