"""Model designs and the two checks SparseMSE runs on every candidate model (``checkident``).

A model is main effects plus a set of two-list effects. A pair of lists with no case in common
(a non-overlapping pair) whose effect is in the model has its extended MLE at minus infinity: as in SparseMSE's
``buildmodel``, the histories containing both lists are deleted and the effect gets no column.

Existence: the extended MLE exists iff the sufficient statistics t = X'n lie in the relative interior of the cone
spanned by the rows of X, i.e. some strictly positive table y has X'y = t (Fienberg and Rinaldo 2012; Chan,
Silverman and Vincent 2021, section 2.6). SparseMSE solves max s subject to X'y = t, y >= s and reports non-existence
when the optimum is 0. We solve the equivalent homogeneous feasibility problem min lambda subject to X'y = lambda t,
y >= 1 (infeasible iff SparseMSE's optimum is 0, and otherwise that optimum is 1/lambda), which has no
zero-threshold to tune. Identifiability: X has full column rank.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from tipnet.mse.errors import MSEError
from tipnet.mse.table import CaptureTable, Pair

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Design:
    pairs: tuple[Pair, ...]  # the two-list effects in the model, as requested
    fitted_pairs: tuple[Pair, ...]  # those with an observed overlap: one column each
    empty_pairs: tuple[Pair, ...]  # non-overlapping pairs: effect at -inf, their histories deleted
    rows: np.ndarray  # mask over table.histories: histories kept in the fit
    x: np.ndarray  # columns: intercept, main effects, fitted_pairs
    y: np.ndarray  # counts of the kept histories
    names: tuple[str, ...]


def normalise_pairs(table: CaptureTable, pairs: Iterable[Pair | str]) -> tuple[Pair, ...]:
    out: list[Pair] = []
    for p in pairs:
        if isinstance(p, str):
            q = table.pair_index(p)
        else:
            i, j = int(p[0]), int(p[1])
            if i == j or not (0 <= i < table.n_lists and 0 <= j < table.n_lists):
                raise MSEError(f"not a pair of lists of this table: {p!r}")
            q = (min(i, j), max(i, j))
        if q not in out:
            out.append(q)
    return tuple(out)


def build_design(table: CaptureTable, pairs: Iterable[Pair | str] = ()) -> Design:
    model = normalise_pairs(table, pairs)
    h = table.histories
    keep = np.ones(len(h), dtype=bool)
    fitted: list[Pair] = []
    empty: list[Pair] = []
    for p in model:
        if table.overlap(p) == 0:
            empty.append(p)
            keep &= (h[:, p[0]] * h[:, p[1]]) == 0
        else:
            fitted.append(p)
    hk = h[keep].astype(float)
    cols = [np.ones(len(hk)), *hk.T, *(hk[:, i] * hk[:, j] for i, j in fitted)]
    names = ("(Intercept)", *table.lists, *(table.pair_name(p) for p in fitted))
    return Design(model, tuple(fitted), tuple(empty), keep, np.column_stack(cols), table.counts[keep].astype(float),
                  names)


@dataclass(frozen=True)
class ModelCheck:
    exists: bool
    identifiable: bool
    lp_objective: float  # SparseMSE's checkident LP optimum; 0 means the (extended) MLE does not exist
    rank_deficiency: int

    @property
    def ierr(self) -> int:
        """SparseMSE's error code: 0 fine, 1 no MLE, 2 not identifiable, 3 both."""
        return int(not self.exists) + 2 * int(not self.identifiable)

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    def message(self) -> str:
        parts = []
        if not self.exists:
            parts.append("the maximum likelihood estimate does not exist (Fienberg-Rinaldo linear program)")
        if not self.identifiable:
            parts.append(f"the model is not identifiable (design rank deficient by {self.rank_deficiency})")
        return "; ".join(parts) or "the estimate exists and is identifiable"

    def to_dict(self) -> dict[str, object]:
        return {"exists": self.exists, "identifiable": self.identifiable, "ierr": self.ierr,
                "lp_objective": self.lp_objective, "rank_deficiency": self.rank_deficiency}


def check_design(d: Design) -> ModelCheck:
    n, p = d.x.shape
    rankdef = p - int(np.linalg.matrix_rank(d.x))
    t = d.x.T @ d.y
    # variables: y (n), lambda; minimise lambda subject to X'y - lambda t = 0, y >= 1, lambda >= 0
    a_eq = np.hstack([d.x.T, -t[:, None]])
    c = np.zeros(n + 1)
    c[-1] = 1.0
    bounds = [(1.0, None)] * n + [(0.0, None)]
    res = linprog(c, A_eq=a_eq, b_eq=np.zeros(p), bounds=bounds, method="highs")
    if res.status == 0:
        lam = float(res.x[-1])
        exists, objective = lam > 0, (1.0 / lam if lam > 0 else 0.0)
    elif res.status == 2:
        exists, objective = False, 0.0
    else:
        raise MSEError(f"existence check: the linear program failed ({res.message})")
    return ModelCheck(exists, rankdef == 0, objective, rankdef)


def check_model(table: CaptureTable, pairs: Iterable[Pair | str] = ()) -> ModelCheck:
    """SparseMSE's ``checkident`` for main effects plus the given two-list effects."""
    return check_design(build_design(table, pairs))
