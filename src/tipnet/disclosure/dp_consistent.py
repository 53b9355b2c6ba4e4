"""Consistent DP tables by least squares (post-processing of OpenDP's noisy counts; spends nothing).

Only the largest grouping sets of a family (tables with the same filters and no form dimension) are measured; every
table and margin of the family is then read off one latent table over the union of their dimensions, fitted to
the noisy measurements by least squares (conjugate gradients on the normal equations). Margins then add up, and
each figure pools every measurement that bears on it, which lowers the error of the small tables a lot (see
benchmarks/release_utility.py).

The fitted figures are linear in the noise, whose distribution is public, so their confidence intervals come from
simulating that noise (a fixed seed; discrete Laplace from SciPy, discrete Gaussian as a rounded normal) through the
same fit: by symmetry every cell of a grouping set has the same error distribution, so the quantile is pooled over
the cells and draws of each grouping set.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.sparse.linalg import LinearOperator, cg
from scipy.stats import dlaplace

Dims = tuple[str, ...]


def maximal(sets: list[Dims]) -> list[Dims]:
    """The grouping sets not contained in another one."""
    return [s for s in sets if not any(set(s) < set(t) for t in sets)]


def _axes(latent: Dims, subset: Dims) -> tuple[int, ...]:
    return tuple(i for i, d in enumerate(latent) if d not in subset)


def marginal(x: np.ndarray, latent: Dims, subset: Dims) -> np.ndarray:
    return x.sum(axis=_axes(latent, subset))


def fit(latent: Dims, shape: tuple[int, ...], measured: dict[Dims, np.ndarray]) -> np.ndarray:
    """Least-squares latent table whose marginals best match the (equally noisy) measurements."""
    size = int(np.prod(shape))

    def spread(y: np.ndarray, subset: Dims) -> np.ndarray:
        return np.broadcast_to(np.expand_dims(y, _axes(latent, subset)), shape)

    def normal(v: np.ndarray) -> np.ndarray:
        x = v.reshape(shape)
        out = np.zeros(shape)
        for s in measured:
            out += spread(marginal(x, latent, s), s)
        return out.ravel()

    rhs = np.zeros(shape)
    for s, y in measured.items():
        rhs += spread(y, s)
    sol, info = cg(LinearOperator((size, size), matvec=normal), rhs.ravel(), rtol=1e-10, maxiter=2000)
    if info != 0:
        raise RuntimeError(f"least-squares fit did not converge ({info})")
    return sol.reshape(shape)


def noise_sampler(measure: str, scale: float, rng: np.random.Generator) -> Callable[[tuple[int, ...]], np.ndarray]:
    if measure == "pure":
        a = 1 / scale
        return lambda shape: dlaplace.rvs(a, size=shape, random_state=rng).astype(float)
    return lambda shape: np.rint(rng.normal(0.0, scale, size=shape))


def half_widths(latent: Dims, shape: tuple[int, ...], measured: dict[Dims, tuple[int, ...]],
                wanted: list[Dims], samplers: dict[Dims, Callable[[tuple[int, ...]], np.ndarray]], alpha: float,
                draws: int | None = None) -> dict[Dims, int]:
    """(1 - alpha) half-width of the fitted error of each wanted grouping set, by simulation."""
    if draws is None:
        draws = 200 if int(np.prod(shape)) <= 20_000 else 40
    errors: dict[Dims, list[np.ndarray]] = {w: [] for w in wanted}
    for _ in range(draws):
        noise = {s: samplers[s](mshape) for s, mshape in measured.items()}
        x = fit(latent, shape, noise)
        for w in wanted:
            errors[w].append(np.abs(marginal(x, latent, w)).ravel())
    return {w: int(math.ceil(float(np.quantile(np.concatenate(e), 1 - alpha)))) for w, e in errors.items()}
