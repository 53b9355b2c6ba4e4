"""BCa bootstrap intervals that allow for model selection (SparseMSE's ``estimatepopulation``; Chan, Silverman and
Vincent 2021, section 3.3).

Each replicate resamples the observed cases (multinomial over capture histories with the observed proportions) and
repeats the whole model choice. The acceleration comes from the delete-one jackknife, one deletion per distinct
observed history weighted by its count; the BCa limits use Hyndman-Fan type 8 quantiles as R's ``quantile(type=8)``.
Replicates use NumPy's generator, not R's, so limits agree with SparseMSE's only up to Monte Carlo error. Lists left
without cases (or holding every case) in a replicate are dropped first, which is where R's ``glm`` would drive their
main effect anyway.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from tipnet.mse.errors import MSEError
from tipnet.mse.estimate import select_model
from tipnet.mse.table import CaptureTable, Pair

log = logging.getLogger(__name__)

MAX_NBOOT = 20_000
DEFAULT_ALPHA = (0.025, 0.05, 0.1, 0.16, 0.84, 0.9, 0.95, 0.975)


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    point: float
    nboot: int
    seed: int
    failed: int  # replicates (and jackknife deletions) where no estimate existed; left out
    ahat: float
    z0: float
    limits: dict[float, float]  # alpha -> BCa limit for the total
    replicates: np.ndarray

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        lo, hi = round((1 - level) / 2, 10), round((1 + level) / 2, 10)
        if lo not in self.limits or hi not in self.limits:
            raise KeyError(f"no BCa limits computed for level {level}")
        return self.limits[lo], self.limits[hi]

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "BCa bootstrap with model selection repeated (SparseMSE estimatepopulation)",
            "point": self.point, "nboot": self.nboot, "seed": self.seed, "failed": self.failed,
            "ahat": self.ahat, "z0": self.z0,
            "limits": {f"{a:g}": v for a, v in self.limits.items()},
        }


def _total(table: CaptureTable, method: str, pairs: Sequence[Pair | str], pthresh: float) -> float:
    try:
        if method == "fixed":
            # list indices must keep their meaning: do not drop lists for a fixed model
            return select_model(table, method, pairs, pthresh)[0].total
        reduced, _ = table.drop_noninformative()
        return select_model(reduced, method, (), pthresh)[0].total
    except MSEError as exc:
        log.debug("bootstrap: no estimate for a resampled table (%s)", exc)
        return math.nan


def bca_limits(replicates: np.ndarray, point: float, ahat: float, alpha: Sequence[float]) -> tuple[float, dict]:
    """SparseMSE's ``bcaconfvalues``."""
    z0 = float(norm.ppf(np.mean(replicates < point)))
    za = norm.ppf(np.asarray(alpha, dtype=float))
    zq = norm.cdf(z0 + (za + z0) / (1 - ahat * (za + z0)))
    values = np.quantile(replicates, zq, method="median_unbiased")
    return z0, {float(a): float(v) for a, v in zip(alpha, values, strict=True)}


def bootstrap_bca(
    table: CaptureTable,
    nboot: int = 1000,
    pthresh: float = 0.02,
    method: str = "stepwise",
    pairs: Iterable[Pair | str] = (),
    seed: int = 1234,
    alpha: Sequence[float] = DEFAULT_ALPHA,
    progress: Callable[[int], None] | None = None,
) -> BootstrapResult:
    """BCa limits for the total population, repeating ``method`` (default stepwise) in every replicate."""
    if not 1 <= nboot <= MAX_NBOOT:
        raise ValueError(f"nboot must be between 1 and {MAX_NBOOT}")
    fixed = list(pairs)
    point = select_model(table, method, fixed, pthresh)[0].total
    counts = table.counts
    n = int(counts.sum())
    rng = np.random.default_rng(seed)
    reps = np.empty(nboot)
    for b in range(nboot):
        reps[b] = _total(table.with_counts(rng.multinomial(n, counts / n)), method, fixed, pthresh)
        if progress is not None:
            progress(1)
    rows = np.flatnonzero(counts > 0)
    jack = np.empty(len(rows))
    for k, r in enumerate(rows):
        c = counts.copy()
        c[r] -= 1
        jack[k] = _total(table.with_counts(c), method, fixed, pthresh)
    w = counts[rows].astype(float)
    ok_j = np.isfinite(jack)
    jr = np.sum(w[ok_j] * jack[ok_j]) / np.sum(w[ok_j]) - jack[ok_j]
    denom = 6.0 * np.sum(w[ok_j] * jr**2) ** 1.5
    ahat = float(np.sum(w[ok_j] * jr**3) / denom) if denom > 0 else 0.0
    good = reps[np.isfinite(reps)]
    failed = int(nboot - len(good) + np.sum(~ok_j))
    if failed:
        log.warning("bootstrap: %d resampled tables had no estimate and were left out", failed)
    if len(good) == 0:
        raise MSEError("no bootstrap replicate gave an estimate")
    z0, limits = bca_limits(good, point, ahat, alpha)
    return BootstrapResult(point, nboot, seed, failed, ahat, z0, limits, reps)
