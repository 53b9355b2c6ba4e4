"""The disclosure audit: for every small count that is not published, the range an attacker can prove for it.

For each target the audit solves two linear programmes (HiGHS through `scipy.optimize.linprog`): the smallest and
the largest value the target can take given every published cell of every release and the constraints of
`tipnet.disclosure.system`. A target is a cell whose true count is in 1..threshold-1 (in any snapshot), or the
change of a cell between two snapshots when that change is in 1..threshold-1 (the differencing attack: the victims
added between two releases are a small group of their own). The LP relaxation ignores that counts are integers; the
bounds are rounded inwards, which is what an attacker who knows they are integers gets at least.

A target is protected when its proven range reaches 0 or the threshold (nobody can tell that a small group of
victims exists) and is at least `min_width` wide.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from tipnet.disclosure.cells import TOTAL, Key
from tipnet.disclosure.system import System

log = logging.getLogger(__name__)
_TOL = 1e-6


@dataclass(frozen=True)
class Protection:
    threshold: int = 5  # counts 1..threshold-1 are never published (GLOTIP: 5)
    min_width: int = 1  # a proven range narrower than this fails even if it reaches 0 or the threshold

    def __post_init__(self) -> None:
        if self.threshold < 2 or self.min_width < 1:
            raise ValueError("threshold must be >= 2 and min_width >= 1")

    def sensitive(self, value: float) -> bool:
        return 1 <= value <= self.threshold - 1

    def safe(self, lo: float, hi: float) -> bool:
        return (lo <= 0 or hi >= self.threshold) and hi - lo >= self.min_width


@dataclass(frozen=True)
class Target:
    layer: int
    key: Key
    true: int
    old_layer: int | None = None  # set for a change between two snapshots: x[layer] - x[old_layer]

    @property
    def kind(self) -> str:
        return "cell" if self.old_layer is None else "change"


@dataclass
class Finding:
    target: Target
    lo: float
    hi: float
    safe: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.target.kind, "layer": self.target.layer, "old_layer": self.target.old_layer,
                "key": [list(p) for p in self.target.key], "true": self.target.true,
                "lo": None if math.isinf(self.lo) else self.lo, "hi": None if math.isinf(self.hi) else self.hi,
                "safe": self.safe}


@dataclass
class AuditResult:
    passed: bool
    findings: list[Finding] = field(default_factory=list)
    published_small: list[Key] = field(default_factory=list)  # published counts in 1..t-1 (must be empty)
    lps: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.safe]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "targets": len(self.findings), "failures": [f.to_dict() for f in self.failures],
                "published_small": [[list(p) for p in k] for k in self.published_small],
                "linear_programmes": self.lps, "seconds": round(self.seconds, 3)}


def fixed_values(system: System) -> np.ndarray:
    """Published value per variable, NaN where not published."""
    fixed = np.full(len(system.true), np.nan)
    for li, layer in enumerate(system.layers):
        for k, v in layer.published.items():
            fixed[system.var(li, k)] = v
    return fixed


def targets(system: System, protection: Protection, fixed: np.ndarray) -> list[Target]:
    out: list[Target] = []
    for li, layer in enumerate(system.layers):
        for k, v in layer.true.items():
            if protection.sensitive(v) and np.isnan(fixed[system.var(li, k)]):
                out.append(Target(li, k, v))
    for j, new in enumerate(system.layers):
        for i, old in enumerate(system.layers):
            if not old.snapshot < new.snapshot:
                continue
            for k in new.true.keys() & old.true.keys():
                if k != TOTAL and protection.sensitive(new.true[k] - old.true[k]):
                    out.append(Target(j, k, new.true[k] - old.true[k], old_layer=i))
    return out


class _Reduced:
    """The LP over unpublished variables only (published ones substituted)."""

    def __init__(self, system: System, fixed: np.ndarray) -> None:
        known = ~np.isnan(fixed)
        self.free = np.flatnonzero(~known)
        self.pos = {int(v): i for i, v in enumerate(self.free)}
        values = np.where(known, fixed, 0.0)
        self.fixed = fixed
        self.a_eq, self.b_eq = self._reduce(system.eq, values, known)
        self.a_ub, self.b_ub = self._reduce(system.ub, values, known)

    def _reduce(self, m: sparse.csr_matrix, values: np.ndarray,
                known: np.ndarray) -> tuple[sparse.csr_matrix | None, np.ndarray | None]:
        if m.shape[0] == 0:
            return None, None
        rhs = -(m @ values)
        sub = m[:, self.free].tocsr()
        keep = np.diff(sub.indptr) > 0
        if not keep.any():
            return None, None
        return sub[keep], rhs[keep]

    def solve(self, objective: dict[int, float]) -> tuple[float, float]:
        """Min and max of sum(c * x) over the feasible set."""
        const = 0.0
        c = np.zeros(len(self.free))
        for var, coef in objective.items():
            if var in self.pos:
                c[self.pos[var]] += coef
            else:
                const += coef * float(self.fixed[var])
        if not c.any():
            return const, const
        out = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq,
                          bounds=(0, None), method="highs")
            if res.status == 3:  # unbounded
                out.append(-math.inf if sign > 0 else math.inf)
            elif res.status != 0:
                raise RuntimeError(f"audit LP failed: {res.message}")
            else:
                out.append(sign * float(res.fun) + const)
        return out[0], out[1]


def check(system: System, fixed: np.ndarray, protection: Protection,
          todo: list[Target] | None = None) -> AuditResult:
    """Audit `todo` (default: every target) against the published values in `fixed`."""
    start = time.perf_counter()
    todo = targets(system, protection, fixed) if todo is None else todo
    small = [k for li, layer in enumerate(system.layers) for k, v in layer.true.items()
             if protection.sensitive(v) and not np.isnan(fixed[system.var(li, k)])]
    lp = _Reduced(system, fixed)
    findings = []
    for t in todo:
        objective = {system.var(t.layer, t.key): 1.0}
        if t.old_layer is not None:
            objective[system.var(t.old_layer, t.key)] = -1.0
        lo, hi = lp.solve(objective)
        lo = math.ceil(lo - _TOL) if not math.isinf(lo) else lo
        hi = math.floor(hi + _TOL) if not math.isinf(hi) else hi
        findings.append(Finding(t, lo, hi, protection.safe(lo, hi)))
    result = AuditResult(passed=not small and all(f.safe for f in findings), findings=findings,
                         published_small=small, lps=2 * len(todo), seconds=time.perf_counter() - start)
    log.info("audit: %d targets, %d unsafe, %d small published, %.2fs", len(findings), len(result.failures),
             len(small), result.seconds)
    return result
