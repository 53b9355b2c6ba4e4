"""Population estimates: choose a model (stepwise, main effects or fixed), fit it, report total and interval.

The interval here is SparseMSE's ``estimatepopulation.0`` interval: the log dark figure (the intercept) is treated as
normal with the model's standard error, so the limits are observed + exp(intercept + z_q * se). It is conditional on
the chosen model. The BCa bootstrap of ``estimatepopulation``, which repeats the model choice in every replicate, is
in :mod:`tipnet.mse.bootstrap`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from scipy.stats import norm

from tipnet.mse.fit import ModelFit, fit_model
from tipnet.mse.stepwise import Selection, stepwise_fit
from tipnet.mse.table import CaptureTable, Pair

Method = Literal["stepwise", "main", "fixed"]
METHODS: tuple[str, ...] = ("stepwise", "main", "fixed")


@dataclass(frozen=True, eq=False)
class PopulationEstimate:
    method: str
    fit: ModelFit
    selection: Selection | None
    quantiles: dict[float, float]  # quantile -> total population at that quantile (model-conditional)
    lists: tuple[str, ...]
    bootstrap: dict[str, object] | None = field(default=None)

    @property
    def observed(self) -> int:
        return self.fit.observed

    @property
    def dark_figure(self) -> float:
        return self.fit.dark_figure

    @property
    def total(self) -> float:
        return self.fit.total

    @property
    def terms(self) -> list[str]:
        return self.fit.terms

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Model-conditional interval for the total at the given level (not restricted to ``quantiles``)."""
        z = norm.ppf(0.5 + level / 2)
        b, se = float(self.fit.glm.coefficients[0]), self.fit.log_dark_se
        return self.observed + math.exp(b - z * se), self.observed + math.exp(b + z * se)

    def to_dict(self) -> dict[str, object]:
        lo, hi = self.interval(0.95)
        return {
            "lists": list(self.lists),
            "method": self.method,
            "observed": self.observed,
            "dark_figure": self.dark_figure,
            "total": self.total,
            "ci95": {"low": lo, "high": hi, "kind": "model-conditional (SparseMSE estimatepopulation.0)"},
            "quantiles": {f"{q:g}": v for q, v in self.quantiles.items()},
            "model": self.fit.to_dict(),
            "selection": self.selection.to_dict() if self.selection else None,
            "bootstrap": self.bootstrap,
        }


def select_model(
    table: CaptureTable, method: str = "stepwise", pairs: Iterable[Pair | str] = (), pthresh: float = 0.02
) -> tuple[ModelFit, Selection | None]:
    if method == "stepwise":
        sel = stepwise_fit(table, pthresh)
        return sel.fit, sel
    if method == "main":
        return fit_model(table, ()), None
    if method == "fixed":
        return fit_model(table, pairs), None
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def estimate_population(
    table: CaptureTable,
    method: str = "stepwise",
    pairs: Iterable[Pair | str] = (),
    pthresh: float = 0.02,
    quantiles: Sequence[float] = (0.025, 0.975),
) -> PopulationEstimate:
    """SparseMSE's ``estimatepopulation.0``: total = observed + exp(intercept) for the chosen model.

    ``method``: "stepwise" (Chan, Silverman and Vincent's forward selection at ``pthresh``), "main" (main effects
    only) or "fixed" (main effects plus ``pairs``, given as indices or "A:B" names). Raises
    ``EstimateDoesNotExist`` when the model's estimate does not exist or is not identifiable."""
    fit, sel = select_model(table, method, pairs, pthresh)
    b, se = float(fit.glm.coefficients[0]), fit.log_dark_se
    qs = sorted({*quantiles, 0.5})
    values = {q: fit.observed + math.exp(float(norm.ppf(q, b, se))) for q in qs}
    return PopulationEstimate(method, fit, sel, values, table.lists)
