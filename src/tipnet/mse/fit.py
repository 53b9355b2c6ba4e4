"""Fit one log-linear model (main effects plus given two-list effects) and read off the dark figure."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tipnet.mse.design import Design, ModelCheck, build_design, check_design
from tipnet.mse.errors import EstimateDoesNotExist
from tipnet.mse.glm import PoissonFit, fit_poisson
from tipnet.mse.table import CaptureTable, Pair


@dataclass(frozen=True, eq=False)
class ModelFit:
    table: CaptureTable
    design: Design
    glm: PoissonFit
    check: ModelCheck | None
    # SparseMSE's poisspempty: for each non-overlapping pair in the model, the probability that the overlap is empty
    # under the model without that effect
    empty_overlap_pvalues: dict[str, float] = field(default_factory=dict)

    @property
    def observed(self) -> int:
        return int(self.design.y.sum())

    @property
    def dark_figure(self) -> float:
        """exp(intercept): the expected count of the all-zero history."""
        return math.exp(float(self.glm.coefficients[0]))

    @property
    def log_dark_se(self) -> float:
        return math.sqrt(float(self.glm.cov_unscaled[0, 0]))

    @property
    def total(self) -> float:
        return self.observed + self.dark_figure

    @property
    def aic(self) -> float:
        """AIC as SparseMSE reports it: each non-overlapping pair in the model counts as a parameter."""
        return self.glm.aic + 2 * len(self.design.empty_pairs)

    @property
    def terms(self) -> list[str]:
        """The two-list effects in the model, e.g. ["D:E"]."""
        return [self.table.pair_name(p) for p in self.design.pairs]

    def describe(self) -> str:
        return "main effects" + "".join(f" + {t}" for t in self.terms)

    def fitted_full(self) -> np.ndarray:
        """Fitted means over all histories of the table (zero where a non-overlapping pair deleted them)."""
        out = np.zeros(len(self.table.histories))
        out[self.design.rows] = self.glm.fitted
        return out

    def coefficients(self) -> dict[str, float]:
        return {n: float(b) for n, b in zip(self.design.names, self.glm.coefficients, strict=True)}

    def to_dict(self) -> dict[str, object]:
        se = np.sqrt(np.diag(self.glm.cov_unscaled))
        return {
            "model": self.describe(),
            "terms": self.terms,
            "non_overlapping_terms": [self.table.pair_name(p) for p in self.design.empty_pairs],
            "empty_overlap_pvalues": self.empty_overlap_pvalues,
            "coefficients": [
                {"term": n, "estimate": float(b), "se": float(s)}
                for n, b, s in zip(self.design.names, self.glm.coefficients, se, strict=True)
            ],
            "deviance": self.glm.deviance,
            "df_residual": int(len(self.design.y) - len(self.glm.coefficients)),
            "aic": self.aic,
            "check": self.check.to_dict() if self.check else None,
        }


def _fit_design(table: CaptureTable, d: Design, check: ModelCheck | None) -> ModelFit:
    return ModelFit(table, d, fit_poisson(d.x, d.y), check)


def fit_model(
    table: CaptureTable, pairs: Iterable[Pair | str] = (), check: bool = True, empty_pvalues: bool = True
) -> ModelFit:
    """SparseMSE's ``modelfit``: main effects plus ``pairs`` (indices or "A:B" names).

    With ``check`` the existence and identifiability tests run first and ``EstimateDoesNotExist`` is raised when
    either fails."""
    d = build_design(table, pairs)
    chk = check_design(d) if check else None
    if chk is not None and not chk.ok:
        model = "main effects" + "".join(f" + {table.pair_name(p)}" for p in d.pairs)
        raise EstimateDoesNotExist(f"{model}: {chk.message()}", chk.ierr)
    fit = _fit_design(table, d, chk)
    if empty_pvalues and d.empty_pairs:
        fit.empty_overlap_pvalues.update(_empty_overlap_pvalues(table, d))
    return fit


def _empty_overlap_pvalues(table: CaptureTable, d: Design) -> dict[str, float]:
    out: dict[str, float] = {}
    for p in d.empty_pairs:
        without = build_design(table, [q for q in d.pairs if q != p])
        g = fit_poisson(without.x, without.y)
        h = table.histories[without.rows]
        expected = float(np.sum(g.fitted * h[:, p[0]] * h[:, p[1]]))
        out[table.pair_name(p)] = math.exp(-expected)
    return out
