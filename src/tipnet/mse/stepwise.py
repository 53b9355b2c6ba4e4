"""Forward stepwise choice of two-list effects with Poisson p-values (SparseMSE's ``stepwisefit``).

Start from main effects. For each pair (i, j) not yet in the model, N*_ij (cases on both lists, whatever else they
are on) is Poisson under the current model with mean the sum of the fitted values of the histories containing both
lists; its p-value is the smaller one-sided tail, min(P(X <= N*), P(X >= N*)). A candidate whose model fails the
existence or identifiability check gets p = 1. The candidate with the smallest p-value (the first pair in
(1,2), (1,3), ... order on ties) joins the model if p < pthresh; otherwise selection stops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import poisson

from tipnet.mse.design import build_design, check_design
from tipnet.mse.fit import ModelFit, fit_model
from tipnet.mse.table import CaptureTable, Pair

log = logging.getLogger(__name__)


def poisson_pvalue(observed: int, mean: float) -> float:
    """min(P(X <= observed), P(X >= observed)) for X ~ Poisson(mean), as SparseMSE's ppois pair."""
    return float(min(poisson.cdf(observed, mean), poisson.sf(observed - 1, mean)))


@dataclass(frozen=True)
class Step:
    term: str
    pvalue: float
    observed_overlap: int
    expected_overlap: float

    def to_dict(self) -> dict[str, object]:
        return {"term": self.term, "pvalue": self.pvalue, "observed_overlap": self.observed_overlap,
                "expected_overlap": self.expected_overlap}


@dataclass(frozen=True, eq=False)
class Selection:
    fit: ModelFit
    pthresh: float
    steps: tuple[Step, ...] = ()
    stopped_at: Step | None = None  # best remaining candidate when selection stopped (p >= pthresh)
    failed_checks: dict[str, int] = field(default_factory=dict)  # candidate term -> ierr, when it was examined

    def to_dict(self) -> dict[str, object]:
        return {
            "pthresh": self.pthresh,
            "steps": [s.to_dict() for s in self.steps],
            "stopped_at": self.stopped_at.to_dict() if self.stopped_at else None,
            "candidates_failing_checks": self.failed_checks,
        }


def _main_effects(table: CaptureTable) -> ModelFit:
    return fit_model(table, (), check=True)


def stepwise_fit(table: CaptureTable, pthresh: float = 0.02) -> Selection:
    """SparseMSE's ``stepwisefit(zdat, pthresh)``. ``pthresh = 0`` gives main effects only; ``pthresh = 1`` the
    model with every two-list effect when that model passes the checks. Unlike SparseMSE, the main-effects model is
    checked too, and ``EstimateDoesNotExist`` raised when it fails (SparseMSE would fit it regardless)."""
    if not 0.0 <= pthresh <= 1.0:
        raise ValueError("pthresh must lie in [0, 1]")
    candidates = table.pairs()
    if pthresh == 1.0:
        full = build_design(table, candidates)
        if check_design(full).ok:
            return Selection(fit_model(table, candidates), pthresh)
    current = _main_effects(table)
    if pthresh == 0.0:
        return Selection(current, pthresh)
    nstar = {p: table.overlap(p) for p in candidates}
    model: list[Pair] = []
    steps: list[Step] = []
    failed: dict[str, int] = {}
    stopped: Step | None = None
    while len(model) < len(candidates):
        fitted = current.glm.fitted
        h = table.histories[current.design.rows]
        scored: list[tuple[float, int, Pair, float]] = []
        for k, p in enumerate(candidates):
            if p in model:
                continue
            expected = float(np.sum(fitted * h[:, p[0]] * h[:, p[1]]))
            scored.append((poisson_pvalue(nstar[p], expected), k, p, expected))
        scored.sort(key=lambda s: (s[0], s[1]))
        chosen = None
        for pval, _, p, expected in scored:
            step = Step(table.pair_name(p), pval, nstar[p], expected)
            if pval >= pthresh:
                stopped = step
                break
            chk = check_design(build_design(table, [*model, p]))
            if chk.ok:
                chosen = step, p
                break
            failed[step.term] = chk.ierr
            log.debug("candidate %s fails the checks (ierr=%d)", step.term, chk.ierr)
        if chosen is None:
            break
        step, p = chosen
        model.append(p)
        steps.append(step)
        log.debug("stepwise: add %s (p = %.3g)", step.term, step.pvalue)
        current = fit_model(table, model, check=False, empty_pvalues=False)
    final = fit_model(table, model, check=True)
    return Selection(final, pthresh, tuple(steps), stopped, failed)

